//! A fully hardened set of manifests must be quiet at warning level and
//! above, and every single defect planted into it must be reported inside
//! the object that holds it.

use std::fs;
use std::path::Path;

use shipgate_core::{Report, Severity};
use shipgate_rules::{ArtifactKind, Engine, EngineConfig};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hardened");

fn load() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = fs::read_dir(FIXTURES)
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .map(|p| {
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            (name, fs::read_to_string(&p).expect("read"))
        })
        .collect();
    files.sort();
    files
}

fn check(files: &[(String, String)]) -> Report {
    let engine = Engine::new(EngineConfig::default()).expect("engine");
    let outcomes = files
        .iter()
        .map(|(name, text)| engine.check_text(name, text, ArtifactKind::from_path(name, false)))
        .collect();
    engine.finish(vec![".".into()], outcomes, None)
}

#[test]
fn the_hardened_set_is_quiet_at_warning_and_above() {
    let report = check(&load());
    let loud: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
        .map(|f| format!("{} {} {}", f.location, f.rule, f.message))
        .collect();
    assert!(loud.is_empty(), "{}", loud.join("\n"));
    assert!(report.files.objects >= 9, "{:?}", report.files);
    assert!(Path::new(FIXTURES).join("api.yaml").exists());
}

/// One planted defect: replacements in one file, the rule that must fire,
/// and a string identifying the document (object) the finding must lie in.
struct Defect {
    file: &'static str,
    edits: &'static [(&'static str, &'static str)],
    rule: &'static str,
    object: &'static str,
}

const API_SC: &str = "      automountServiceAccountToken: false\n      securityContext:\n        runAsNonRoot: true\n        runAsUser: 10001\n";
const API_CONTAINER_SC: &str =
    "            allowPrivilegeEscalation: false\n            readOnlyRootFilesystem: true\n";
const API_TMP: &str = "        - name: tmp\n          emptyDir: {}";
const DEPLOYMENT: &str = "kind: Deployment\nmetadata:\n  name: api";

const DEFECTS: &[Defect] = &[
    Defect {
        file: "api.yaml",
        edits: &[("cpu: \"1\"\n              memory: 512Mi\n", "cpu: \"1\"\n")],
        rule: "k8s/container-memory-limit",
        object: DEPLOYMENT,
    },
    Defect {
        file: "backup.yaml",
        edits: &[(
            "cpu: 500m\n                  memory: 256Mi\n",
            "cpu: 500m\n",
        )],
        rule: "k8s/container-memory-limit",
        object: "kind: CronJob",
    },
    Defect {
        file: "api.yaml",
        edits: &[("cpu: 250m\n              memory: 256Mi\n", "cpu: 250m\n")],
        rule: "k8s/container-memory-request",
        object: DEPLOYMENT,
    },
    Defect {
        file: "api.yaml",
        edits: &[("requests:\n              cpu: 250m\n", "requests:\n")],
        rule: "k8s/container-cpu-request",
        object: DEPLOYMENT,
    },
    Defect {
        file: "api.yaml",
        edits: &[(
            "memory: 256Mi\n            limits",
            "memory: 1Gi\n            limits",
        )],
        rule: "k8s/request-exceeds-limit",
        object: DEPLOYMENT,
    },
    Defect {
        file: "api.yaml",
        edits: &[(
            "          livenessProbe:\n            httpGet:\n              path: /healthz\n              port: http\n            periodSeconds: 20\n",
            "",
        )],
        rule: "k8s/liveness-probe-missing",
        object: DEPLOYMENT,
    },
    Defect {
        file: "api.yaml",
        edits: &[(
            "          readinessProbe:\n            httpGet:\n              path: /readyz\n              port: http\n",
            "",
        )],
        rule: "k8s/readiness-probe-missing",
        object: DEPLOYMENT,
    },
    Defect {
        file: "api.yaml",
        edits: &[(
            "path: /healthz\n              port: http",
            "path: /healthz\n              port: metrics",
        )],
        rule: "k8s/probe-port-unknown",
        object: DEPLOYMENT,
    },
    Defect {
        file: "api.yaml",
        edits: &[(
            API_SC,
            "      automountServiceAccountToken: false\n      securityContext:\n",
        )],
        rule: "k8s/run-as-non-root",
        object: DEPLOYMENT,
    },
    Defect {
        file: "api.yaml",
        edits: &[(
            API_CONTAINER_SC,
            "            allowPrivilegeEscalation: false\n            readOnlyRootFilesystem: true\n            runAsUser: 0\n",
        )],
        rule: "k8s/run-as-root-user",
        object: DEPLOYMENT,
    },
    Defect {
        file: "api.yaml",
        edits: &[(
            "        seccompProfile:\n          type: RuntimeDefault\n",
            "",
        )],
        rule: "k8s/seccomp-profile",
        object: DEPLOYMENT,
    },
    Defect {
        file: "api.yaml",
        edits: &[(
            "          type: RuntimeDefault\n",
            "          type: Unconfined\n",
        )],
        rule: "k8s/seccomp-profile",
        object: DEPLOYMENT,
    },
    Defect {
        file: "api.yaml",
        edits: &[(
            API_CONTAINER_SC,
            "            allowPrivilegeEscalation: false\n            readOnlyRootFilesystem: true\n            privileged: true\n",
        )],
        rule: "k8s/privileged-container",
        object: DEPLOYMENT,
    },
    Defect {
        file: "api.yaml",
        edits: &[(
            "allowPrivilegeEscalation: false\n            readOnly",
            "allowPrivilegeEscalation: true\n            readOnly",
        )],
        rule: "k8s/privilege-escalation",
        object: DEPLOYMENT,
    },
    Defect {
        file: "api.yaml",
        edits: &[(
            "readOnlyRootFilesystem: true\n            capabilities",
            "readOnlyRootFilesystem: false\n            capabilities",
        )],
        rule: "k8s/read-only-root-filesystem",
        object: DEPLOYMENT,
    },
    Defect {
        file: "api.yaml",
        edits: &[(
            "drop: [\"ALL\"]\n          env",
            "drop: [\"NET_RAW\"]\n          env",
        )],
        rule: "k8s/capabilities-drop-all",
        object: DEPLOYMENT,
    },
    Defect {
        file: "api.yaml",
        edits: &[(
            "drop: [\"ALL\"]\n          env",
            "drop: [\"ALL\"]\n              add: [\"SYS_ADMIN\"]\n          env",
        )],
        rule: "k8s/dangerous-capability",
        object: DEPLOYMENT,
    },
    Defect {
        file: "api.yaml",
        edits: &[(
            API_SC,
            "      hostNetwork: true\n      automountServiceAccountToken: false\n      securityContext:\n        runAsNonRoot: true\n        runAsUser: 10001\n",
        )],
        rule: "k8s/host-network",
        object: DEPLOYMENT,
    },
    Defect {
        file: "api.yaml",
        edits: &[(
            API_SC,
            "      hostPID: true\n      automountServiceAccountToken: false\n      securityContext:\n        runAsNonRoot: true\n        runAsUser: 10001\n",
        )],
        rule: "k8s/host-pid",
        object: DEPLOYMENT,
    },
    Defect {
        file: "api.yaml",
        edits: &[(
            API_SC,
            "      hostIPC: true\n      automountServiceAccountToken: false\n      securityContext:\n        runAsNonRoot: true\n        runAsUser: 10001\n",
        )],
        rule: "k8s/host-ipc",
        object: DEPLOYMENT,
    },
    Defect {
        file: "api.yaml",
        edits: &[(
            API_TMP,
            "        - name: tmp\n          hostPath:\n            path: /var/run/docker.sock",
        )],
        rule: "k8s/docker-socket-mount",
        object: DEPLOYMENT,
    },
    Defect {
        file: "api.yaml",
        edits: &[(
            API_TMP,
            "        - name: tmp\n          hostPath:\n            path: /var/lib/api",
        )],
        rule: "k8s/host-path-volume",
        object: DEPLOYMENT,
    },
    Defect {
        file: "api.yaml",
        edits: &[(
            "api:1.4.2@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945",
            "api:latest",
        )],
        rule: "k8s/image-tag",
        object: DEPLOYMENT,
    },
    Defect {
        file: "api.yaml",
        edits: &[(
            "ghcr.io/acme/api:1.4.2@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945",
            "ghcr.io/acme/api",
        )],
        rule: "k8s/image-tag",
        object: DEPLOYMENT,
    },
    Defect {
        file: "api.yaml",
        edits: &[(
            API_SC,
            "      securityContext:\n        runAsNonRoot: true\n        runAsUser: 10001\n",
        )],
        rule: "k8s/service-account-token-mounted",
        object: DEPLOYMENT,
    },
    Defect {
        file: "api.yaml",
        edits: &[(
            "  name: api\n  namespace: shop\n  labels:",
            "  name: api\n  namespace: default\n  labels:",
        )],
        rule: "k8s/default-namespace",
        object: DEPLOYMENT,
    },
    Defect {
        file: "api.yaml",
        edits: &[
            ("  replicas: 3\n", "  replicas: 1\n"),
            ("  minReplicas: 3\n", "  minReplicas: 1\n"),
        ],
        rule: "k8s/single-replica",
        object: DEPLOYMENT,
    },
    Defect {
        file: "api.yaml",
        edits: &[(
            "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: api\n  namespace: shop\nspec:\n  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: api\n",
            "",
        )],
        rule: "k8s/pdb-missing",
        object: DEPLOYMENT,
    },
    Defect {
        file: "api.yaml",
        edits: &[("maxUnavailable: 1", "maxUnavailable: 0")],
        rule: "k8s/pdb-blocks-drain",
        object: "kind: PodDisruptionBudget",
    },
    Defect {
        file: "network.yaml",
        edits: &[(
            "  podSelector: {}\n",
            "  podSelector:\n    matchLabels:\n      role: none\n",
        )],
        rule: "k8s/networkpolicy-missing",
        object: "",
    },
    Defect {
        file: "api.yaml",
        edits: &[(
            "    app.kubernetes.io/name: api\n  ports:",
            "    app.kubernetes.io/name: apii\n  ports:",
        )],
        rule: "k8s/service-selects-nothing",
        object: "kind: Service",
    },
    Defect {
        file: "api.yaml",
        edits: &[("targetPort: http", "targetPort: web")],
        rule: "k8s/service-target-port-unknown",
        object: "kind: Service",
    },
    Defect {
        file: "api.yaml",
        edits: &[(
            "  tls:\n    - hosts: [shop.example.com]\n      secretName: api-tls\n",
            "",
        )],
        rule: "k8s/ingress-tls",
        object: "kind: Ingress",
    },
    Defect {
        file: "api.yaml",
        edits: &[(
            "              service:\n                name: api\n",
            "              service:\n                name: web\n",
        )],
        rule: "k8s/ingress-service-missing",
        object: "kind: Ingress",
    },
    Defect {
        file: "api.yaml",
        edits: &[(
            "    kind: Deployment\n    name: api\n",
            "    kind: Deployment\n    name: apii\n",
        )],
        rule: "k8s/hpa-target-missing",
        object: "kind: HorizontalPodAutoscaler",
    },
    Defect {
        file: "api.yaml",
        edits: &[(
            "              valueFrom:\n                secretKeyRef:\n                  name: api-db\n                  key: password\n",
            "              value: \"Zx9-vQ2_rT7-pL4\"\n",
        )],
        rule: "k8s/secret-in-env",
        object: DEPLOYMENT,
    },
];

/// The line range of the `---`-separated document of `text` containing `marker`.
fn document_lines(text: &str, marker: &str) -> (u32, u32) {
    let at = text
        .find(marker)
        .unwrap_or_else(|| panic!("marker {marker:?} not in text"));
    let mut start_line = 1u32;
    let mut end_line = text.lines().count() as u32;
    let mut offset = 0usize;
    for (index, line) in text.lines().enumerate() {
        let line_no = index as u32 + 1;
        if line == "---" {
            if offset <= at {
                start_line = line_no;
            } else {
                end_line = line_no - 1;
                break;
            }
        }
        offset += line.len() + 1;
    }
    (start_line, end_line)
}

#[test]
fn every_planted_defect_is_reported_inside_its_object() {
    let base = load();
    let mut failures = Vec::new();
    for defect in DEFECTS {
        let mut files = base.clone();
        let (_, text) = files
            .iter_mut()
            .find(|(name, _)| name == defect.file)
            .expect("fixture file");
        for (from, to) in defect.edits {
            assert!(
                text.contains(from),
                "{}: {from:?} not found in {}",
                defect.rule,
                defect.file
            );
            *text = text.replacen(from, to, 1);
        }
        let mutated = text.clone();
        let report = check(&files);
        let hits: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.rule == defect.rule)
            .collect();
        if hits.is_empty() {
            failures.push(format!("{}: not reported", defect.rule));
            continue;
        }
        if defect.object.is_empty() {
            continue;
        }
        let (first, last) = document_lines(&mutated, defect.object);
        let inside = hits.iter().any(|f| {
            f.location.path == defect.file
                && f.location
                    .line()
                    .is_some_and(|l| (first..=last).contains(&l))
        });
        if !inside {
            let at: Vec<String> = hits.iter().map(|f| f.location.to_string()).collect();
            failures.push(format!(
                "{}: reported at {at:?}, not inside lines {first}-{last} of {}",
                defect.rule, defect.file
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
