//! A hardened Dockerfile must be quiet at warning level and above, every
//! defect planted into it must be reported on the line that holds it, and
//! peers' suppression comments must work through rule aliases.

use std::fs;

use shipgate_core::{Report, Severity};
use shipgate_rules::{ArtifactKind, Engine, EngineConfig};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/docker/Dockerfile"
);

fn hardened() -> String {
    fs::read_to_string(FIXTURE).expect("fixture")
}

fn check_with(config: EngineConfig, text: &str) -> Report {
    let engine = Engine::new(config).expect("engine");
    let outcome = engine.check_text("Dockerfile", text, ArtifactKind::Dockerfile);
    engine.finish(vec![".".into()], vec![outcome], None)
}

fn check(text: &str) -> Report {
    check_with(EngineConfig::default(), text)
}

fn select(rules: &[&str], text: &str) -> Report {
    check_with(
        EngineConfig {
            select: rules.iter().map(|r| (*r).to_owned()).collect(),
            ..EngineConfig::default()
        },
        text,
    )
}

#[test]
fn the_hardened_dockerfile_is_quiet_at_warning_and_above() {
    let report = check(&hardened());
    let loud: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
        .map(|f| format!("{} {} {}", f.location, f.rule, f.message))
        .collect();
    assert!(loud.is_empty(), "{}", loud.join("\n"));
    assert_eq!(report.files.scanned, 1);
}

/// One planted defect: replacements applied to the hardened file, the rule
/// that must fire, and a snippet of the mutated file whose first line must
/// hold the finding.
struct Defect {
    edits: &'static [(&'static str, &'static str)],
    rule: &'static str,
    line: &'static str,
}

const RUNTIME_IMAGE: &str = "python:3.12-slim-bookworm@sha256:2b0079146a74e23bf4ae8f6a28e1b484c6292f6fb904cbb51825b4a19812fcd8";
const RUNTIME_INSTALL: &str =
    "apt-get install -y --no-install-recommends \\\n      ca-certificates";
const RUNTIME_RUN: &str = "RUN apt-get update \\\n && apt-get install -y --no-install-recommends \\\n      ca-certificates";
const BEFORE_USER: &str = "USER 10001\n";
const ENTRYPOINT: &str = "ENTRYPOINT [\"/usr/bin/tini\", \"--\"]";

const DEFECTS: &[Defect] = &[
    Defect {
        edits: &[(RUNTIME_IMAGE, "python AS runtime-x")],
        rule: "docker/base-image-tag",
        line: "FROM python AS runtime-x",
    },
    Defect {
        edits: &[(RUNTIME_IMAGE, "python:latest")],
        rule: "docker/base-image-latest",
        line: "FROM python:latest",
    },
    Defect {
        edits: &[(RUNTIME_IMAGE, "python:3.12-slim-bookworm")],
        rule: "docker/base-image-digest",
        line: "FROM python:3.12-slim-bookworm AS runtime",
    },
    Defect {
        edits: &[(
            "FROM python:3.12-slim",
            "FROM --platform=linux/amd64 python:3.12-slim",
        )],
        rule: "docker/from-platform-hardcoded",
        line: "FROM --platform=linux/amd64",
    },
    Defect {
        edits: &[(" AS runtime", " AS build")],
        rule: "docker/duplicate-stage-name",
        line: "FROM python:3.12-slim",
    },
    Defect {
        edits: &[("COPY --from=build /install", "COPY --from=biuld /install")],
        rule: "docker/copy-from-unknown-stage",
        line: "COPY --from=biuld",
    },
    Defect {
        edits: &[(
            "COPY app/ ./app/\n",
            "COPY app/ ./app/\nCOPY --from=build /src/app /tmp/app\n",
        )],
        rule: "docker/copy-from-own-stage",
        line: "COPY --from=build /src/app /tmp/app",
    },
    Defect {
        edits: &[(BEFORE_USER, "")],
        rule: "docker/final-stage-root-user",
        line: "FROM python:3.12-slim",
    },
    Defect {
        edits: &[(BEFORE_USER, "USER root\n")],
        rule: "docker/final-stage-root-user",
        line: "USER root",
    },
    Defect {
        edits: &[(
            "HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \\\n  CMD [\"python\", \"-m\", \"app.health\"]\n",
            "",
        )],
        rule: "docker/healthcheck-missing",
        line: "FROM python:3.12-slim",
    },
    Defect {
        edits: &[(
            ENTRYPOINT,
            "CMD [\"python\"]\nENTRYPOINT [\"/usr/bin/tini\", \"--\"]",
        )],
        rule: "docker/multiple-cmd",
        line: "CMD [\"python\"]",
    },
    Defect {
        edits: &[(
            ENTRYPOINT,
            "ENTRYPOINT [\"python\"]\nENTRYPOINT [\"/usr/bin/tini\", \"--\"]",
        )],
        rule: "docker/multiple-entrypoint",
        line: "ENTRYPOINT [\"python\"]",
    },
    Defect {
        edits: &[(
            ENTRYPOINT,
            "HEALTHCHECK CMD [\"true\"]\nENTRYPOINT [\"/usr/bin/tini\", \"--\"]",
        )],
        rule: "docker/multiple-healthcheck",
        line: "HEALTHCHECK --interval",
    },
    Defect {
        edits: &[("CMD [\"python\", \"-m\", \"app\"]", "CMD python -m app")],
        rule: "docker/shell-form-command",
        line: "CMD python -m app",
    },
    Defect {
        edits: &[(ENTRYPOINT, "ENTRYPOINT /usr/bin/tini --")],
        rule: "docker/shell-form-command",
        line: "ENTRYPOINT /usr/bin/tini",
    },
    Defect {
        edits: &[("EXPOSE 8080", "EXPOSE 8080 22")],
        rule: "docker/expose-ssh",
        line: "EXPOSE 8080 22",
    },
    Defect {
        edits: &[("EXPOSE 8080", "EXPOSE 80:8080")],
        rule: "docker/expose-invalid-port",
        line: "EXPOSE 80:8080",
    },
    Defect {
        edits: &[(
            "LABEL org.opencontainers",
            "MAINTAINER ops@acme.example\nLABEL org.opencontainers",
        )],
        rule: "docker/maintainer-deprecated",
        line: "MAINTAINER",
    },
    Defect {
        edits: &[(
            "COPY app/ ./app/",
            "ADD https://example.com/app.tar.gz /src/",
        )],
        rule: "docker/add-remote-url",
        line: "ADD https://example.com/app.tar.gz",
    },
    Defect {
        edits: &[("COPY app/ ./app/", "ADD app/ ./app/")],
        rule: "docker/add-instead-of-copy",
        line: "ADD app/ ./app/",
    },
    Defect {
        edits: &[("COPY app/ ./app/", "COPY app/ setup.py ./src")],
        rule: "docker/copy-destination-not-directory",
        line: "COPY app/ setup.py ./src",
    },
    Defect {
        edits: &[(
            BEFORE_USER,
            "RUN cd /app && python -m compileall .\nUSER 10001\n",
        )],
        rule: "docker/cd-instead-of-workdir",
        line: "RUN cd /app",
    },
    Defect {
        edits: &[("WORKDIR /app", "WORKDIR app")],
        rule: "docker/workdir-relative",
        line: "WORKDIR app",
    },
    Defect {
        edits: &[(
            RUNTIME_INSTALL,
            "apt-get install -y \\\n      ca-certificates",
        )],
        rule: "docker/apt-install-recommends",
        line: "apt-get install -y \\\n      ca-certificates",
    },
    Defect {
        edits: &[(
            RUNTIME_INSTALL,
            "apt-get install --no-install-recommends \\\n      ca-certificates",
        )],
        rule: "docker/package-install-without-yes",
        line: "apt-get install --no-install-recommends \\\n      ca-certificates",
    },
    Defect {
        edits: &[(
            " && rm -rf /var/lib/apt/lists/* \\\n && useradd",
            " && useradd",
        )],
        rule: "docker/apt-lists-not-cleaned",
        line: RUNTIME_RUN,
    },
    Defect {
        edits: &[(
            RUNTIME_INSTALL,
            "apt-get dist-upgrade -y \\\n && apt-get install -y --no-install-recommends \\\n      ca-certificates",
        )],
        rule: "docker/apt-upgrade",
        line: "apt-get dist-upgrade",
    },
    Defect {
        edits: &[(
            RUNTIME_INSTALL,
            "apt install -y --no-install-recommends \\\n      ca-certificates",
        )],
        rule: "docker/apt-instead-of-apt-get",
        line: "apt install -y",
    },
    Defect {
        edits: &[(BEFORE_USER, "RUN apt-get update\nUSER 10001\n")],
        rule: "docker/package-index-update-alone",
        line: "RUN apt-get update\nUSER",
    },
    Defect {
        edits: &[(
            BEFORE_USER,
            "RUN pip install gunicorn==23.0.0\nUSER 10001\n",
        )],
        rule: "docker/pip-no-cache-dir",
        line: "RUN pip install gunicorn",
    },
    Defect {
        edits: &[(BEFORE_USER, "RUN apk add curl\nUSER 10001\n")],
        rule: "docker/apk-no-cache",
        line: "RUN apk add curl",
    },
    Defect {
        edits: &[(BEFORE_USER, "RUN npm install\nUSER 10001\n")],
        rule: "docker/npm-install-instead-of-ci",
        line: "RUN npm install",
    },
    Defect {
        edits: &[(BEFORE_USER, "RUN dnf install -y curl\nUSER 10001\n")],
        rule: "docker/rpm-cache-not-cleaned",
        line: "RUN dnf install",
    },
    Defect {
        edits: &[("useradd --uid 10001", "useradd --uid 1000001")],
        rule: "docker/useradd-high-uid",
        line: "useradd --uid 1000001",
    },
    Defect {
        edits: &[(
            BEFORE_USER,
            "RUN curl -fsSL https://example.com/install.sh | sh\nUSER 10001\n",
        )],
        rule: "docker/remote-script-piped-to-shell",
        line: "RUN curl -fsSL https://example.com/install.sh | sh",
    },
    Defect {
        edits: &[(
            "ENV PYTHONUNBUFFERED=1 PORT=8080",
            "ENV PYTHONUNBUFFERED=1 PORT=8080 DB_PASSWORD=Zx9-vQ2_rT7-pL4",
        )],
        rule: "docker/secret-in-env-or-arg",
        line: "ENV PYTHONUNBUFFERED=1 PORT=8080 DB_PASSWORD",
    },
    Defect {
        edits: &[("WORKDIR /src\n", "WORKDIR /src\nARG NPM_TOKEN\n")],
        rule: "docker/secret-in-env-or-arg",
        line: "ARG NPM_TOKEN",
    },
    Defect {
        edits: &[(
            "ENV PYTHONUNBUFFERED=1",
            "ENV NODE_TLS_REJECT_UNAUTHORIZED=0 PYTHONUNBUFFERED=1",
        )],
        rule: "docker/tls-verification-disabled",
        line: "ENV NODE_TLS_REJECT_UNAUTHORIZED=0",
    },
    Defect {
        edits: &[(
            RUNTIME_INSTALL,
            "apt-get install -y --allow-unauthenticated --no-install-recommends \\\n      ca-certificates",
        )],
        rule: "docker/package-signature-disabled",
        line: "apt-get install -y --allow-unauthenticated",
    },
    Defect {
        edits: &[(
            BEFORE_USER,
            "RUN sudo python -m compileall /app\nUSER 10001\n",
        )],
        rule: "docker/sudo",
        line: "RUN sudo",
    },
    Defect {
        edits: &[(BEFORE_USER, "RUNN python -m compileall /app\nUSER 10001\n")],
        rule: "docker/syntax-error",
        line: "RUNN",
    },
    Defect {
        edits: &[("      libpq5 \\\n", "      libpq5 \\\n\n")],
        rule: "docker/empty-continuation",
        line: "\n\n      tini",
    },
    Defect {
        edits: &[(
            "# syntax=docker/dockerfile:1.7\n",
            "# syntax=docker/dockerfile:1.7\nENV LANG=C.UTF-8\n",
        )],
        rule: "docker/instruction-before-from",
        line: "ENV LANG=C.UTF-8",
    },
    Defect {
        edits: &[(
            "WORKDIR /src\n",
            "WORKDIR /src\nRUN echo \"building ${APP_VERSION}\"\nARG APP_VERSION=1.0.0\n",
        )],
        rule: "docker/arg-used-before-declared",
        line: "RUN echo \"building",
    },
    Defect {
        edits: &[(
            BEFORE_USER,
            "RUN curl -fsSL https://example.com/x.tar.gz | tar -xz -C /opt\nUSER 10001\n",
        )],
        rule: "docker/pipe-without-pipefail",
        line: "RUN curl -fsSL https://example.com/x.tar.gz",
    },
];

/// The 1-based line on which `snippet` starts in `text`. A snippet starting
/// with a newline names the line after that newline.
fn line_of(text: &str, snippet: &str) -> u32 {
    let at = text
        .find(snippet)
        .unwrap_or_else(|| panic!("{snippet:?} not in the mutated text"));
    let skip = usize::from(snippet.starts_with('\n'));
    (text[..at + skip].matches('\n').count() + 1) as u32
}

#[test]
fn every_planted_defect_is_reported_on_its_line() {
    let base = hardened();
    let mut failures = Vec::new();
    for defect in DEFECTS {
        let mut text = base.clone();
        for (from, to) in defect.edits {
            assert!(text.contains(from), "{}: {from:?} not found", defect.rule);
            text = text.replacen(from, to, 1);
        }
        let expected = line_of(&text, defect.line);
        let report = check(&text);
        let lines: Vec<u32> = report
            .findings
            .iter()
            .filter(|f| f.rule == defect.rule)
            .filter_map(|f| f.location.line())
            .collect();
        if !lines.contains(&expected) {
            failures.push(format!(
                "{}: expected on line {expected}, reported on {lines:?}",
                defect.rule
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_defect_table_covers_most_default_rules() {
    let covered: std::collections::HashSet<&str> = DEFECTS.iter().map(|d| d.rule).collect();
    let docker_default: Vec<&str> = shipgate_rules::registry()
        .rules()
        .iter()
        .filter(|r| r.meta.id.starts_with("docker/") && r.meta.enabled_by_default)
        .map(|r| r.meta.id)
        .collect();
    let missing: Vec<&&str> = docker_default
        .iter()
        .filter(|id| !covered.contains(**id))
        .collect();
    assert!(missing.is_empty(), "no planted defect for {missing:?}");
    assert!(docker_default.len() >= 30);
}

const UNPINNED: &str = "docker/apt-package-unpinned";

#[test]
fn hadolint_ignore_comment_suppresses_the_aliased_rule_on_the_next_line() {
    let text = "FROM debian:12.8\n# hadolint ignore=DL3008\nRUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\nRUN apt-get update && apt-get install -y --no-install-recommends git && rm -rf /var/lib/apt/lists/*\n";
    let report = select(&[UNPINNED, "meta/*"], text);
    let remaining: Vec<(&str, Option<u32>)> = report
        .findings
        .iter()
        .map(|f| (f.rule.as_str(), f.location.line()))
        .collect();
    // The comment covers line 3 only; line 4 keeps its finding, and the
    // comment itself is reported for giving no reason.
    assert!(remaining.contains(&(UNPINNED, Some(4))), "{remaining:?}");
    assert!(!remaining.contains(&(UNPINNED, Some(3))), "{remaining:?}");
    assert!(
        remaining.contains(&("meta/suppression-missing-reason", Some(2))),
        "{remaining:?}"
    );
    assert_eq!(report.summary.suppressed, 1);
    assert_eq!(report.suppressed[0].by, "hadolint");
    assert_eq!(report.suppressed[0].finding.rule, UNPINNED);
}

#[test]
fn hadolint_ignore_skips_blank_and_comment_lines_to_the_instruction() {
    let text = "FROM debian:12.8\n# hadolint ignore=DL3008,DL3009\n\n# install the client\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n";
    let report = select(&[UNPINNED, "docker/apt-lists-not-cleaned"], text);
    let docker: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule.starts_with("docker/"))
        .collect();
    assert!(docker.is_empty(), "{docker:?}");
    assert_eq!(report.summary.suppressed, 2);
}

#[test]
fn shipgate_ignore_comment_with_reason_suppresses() {
    let text = "FROM debian:12.8\n# shipgate:ignore docker/sudo -- the vendor script insists on sudo\nRUN sudo /opt/vendor/install.sh\nRUN sudo true\n";
    let report = select(&["docker/sudo", "meta/*"], text);
    let lines: Vec<Option<u32>> = report.findings.iter().map(|f| f.location.line()).collect();
    assert_eq!(lines, [Some(4)]);
    assert_eq!(report.summary.suppressed, 1);
    assert_eq!(report.suppressed[0].by, "inline");
    assert_eq!(
        report.suppressed[0].reason.as_deref(),
        Some("the vendor script insists on sudo")
    );
}

#[test]
fn checkov_skip_comment_maps_to_our_rule() {
    let text = "FROM debian:12.8\n# checkov:skip=CKV_DOCKER_1:bastion image\nEXPOSE 22\n";
    let report = select(&["docker/expose-ssh"], text);
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    assert_eq!(report.summary.suppressed, 1);
}

/// hadolint reports at an instruction's first line, so its ignore comment
/// covers the whole instruction; our findings point at the offending word,
/// which may sit on a continuation line. Covering the instruction needs the
/// engine to scope Dockerfile comments by instruction.
#[test]
fn hadolint_ignore_covers_a_continued_instruction() {
    let text = "FROM debian:12.8\n# hadolint ignore=DL3008\nRUN apt-get update \\\n && apt-get install -y --no-install-recommends \\\n      curl \\\n && rm -rf /var/lib/apt/lists/*\n";
    let report = select(&[UNPINNED], text);
    assert!(report.findings.is_empty(), "{:?}", report.findings);
}

#[test]
fn findings_never_print_a_secret_value() {
    let text = hardened().replacen(
        "ENV PYTHONUNBUFFERED=1",
        "ENV STRIPE_API_KEY=sk_live_51Hx9vQ2rT7pL4 PYTHONUNBUFFERED=1",
        1,
    );
    let report = check(&text);
    let finding = report
        .findings
        .iter()
        .find(|f| f.rule == "docker/secret-in-env-or-arg")
        .expect("secret finding");
    let json = serde_json::to_string(finding).expect("json");
    assert!(!json.contains("sk_live"), "{json}");
    assert!(finding.message.contains("STRIPE_API_KEY"));
    assert_eq!(finding.redact.len(), 1);
}

#[test]
fn hostile_dockerfiles_do_not_panic_the_engine() {
    let inputs = [
        "\0\0FROM".to_owned(),
        "FROM a\nRUN <<EOF\n".to_owned(),
        format!("FROM a\nRUN {}", "x \\\n".repeat(10_000)),
        "FROM a\nRUN $($($(\nCOPY --from= a\nEXPOSE ${\n".to_owned(),
        "# escape=`\nFROM a `\n`\n".to_owned(),
    ];
    for input in &inputs {
        let _ = check(input);
    }
}
