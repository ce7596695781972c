//! A hardened Compose project must be quiet at warning level and above, and
//! every single defect planted into it must be reported inside the service
//! that holds it.

use std::fs;
use std::ops::Range;
use std::path::Path;

use shipgate_core::{Finding, Report, Severity};
use shipgate_rules::{ArtifactKind, Engine, EngineConfig};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/compose/docker-compose.yml"
);
const EXAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/shop/docker-compose.yml"
);
const NAME: &str = "docker-compose.yml";

fn hardened() -> String {
    fs::read_to_string(FIXTURE).expect("fixture")
}

fn check(text: &str) -> Report {
    check_with(text, EngineConfig::default())
}

fn check_with(text: &str, config: EngineConfig) -> Report {
    let engine = Engine::new(config).expect("engine");
    let kind = ArtifactKind::from_path(NAME, false);
    assert_eq!(kind, ArtifactKind::Compose);
    let outcome = engine.check_text(NAME, text, kind);
    engine.finish(vec![".".into()], vec![outcome], None)
}

fn describe(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| format!("{} {} {} {}", f.location, f.severity, f.rule, f.message))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The byte range and the line range of service `name`'s block: from its
/// key under `services:` to the line before the next key at its indentation
/// or less.
fn service_block(text: &str, name: &str) -> (Range<usize>, (u32, u32)) {
    let header = format!("  {name}:");
    let mut start = None;
    let mut offset = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let line_no = index as u32 + 1;
        let content = line.trim_end();
        match start {
            None if content == header => start = Some((offset, line_no)),
            Some((from, first)) => {
                let indent = content.len() - content.trim_start().len();
                let is_key = !content.trim().is_empty() && !content.trim_start().starts_with('#');
                if is_key && indent <= 2 {
                    return (from..offset, (first, line_no - 1));
                }
            }
            None => {}
        }
        offset += line.len();
    }
    let (from, first) = start.unwrap_or_else(|| panic!("service {name} not in text"));
    (from..text.len(), (first, text.lines().count() as u32))
}

#[test]
fn the_hardened_project_is_quiet_at_warning_and_above() {
    let report = check(&hardened());
    let loud: Vec<Finding> = report
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
        .cloned()
        .collect();
    assert!(loud.is_empty(), "{}", describe(&loud));
    // Quiet at info too: nothing in it is a matter of taste.
    assert!(report.findings.is_empty(), "{}", describe(&report.findings));
    // Not a vacuous pass: the file was read as Compose.
    assert_eq!(
        report.files.by_kind.get("compose"),
        Some(&1),
        "{:?}",
        report.files
    );
}

/// One planted defect: replacements made inside one service (or anywhere,
/// for `service: ""`), and the rule that must fire inside that service.
struct Defect {
    service: &'static str,
    edits: &'static [(&'static str, &'static str)],
    rule: &'static str,
}

const DEFECTS: &[Defect] = &[
    Defect {
        service: "api",
        edits: &[("orders:1.4.2", "orders:latest")],
        rule: "compose/image-tag",
    },
    Defect {
        service: "redis",
        edits: &[("image: redis:7.4.1-alpine", "image: redis")],
        rule: "compose/image-tag",
    },
    Defect {
        service: "worker",
        edits: &[("    restart:", "    privileged: true\n    restart:")],
        rule: "compose/privileged",
    },
    Defect {
        service: "api",
        edits: &[(
            "    networks:\n      - frontend\n      - backend\n",
            "    network_mode: host\n",
        )],
        rule: "compose/host-network",
    },
    Defect {
        service: "worker",
        edits: &[("    restart:", "    pid: host\n    restart:")],
        rule: "compose/host-pid",
    },
    Defect {
        service: "redis",
        edits: &[("    restart:", "    ipc: host\n    restart:")],
        rule: "compose/host-ipc",
    },
    Defect {
        service: "worker",
        edits: &[(
            "      - ALL\n",
            "      - ALL\n    cap_add:\n      - SYS_ADMIN\n",
        )],
        rule: "compose/dangerous-capability",
    },
    Defect {
        service: "postgres",
        edits: &[("      - SETUID\n", "      - SETUID\n      - SYS_PTRACE\n")],
        rule: "compose/dangerous-capability",
    },
    Defect {
        service: "worker",
        edits: &[(
            "worker.toml:ro\n",
            "worker.toml:ro\n      - /var/run/docker.sock:/var/run/docker.sock:ro\n",
        )],
        rule: "compose/docker-socket-mount",
    },
    Defect {
        service: "worker",
        edits: &[("worker.toml:ro\n", "worker.toml:ro\n      - /:/host:ro\n")],
        rule: "compose/host-path-mount",
    },
    Defect {
        service: "postgres",
        edits: &[(
            "POSTGRES_PASSWORD_FILE: /run/secrets/postgres_password",
            "POSTGRES_PASSWORD: Zx9-vQ2_rT7-pL4",
        )],
        rule: "compose/secret-in-env",
    },
    Defect {
        service: "api",
        edits: &[(
            "      REDIS_URL: redis://redis:6379/0\n",
            "      REDIS_URL: redis://:${REDIS_PASSWORD:-hunter2}@redis:6379/0\n",
        )],
        rule: "compose/secret-in-env",
    },
    Defect {
        service: "redis",
        edits: &[(
            "\"200mb\"]",
            "\"200mb\", \"--requirepass\", \"Zx9-vQ2_rT7\"]",
        )],
        rule: "compose/secret-in-env",
    },
    Defect {
        service: "postgres",
        edits: &[("\"127.0.0.1:5432:5432\"", "\"5432:5432\"")],
        rule: "compose/database-port-exposed",
    },
    Defect {
        service: "redis",
        edits: &[("        host_ip: 127.0.0.1\n", "")],
        rule: "compose/database-port-exposed",
    },
    Defect {
        service: "redis",
        edits: &[(
            "    healthcheck:\n      test: [\"CMD\", \"redis-cli\", \"ping\"]\n      interval: 5s\n      timeout: 3s\n      retries: 10\n",
            "",
        )],
        rule: "compose/healthcheck-missing",
    },
    Defect {
        service: "worker",
        edits: &[("    restart: unless-stopped\n", "")],
        rule: "compose/restart-policy-missing",
    },
    Defect {
        service: "postgres",
        edits: &[(
            "        limits:\n          memory: 1G\n",
            "        limits:\n          cpus: \"2\"\n",
        )],
        rule: "compose/memory-limit-missing",
    },
    Defect {
        service: "redis",
        edits: &[("    mem_limit: 256m\n", "")],
        rule: "compose/memory-limit-missing",
    },
    Defect {
        service: "api",
        edits: &[(
            "      postgres:\n        condition: service_healthy\n",
            "      postgres:\n        condition: service_started\n",
        )],
        rule: "compose/depends-on-healthy",
    },
    Defect {
        service: "worker",
        edits: &[(
            "    depends_on:\n      postgres:\n        condition: service_healthy\n      redis:\n        condition: service_healthy\n",
            "    depends_on:\n      - postgres\n      - redis\n",
        )],
        rule: "compose/depends-on-healthy",
    },
    Defect {
        service: "redis",
        edits: &[(
            "      - no-new-privileges:true\n",
            "      - apparmor:docker-default\n",
        )],
        rule: "compose/no-new-privileges",
    },
    Defect {
        service: "api",
        edits: &[(
            "      - no-new-privileges:true\n",
            "      - no-new-privileges:true\n      - seccomp:unconfined\n",
        )],
        rule: "compose/security-profile-disabled",
    },
    Defect {
        service: "worker",
        edits: &[("    user: \"10001:10001\"\n", "    user: root\n")],
        rule: "compose/run-as-root-user",
    },
    Defect {
        service: "worker",
        edits: &[(
            "\"--concurrency\", \"4\"]",
            "\"--concurrency\", \"4\", \"--reload\"]",
        )],
        rule: "compose/development-mode",
    },
    Defect {
        service: "api",
        edits: &[("NODE_ENV: production", "NODE_ENV: development")],
        rule: "compose/development-mode",
    },
    Defect {
        service: "postgres",
        edits: &[(
            "      POSTGRES_DB: orders\n",
            "      POSTGRES_DB: orders\n      POSTGRES_HOST_AUTH_METHOD: trust\n",
        )],
        rule: "compose/authentication-disabled",
    },
    Defect {
        service: "api",
        edits: &[(
            "      redis:\n        condition",
            "      cache:\n        condition",
        )],
        rule: "compose/undefined-reference",
    },
    Defect {
        service: "worker",
        edits: &[("      - postgres_password\n", "      - postgres_pasword\n")],
        rule: "compose/undefined-reference",
    },
    Defect {
        service: "postgres",
        edits: &[("      - pgdata:/var", "      - pg-data:/var")],
        rule: "compose/undefined-reference",
    },
    Defect {
        service: "redis",
        edits: &[("    cap_drop:\n      - ALL\n", "")],
        rule: "compose/capabilities-drop-all",
    },
    Defect {
        service: "api",
        edits: &[("    read_only: true\n", "")],
        rule: "compose/read-only-root-filesystem",
    },
    Defect {
        service: "postgres",
        edits: &[("    read_only: true\n", "    read_only: false\n")],
        rule: "compose/read-only-root-filesystem",
    },
    Defect {
        service: "redis",
        edits: &[(
            "    restart:",
            "    container_name: shop-redis\n    restart:",
        )],
        rule: "compose/container-name",
    },
    Defect {
        service: "",
        edits: &[("name: shop\n", "version: \"3.8\"\nname: shop\n")],
        rule: "compose/version-obsolete",
    },
];

/// Applies a defect's edits, each to its first occurrence inside the service.
fn plant(base: &str, defect: &Defect) -> String {
    let mut text = base.to_owned();
    for (from, to) in defect.edits {
        let range = if defect.service.is_empty() {
            0..text.len()
        } else {
            service_block(&text, defect.service).0
        };
        let at = text[range.clone()]
            .find(from)
            .map(|i| range.start + i)
            .unwrap_or_else(|| panic!("{}: {from:?} not in {}", defect.rule, defect.service));
        text.replace_range(at..at + from.len(), to);
    }
    text
}

#[test]
fn every_planted_defect_is_reported_inside_its_service() {
    let base = hardened();
    let mut failures = Vec::new();
    for defect in DEFECTS {
        let text = plant(&base, defect);
        let report = check(&text);
        let hits: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.rule == defect.rule)
            .collect();
        if hits.is_empty() {
            failures.push(format!(
                "{} in {}: not reported; got:\n{}",
                defect.rule,
                defect.service,
                describe(&report.findings)
            ));
            continue;
        }
        if defect.service.is_empty() {
            continue;
        }
        let (_, (first, last)) = service_block(&text, defect.service);
        let inside = hits.iter().any(|f| {
            f.location.path == NAME
                && f.location
                    .line()
                    .is_some_and(|l| (first..=last).contains(&l))
        });
        if !inside {
            let at: Vec<String> = hits.iter().map(|f| f.location.to_string()).collect();
            failures.push(format!(
                "{}: reported at {at:?}, not inside lines {first}-{last} of service {}",
                defect.rule, defect.service
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_literal_default_is_flagged_redacting_only_the_default() {
    let defect = DEFECTS
        .iter()
        .find(|d| d.edits[0].1.contains("redis://:${REDIS_PASSWORD:-hunter2}"))
        .expect("defect");
    let text = plant(&hardened(), defect);
    let report = check(&text);
    let found: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.rule == "compose/secret-in-env")
        .collect();
    assert_eq!(found.len(), 1, "{}", describe(&report.findings));
    let finding = found[0];
    assert!(finding.message.contains("REDIS_URL"));
    assert!(!finding.message.contains("hunter2"));
    assert_eq!(finding.redact.len(), 1);
    let r = finding.redact[0];
    assert_eq!(&text[r.start_byte as usize..r.end_byte as usize], "hunter2");
}

#[test]
fn interpolated_values_are_not_flagged() {
    let base = hardened();
    let text = base
        .replacen("ghcr.io/acme/orders:1.4.2", "${REGISTRY:-ghcr.io/acme}/orders:${ORDERS_VERSION:-1.4.2}", 1)
        .replacen(
            "      LOG_LEVEL: ${LOG_LEVEL:-info}\n",
            "      LOG_LEVEL: ${LOG_LEVEL:-info}\n      API_TOKEN: ${API_TOKEN:?set API_TOKEN}\n      SESSION_SECRET: ${SESSION_SECRET}\n      JWT_SECRET: $JWT_SECRET\n      DATABASE_URL: postgres://orders:${POSTGRES_PASSWORD:?set it}@postgres:5432/orders\n      ADMIN_PASSWORD: ${ADMIN_PASSWORD:-}\n",
            1,
        )
        .replacen("\"127.0.0.1:8080:8080\"", "\"${API_BIND:-127.0.0.1}:${API_PORT:-8080}:8080\"", 1)
        .replacen("\"127.0.0.1:5432:5432\"", "\"${PG_BIND:-127.0.0.1}:5432:5432\"", 1)
        .replacen("memory: 1G", "memory: ${PG_MEMORY:-1G}", 1)
        .replacen("    read_only: true\n", "    read_only: ${READ_ONLY:-true}\n", 1);
    assert_ne!(text, base);
    let report = check(&text);
    let loud: Vec<Finding> = report
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning || f.rule.starts_with("compose/"))
        .cloned()
        .collect();
    assert!(loud.is_empty(), "{}", describe(&loud));
}

#[test]
fn inline_suppressions_apply_and_are_counted() {
    let base = hardened();
    let (range, _) = service_block(&base, "worker");
    let mut text = base.clone();
    let at = range.start + base[range].find("    restart:").expect("restart");
    text.insert_str(
        at,
        "    # shipgate:ignore compose/privileged -- the FUSE driver needs it\n    privileged: true\n",
    );
    let report = check(&text);
    assert!(
        !report
            .findings
            .iter()
            .any(|f| f.rule == "compose/privileged"),
        "{}",
        describe(&report.findings)
    );
    let suppressed: Vec<_> = report
        .suppressed
        .iter()
        .filter(|s| s.finding.rule == "compose/privileged")
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(
        suppressed[0].reason.as_deref(),
        Some("the FUSE driver needs it")
    );

    // On the same line, and for an absence at the service's key.
    let text = base
        .replacen(
            "\n  redis:\n",
            "\n  # shipgate:ignore compose/healthcheck-missing -- redis is probed by the api\n  redis:\n",
            1,
        )
        .replacen(
            "    healthcheck:\n      test: [\"CMD\", \"redis-cli\", \"ping\"]\n      interval: 5s\n      timeout: 3s\n      retries: 10\n",
            "",
            1,
        )
        .replacen(
            "\"127.0.0.1:5432:5432\"",
            "\"5432:5432\" # shipgate:ignore compose/database-port-exposed -- firewalled VPC",
            1,
        );
    let report = check(&text);
    let loud: Vec<Finding> = report
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
        .cloned()
        .collect();
    assert!(loud.is_empty(), "{}", describe(&loud));
    assert_eq!(report.suppressed.len(), 2, "{:#?}", report.suppressed);
}

#[test]
fn selecting_the_pack_by_name_runs_only_compose_rules() {
    let text = plant(&hardened(), &DEFECTS[0]);
    let report = check_with(
        &text,
        EngineConfig {
            select: vec!["compose".into()],
            ..EngineConfig::default()
        },
    );
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.rule.starts_with("compose/"))
    );
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.rule == "compose/image-tag")
    );
    // `compose/image-digest` is opt-in: selected here, it reports every image.
    let digests = report
        .findings
        .iter()
        .filter(|f| f.rule == "compose/image-digest")
        .count();
    assert_eq!(digests, 4);
}

#[test]
fn the_example_shop_compose_file_gets_findings() {
    assert!(Path::new(EXAMPLE).exists(), "{EXAMPLE}");
    let text = fs::read_to_string(EXAMPLE).expect("example");
    let report = check(&text);
    let compose: Vec<Finding> = report
        .findings
        .iter()
        .filter(|f| f.rule.starts_with("compose/"))
        .cloned()
        .collect();
    println!("{}", describe(&compose));
    assert!(!compose.is_empty());
    // What the example does well stays quiet: interpolated credentials,
    // loopback-bound ports and healthchecks.
    for quiet in [
        "compose/secret-in-env",
        "compose/database-port-exposed",
        "compose/healthcheck-missing",
        "compose/restart-policy-missing",
    ] {
        assert!(
            !compose.iter().any(|f| f.rule == quiet),
            "{quiet}: {}",
            describe(&compose)
        );
    }
    assert!(
        compose
            .iter()
            .any(|f| f.rule == "compose/memory-limit-missing")
    );
}
