//! The API and the dashboard, driven in process, on SQLite (a temporary
//! folder) and on PostgreSQL (a fresh database per test on the server that
//! SHIPGATE_TEST_POSTGRES_URL names; `scripts/test` starts one).

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use shipgate_core::{
    Category, CheckVerdict, Evidence, Finding, Fingerprint, GateVerdict, Location as Loc,
    PhaseVerdict, PlanVerdict, Report, Severity, SourceSpan, Verdict,
};
use shipgate_server::{AppState, Config, Location, TokenFor, create_token, router};
use tower::ServiceExt;

struct Server {
    app: Router,
    location: Location,
    _dir: Option<tempfile::TempDir>,
}

async fn sqlite(configure: impl FnOnce(&mut Config)) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let location = Location::Folder(dir.path().join("data"));
    start(location, Some(dir), configure).await
}

async fn postgres(configure: impl FnOnce(&mut Config)) -> Server {
    let admin = std::env::var("SHIPGATE_TEST_POSTGRES_URL")
        .expect("SHIPGATE_TEST_POSTGRES_URL names a PostgreSQL server (scripts/test starts one)");
    let name = format!(
        "shipgate_test_{}",
        shipgate_server::hash_token(&format!("{:?}", std::time::SystemTime::now()))[..16]
            .to_owned()
    );
    let pool = sqlx::PgPool::connect(&admin).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let (base, _) = admin.rsplit_once('/').unwrap();
    start(
        Location::Postgres(format!("{base}/{name}")),
        None,
        configure,
    )
    .await
}

async fn start(
    location: Location,
    dir: Option<tempfile::TempDir>,
    configure: impl FnOnce(&mut Config),
) -> Server {
    let mut config = Config::new(SocketAddr::from(([127, 0, 0, 1], 0)), location.clone());
    configure(&mut config);
    let store = shipgate_server::store::open(&location).await.unwrap();
    let state = AppState::new(store, &config);
    Server {
        app: router(state, config.max_body),
        location,
        _dir: dir,
    }
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

impl Server {
    async fn token(&self, project: &str) -> String {
        create_token(&self.location, &TokenFor::Project(project.into()))
            .await
            .unwrap()
    }

    async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        let mut request = Request::get(path);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    async fn upload(&self, token: &str, body: impl Into<Body>) -> Answer {
        self.send(
            Request::post("/api/v1/runs")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(body.into())
                .unwrap(),
        )
        .await
    }
}

fn finding(rule: &str, severity: Severity, path: &str, line: u32) -> Finding {
    let mut f = Finding::new(
        rule,
        severity,
        Category::Security,
        format!("{rule} at {path}"),
        Loc::at(path, SourceSpan::line(line)),
    );
    f.fingerprint = Fingerprint::compute(rule, path, "anchor", 0);
    f
}

fn check(id: &str, verdict: Verdict, summary: &str) -> CheckVerdict {
    CheckVerdict {
        id: id.into(),
        kind: "rules".into(),
        verdict,
        summary: summary.into(),
        evidence: Evidence {
            commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
            tool_version: "0.1.0".into(),
            definition: "d".repeat(64),
            inputs: Some("e".repeat(64)),
            at: "2026-11-23T12:00:00Z".into(),
        },
    }
}

/// A run of the shop: failing its security gate (and so blocked after
/// it) while `fixed` is false, passing everything when it is true.
fn report(fixed: bool) -> String {
    let mut report = Report::new(vec![".".into()]);
    report.findings = vec![finding(
        "docker/final-stage-root-user",
        Severity::Warning,
        "Dockerfile",
        3,
    )];
    if !fixed {
        report.findings.push(finding(
            "secrets/aws-access-key",
            Severity::Error,
            "app/settings.py",
            12,
        ));
        report.findings.push(finding(
            "k8s/image-tag-pinned",
            Severity::Error,
            "k8s/api.yaml",
            20,
        ));
    } else {
        report.findings.clear();
    }
    report.finalize();
    let (security, ship) = if fixed {
        (Verdict::Pass, Verdict::Pass)
    } else {
        (Verdict::Fail, Verdict::Blocked)
    };
    report.plan = Some(PlanVerdict {
        plan: "shipgate.toml".into(),
        verdict: security.max(ship),
        phases: vec![
            PhaseVerdict {
                id: "ci".into(),
                title: "CI green".into(),
                needs: vec![],
                verdict: Verdict::Pass,
            },
            PhaseVerdict {
                id: "security".into(),
                title: "Security hardening".into(),
                needs: vec!["ci".into()],
                verdict: security,
            },
            PhaseVerdict {
                id: "ship".into(),
                title: "Ship".into(),
                needs: vec!["security".into()],
                verdict: ship,
            },
        ],
        gates: vec![
            GateVerdict {
                address: "ci/artifacts-parse".into(),
                phase: "ci".into(),
                title: "Every artifact parses".into(),
                required: true,
                verdict: Verdict::Pass,
                source: None,
                checks: vec![check("ci/artifacts-parse#1", Verdict::Pass, "no finding")],
            },
            GateVerdict {
                address: "security/no-hardcoded-secrets".into(),
                phase: "security".into(),
                title: "No hardcoded secrets".into(),
                required: true,
                verdict: security,
                source: Some("shipgate.toml:40".into()),
                checks: vec![check(
                    "security/no-hardcoded-secrets#1",
                    security,
                    if fixed {
                        "no finding"
                    } else {
                        "1 finding of secrets/aws-access-key"
                    },
                )],
            },
            GateVerdict {
                address: "ship/approved".into(),
                phase: "ship".into(),
                title: "Release approved".into(),
                required: true,
                verdict: ship,
                source: None,
                checks: vec![CheckVerdict {
                    kind: "attestation".into(),
                    ..check(
                        "ship/approved#1",
                        ship,
                        if fixed {
                            "attested by ana until 2026-12-01"
                        } else {
                            "blocked: security did not pass"
                        },
                    )
                }],
            },
        ],
        exposures: vec![],
    });
    serde_json::to_string(&report).unwrap()
}

async fn upload_and_read(server: Server) {
    let a = server.token("shop").await;
    let first = server.upload(&a, report(false)).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let first = first.json();
    assert_eq!(first["project"], "shop");
    assert_eq!(first["verdict"], "fail");
    assert_eq!(first["level"], "ci");
    assert_eq!(first["blocker"], "security/no-hardcoded-secrets");
    let first_id = first["id"].as_i64().unwrap();

    let second = server.upload(&a, report(true)).await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.body);
    let second = second.json();
    assert_eq!(second["verdict"], "pass");
    assert_eq!(second["level"], "ship");
    let second_id = second["id"].as_i64().unwrap();

    let projects = server.get("/api/v1/projects", Some(&a)).await.json();
    assert_eq!(projects[0]["name"], "shop");
    assert_eq!(projects[0]["latest"]["id"], second_id);

    let runs = server
        .get("/api/v1/projects/shop/runs", Some(&a))
        .await
        .json();
    let ids: Vec<i64> = runs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [second_id, first_id]);
    let page = server
        .get(
            &format!("/api/v1/projects/shop/runs?before={second_id}&limit=1"),
            Some(&a),
        )
        .await
        .json();
    assert_eq!(page[0]["id"], first_id);

    let run = server
        .get(&format!("/api/v1/runs/{first_id}"), Some(&a))
        .await
        .json();
    assert_eq!(run["errors"], 2);
    assert_eq!(run["report"]["schema"], "shipgate.report/v1");
    assert_eq!(
        run["commit_sha"],
        "0123456789abcdef0123456789abcdef01234567"
    );

    let gates = server
        .get(&format!("/api/v1/runs/{first_id}/gates"), Some(&a))
        .await
        .json();
    assert_eq!(gates[1]["verdict"], "fail");
    assert_eq!(gates[1]["checks"][0]["evidence"]["inputs"], "e".repeat(64));

    let errors = server
        .get(
            &format!("/api/v1/runs/{first_id}/findings?severity=error"),
            Some(&a),
        )
        .await
        .json();
    assert_eq!(errors.as_array().unwrap().len(), 2);
    let by_path = server
        .get(
            &format!("/api/v1/runs/{first_id}/findings?path=k8s/"),
            Some(&a),
        )
        .await
        .json();
    assert_eq!(by_path.as_array().unwrap().len(), 1);
    assert_eq!(by_path[0]["rule"], "k8s/image-tag-pinned");
    assert_eq!(by_path[0]["line"], 20);
    let by_rule = server
        .get(
            &format!("/api/v1/runs/{first_id}/findings?rule=secrets/aws-access-key"),
            Some(&a),
        )
        .await
        .json();
    assert_eq!(by_rule.as_array().unwrap().len(), 1);
    // `_` in a path filter is a character, not a wildcard.
    let wildcard = server
        .get(
            &format!("/api/v1/runs/{first_id}/findings?path=k_s"),
            Some(&a),
        )
        .await
        .json();
    assert_eq!(wildcard, json!([]));

    let trends = server
        .get("/api/v1/projects/shop/trends", Some(&a))
        .await
        .json();
    assert_eq!(trends[0]["verdict"], "fail");
    assert_eq!(trends[1]["verdict"], "pass");
    assert_eq!(trends[1]["gates_passed"], 3);

    let diff = server
        .get(
            &format!("/api/v1/runs/{second_id}/diff/{first_id}"),
            Some(&a),
        )
        .await
        .json();
    assert_eq!(diff["new"], json!([]));
    assert_eq!(diff["fixed"].as_array().unwrap().len(), 3);
    let changed: Vec<&str> = diff["gates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["address"].as_str().unwrap())
        .collect();
    assert_eq!(changed, ["security/no-hardcoded-secrets", "ship/approved"]);

    // The dashboard, open on loopback.
    let scorecard = server.get("/", None).await;
    assert_eq!(scorecard.status, StatusCode::OK);
    let csp = scorecard.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("unsafe"),
        "{csp}"
    );
    assert!(
        scorecard.body.contains("href=\"/projects/shop\""),
        "{}",
        scorecard.body
    );
    assert!(scorecard.body.contains("1 ready"));
    // The newest run passed every phase: one service passed each.
    assert!(
        scorecard
            .body
            .contains("<span class=\"n-pass\">1</span> / <span class=\"n-err\">0</span>"),
        "{}",
        scorecard.body
    );
    let page = server.get("/projects/shop", None).await;
    assert!(page.body.contains("<svg"), "{}", page.body);
    assert!(page.body.contains(&format!("href=\"/runs/{first_id}\"")));
    // Each gate's verdicts over the runs, linked to the gate in each run.
    assert!(
        page.body.contains(&format!(
            "class=\"dot v-fail\" href=\"/runs/{first_id}#gate-security-no-hardcoded-secrets\""
        )),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!(
        "class=\"dot v-pass\" href=\"/runs/{second_id}#gate-security-no-hardcoded-secrets\""
    )));
    let run_page = server.get(&format!("/runs/{first_id}"), None).await;
    assert!(
        run_page
            .body
            .contains("id=\"gate-security-no-hardcoded-secrets\" open"),
        "{}",
        run_page.body
    );
    assert!(
        run_page
            .body
            .contains("1 finding of secrets/aws-access-key")
    );
    assert!(run_page.body.contains("0123456789"));
    let explorer = server
        .get(
            &format!("/projects/shop/findings?run={first_id}&severity=error&path=k8s"),
            None,
        )
        .await;
    assert!(
        explorer.body.contains("k8s/image-tag-pinned")
            && !explorer.body.contains("app/settings.py")
    );
    let changes = server
        .get(&format!("/runs/{second_id}/changes"), None)
        .await;
    assert!(
        changes.body.contains("Fixed findings (0)"),
        "{}",
        changes.body
    );
    assert_eq!(
        server.get("/projects/nope", None).await.status,
        StatusCode::NOT_FOUND
    );
    let css = server.get("/assets/app.css", None).await;
    assert!(
        css.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );

    // A failing run after the green one: its changes are measured from it.
    let third = server.upload(&a, report(false)).await.json();
    let third_id = third["id"].as_i64().unwrap();
    let changes = server.get(&format!("/runs/{third_id}/changes"), None).await;
    assert!(
        changes.body.contains("New findings (3)"),
        "{}",
        changes.body
    );
    let new_only = server.get("/projects/shop/findings?new=1", None).await;
    assert!(new_only.body.contains("3 findings"), "{}", new_only.body);

    let metrics = server.get("/metrics", None).await.body;
    assert!(
        metrics.contains("shipgate_runs_ingested_total{project=\"shop\"} 3"),
        "{metrics}"
    );
    assert!(
        metrics.contains("shipgate_gate_pass_ratio{project=\"shop\"} 0.333"),
        "{metrics}"
    );
    assert!(metrics.contains(
        "shipgate_http_request_duration_seconds_bucket{route=\"/api/v1/runs\",method=\"POST\""
    ));
    assert_eq!(server.get("/healthz", None).await.status, StatusCode::OK);
    assert_eq!(server.get("/readyz", None).await.status, StatusCode::OK);
}

async fn projects_are_walled_off(server: Server) {
    let a = server.token("alpha").await;
    let b = server.token("beta").await;
    let run_a = server.upload(&a, report(false)).await.json()["id"]
        .as_i64()
        .unwrap();
    let run_b = server.upload(&b, report(true)).await.json()["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        server.upload(&b, report(true)).await.json()["project"],
        "beta"
    );

    for path in [
        format!("/api/v1/runs/{run_a}"),
        format!("/api/v1/runs/{run_a}/gates"),
        format!("/api/v1/runs/{run_a}/findings"),
        format!("/api/v1/runs/{run_b}/diff/{run_a}"),
        format!("/api/v1/runs/{run_a}/diff/{run_b}"),
        "/api/v1/projects/alpha/runs".to_owned(),
        "/api/v1/projects/alpha/trends".to_owned(),
    ] {
        let answer = server.get(&path, Some(&b)).await;
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            answer.body
        );
        assert!(!answer.body.contains("alpha"), "{path}");
    }
    let projects = server.get("/api/v1/projects", Some(&b)).await.json();
    assert_eq!(projects.as_array().unwrap().len(), 1);
    assert_eq!(projects[0]["name"], "beta");
    assert_eq!(
        server
            .get(&format!("/api/v1/runs/{run_a}"), Some(&a))
            .await
            .status,
        StatusCode::OK
    );

    for token in [None, Some("sgp_not-a-token")] {
        let answer = server.get("/api/v1/projects", token).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert!(answer.headers.contains_key(header::WWW_AUTHENTICATE));
    }
    let answer = server.upload("sgp_not-a-token", report(true)).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    // A viewer's token opens the dashboard, and writes nothing.
    let viewer = create_token(&server.location, &TokenFor::Viewer)
        .await
        .unwrap();
    assert_eq!(
        server.upload(&viewer, report(true)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

macro_rules! on_both {
    ($name:ident, $body:ident) => {
        mod $name {
            use super::*;

            #[tokio::test]
            async fn sqlite() {
                $body(super::sqlite(|_| {}).await).await;
            }

            #[tokio::test]
            async fn postgres() {
                $body(super::postgres(|_| {}).await).await;
            }
        }
    };
}

on_both!(upload_then_read, upload_and_read);
on_both!(walls_between_projects, projects_are_walled_off);

#[tokio::test]
async fn uploads_are_checked_before_they_are_stored() {
    let server = sqlite(|c| c.max_body = 64 * 1024).await;
    let token = server.token("shop").await;
    let answer = server.upload(&token, "{\"schema\": \"x\"}").await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(
        answer.json()["error"]
            .as_str()
            .unwrap()
            .contains("not a shipgate report")
    );

    let key = format!("AKIA{}", "Z".repeat(16));
    let leaky = report(false).replace(
        "secrets/aws-access-key at app/settings.py",
        &format!("found {key}"),
    );
    let answer = server.upload(&token, leaky).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!answer.body.contains(&key));

    let huge = format!("{{\"pad\": \"{}\"}}", "x".repeat(100 * 1024));
    assert_eq!(
        server.upload(&token, huge).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    let runs = server
        .get("/api/v1/projects/shop/runs", Some(&token))
        .await
        .json();
    assert_eq!(runs, json!([]));
}

#[tokio::test]
async fn each_token_has_its_own_upload_budget() {
    let server = sqlite(|c| c.ingest_per_minute = 2).await;
    let a = server.token("a").await;
    let b = server.token("b").await;
    assert_eq!(
        server.upload(&a, report(true)).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        server.upload(&a, report(true)).await.status,
        StatusCode::CREATED
    );
    let refused = server.upload(&a, report(true)).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = refused.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&wait), "{wait}");
    assert_eq!(
        server.upload(&b, report(true)).await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn off_loopback_the_dashboard_needs_a_viewer_token() {
    let server = sqlite(|c| c.dashboard_login = true).await;
    let answer = server.get("/", None).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.headers[header::LOCATION], "/login");
    // Health, metrics and the API answer as before.
    assert_eq!(server.get("/healthz", None).await.status, StatusCode::OK);

    let viewer = create_token(&server.location, &TokenFor::Viewer)
        .await
        .unwrap();
    let project = server.token("shop").await;
    let login = |token: String, origin: &'static str| {
        Request::post("/login")
            .header(header::HOST, "dash.example")
            .header(header::ORIGIN, origin)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("token={token}")))
            .unwrap()
    };
    // A project's token is not a viewer's.
    let refused = server.send(login(project, "https://dash.example")).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    // A post from another site is refused whatever it carries.
    let forged = server
        .send(login(viewer.clone(), "https://evil.example"))
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let ok = server.send(login(viewer, "https://dash.example")).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let cookie = ok.headers[header::SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let session = cookie.split(';').next().unwrap().to_owned();
    let page = server
        .send(
            Request::get("/")
                .header(header::COOKIE, &session)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Log out"));
    // Another replica on the same database knows the session.
    let replica = start(server.location.clone(), None, |c| c.dashboard_login = true).await;
    let page = replica
        .send(
            Request::get("/")
                .header(header::COOKIE, &session)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    // Logging out ends it everywhere.
    let out = replica
        .send(
            Request::post("/logout")
                .header(header::HOST, "dash.example")
                .header(header::ORIGIN, "https://dash.example")
                .header(header::COOKIE, &session)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let page = server
        .send(
            Request::get("/")
                .header(header::COOKIE, &session)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let wrong = server
        .send(
            Request::get("/")
                .header(header::COOKIE, "shipgate_session=forged")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_openapi_document_is_served_and_names_every_route() {
    let server = sqlite(|_| {}).await;
    let doc = server.get("/api/v1/openapi.json", None).await.json();
    assert_eq!(doc["openapi"], "3.0.3");
    for path in [
        "/api/v1/runs",
        "/api/v1/projects",
        "/api/v1/projects/{project}/runs",
        "/api/v1/projects/{project}/trends",
        "/api/v1/runs/{id}",
        "/api/v1/runs/{id}/gates",
        "/api/v1/runs/{id}/findings",
        "/api/v1/runs/{id}/diff/{base}",
    ] {
        assert!(doc["paths"][path].is_object(), "{path}");
    }
}

#[tokio::test]
async fn retention_keeps_each_projects_newest_run() {
    let dir = tempfile::tempdir().unwrap();
    let location = Location::Folder(dir.path().to_path_buf());
    let store = shipgate_server::store::open(&location).await.unwrap();
    let project = store.ensure_project("shop").await.unwrap();
    let report: Report = serde_json::from_str(&report(false)).unwrap();
    for at in [100, 200, 300] {
        let run = shipgate_server::ingest::normalise(&report, "{}".into(), at);
        store.insert_run(project.id, &run).await.unwrap();
    }
    assert_eq!(store.prune(1_000).await.unwrap(), 2);
    let left = store.runs(project.id, None, 10).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].received_at, 300);
    let filter = shipgate_server::store::FindingFilter::default();
    assert_eq!(store.findings(left[0].id, &filter).await.unwrap().len(), 3);
}
