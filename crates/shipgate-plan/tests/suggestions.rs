//! The catalogue on plans written for these tests, in words the seed plans
//! do not use: what it must propose, and what it must leave to people.

use shipgate_plan::coverage::coverage;
use shipgate_plan::markdown::parse;
use shipgate_plan::suggest::{concepts, suggest};

fn labels(text: &str) -> Vec<String> {
    suggest(text).iter().map(|s| s.label()).collect()
}

#[track_caller]
fn proposes(text: &str, expected: &[&str]) {
    let got = labels(text);
    for label in expected {
        assert!(
            got.iter().any(|g| g == label),
            "{text:?} should propose {label}; got {got:?}"
        );
    }
}

#[track_caller]
fn meets(text: &str, concept: &str) {
    let got = concepts(text);
    assert!(
        got.contains(&concept),
        "{text:?} should meet {concept}; got {got:?}"
    );
}

#[test]
fn finds_the_common_items_in_other_words() {
    proposes(
        "Container images reference immutable versions, never a floating :latest",
        &["k8s/image-tag", "docker/base-image-tag"],
    );
    proposes(
        "Every workload declares CPU and memory reservations",
        &["k8s/container-cpu-request", "k8s/container-memory-request"],
    );
    proposes(
        "Strip credentials out of the source tree",
        &["secrets/*", "k8s/secret-in-env"],
    );
    proposes("Nobody commits API keys to the repo", &["secrets/*"]);
    proposes(
        "Repository carries an open-source licence",
        &["repo/license-missing"],
    );
    proposes(
        "Publish a vulnerability disclosure policy",
        &["repo/security-policy-missing"],
    );
    proposes("Attach a software bill of materials to every release", &[]);
    meets(
        "Attach a software bill of materials to every release",
        "sbom",
    );
    proposes(
        "Terminate HTTPS with certificates from cert-manager",
        &["k8s/ingress-tls", "probe:tls"],
    );
    proposes(
        "Restrict east-west traffic between pods",
        &["k8s/networkpolicy-missing"],
    );
    proposes(
        "Keep two replicas up while nodes drain",
        &["k8s/pdb-missing"],
    );
    proposes(
        "Scale the API horizontally with CPU load",
        &["k8s/hpa-target-missing"],
    );
    proposes(
        "Liveness and readiness endpoints answer",
        &["k8s/liveness-probe-missing", "probe:http"],
    );
    proposes(
        "Anonymous calls get 401, other tenants' calls get 403 and floods get 429",
        &["probe:auth"],
    );
    proposes(
        "95th percentile response time stays under 300 ms at peak",
        &["probe:load"],
    );
    proposes(
        "Nightly restore drill from the latest snapshot succeeds",
        &["probe:backup-drill"],
    );
    proposes(
        "Containers must not run as root",
        &["k8s/run-as-non-root", "docker/final-stage-root-user"],
    );
    proposes(
        "Pods cannot write to their root filesystem",
        &["k8s/read-only-root-filesystem"],
    );
    proposes(
        "Every pull request runs the build pipeline",
        &["workflows/*"],
    );
    proposes(
        "Keep a changelog entry for each version",
        &["repo/changelog-missing"],
    );
    proposes(
        "Images are scanned for known CVEs before release",
        &["command"],
    );
    proposes(
        "Lock every dependency to an exact version",
        &["repo/dependency-unpinned"],
    );
    proposes(
        "No workload runs privileged or keeps NET_ADMIN",
        &["k8s/privileged-container"],
    );
    proposes(
        "Dev mode switched off in the compose stack",
        &["compose/development-mode"],
    );
    proposes("Helm chart lints cleanly", &["helm/*"]);
    proposes("Prod overlay renders with kustomize", &["kustomize/*"]);
    proposes(
        "Service accounts follow least privilege",
        &["k8s/rbac-wildcard"],
    );
    proposes("Keep `.env` files out of git", &["repo/env-file-committed"]);
}

#[test]
fn names_what_an_item_creates() {
    proposes("Write docs/SECURITY.md", &["file:docs/SECURITY.md"]);
    proposes(
        "Add `deploy/k8s/pdb.yaml`",
        &["file:deploy/k8s/pdb.yaml", "k8s/*"],
    );
    proposes(
        "Ship a compose.yaml for local runs",
        &["file:**/compose.yaml", "compose/*"],
    );
    proposes(
        "`charts/api/` - the service chart",
        &["file:charts/api/", "helm/*"],
    );
    proposes(
        "Check rendering: `helm template charts/api`",
        &["command:helm template charts/api"],
    );
}

#[test]
fn leaves_people_work_to_people() {
    for text in [
        "Celebrate the launch",
        "Weekly sync with the product owner",
        "Notify customers about the maintenance window",
        "Create git tag v2.0.0 for the release",
        "Set maxmemory limit for Redis",
        "Document the secret rotation policy",
        "Rate limiting documentation",
        "Troubleshooting guide for on-call",
        "Backup of the main branch before the rewrite",
        "Purchase license seats for the APM vendor",
        "Test DLQ processing with a failed message",
        "Run the database migration: `psql -f migrations/007.sql`",
        "Deploy the new pricing page copy",
        "Pipeline execution dashboard for the data team",
        "Set up structured logging in JSON format",
    ] {
        let got = labels(text);
        let allowed = text.starts_with("Create git tag");
        assert!(
            got.is_empty() || (allowed && got == ["command"]),
            "{text:?} should be manual; got {got:?}"
        );
    }
    // Kubernetes' own security policies are not a disclosure policy, and a
    // recovery "capability" is not a Linux capability.
    assert!(
        !labels("Pod security policies enforced")
            .contains(&"repo/security-policy-missing".to_owned())
    );
    assert!(
        !labels("Point-in-time recovery capabilities")
            .contains(&"k8s/capabilities-drop-all".to_owned())
    );
    // A git tag is not an image tag.
    assert!(!labels("Push the release tag").contains(&"k8s/image-tag".to_owned()));
}

const LAUNCH_PLAN: &str = "\
# Checkout service: go-live

## Stage 1: Build

- [ ] Pipeline green on main
- [ ] Base images pinned by digest
- [x] Unit and contract tests pass
- [ ] Lunch with the platform team

## Stage 2: Hardening

- [ ] No plaintext passwords anywhere in the repo
- [ ] Only the gateway may talk to the database (network isolation)
- [ ] Memory ceilings on every container
- [ ] Container filesystem mounted read-only
- [ ] Kill switch reviewed by legal

## Go/No-Go

- [ ] p99 below 400ms with 2x Black Friday traffic
- [ ] Restore from last night's dump verified
- [ ] Sign-off from the on-call lead
";

#[test]
fn a_whole_plan_in_other_words() {
    let plan = parse(LAUNCH_PLAN, "launch.md");
    let report = coverage(&plan);
    assert_eq!(report.total, 12);
    let manual: Vec<&str> = report
        .items
        .iter()
        .filter(|i| i.suggested.is_empty())
        .map(|i| i.text.as_str())
        .collect();
    assert_eq!(
        manual,
        [
            "Lunch with the platform team",
            "Kill switch reviewed by legal",
            "Sign-off from the on-call lead"
        ]
    );
    assert_eq!(report.manual, 3);
    let criteria = plan
        .items
        .iter()
        .filter(|i| i.kind == shipgate_plan::markdown::ItemKind::Criterion);
    assert_eq!(criteria.count(), 3);
}

#[test]
fn nested_parts_are_read_in_their_parents_light() {
    let text = "\
## Deliverables
- Kustomize overlays (`deploy/kustomize/`)
  - Base configuration
  - Enable audit logging
- Workflows (`.github/workflows/`)
  - `release.yml` - tag and publish
";
    let report = coverage(&parse(text, "plan.md"));
    let by_line = |line: u32| {
        report
            .items
            .iter()
            .find(|i| i.line == line)
            .map(|i| i.suggested.clone())
            .unwrap_or_default()
    };
    assert_eq!(by_line(2), ["file:deploy/kustomize/", "kustomize/*"]);
    // A part of the deliverable is covered by it; a task of its own is not.
    assert_eq!(by_line(3), by_line(2));
    assert!(by_line(4).is_empty(), "{:?}", by_line(4));
    // A bare file name lives in the folder its parent names.
    assert_eq!(
        by_line(6)[..2],
        ["file:.github/workflows/release.yml", "workflows/*"]
    );
}
