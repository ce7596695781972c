use shipgate_core::Finding;
use shipgate_syntax::LineIndex;

use super::*;

/// Runs one rule over `text` and returns its findings.
fn check(rule: &str, text: &str) -> Vec<Finding> {
    let def = RULES
        .iter()
        .find(|r| r.meta.id == rule)
        .unwrap_or_else(|| panic!("no rule {rule}"));
    let lines = LineIndex::new(text);
    let mut findings = Vec::new();
    run(
        &[def_static(def)],
        "Dockerfile",
        text,
        &lines,
        &mut findings,
    );
    findings
}

fn def_static(def: &RuleDef) -> &'static RuleDef {
    crate::registry()
        .get(def.meta.id)
        .unwrap_or_else(|| panic!("{} is not registered", def.meta.id))
}

/// `(line, column)` of each finding, in file order.
fn at(findings: &[Finding]) -> Vec<(u32, u32)> {
    let mut positions: Vec<(u32, u32)> = findings
        .iter()
        .filter_map(|f| f.location.span.map(|s| (s.start.line, s.start.column)))
        .collect();
    positions.sort_unstable();
    positions
}

#[test]
fn the_hardened_example_passes_every_default_rule() {
    for rule in RULES {
        let findings = check(rule.meta.id, HARDENED);
        assert!(findings.is_empty(), "{}: {findings:#?}", rule.meta.id);
    }
}

#[test]
fn base_image_rules_point_at_the_image_and_follow_args() {
    let text =
        "ARG IMG=debian\nFROM $IMG AS a\nFROM a\nFROM ${NOPE}\nFROM scratch\nFROM node:latest\n";
    assert_eq!(at(&check("docker/base-image-tag", text)), [(2, 6)]);
    assert_eq!(at(&check("docker/base-image-latest", text)), [(6, 6)]);
    assert_eq!(
        at(&check("docker/base-image-digest", text)),
        [(2, 6), (6, 6)]
    );
}

#[test]
fn final_stage_root_user_follows_the_stage_chain() {
    let rule = "docker/final-stage-root-user";
    assert!(
        check(
            rule,
            "FROM a:1 AS base\nUSER 10001\nFROM base\nCMD [\"x\"]\n"
        )
        .is_empty()
    );
    assert_eq!(
        at(&check(rule, "FROM a:1 AS base\nUSER 10001\nFROM b:1\n")),
        [(3, 1)]
    );
    assert_eq!(
        at(&check(rule, "FROM a:1\nUSER app\nUSER root:root\n")),
        [(3, 6)]
    );
    assert_eq!(at(&check(rule, "FROM a:1\nUSER 0\n")), [(2, 6)]);
    assert!(check(rule, "FROM gcr.io/distroless/static-debian12:nonroot\n").is_empty());
    assert!(check(rule, "FROM a:1\nARG U\nUSER $U\n").is_empty());
}

#[test]
fn apt_rules_read_through_continuations_and_heredocs() {
    let text = "FROM debian:12.8\nRUN apt-get update \\\n && apt-get install -y \\\n      curl\nRUN <<EOF\nset -e\napt-get install --no-install-recommends git\nEOF\n";
    assert_eq!(at(&check("docker/apt-install-recommends", text)), [(3, 5)]);
    assert_eq!(at(&check("docker/apt-lists-not-cleaned", text)), [(2, 5)]);
    assert_eq!(
        at(&check("docker/package-install-without-yes", text)),
        [(7, 1)]
    );
    let unpinned = check("docker/apt-package-unpinned", text);
    assert_eq!(at(&unpinned), [(4, 7), (7, 41)]);
}

#[test]
fn efficiency_rules_ignore_build_stages() {
    let text = "FROM debian:12.8 AS build\nRUN apt-get update && apt-get install -y gcc\nRUN pip install x\nFROM debian:12.8\nCOPY --from=build /a /a\n";
    for rule in [
        "docker/apt-install-recommends",
        "docker/apt-lists-not-cleaned",
        "docker/pip-no-cache-dir",
    ] {
        assert!(check(rule, text).is_empty(), "{rule}");
    }
}

#[test]
fn secrets_are_named_never_printed_and_redacted() {
    let text = "FROM a:1\nENV API_KEY=\"s3cr3t-v4lue\" LOG_LEVEL=info\nARG GITHUB_TOKEN\nENV DB_PASSWORD $DB_PASSWORD\n";
    let findings = check("docker/secret-in-env-or-arg", text);
    assert_eq!(at(&findings), [(2, 5), (3, 5), (4, 5)]);
    for finding in &findings {
        assert!(!finding.message.contains("s3cr3t"), "{}", finding.message);
    }
    assert_eq!(findings[0].redact.len(), 1);
    let redacted = findings[0].redact[0];
    assert_eq!(
        &text[redacted.start_byte as usize..redacted.end_byte as usize],
        "\"s3cr3t-v4lue\""
    );
    assert!(findings[1].redact.is_empty());
}

#[test]
fn secret_names() {
    for name in [
        "DB_PASSWORD",
        "dbPassword",
        "NPM_TOKEN",
        "AWS_SECRET_ACCESS_KEY",
        "API_KEY",
        "apiKey",
        "SECRET_KEY_BASE",
        "PRIVATE_KEY",
        "REDIS_PASS",
    ] {
        assert!(security::is_secret_name(name), "{name}");
    }
    for name in [
        "GPG_KEY",
        "PASSWORD_FILE",
        "TOKEN_URL",
        "PUBLIC_KEY",
        "AWS_ACCESS_KEY_ID",
        "KEYCLOAK_HOST",
        "PASSENGER_VERSION",
        "BYPASS",
    ] {
        assert!(!security::is_secret_name(name), "{name}");
    }
}

#[test]
fn remote_scripts_piped_or_substituted_into_a_shell() {
    let rule = "docker/remote-script-piped-to-shell";
    let text = "FROM a:1\nRUN wget -qO- https://x/i.sh | sudo -E bash -s -- --yes\nRUN sh -c \"$(curl -fsSL https://x/i.sh)\"\nRUN curl -fsSL https://x | tar -xz\nRUN curl https://x | tee /tmp/x | sh\n";
    assert_eq!(at(&check(rule, text)), [(2, 40), (3, 5), (5, 35)]);
}

#[test]
fn copy_from_references() {
    let text = "FROM a:1 AS build\nCOPY --from=build /x /y\nFROM b:1\nCOPY --from=buid /x /y\nCOPY --from=later /x /y\nCOPY --from=5 /x /y\nFROM c:1 AS later\n";
    assert_eq!(
        at(&check("docker/copy-from-unknown-stage", text)),
        [(4, 6), (5, 6), (6, 6)]
    );
    assert_eq!(at(&check("docker/copy-from-own-stage", text)), [(2, 6)]);
}

#[test]
fn args_used_before_declaration() {
    let rule = "docker/arg-used-before-declared";
    let text = "ARG V=1\nFROM a:${V}\nRUN echo $V\nCOPY app-${LATER}.jar /app/\nARG LATER=2\nRUN X=1; echo $X $HOME\nFROM b:$MISSING\nRUN echo $TARGETARCH\nARG TARGETOS\nRUN echo $TARGETOS\n";
    let findings = check(rule, text);
    assert_eq!(at(&findings), [(3, 10), (4, 6), (7, 6), (8, 10)]);
}

#[test]
fn package_install_without_yes_for_each_manager() {
    let rule = "docker/package-install-without-yes";
    let text = "FROM a:1\nRUN apt-get install curl\nRUN apt-get -qy install curl\nRUN yum install httpd\nRUN dnf -y install x\nRUN zypper install x\nRUN zypper -n in x\n";
    assert_eq!(at(&check(rule, text)), [(2, 5), (4, 5), (6, 5)]);
}

#[test]
fn logical_addresses_name_the_stage_and_instruction() {
    let text = "FROM a:1 AS build\nRUN x\nRUN sudo make\n";
    let findings = check("docker/sudo", text);
    assert_eq!(findings[0].location.logical, "stage[build] > RUN[1] > sudo");
}

#[test]
fn instruction_lines_cover_continuations_and_heredocs() {
    let text = "FROM a:1\n# note\nRUN a \\\n  b\nRUN <<EOF\nx\nEOF\n";
    let lines = LineIndex::new(text);
    assert_eq!(instruction_lines(text, &lines), [(1, 1), (3, 4), (5, 7)]);
}

#[test]
fn a_byte_order_mark_does_not_shift_byte_spans() {
    let text = "\u{feff}FROM ubuntu\nRUN echo\n";
    let findings = check("docker/base-image-tag", text);
    let span = findings[0].location.span.expect("span");
    assert_eq!(
        &text[span.start_byte as usize..span.end_byte as usize],
        "ubuntu"
    );
    assert_eq!(span.start.line, 1);
}

#[test]
fn a_dockerfile_without_from_is_reported_at_its_first_instruction() {
    let rule = "docker/instruction-before-from";
    assert_eq!(
        at(&check(rule, "# only args\nARG A=1\nARG B=2\n")),
        [(2, 1)]
    );
    assert!(check(rule, "").is_empty());
    assert!(check(rule, "ARG A=1\nFROM a:1\nRUN x\n").is_empty());
}
