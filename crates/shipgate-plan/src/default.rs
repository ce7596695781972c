//! The plan used when a repository has none: the phases production plans
//! keep repeating (CI green, security, infrastructure, validation, ship),
//! each gate bound to the static rules that can prove it from the
//! repository alone. Live checks and commands need targets and consent, so
//! they are left to plans that name them.

use crate::model::{Check, Gate, PLAN_SCHEMA, Phase, Plan, Project, Ship};

fn gate(id: &str, title: &str, rules: &[&str]) -> Gate {
    Gate {
        id: id.into(),
        title: Some(title.into()),
        required: true,
        owner: None,
        decisions: Vec::new(),
        source: None,
        checks: vec![Check::rules(rules.iter().copied())],
    }
}

fn phase(id: &str, title: &str, needs: &[&str], gates: Vec<Gate>) -> Phase {
    Phase {
        id: id.into(),
        title: Some(title.into()),
        needs: needs.iter().map(|n| (*n).to_owned()).collect(),
        owner: None,
        gates,
    }
}

/// The built-in plan.
pub fn default_plan() -> Plan {
    Plan {
        schema: Some(PLAN_SCHEMA.into()),
        project: Project::default(),
        owners: Default::default(),
        phases: vec![
            phase(
                "ci",
                "CI green",
                &[],
                vec![
                    gate(
                        "artifacts-parse",
                        "Every deployment artifact parses and renders",
                        &[
                            "yaml/*",
                            "docker/syntax-error",
                            "docker/instruction-before-from",
                            "helm/render-failed",
                            "kustomize/render-failed",
                            "io/unreadable-file",
                        ],
                    ),
                    gate(
                        "workflows",
                        "CI workflows are pinned, scoped and injection-free",
                        &["workflows/*"],
                    ),
                    gate(
                        "dependencies-locked",
                        "Dependencies are locked and pinned",
                        &[
                            "repo/lockfile-missing",
                            "repo/cargo-lock-missing",
                            "repo/dependency-unpinned",
                            "helm/dependencies-locked",
                        ],
                    ),
                ],
            ),
            phase(
                "security",
                "Security hardening",
                &["ci"],
                vec![
                    gate(
                        "no-hardcoded-secrets",
                        "No hardcoded secrets",
                        &[
                            "secrets/*",
                            "k8s/secret-in-env",
                            "compose/secret-in-env",
                            "docker/secret-in-env-or-arg",
                            "repo/env-file-committed",
                            "workflows/secret-echoed",
                        ],
                    ),
                    gate(
                        "images-pinned",
                        "Images are pinned to versions",
                        &[
                            "k8s/image-tag",
                            "docker/base-image-tag",
                            "docker/base-image-latest",
                            "compose/image-tag",
                        ],
                    ),
                    gate(
                        "workloads-hardened",
                        "Workloads run unprivileged, as non-root, on a read-only filesystem",
                        &[
                            "k8s/privileged-container",
                            "k8s/privilege-escalation",
                            "k8s/run-as-non-root",
                            "k8s/run-as-root-user",
                            "k8s/capabilities-drop-all",
                            "k8s/dangerous-capability",
                            "k8s/read-only-root-filesystem",
                            "k8s/seccomp-profile",
                            "k8s/host-*",
                            "k8s/docker-socket-mount",
                            "k8s/unsafe-sysctls",
                            "docker/final-stage-root-user",
                            "compose/privileged",
                            "compose/run-as-root-user",
                            "compose/host-*",
                            "compose/docker-socket-mount",
                            "compose/dangerous-capability",
                            "compose/security-profile-disabled",
                            "compose/no-new-privileges",
                        ],
                    ),
                    gate(
                        "network-and-access",
                        "Traffic is encrypted and isolated, access is least privilege",
                        &[
                            "k8s/ingress-tls",
                            "k8s/networkpolicy-missing",
                            "k8s/rbac-wildcard",
                            "k8s/cluster-admin-binding",
                            "k8s/service-account-token-mounted",
                            "docker/tls-verification-disabled",
                            "compose/authentication-disabled",
                            "compose/database-port-exposed",
                        ],
                    ),
                    gate(
                        "supply-chain",
                        "Builds fetch only what they verify",
                        &[
                            "docker/remote-script-piped-to-shell",
                            "docker/package-signature-disabled",
                            "docker/add-remote-url",
                            "repo/dockerignore-missing",
                            "repo/dockerignore-incomplete",
                        ],
                    ),
                    gate(
                        "security-policy",
                        "The repository says how to report a vulnerability",
                        &["repo/security-policy-missing"],
                    ),
                ],
            ),
            phase(
                "infrastructure",
                "Infrastructure readiness",
                &["ci"],
                vec![
                    gate(
                        "resources",
                        "Every container requests and limits its resources",
                        &[
                            "k8s/container-cpu-request",
                            "k8s/container-memory-request",
                            "k8s/container-memory-limit",
                            "k8s/request-exceeds-limit",
                            "compose/memory-limit-missing",
                        ],
                    ),
                    gate(
                        "health-checks",
                        "Every long-running container has health checks",
                        &[
                            "k8s/liveness-probe-missing",
                            "k8s/readiness-probe-missing",
                            "k8s/probe-*",
                            "compose/healthcheck-missing",
                            "compose/depends-on-healthy",
                        ],
                    ),
                    gate(
                        "availability",
                        "Replicated workloads survive disruptions and scale",
                        &[
                            "k8s/single-replica",
                            "k8s/pdb-*",
                            "k8s/hpa-target-missing",
                            "compose/restart-policy-missing",
                        ],
                    ),
                    gate(
                        "charts",
                        "Helm charts are versioned and render",
                        &["helm/*"],
                    ),
                ],
            ),
            phase(
                "validation",
                "Validation",
                &["security", "infrastructure"],
                vec![
                    gate(
                        "api-correctness",
                        "Objects are valid for the target Kubernetes release",
                        &[
                            "k8s/schema-invalid",
                            "k8s/schema-unknown-field",
                            "k8s/removed-api",
                            "k8s/deprecated-api",
                            "k8s/invalid-*",
                            "k8s/duplicate-*",
                            "k8s/probe-handler",
                            "k8s/volume-mount-undefined",
                            "compose/undefined-reference",
                        ],
                    ),
                    gate(
                        "references-resolve",
                        "Services, ingresses and selectors reach what they name",
                        &[
                            "k8s/selector-mismatch",
                            "k8s/service-selects-nothing",
                            "k8s/service-target-port-unknown",
                            "k8s/ingress-service-missing",
                            "k8s/pdb-selects-nothing",
                        ],
                    ),
                    gate(
                        "suppressions-explained",
                        "Every suppression says why",
                        &["meta/*"],
                    ),
                ],
            ),
            phase(
                "ship",
                "Ship",
                &["validation"],
                vec![gate(
                    "release-hygiene",
                    "The repository is ready to release: README, LICENSE, versioned charts",
                    &[
                        "repo/readme-missing",
                        "repo/license-missing",
                        "repo/changelog-missing",
                        "helm/chart-version",
                        "helm/chart-api-version",
                    ],
                )],
            ),
        ],
        risks: Vec::new(),
        decisions: Vec::new(),
        targets: Default::default(),
        probes: Vec::new(),
        ship: Ship::default(),
    }
}

/// The built-in plan as `shipgate.toml` text, to start a plan from.
pub fn default_plan_toml() -> String {
    let body = toml::to_string_pretty(&default_plan()).expect("the default plan serializes");
    format!(
        "# shipgate plan: phases run in the order their `needs` allow; a gate passes\n\
         # only when every check in it does. Reference: docs/plan.md\n\n{body}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_plan_is_valid_and_its_text_reads_back() {
        crate::load::check(&default_plan(), "default").expect("valid");
        let text = default_plan_toml();
        let read = crate::load::parse_toml(&text, "default.toml").expect("reads back");
        assert_eq!(read, default_plan());
        let ids: Vec<&str> = read.phases.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(
            ids,
            ["ci", "security", "infrastructure", "validation", "ship"]
        );
    }
}
