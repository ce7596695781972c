//! A fixed sample report and its sources, shared by the integration tests.

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::collections::BTreeMap;

use shipgate_core::{
    Category, Finding, Fingerprint, Location, Position, Report, RuleSummary, Severity, SourceSpan,
    SuppressedFinding,
};
use shipgate_report::{RenderOptions, render};

/// The secret planted in the sample sources. No output may contain it.
pub const SECRET: &str = "AKIAIOSFODNN7EXAMPLE";

pub const API: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  replicas: 1
  template:
    spec:
      containers:
        - name: api
          image: shop/api:latest
          resources:
            requests:
              cpu: 100m
";

pub const SERVICE: &str = "\
apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  selector:
    app: api-v2
";

pub const CONFIG: &str = "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE
  LOG_LEVEL: debug
";

pub const DOCKERFILE: &str = "\
FROM python:3.12-slim
COPY . /app
CMD [\"python\", \"/app/main.py\"]
";

pub const COMPOSE: &str = "\
services:
  web:
    image: \"nginx:1.27\"
    command: [\"echo\", \"héllo wörld — 日本語 ✓\"]
";

pub fn sources() -> BTreeMap<String, String> {
    [
        ("k8s/api.yaml", API),
        ("k8s/service.yaml", SERVICE),
        ("k8s/config.yaml", CONFIG),
        ("Dockerfile", DOCKERFILE),
        ("compose.yaml", COMPOSE),
    ]
    .into_iter()
    .map(|(path, text)| (path.to_owned(), text.to_owned()))
    .collect()
}

fn position(text: &str, byte: usize) -> Position {
    let before = &text[..byte];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    Position::new(line as u32, column as u32)
}

/// The span of the `nth` (0-based) occurrence of `needle` in `text`.
pub fn span_of(text: &str, needle: &str, nth: usize) -> SourceSpan {
    let start = text
        .match_indices(needle)
        .nth(nth)
        .map(|(i, _)| i)
        .unwrap_or_else(|| panic!("`{needle}` not in sample"));
    let end = start + needle.len();
    SourceSpan {
        start: position(text, start),
        end: position(text, end),
        start_byte: start as u32,
        end_byte: end as u32,
    }
}

fn finding(
    rule: &str,
    severity: Severity,
    category: Category,
    message: &str,
    location: Location,
) -> Finding {
    let mut finding = Finding::new(rule, severity, category, message, location);
    finding.fingerprint =
        Fingerprint::compute(rule, &finding.location.path, &finding.location.logical, 0);
    finding
}

fn rule(id: &str, title: &str, severity: Severity, category: Category) -> RuleSummary {
    RuleSummary {
        id: id.to_owned(),
        title: title.to_owned(),
        severity,
        category,
        rationale: format!("Why `{id}` matters, in a sentence or two."),
        remediation: format!("How to fix `{id}`."),
        references: Vec::new(),
        aliases: Vec::new(),
    }
}

pub fn sample_report() -> Report {
    use Category::*;
    use Severity::*;

    let mut report = Report::new(vec![".".to_owned()]);
    // Pinned so snapshots do not change with every release.
    report.tool.version = "0.0.0-test".to_owned();
    report.files.scanned = 41;
    report.files.bytes = 12_345;
    report.files.by_kind = BTreeMap::from([
        ("compose".to_owned(), 1),
        ("dockerfile".to_owned(), 1),
        ("kubernetes".to_owned(), 39),
    ]);
    report.files.objects = 52;

    let image = Location::at("k8s/api.yaml", span_of(API, "shop/api:latest", 0))
        .with_logical("Deployment/shop/api > spec.template.spec.containers[api].image");
    report.findings.push(
        finding(
            "k8s/image-tag-pinned",
            Error,
            Security,
            "image `shop/api:latest` uses the mutable tag `latest`",
            image,
        )
        .with_help("pin the image by digest, e.g. `shop/api@sha256:…`"),
    );

    let container = Location::at("k8s/api.yaml", span_of(API, "- name: api", 0))
        .with_logical("Deployment/shop/api > spec.template.spec.containers[api]");
    report.findings.push(
        finding(
            "k8s/container-memory-limit",
            Warning,
            Reliability,
            "container `api` has no memory limit",
            container,
        )
        .with_related(
            Location::at("k8s/api.yaml", span_of(API, "resources:", 0)),
            "resources are declared here without `limits.memory`",
        )
        .with_help("set `resources.limits.memory`"),
    );

    report.findings.push(finding(
        "k8s/single-replica",
        Info,
        Reliability,
        "Deployment `shop/api` runs a single replica",
        Location::at("k8s/api.yaml", SourceSpan::line(7))
            .with_logical("Deployment/shop/api > spec.replicas"),
    ));

    report.findings.push(
        finding(
            "k8s/service-selector-match",
            Error,
            Reliability,
            "Service `shop/api` selects `app: api-v2`, which no pod template carries",
            Location::at("k8s/service.yaml", span_of(SERVICE, "app: api-v2", 0)),
        )
        .with_related(
            Location::at("k8s/api.yaml", span_of(API, "name: api", 0)),
            "the Deployment these pods come from",
        )
        .with_related(
            Location::at("k8s/other.yaml", SourceSpan::line(3)),
            "a source that is not available",
        ),
    );

    let key = span_of(CONFIG, SECRET, 0);
    let mut leaked = finding(
        "secrets/aws-access-key",
        Error,
        Security,
        "AWS access key ID `AKIA****` committed in a ConfigMap",
        Location::at("k8s/config.yaml", key),
    )
    .with_help("rotate the key, then load it from a Secret");
    leaked.redact = vec![key];
    report.findings.push(leaked);

    // On the secret's line but without a redact span of its own: the snippet must
    // still mask the key another finding reported.
    report.findings.push(finding(
        "k8s/configmap-credential-key",
        Warning,
        Security,
        "ConfigMap key `AWS_ACCESS_KEY_ID` looks like a credential",
        Location::at("k8s/config.yaml", span_of(CONFIG, "AWS_ACCESS_KEY_ID", 0)),
    ));

    report.findings.push(finding(
        "docker/final-stage-root-user",
        Warning,
        Security,
        "the final stage runs as root: no `USER` instruction",
        Location::file("Dockerfile"),
    ));

    report.findings.push(finding(
        "docker/parse-position-unknown",
        Info,
        Correctness,
        "a finding whose span says line 0",
        Location::at("Dockerfile", SourceSpan::line(0)),
    ));

    report.findings.push(finding(
        "compose/command-exec-form",
        Warning,
        Operability,
        "`command` greets the wörld — in exec form, as it should",
        Location::at(
            "compose.yaml",
            span_of(COMPOSE, "\"héllo wörld — 日本語 ✓\"", 0),
        ),
    ));

    report.findings.push(finding(
        "k8s/image-tag-pinned",
        Error,
        Security,
        "image `charts/worker` has no tag",
        Location::at(
            "charts/missing dir/worker.yaml",
            SourceSpan {
                start: Position::new(3, 5),
                end: Position::new(3, 18),
                start_byte: 30,
                end_byte: 43,
            },
        ),
    ));

    report.suppressed.push(SuppressedFinding {
        finding: finding(
            "k8s/run-as-non-root",
            Error,
            Security,
            "container `api` may run as root",
            Location::at("k8s/api.yaml", span_of(API, "- name: api", 0)),
        ),
        by: "inline".to_owned(),
        reason: Some("legacy image needs root; tracked in SHOP-12".to_owned()),
    });
    report.suppressed.push(SuppressedFinding {
        finding: finding(
            "docker/healthcheck-missing",
            Info,
            Operability,
            "no HEALTHCHECK instruction",
            Location::file("Dockerfile"),
        ),
        by: "baseline".to_owned(),
        reason: None,
    });

    let mut pinned = rule("k8s/image-tag-pinned", "Pin image tags", Error, Security);
    pinned.references = vec!["https://kubernetes.io/docs/concepts/containers/images/".to_owned()];
    pinned.aliases = vec![
        "kube-linter:latest-tag".to_owned(),
        "checkov:CKV_K8S_14".to_owned(),
    ];
    let mut memory = rule(
        "k8s/container-memory-limit",
        "Set a memory limit",
        Warning,
        Reliability,
    );
    memory.aliases = vec!["polaris:memoryLimitsMissing".to_owned()];
    report.rules = vec![
        pinned,
        memory,
        rule(
            "k8s/single-replica",
            "Run more than one replica",
            Info,
            Reliability,
        ),
        rule(
            "k8s/service-selector-match",
            "Service selectors match pods",
            Error,
            Reliability,
        ),
        rule(
            "secrets/aws-access-key",
            "No AWS access keys",
            Error,
            Security,
        ),
        rule(
            "k8s/configmap-credential-key",
            "No credentials in ConfigMaps",
            Warning,
            Security,
        ),
        rule(
            "docker/final-stage-root-user",
            "Do not run as root",
            Warning,
            Security,
        ),
        rule(
            "docker/parse-position-unknown",
            "A test rule",
            Info,
            Correctness,
        ),
        rule(
            "compose/command-exec-form",
            "Exec-form commands",
            Warning,
            Operability,
        ),
        rule("k8s/run-as-non-root", "Run as non-root", Error, Security),
        rule(
            "docker/healthcheck-missing",
            "Declare a healthcheck",
            Info,
            Operability,
        ),
    ];
    report.finalize();
    report
}

pub fn render_to_string(
    report: &Report,
    format: shipgate_report::Format,
    options: &RenderOptions,
) -> String {
    let mut out = Vec::new();
    render(report, format, &sources(), options, &mut out).expect("rendering to memory cannot fail");
    String::from_utf8(out).expect("renderers write UTF-8")
}
