//! Every probe kind against an in-process service on loopback: a plan
//! with one probe of each kind passes against a well-behaved service and
//! fails, with the failing evidence, against one that misbehaves in each
//! way the probes look for.

mod support;

use std::io::Write as _;
use std::time::Duration;

use shipgate_probe::render;
use shipgate_probe::{Context, Observation, Outcome, ProbeFile, ProbeReport, run_all};
use support::{Behaviour, TestCa, serve_http, serve_https};

/// One probe of each kind but the backup drill, which has its own tests
/// against PostgreSQL.
fn plan(api: &str, web: &str, secure: &str, ca_file: &str) -> String {
    format!(
        r#"
[targets]
api = "{api}"
web = {{ url = "{web}", ca-file = "{ca_file}" }}
secure = {{ url = "{secure}", ca-file = "{ca_file}" }}

[[probe]]
name = "health"
kind = "http"
target = "api"
path = "/health"
max-latency = "2s"
body-json = [{{ pointer = "/status", equals = "ok" }}]
require-headers = ["content-type: json"]

[[probe]]
name = "access"
kind = "auth"
target = "api"
credentials.admin = {{ bearer-env = "ADMIN_TOKEN" }}
credentials.viewer = {{ bearer-env = "VIEWER_TOKEN" }}
endpoints = [
  {{ path = "/admin", expect = {{ none = 401, viewer = 403, admin = 200 }} }},
  {{ path = "/me", expect = {{ none = 401, viewer = "2xx", admin = "2xx" }} }},
]

[[probe]]
name = "burst"
kind = "rate-limit"
target = "api"
path = "/limited"
requests = 100
concurrency = 4
max-retry-after = "5s"

[[probe]]
name = "headers"
kind = "headers"
target = "web"
path = "/page"
min-score = 90

[[probe]]
name = "tls"
kind = "tls"
target = "secure"
min-days-left = 30
min-ec-bits = 384

[[probe]]
name = "orders"
kind = "idempotency"
target = "api"
path = "/orders"
body = '{{"sku": "book", "ref": "{{key}}"}}'
effect = {{ path = "/orders?key={{key}}", count = "/count" }}

[[probe]]
name = "latency"
kind = "load"
target = "api"
path = "/fast"
rate = 200
duration = "1s"
connections = 16
p99 = "150ms"
max-error-rate = 0.0
timeout = "2s"
"#
    )
}

struct Service {
    _ca: tempfile::NamedTempFile,
    plan: String,
}

async fn service(behaviour: Behaviour) -> Service {
    let ca = TestCa::new();
    let good = behaviour.health.is_success();
    let valid = ca.leaf(&["127.0.0.1"], false, &rcgen::PKCS_ECDSA_P384_SHA384);
    let api = serve_http(behaviour.clone()).await;
    let web = serve_https(behaviour.clone(), valid, false).await;
    let secure = if good {
        web
    } else {
        // Expired, for another name, with a key below the policy, and
        // still speaking TLS 1.0.
        let leaf = ca.leaf(&["other.example"], true, &rcgen::PKCS_ECDSA_P256_SHA256);
        serve_https(behaviour, leaf, true).await
    };
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(ca.pem.as_bytes()).unwrap();
    let plan = plan(
        &format!("http://{api}"),
        &format!("https://{web}"),
        &format!("https://{secure}"),
        &file.path().display().to_string(),
    );
    Service { _ca: file, plan }
}

async fn run(plan: &str) -> ProbeReport {
    let file = ProbeFile::parse(plan, "shipgate.toml").unwrap();
    let ctx = Context::with_env(file.targets.clone(), support::env);
    ProbeReport::new(run_all(&ctx, &file.probes).await)
}

fn find<'a>(report: &'a ProbeReport, name: &str) -> &'a Observation {
    report.observations.iter().find(|o| o.name == name).unwrap()
}

fn failed(o: &Observation) -> Vec<&str> {
    o.failed_checks().map(|c| c.name.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_passes_against_a_well_behaved_service() {
    let service = service(Behaviour::good()).await;
    let report = run(&service.plan).await;
    let text = render::human(&report);
    for o in &report.observations {
        assert_eq!(o.outcome, Outcome::Pass, "{} did not pass:\n{text}", o.name);
    }
    assert_eq!(report.observations.len(), 7);
    assert!(
        text.ends_with("probes: 7 pass, 0 fail, 0 error\n"),
        "{text}"
    );

    let tls = find(&report, "tls");
    assert_eq!(tls.measurements["key_type"], "ec P-384");
    assert!(tls.measurements["days_left"].as_i64().unwrap() > 1000);
    let accepted = tls.measurements["versions_accepted"].as_array().unwrap();
    assert!(
        accepted.iter().all(|v| v == "TLSv1.2" || v == "TLSv1.3"),
        "{accepted:?}"
    );

    let headers = find(&report, "headers");
    assert_eq!(headers.measurements["grade"], "A+");

    let load = find(&report, "latency");
    assert_eq!(load.measurements["requests_planned"], 200);
    assert_eq!(load.measurements["requests_completed"], 200);
    let histogram = load.evidence["latency"]["hdr_histogram_v2_deflate_base64"]
        .as_str()
        .unwrap();
    assert!(
        histogram.starts_with("HISTF"),
        "the full HDR histogram is kept: {histogram}"
    );

    let orders = find(&report, "orders");
    assert_eq!(orders.measurements["effect_delta"], 1);

    // Tokens were sent, and appear nowhere in what is reported.
    let json = render::json(&report);
    assert!(!json.contains(support::ADMIN_TOKEN) && !json.contains(support::VIEWER_TOKEN));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_fails_with_its_evidence_against_a_misbehaving_service() {
    let service = service(Behaviour::bad()).await;
    let report = run(&service.plan).await;
    let text = render::human(&report);
    for o in &report.observations {
        assert_eq!(o.outcome, Outcome::Fail, "{} did not fail:\n{text}", o.name);
    }

    let health = find(&report, "health");
    assert_eq!(failed(health), ["status", "body /status"], "{text}");
    assert_eq!(health.evidence["exchange"]["response"]["status"], 503);

    let access = find(&report, "access");
    assert_eq!(
        failed(access),
        ["GET /admin as none", "GET /admin as viewer"],
        "{text}"
    );
    assert_eq!(access.evidence["matrix"].as_array().unwrap().len(), 6);
    let wrong = access.evidence["mismatches"].as_array().unwrap();
    assert_eq!(wrong[1]["response"]["body"], "admin area");
    assert_eq!(
        wrong[1]["request"]["headers"]["Authorization"],
        "Bearer [redacted]"
    );

    let burst = find(&report, "burst");
    assert_eq!(failed(burst), ["refused with 429"]);
    assert_eq!(
        burst.measurements["requests_sent"], 100,
        "the burst is bounded"
    );

    let headers = find(&report, "headers");
    assert_eq!(
        failed(headers),
        [
            "hsts",
            "csp-scripts",
            "content-type-options",
            "framing",
            "referrer-policy",
            "cookies",
            "cors",
            "version-leak",
            "score"
        ]
    );
    assert_eq!(headers.measurements["grade"], "F");

    let tls = find(&report, "tls");
    assert_eq!(
        failed(tls),
        [
            "chain",
            "expiry",
            "key",
            "TLSv1.0 refused",
            "TLSv1.1 refused"
        ],
        "{text}"
    );
    let chain = tls.checks.iter().find(|c| c.name == "chain").unwrap();
    assert!(
        chain.actual.to_lowercase().contains("expired") || chain.actual.contains("NotValidForName"),
        "{}",
        chain.actual
    );
    assert!(tls.measurements["days_left"].as_i64().unwrap() < 0);

    let orders = find(&report, "orders");
    assert_eq!(failed(orders), ["same body", "single effect"], "{text}");
    assert_eq!(orders.measurements["effect_delta"], 2);

    let load = find(&report, "latency");
    assert_eq!(failed(load), ["p99 latency", "error rate"], "{text}");

    // What a person sees: each failed check, and the evidence behind it.
    assert!(
        text.contains("✗ GET /admin as viewer: expected 403, got 200"),
        "{text}"
    );
    assert!(
        text.contains("✗ TLSv1.0 refused: expected refused"),
        "{text}"
    );
    assert!(
        text.contains("\"first\""),
        "the idempotency exchanges are shown:\n{text}"
    );
    assert!(
        text.ends_with("probes: 0 pass, 7 fail, 0 error\n"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_without_retry_after_fails() {
    let api = serve_http(Behaviour {
        retry_after: false,
        ..Behaviour::good()
    })
    .await;
    let plan = format!(
        "[targets]\napi = \"http://{api}\"\n[[probe]]\nname = \"burst\"\nkind = \"rate-limit\"\ntarget = \"api\"\npath = \"/limited\"\nrequests = 50\n"
    );
    let report = run(&plan).await;
    let burst = find(&report, "burst");
    assert_eq!(failed(burst), ["Retry-After"]);
    assert_eq!(burst.evidence["first_429"]["response"]["status"], 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_answer_fails_on_time_and_bound() {
    let api = serve_http(Behaviour {
        stall: Duration::from_secs(3),
        ..Behaviour::good()
    })
    .await;
    let plan = format!(
        "[targets]\napi = \"http://{api}\"\n[[probe]]\nname = \"fast\"\nkind = \"http\"\ntarget = \"api\"\npath = \"/fast\"\ntimeout = \"300ms\"\n"
    );
    let started = std::time::Instant::now();
    let report = run(&plan).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the timeout bounds the probe"
    );
    let fast = find(&report, "fast");
    assert_eq!(failed(fast), ["answer"]);
    assert!(
        fast.checks[0].actual.contains("no answer"),
        "{:?}",
        fast.checks
    );
}

/// Latency runs from each request's scheduled start: when the server is
/// slower than the arrival rate, requests queue, and the queueing is
/// measured, not hidden.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_latency_includes_the_wait_for_a_stalled_server() {
    let api = serve_http(Behaviour {
        stall: Duration::from_millis(50),
        ..Behaviour::good()
    })
    .await;
    let plan = format!(
        "[targets]\napi = \"http://{api}\"\n[[probe]]\nname = \"queue\"\nkind = \"load\"\ntarget = \"api\"\npath = \"/fast\"\nrate = 100\nduration = \"1s\"\nconnections = 1\ntimeout = \"1s\"\nmax-error-rate = 1.0\n"
    );
    let started = std::time::Instant::now();
    let report = run(&plan).await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "bounded in time"
    );
    let queue = find(&report, "queue");
    let m = &queue.measurements;
    // One connection serves at most 20 per second: 100 are due in a second.
    assert_eq!(m["requests_planned"], 100);
    let completed = m["requests_completed"].as_u64().unwrap();
    assert!((10..=45).contains(&completed), "{m:?}");
    // A closed-loop tool would report ~50 ms for every request it sent.
    assert!(m["p50_ms"].as_f64().unwrap() > 400.0, "{m:?}");
    assert!(m["p99_ms"].as_f64().unwrap() > 1000.0, "{m:?}");
    assert_eq!(
        m["errors"].as_u64().unwrap(),
        100 - completed,
        "unanswered requests are errors"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_secret_is_an_error_not_a_pass() {
    let api = serve_http(Behaviour::good()).await;
    let plan = format!(
        "[targets]\napi = \"http://{api}\"\n[[probe]]\nname = \"me\"\nkind = \"http\"\ntarget = \"api\"\npath = \"/me\"\ncredential = {{ bearer-env = \"SHIPGATE_TEST_UNSET_TOKEN\" }}\n"
    );
    let report = run(&plan).await;
    let me = find(&report, "me");
    assert_eq!(me.outcome, Outcome::Error);
    assert!(
        me.summary.contains("SHIPGATE_TEST_UNSET_TOKEN is not set"),
        "{}",
        me.summary
    );
    assert!(render::human(&report).contains("ERROR me [http]"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_target_fails() {
    // A port just released: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let plan = format!(
        "[targets]\napi = \"http://127.0.0.1:{port}\"\n[[probe]]\nname = \"health\"\nkind = \"http\"\ntarget = \"api\"\npath = \"/health\"\n"
    );
    let report = run(&plan).await;
    let health = find(&report, "health");
    assert_eq!(health.outcome, Outcome::Fail);
    assert!(
        health.checks[0].actual.contains("no answer"),
        "{:?}",
        health.checks
    );
}
