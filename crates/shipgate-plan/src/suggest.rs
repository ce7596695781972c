//! A catalogue of checks for the items production plans keep repeating.
//!
//! Items are matched on concepts, not sentences: the item's words are
//! reduced to stems ([`crate::text`]) and compared with each concept's
//! vocabulary, so "pin image tags", "images must not float on :latest" and
//! "container images reference immutable versions" meet the same concept.
//! A concept fires when one of its patterns matches: a pattern is groups of
//! alternative phrases, and every group must have a phrase in the item.
//!
//! Besides concepts, an item that names a file it creates (`Add
//! SECURITY.md`, "`k8s/hpa.yaml` - autoscaler") is offered a `file` check and
//! the rules of the pack that judges such files, and an item that quotes a
//! command which only looks (`kubectl get hpa`, `trivy image`) is offered
//! that command.

use std::sync::LazyLock;

use regex::Regex;

use crate::model::{
    Check, CheckKind, CommandCheck, FileCheck, MaxFindings, ProbeCheck, RulesCheck,
};
use crate::text::{contains, has_phrase, stems};

/// A check proposed for an item.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Suggested {
    /// Static rules, over the whole repository or over some paths.
    Rule { pattern: String, paths: Vec<String> },
    /// A file that must exist.
    File { path: String },
    /// A command: the one the item quotes, or one to be written.
    Command { argv: Option<Vec<String>> },
    /// A live probe of this kind (`http`, `auth`, `rate-limit`, `headers`,
    /// `tls`, `idempotency`, `load`, `backup-drill`); its target is
    /// configured by the user.
    Probe { kind: String },
}

impl Suggested {
    /// How the suggestion is shown: a rule id or glob, `file:PATH`,
    /// `command`, `command:ARGV`, `probe:KIND`.
    pub fn label(&self) -> String {
        match self {
            Suggested::Rule { pattern, .. } => pattern.clone(),
            Suggested::File { path } => format!("file:{path}"),
            Suggested::Command { argv: None } => "command".into(),
            Suggested::Command { argv: Some(argv) } => format!("command:{}", argv.join(" ")),
            Suggested::Probe { kind } => format!("probe:{kind}"),
        }
    }
}

/// What a concept proposes.
#[derive(Debug, Clone, Copy)]
enum Offer {
    Rules(&'static [&'static str]),
    Probe(&'static str),
    Command,
    File(&'static str),
}

struct Concept {
    id: &'static str,
    /// Patterns: `a|b c + d` means (`a` or the phrase `b c`) and `d`.
    when: &'static [&'static str],
    /// Phrases that rule the concept out.
    unless: &'static str,
    /// Whether the concept also applies to items that only ask for writing
    /// (a LICENSE, a changelog), which are otherwise left to people.
    documents: bool,
    offers: &'static [Offer],
}

const SECRETS_RULES: &[&str] = &[
    "secrets/*",
    "k8s/secret-in-env",
    "compose/secret-in-env",
    "docker/secret-in-env-or-arg",
    "repo/env-file-committed",
    "workflows/secret-echoed",
];

const CATALOGUE: &[Concept] = &[
    Concept {
        id: "image-tags",
        when: &[
            "pin|pinned|lock|fix|immutable|specific version|explicit version|exact version|float|floating|mutable + image|tag|tags",
            "latest + image|tag|tags|version",
            "image tag|image tags|image tagging|image version|image versions",
        ],
        unless: "git tag|release tag|push tag|tag pushed",
        documents: false,
        offers: &[Offer::Rules(&[
            "k8s/image-tag",
            "docker/base-image-tag",
            "docker/base-image-latest",
            "compose/image-tag",
        ])],
    },
    Concept {
        id: "image-digests",
        when: &["digest|digests|sha256 + image|images|pin|pinned|base"],
        unless: "",
        documents: false,
        offers: &[Offer::Rules(&[
            "k8s/image-digest",
            "docker/base-image-digest",
            "compose/image-digest",
        ])],
    },
    Concept {
        id: "resources",
        when: &[
            "resource|resources|cpu|memory|mem|ram + request|requests|limit|limits|quota|quotas|reservation|reservations|reserve|constraint|constraints",
            "cpu|memory + pod|pods|container|containers|millicores",
            "limit range|limit ranges|limitrange|resource quota|resourcequota",
        ],
        unless: "rate limit|rate limiting|rate limits|maxmemory|connection limit|daily limit|daily limits",
        documents: false,
        offers: &[Offer::Rules(&[
            "k8s/container-cpu-request",
            "k8s/container-memory-request",
            "k8s/container-memory-limit",
            "k8s/container-cpu-limit",
            "k8s/request-exceeds-limit",
            "compose/memory-limit-missing",
        ])],
    },
    Concept {
        id: "secrets",
        when: &[
            "secret|secrets|password|passwords|passwd|credential|credentials|api key|api keys|private key|private keys|access key|access keys|token|tokens + hardcoded|hardcode|hard coded|hard code|plaintext|plain text|in code|codebase|source|source code|source tree|repository|repo|commit|committed|leak|leaked|exposed|exposure|scan|scanning|detect|detection|git history|in logs|in config|in configs|config file|config files|remain|clear text|cleartext|default|sensitive",
            "secret scanning|secrets scanning|secret scan|secrets scan|gitleaks|trufflehog|detect secrets|git secrets",
            "secret|secrets|password|passwords|credential|credentials + vault|secret store|secret manager|secrets manager|external secret|external secrets|sealed secret|sealed secrets|kms|sops|openbao|environment variable|environment variables|env var|env vars|k8s secret|k8s secrets|kubernetes secret|kubernetes secrets",
            "secret management|secrets management",
        ],
        unless: "",
        documents: false,
        offers: &[Offer::Rules(SECRETS_RULES)],
    },
    Concept {
        id: "env-files",
        when: &["dotenv|env file|env files|dot env"],
        unless: "",
        documents: false,
        offers: &[Offer::Rules(&[
            "repo/env-file-committed",
            "repo/dockerignore-incomplete",
        ])],
    },
    Concept {
        id: "license",
        when: &["license|licence|licensing|licensed"],
        unless: "purchase|buy|cost|seat|seats|renew|license key|license server",
        documents: true,
        offers: &[Offer::Rules(&[
            "repo/license-missing",
            "repo/license-unrecognised",
        ])],
    },
    Concept {
        id: "security-policy",
        when: &[
            "security md|security policy|vulnerability disclosure|responsible disclosure|coordinated disclosure|disclosure policy|security contact|security txt",
            "report|reporting|disclose + vulnerability|vulnerabilities|security issue|security issues + procedure|process|policy|how|channel",
        ],
        // Kubernetes' security policies are objects, not a disclosure policy.
        unless: "pod|pods|psp|network|kubernetes|k8s|opa|gatekeeper|admission|yaml|constraint|constraints|rbac|scc|cluster",
        documents: true,
        offers: &[Offer::Rules(&["repo/security-policy-missing"])],
    },
    Concept {
        id: "sbom",
        when: &["sbom|sboms|bill of materials|cyclonedx|spdx|syft"],
        unless: "",
        documents: false,
        offers: &[Offer::File(
            "**/{*.spdx,*.spdx.json,*.cdx.json,*.cdx.xml,bom.json,bom.xml,sbom.json,sbom*.json}",
        )],
    },
    Concept {
        id: "tls",
        when: &[
            "tls|ssl|mtls|https|certificate|certificates|cert|certs|cert manager|letsencrypt|lets encrypt|acme|hsts|x509",
            "encrypt|encrypted|encryption + in transit|transit|traffic|connection|connections|channel|channels|wire",
            "secure channel|secure channels|secure connection|secure connections",
        ],
        unless: "",
        documents: false,
        offers: &[
            Offer::Rules(&["k8s/ingress-tls", "docker/tls-verification-disabled"]),
            Offer::Probe("tls"),
        ],
    },
    Concept {
        id: "network-policies",
        when: &[
            "network policy|network policies|networkpolicy|networkpolicies|network isolation|network segmentation|microsegmentation|pod to pod|east west|egress|default deny|deny all|namespace isolation|firewall|firewalls|firewall rule|firewall rules",
            "traffic|communication|connection|connections + restrict|restricted|restriction|restrictions|isolate|isolated|isolation|deny|denied|block|blocked|segment|segmented|limit|limited|only",
        ],
        unless: "rate limit|rate limiting",
        documents: false,
        offers: &[Offer::Rules(&["k8s/networkpolicy-missing"])],
    },
    Concept {
        id: "disruption-budgets",
        when: &[
            "disruption budget|disruption budgets|poddisruptionbudget|poddisruptionbudgets|pdb|pdbs|pod disruption|node drain|node drains|drain|drains|eviction|evictions",
            "minimum availability|min availability|available during|availability during + update|updates|upgrade|upgrades|maintenance|rollout|rollouts|drain",
        ],
        unless: "",
        documents: false,
        offers: &[Offer::Rules(&[
            "k8s/pdb-missing",
            "k8s/pdb-blocks-drain",
            "k8s/pdb-selects-nothing",
        ])],
    },
    Concept {
        id: "autoscaling",
        when: &[
            "hpa|hpas|horizontalpodautoscaler|horizontalpodautoscalers|autoscaler|autoscalers|autoscaling|autoscale|auto scaling|auto scale|horizontal scaling|horizontal pod autoscaler|scale up|scale down|scale out|scales up|scales down|scales out|scaled up|scaled out",
            "scale|scales|scaling|scaled + automatic|automatically|automated|traffic|load|demand|cpu|replicas",
        ],
        unless: "vertical|vpa|cluster autoscaling|cluster autoscaler|node autoscaling|vertical scaling",
        documents: false,
        offers: &[Offer::Rules(&[
            "k8s/hpa-target-missing",
            "k8s/single-replica",
        ])],
    },
    Concept {
        id: "replicas",
        when: &[
            "high availability|highly available|replica|replicas|redundancy|redundant|multi zone|multi az|anti affinity|antiaffinity|topology spread|single point of failure|spof",
        ],
        unless: "read replica|read replicas|database|databases|postgres|postgresql|redis|mysql|db|replication",
        documents: false,
        offers: &[Offer::Rules(&["k8s/single-replica", "k8s/pdb-missing"])],
    },
    Concept {
        id: "health-checks",
        when: &[
            "health check|health checks|healthcheck|healthchecks|liveness|readiness|startup probe|startup probes|health endpoint|health endpoints|health probe|health probes|probe|probes|healthy|health",
            "pod|pods|container|containers|service|services + crash|crashing|crashloop|crashloopbackoff|restart count|restarts|running state|are running|all running",
            "pods running|pod running|containers running|services running",
        ],
        unless: "",
        documents: false,
        offers: &[
            Offer::Rules(&[
                "k8s/liveness-probe-missing",
                "k8s/readiness-probe-missing",
                "k8s/probe-port-unknown",
                "compose/healthcheck-missing",
                "docker/healthcheck-missing",
            ]),
            Offer::Probe("http"),
        ],
    },
    Concept {
        id: "authentication",
        when: &[
            "401|403|unauthorized|unauthorised|unauthenticated|forbidden|authentication|authenticated|authenticate|authorization|authorisation|authorized|auth|oidc|oauth|oauth2|jwt|sso|login|logins|bearer|access control|insufficient permission|insufficient permissions|permission bypass|privilege bypass",
        ],
        unless: "",
        documents: false,
        offers: &[Offer::Probe("auth")],
    },
    Concept {
        id: "authentication-switch",
        when: &[
            "auth|authentication + enable|enabled|disable|disabled|default|off|false|true|switch|turn",
        ],
        unless: "",
        documents: false,
        offers: &[Offer::Rules(&["compose/authentication-disabled"])],
    },
    Concept {
        id: "rate-limits",
        when: &[
            "rate limit|rate limits|rate limiting|rate limited|ratelimit|429|throttle|throttling|throttled|too many requests|request quota|request quotas",
        ],
        unless: "",
        documents: false,
        offers: &[Offer::Probe("rate-limit")],
    },
    Concept {
        id: "load",
        when: &[
            "p50|p90|p95|p99|p999|percentile|percentiles|latency|latencies|response time|response times|throughput|rps|qps|requests per second|load test|load tests|load testing|stress test|stress testing|soak test|performance test|performance tests|performance testing|performance baseline|performance baselines|performance validation|performance regression|benchmark|benchmarks|k6|locust|jmeter|gatling|vegeta|wrk|under load|slo|slos|sla|slas|error rate|error rates|expected traffic|peak traffic|traffic spike",
            "concurrent|concurrency + request|requests|user|users|connection|connections|load|session|sessions",
        ],
        unless: "alert|alerts|alerting|dashboard|dashboards|recording rule|recording rules|alert response",
        documents: false,
        offers: &[Offer::Probe("load")],
    },
    Concept {
        id: "availability",
        when: &[
            "uptime|availability target|availability slo",
            "99 9|99 95|99 99 + availability|available|uptime",
            "environment|staging|endpoint|endpoints|api|service|services|site + available|reachable|up and running|responds|respond|responding|online",
        ],
        unless: "",
        documents: false,
        offers: &[Offer::Probe("http")],
    },
    Concept {
        id: "backups",
        when: &[
            "backup|backups|back up|backed up|restore|restores|restored|restoring|restoration|disaster recovery|point in time recovery|pitr|snapshot|snapshots|recovery time objective|recovery point objective|rto|rpo|dr drill|dr procedure|dr procedures|dr test",
        ],
        unless: "branch|git|master|main branch|repository backup",
        documents: false,
        offers: &[Offer::Probe("backup-drill")],
    },
    Concept {
        id: "non-root",
        when: &[
            "non root|nonroot|rootless|run as root|runs as root|running as root|as root|root user|root users|unprivileged user|runasnonroot|runasuser|run as non root|uid",
        ],
        unless: "",
        documents: false,
        offers: &[Offer::Rules(&[
            "k8s/run-as-non-root",
            "k8s/run-as-root-user",
            "docker/final-stage-root-user",
            "compose/run-as-root-user",
        ])],
    },
    Concept {
        id: "read-only-filesystem",
        when: &[
            "read only root|readonly root|read only filesystem|readonly filesystem|read only file system|readonlyrootfilesystem|immutable filesystem|root filesystem|writable filesystem|writable root",
            "filesystem|filesystems|file system|rootfs|root fs + read only|readonly|immutable|write|writable|writes",
        ],
        unless: "",
        documents: false,
        offers: &[Offer::Rules(&[
            "k8s/read-only-root-filesystem",
            "compose/read-only-root-filesystem",
        ])],
    },
    Concept {
        id: "privileges",
        when: &[
            "privileged|privilege escalation|allowprivilegeescalation|dropped capabilities|drop capabilities|linux capabilities|dangerous capabilities|capabilities all|all capabilities|drop all|cap add|cap drop|net raw|sys admin|net admin|security context|security contexts|securitycontext|seccomp|apparmor|selinux|pod security|psp|pss|scc|no new privileges|container hardening|hardened container|hardened containers",
        ],
        unless: "",
        documents: false,
        offers: &[Offer::Rules(&[
            "k8s/privileged-container",
            "k8s/privilege-escalation",
            "k8s/capabilities-drop-all",
            "k8s/dangerous-capability",
            "k8s/seccomp-profile",
            "compose/privileged",
            "compose/no-new-privileges",
            "compose/dangerous-capability",
            "compose/security-profile-disabled",
        ])],
    },
    Concept {
        id: "host-isolation",
        when: &[
            "host network|hostnetwork|host pid|hostpid|host ipc|hostipc|hostpath|host path|docker socket|docker sock|runtime socket|host port|hostport|host namespace|host namespaces",
        ],
        unless: "",
        documents: false,
        offers: &[Offer::Rules(&[
            "k8s/host-network",
            "k8s/host-pid",
            "k8s/host-ipc",
            "k8s/host-path-volume",
            "k8s/host-port",
            "k8s/docker-socket-mount",
            "compose/host-network",
            "compose/host-pid",
            "compose/host-ipc",
            "compose/host-path-mount",
            "compose/docker-socket-mount",
        ])],
    },
    Concept {
        id: "rbac",
        when: &[
            "rbac|role binding|role bindings|rolebinding|rolebindings|clusterrole|clusterroles|cluster role|cluster roles|service account|service accounts|serviceaccount|serviceaccounts|least privilege|minimal permission|minimal permissions|minimal required permissions|cluster admin|wildcard permission|wildcard permissions",
        ],
        unless: "database user|database users|db user",
        documents: false,
        offers: &[Offer::Rules(&[
            "k8s/rbac-wildcard",
            "k8s/cluster-admin-binding",
            "k8s/service-account-token-mounted",
        ])],
    },
    Concept {
        id: "namespaces",
        when: &["namespace|namespaces"],
        unless: "",
        documents: false,
        offers: &[Offer::Rules(&[
            "k8s/default-namespace",
            "k8s/namespace-missing",
        ])],
    },
    Concept {
        id: "manifests",
        when: &[
            "manifest|manifests + kubernetes|k8s|kube|kubectl|valid|validate|validated|validation|schema|lint|dry run",
            "kubeconform|kubeval|kompose|dry run|kubernetes yaml|k8s yaml|kubernetes objects|kubernetes resources",
            "deprecated api|deprecated apis|removed api|removed apis|api version|api versions|apiversion|api deprecation|api deprecations",
        ],
        unless: "",
        documents: false,
        offers: &[Offer::Rules(&[
            "k8s/schema-invalid",
            "k8s/schema-unknown-field",
            "k8s/removed-api",
            "k8s/deprecated-api",
            "yaml/*",
        ])],
    },
    Concept {
        id: "ingress",
        when: &["ingress|ingresses"],
        unless: "",
        documents: false,
        offers: &[Offer::Rules(&[
            "k8s/ingress-tls",
            "k8s/ingress-service-missing",
        ])],
    },
    Concept {
        id: "helm",
        when: &["helm|helm chart|helm charts|chart yaml|values yaml|subchart|subcharts"],
        unless: "",
        documents: false,
        offers: &[Offer::Rules(&["helm/*"])],
    },
    Concept {
        id: "kustomize",
        when: &["kustomize|kustomization|kustomizations|overlay|overlays"],
        unless: "",
        documents: false,
        offers: &[Offer::Rules(&["kustomize/*"])],
    },
    Concept {
        id: "compose",
        when: &[
            "docker compose|compose file|compose files|compose yaml|compose yml|compose override|compose overrides|compose stack|compose project",
        ],
        unless: "",
        documents: false,
        offers: &[Offer::Rules(&["compose/*"])],
    },
    Concept {
        id: "dockerfiles",
        when: &[
            "dockerfile|dockerfiles|multi stage|multistage|base image|base images|layer caching|docker best practices|container best practices|image hardening",
        ],
        unless: "",
        documents: false,
        offers: &[Offer::Rules(&["docker/*"])],
    },
    Concept {
        id: "image-builds",
        when: &[
            "image|images|container|containers + build|builds|built|building",
            "docker build|image build|image builds|container build|container builds",
        ],
        unless: "",
        documents: false,
        offers: &[Offer::Command],
    },
    Concept {
        id: "ci",
        when: &[
            "ci|ci cd|continuous integration|continuous delivery|continuous deployment|github action|github actions|gitlab ci|jenkins|jenkinsfile|circleci|azure pipelines|buildkite|workflow file|workflow files",
            "pipeline|pipelines + green|pass|passes|passing|cd|build|builds|deploy|deployment|deployments|release|test|tests|testing|lint|job|jobs|pull request|pull requests|pr|push|merge",
            "workflow|workflows + ci|cd|deploy|deployment|deployments|release|releases|job|jobs|pull request|pull requests|pr|push|trigger|triggers",
        ],
        unless: "",
        documents: false,
        offers: &[Offer::Rules(&["workflows/*"])],
    },
    Concept {
        id: "tests",
        when: &[
            "unit test|unit tests|integration test|integration tests|integration testing|test suite|test suites|e2e|end to end|pytest|jest|cargo test|go test|npm test|mocha|junit|test coverage|code coverage|coverage threshold|coverage thresholds|coverage report|coverage reporting",
            "test pass|tests pass|tests passing|test passing|test failures|test failure|pass rate|tests green",
        ],
        unless: "",
        documents: false,
        offers: &[Offer::Command],
    },
    Concept {
        id: "static-analysis",
        when: &[
            "lint|linter|linters|linting|ruff|eslint|flake8|pylint|clippy|golangci|static analysis|sast|sonarqube|sonar|codeql|semgrep|type check|type checking|typecheck|mypy|code quality|code formatting|formatter|format check|isort|prettier|code scanning|hadolint|shellcheck",
        ],
        unless: "",
        documents: false,
        offers: &[Offer::Command],
    },
    Concept {
        id: "vulnerability-scanning",
        when: &[
            "dependency|dependencies|package|packages|image|images|container|containers|base image|base images + scan|scanning|scanned|vulnerability|vulnerabilities|vulnerable|audit|cve|cves|check",
            "dependabot|snyk|owasp dependency|npm audit|pip audit|cargo audit|osv|grype|trivy|cve|cves|vulnerability scan|vulnerability scanning|vulnerability assessment|vulnerability management|security scan|security scanning|security scans|container scanning|image scanning|clair|anchore|scout",
        ],
        unless: "",
        documents: false,
        offers: &[Offer::Command],
    },
    Concept {
        id: "dependency-updates",
        when: &[
            "dependabot|renovate|renovatebot",
            "dependency update|dependency updates + automation|automated|automatic|bot",
        ],
        unless: "",
        documents: false,
        offers: &[Offer::File(
            "{.github/dependabot.yml,.github/dependabot.yaml,renovate.json,renovate.json5,.github/renovate.json,.github/renovate.json5,.renovaterc,.renovaterc.json}",
        )],
    },
    Concept {
        id: "lockfiles",
        when: &[
            "lock file|lock files|lockfile|lockfiles|dependency lock|dependency locks|package lock|cargo lock|poetry lock|yarn lock|pnpm lock|gemfile lock|go sum",
            "pin|pinned|pinning|lock|locked|locks|freeze|frozen + dependency|dependencies|requirement|requirements|package|packages|version|versions",
        ],
        unless: "image|images|tag|tags|docker|container|containers",
        documents: false,
        offers: &[Offer::Rules(&[
            "repo/lockfile-missing",
            "repo/cargo-lock-missing",
            "repo/dependency-unpinned",
            "helm/dependencies-locked",
        ])],
    },
    Concept {
        id: "signing",
        when: &[
            "cosign|sigstore|slsa|provenance|notary|in toto",
            "sign|signed|signing|signature|signatures + image|images|container|containers|artifact|artifacts|manifest|manifests|build|builds|release|releases",
        ],
        unless: "sign off|signoff",
        documents: false,
        offers: &[Offer::Command],
    },
    Concept {
        id: "changelog",
        when: &["changelog|changelogs|change log|release note|release notes|news file"],
        unless: "",
        documents: true,
        offers: &[Offer::Rules(&["repo/changelog-missing"])],
    },
    Concept {
        id: "readme",
        when: &["readme"],
        unless: "",
        documents: true,
        offers: &[Offer::Rules(&["repo/readme-missing"])],
    },
    Concept {
        id: "code-owners",
        when: &["codeowners|code owners|code owner"],
        unless: "",
        documents: true,
        offers: &[Offer::Rules(&["repo/codeowners-missing"])],
    },
    Concept {
        id: "dockerignore",
        when: &["dockerignore|docker ignore|build context"],
        unless: "",
        documents: false,
        offers: &[Offer::Rules(&[
            "repo/dockerignore-missing",
            "repo/dockerignore-incomplete",
        ])],
    },
    Concept {
        id: "development-mode",
        when: &[
            "dev mode|development mode|debug mode|start dev|debug true|debug enabled|debug flag|dev server",
        ],
        unless: "",
        documents: false,
        offers: &[Offer::Rules(&["compose/development-mode"])],
    },
    Concept {
        id: "metrics-endpoint",
        when: &[
            "metric|metrics + expose|exposed|exposes|endpoint|endpoints|scrape|scraped|scraping|collect|collected|collection|prometheus|export|exported|exporter|instrument|instrumented|instrumentation",
            "application metrics|app metrics|service metrics",
        ],
        unless: "dashboard|dashboards|alert|alerts|alerting",
        documents: false,
        offers: &[Offer::Probe("http")],
    },
    Concept {
        id: "smoke-tests",
        when: &[
            "smoke test|smoke tests|smoke testing|synthetic check|synthetic checks|synthetic monitoring|service connectivity|connectivity check|connectivity checks",
        ],
        unless: "",
        documents: false,
        offers: &[Offer::Probe("http")],
    },
    Concept {
        id: "security-headers",
        when: &[
            "security header|security headers|hsts|csp|content security policy|cors|x frame options|response headers",
        ],
        unless: "",
        documents: false,
        offers: &[Offer::Probe("headers")],
    },
    Concept {
        id: "idempotency",
        when: &[
            "idempotent|idempotency|idempotence|replayed request|replayed requests|duplicate request|duplicate requests",
        ],
        unless: "",
        documents: false,
        offers: &[Offer::Probe("idempotency")],
    },
    Concept {
        id: "dynamic-security-testing",
        when: &[
            "owasp zap|zap scan|zap|dast|penetration test|penetration testing|pentest|pen test|burp|nikto|injection|injections|fuzzing",
        ],
        unless: "",
        documents: false,
        offers: &[Offer::Command],
    },
    Concept {
        id: "published-images",
        when: &[
            "image|images + registry|registries|pushed|published",
            "push to registry|pushed to registry|registry push",
        ],
        unless: "document|documented",
        documents: false,
        offers: &[Offer::Command],
    },
    Concept {
        id: "release-tags",
        when: &[
            "git tag|git tags|release tag|release tags|version tag|version tags|tag pushed|tags pushed|push tag|push tags|tags created|tag created|signed tag",
            "publish release|release published|github release|gitlab release",
        ],
        unless: "image|images",
        documents: false,
        offers: &[Offer::Command],
    },
    Concept {
        id: "monitoring-objects",
        when: &[
            "servicemonitor|servicemonitors|service monitor|service monitors|podmonitor|podmonitors|prometheusrule|prometheusrules",
        ],
        unless: "",
        documents: false,
        offers: &[Offer::Rules(&[
            "k8s/schema-invalid",
            "k8s/schema-unknown-field",
        ])],
    },
    Concept {
        id: "monitoring-config",
        when: &[
            "prometheusrule|prometheusrules|recording rule|recording rules|alerting rule|alerting rules|alert rule|alert rules|scrape config|scrape configs|alertmanager config|alertmanager configuration|alert routing|alerting configuration",
            "alert|alerts + fire|fires|firing|tested|test|simulate",
            "prometheus|alertmanager + valid|validate|validated|lint|check",
        ],
        unless: "",
        documents: false,
        offers: &[Offer::Command],
    },
    Concept {
        id: "kubernetes-objects",
        when: &[
            "statefulset|statefulsets|daemonset|daemonsets|cronjob|cronjobs|configmap|configmaps|persistentvolumeclaim|persistentvolumeclaims|pvc|pvcs|persistent volume|persistent volumes|k8s deployment|k8s deployments|kubernetes deployment|kubernetes deployments",
        ],
        unless: "",
        documents: false,
        offers: &[Offer::Rules(&["k8s/*"])],
    },
    Concept {
        id: "rollout",
        when: &[
            "kubectl apply|kubectl rollout|rollout status|helm install|helm upgrade",
            "deploy|deployed|deploying + kubectl|statefulset|daemonset|k8s deployment|kubernetes deployment|k8s deployments|kubernetes deployments",
        ],
        unless: "",
        documents: false,
        offers: &[Offer::Command],
    },
    Concept {
        id: "database-checks",
        when: &[
            "verify|verified|check|test|tested|confirm|ensure + table|tables|function|functions|schema|schemas|migration|migrations|query|queries|stream|streams|consumer|consumers|queue|queues|topic|topics",
        ],
        unless: "",
        documents: false,
        offers: &[Offer::Command],
    },
    Concept {
        id: "api-contract",
        when: &[
            "openapi|swagger|api spec|api specification|api schema|contract test|contract tests|contract testing|schemathesis|dredd|pact",
            "api documentation|api docs + match|matches|actual|accurate|endpoint|endpoints",
        ],
        unless: "",
        documents: false,
        offers: &[Offer::Command],
    },
    Concept {
        id: "infrastructure-as-code",
        when: &["terraform|opentofu|pulumi|cloudformation|infrastructure as code|iac|bicep"],
        unless: "",
        documents: false,
        offers: &[Offer::Command],
    },
];

/// A concept with its phrases reduced to stems.
struct Compiled {
    concept: &'static Concept,
    /// Patterns, each of groups, each of alternative phrases' stems.
    patterns: Vec<Vec<Vec<Vec<String>>>>,
    unless: Vec<Vec<String>>,
}

fn phrases(text: &str) -> Vec<Vec<String>> {
    text.split('|')
        .map(stems)
        .filter(|p| !p.is_empty())
        .collect()
}

static COMPILED: LazyLock<Vec<Compiled>> = LazyLock::new(|| {
    CATALOGUE
        .iter()
        .map(|concept| Compiled {
            concept,
            patterns: concept
                .when
                .iter()
                .map(|pattern| pattern.split('+').map(phrases).collect())
                .collect(),
            unless: phrases(concept.unless),
        })
        .collect()
});

/// Verbs that make an item about writing something down rather than about
/// the thing itself, when they lead the item.
const DOCUMENT_VERBS: &[&str] = &["document", "describe", "explain", "write up", "draft"];

/// Nouns that make an item about writing something down, wherever they are.
const DOCUMENT_NOUNS: &[&str] = &[
    "documentation",
    "docs",
    "guide",
    "guides",
    "runbook",
    "runbooks",
    "playbook",
    "playbooks",
    "procedure",
    "procedures",
    "instructions",
    "diagram",
    "diagrams",
    "tutorial",
    "wiki",
];

/// Words that make a documentation item testable again.
const TESTING_WORDS: &[&str] = &[
    "test",
    "tested",
    "testing",
    "verify",
    "verified",
    "validate",
    "validated",
    "check",
    "checked",
    "enforce",
    "enforced",
    "scan",
    "automated",
    "automatic",
    "automation",
    "drill",
];

/// Whether an item asks for writing rather than for a property that a check
/// could observe: "Document the rollback", "Troubleshooting guide".
pub fn about_writing(text: &str) -> bool {
    let body = match text.split_once(':') {
        Some((label, rest)) if label.split_whitespace().count() <= 4 && !rest.trim().is_empty() => {
            rest
        }
        _ => text,
    };
    let lead = stems(body);
    let all = stems(text);
    let verb = DOCUMENT_VERBS.iter().any(|v| {
        let v = stems(v);
        lead.len() >= v.len() && lead[..v.len()] == v[..]
    });
    let noun = DOCUMENT_NOUNS.iter().any(|n| has_phrase(&all, n));
    (verb || noun) && !TESTING_WORDS.iter().any(|w| has_phrase(&all, w))
}

static ENV_FILE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:^|[\s(`'"])\.env(?:\.[a-z]+)?(?:$|[\s)`'",.])"#).expect("valid")
});

/// The ids of the concepts an item's text meets, in catalogue order.
pub fn concepts(text: &str) -> Vec<&'static str> {
    let stems = stems(text);
    let writing = about_writing(text);
    // `.env` loses its dot to the tokenizer; it is recognised on the text.
    let env_file = ENV_FILE.is_match(&text.to_lowercase());
    COMPILED
        .iter()
        .filter(|c| c.concept.documents || !writing)
        .filter(|c| !c.unless.iter().any(|p| contains(&stems, p)))
        .filter(|c| {
            (env_file && c.concept.id == "env-files")
                || c.patterns.iter().any(|groups| {
                    groups
                        .iter()
                        .all(|group| group.iter().any(|p| contains(&stems, p)))
                })
        })
        .map(|c| c.concept.id)
        .collect()
}

/// Every concept of the catalogue with the checks it proposes, for
/// documentation and for tests that the rule ids exist.
pub fn catalogue() -> Vec<(&'static str, Vec<Suggested>)> {
    CATALOGUE
        .iter()
        .map(|c| (c.id, c.offers.iter().flat_map(|o| expand(*o)).collect()))
        .collect()
}

fn expand(offer: Offer) -> Vec<Suggested> {
    match offer {
        Offer::Rules(rules) => rules
            .iter()
            .map(|r| Suggested::Rule {
                pattern: (*r).to_owned(),
                paths: Vec::new(),
            })
            .collect(),
        Offer::Probe(kind) => vec![Suggested::Probe { kind: kind.into() }],
        Offer::Command => vec![Suggested::Command { argv: None }],
        Offer::File(path) => vec![Suggested::File { path: path.into() }],
    }
}

/// The checks proposed for an item, without repeats.
pub fn suggest(text: &str) -> Vec<Suggested> {
    suggest_in(text, None)
}

/// The checks proposed for an item whose parent item names `folder`
/// (ending with `/`): a bare file name in the item is taken to live there.
pub fn suggest_in(text: &str, folder: Option<&str>) -> Vec<Suggested> {
    let mut out: Vec<Suggested> = Vec::new();
    let push = |s: Suggested, out: &mut Vec<Suggested>| {
        if !out.contains(&s) {
            out.push(s);
        }
    };
    for (path, pack) in created_files(text, folder) {
        push(Suggested::File { path: path.clone() }, &mut out);
        if let Some(pack) = pack {
            let scope = path.trim_start_matches("**/").to_owned();
            push(
                Suggested::Rule {
                    pattern: format!("{pack}/*"),
                    paths: if path.starts_with("**/") {
                        Vec::new()
                    } else {
                        vec![scope]
                    },
                },
                &mut out,
            );
        }
    }
    // A command the item quotes stands in for the generic "a command".
    let quoted = quoted_commands(text);
    let ids = concepts(&without_folders(text));
    for concept in CATALOGUE.iter().filter(|c| ids.contains(&c.id)) {
        for offer in concept.offers {
            if matches!(offer, Offer::Command) && !quoted.is_empty() {
                continue;
            }
            for s in expand(*offer) {
                push(s, &mut out);
            }
        }
    }
    for argv in quoted {
        push(Suggested::Command { argv: Some(argv) }, &mut out);
    }
    out
}

/// Turns suggestions into checks. Commands that are still to be written, or
/// that quote placeholders (`<image>`), cannot run as they are: their labels
/// are returned apart, for an attestation to mention.
pub fn checks_for(suggestions: &[Suggested]) -> (Vec<Check>, Vec<String>) {
    let mut checks = Vec::new();
    let mut pending = Vec::new();
    let mut rule_groups: Vec<(Vec<String>, Vec<String>)> = Vec::new();
    for s in suggestions {
        if let Suggested::Rule { pattern, paths } = s {
            match rule_groups.iter_mut().find(|(p, _)| p == paths) {
                Some((_, rules)) => rules.push(pattern.clone()),
                None => rule_groups.push((paths.clone(), vec![pattern.clone()])),
            }
        }
    }
    for (paths, rules) in rule_groups {
        checks.push(Check::new(CheckKind::Rules(RulesCheck {
            rules,
            paths,
            max: MaxFindings::default(),
        })));
    }
    for s in suggestions {
        match s {
            Suggested::Rule { .. } => {}
            Suggested::File { path } => checks.push(Check::new(CheckKind::File(FileCheck {
                path: path.clone(),
                exists: true,
                matches: None,
            }))),
            Suggested::Command { argv: Some(argv) }
                if !argv.iter().any(|a| a.contains('<') || a.contains('$')) =>
            {
                checks.push(Check::new(CheckKind::Command(CommandCheck {
                    argv: argv.clone(),
                    timeout: CommandCheck::DEFAULT_TIMEOUT,
                    exit_code: 0,
                    workdir: None,
                })))
            }
            Suggested::Command { .. } => pending.push(s.label()),
            Suggested::Probe { kind } => checks.push(Check::new(CheckKind::Probe(ProbeCheck {
                kind: kind.clone(),
                options: toml::Table::new(),
            }))),
        }
    }
    (checks, pending)
}

static PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<[A-Za-z0-9_.-]+>").expect("valid"));

/// The item's prose: paths with folders say where things are, not what they
/// are, and their words (`deployment/k8s/...`) would read as concepts.
fn without_folders(text: &str) -> String {
    let spans = CODE_SPAN.replace_all(text, |c: &regex::Captures| {
        let inner = c[1].trim();
        if inner.contains('/') && looks_like_path(inner) {
            String::from(" ")
        } else {
            c[0].to_owned()
        }
    });
    FOLDER_PATH.replace_all(&spans, " ").into_owned()
}

static FOLDER_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|\s)\.?/?[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]*\.[A-Za-z0-9]+\b").expect("valid")
});

static CODE_SPAN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"`([^`]+)`").expect("valid"));

static BARE_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)(?:^|[\s(\[,])
        ( (?:\.?[A-Za-z0-9_][A-Za-z0-9_.-]*/)*
          (?: [A-Za-z0-9_.-]+\.(?:ya?ml|json|toml|md|sh|py|tf|hcl|conf|cfg|ini|sql|js|ts|tpl|xml|lock|properties|env)
            | Dockerfile(?:\.[A-Za-z0-9_-]+)? | [A-Za-z0-9_.-]+\.[Dd]ockerfile
            | LICENSE | LICENCE | CODEOWNERS | Makefile | Jenkinsfile | Procfile
            | \.dockerignore | \.gitignore ) )
        (?:$|[\s),.:;\]])",
    )
    .expect("valid")
});

/// Verbs that bring a file into being.
const CREATING: &[&str] = &[
    "create",
    "add",
    "write",
    "generate",
    "provide",
    "include",
    "implement",
    "commit",
    "set up",
    "setup",
    "define",
    "introduce",
    "ship",
    "publish",
    "produce",
    "prepare",
    "deliver",
];

/// Files the item says it creates, each with the pack that judges such a
/// file. A bare file name, with no folder, may be anywhere.
fn created_files(text: &str, folder: Option<&str>) -> Vec<(String, Option<&'static str>)> {
    let trimmed = text.trim();
    let first_word = stems(trimmed).into_iter().next().unwrap_or_default();
    let creating = CREATING.iter().any(|v| {
        let s = stems(v);
        s.len() == 1 && s[0] == first_word
    }) || stems(trimmed)
        .get(..2)
        .is_some_and(|two| two == ["set", "up"]);

    let mut candidates: Vec<(usize, String)> = Vec::new();
    for m in CODE_SPAN.captures_iter(trimmed) {
        let span = m.get(1).expect("group");
        let inner = span.as_str().trim();
        if looks_like_path(inner) {
            candidates.push((m.get(0).expect("match").start(), inner.to_owned()));
        }
    }
    let without_code = CODE_SPAN.replace_all(trimmed, |c: &regex::Captures| " ".repeat(c[0].len()));
    for m in BARE_PATH.captures_iter(&without_code) {
        let path = m.get(1).expect("group");
        if !path.as_str().contains("://") {
            candidates.push((path.start(), path.as_str().to_owned()));
        }
    }
    candidates.sort();

    let mut out = Vec::new();
    for (offset, path) in candidates {
        let at_start = offset <= 1;
        // "Helm Charts (`charts/web/`)": a short title naming its file.
        let titled = trimmed[..offset].trim_end().ends_with('(')
            && trimmed[..offset].split_whitespace().count() <= 5;
        if !(creating || at_start || titled) {
            continue;
        }
        let path = path.trim_start_matches("./").trim_start_matches('/');
        if path.is_empty() {
            continue;
        }
        let path = match folder {
            _ if path.contains('/') => path.to_owned(),
            Some(folder) => format!("{folder}{path}"),
            None => format!("**/{path}"),
        };
        let pack = pack_of(&path);
        if !out.iter().any(|(p, _)| p == &path) {
            out.push((path, pack));
        }
    }
    out
}

fn looks_like_path(text: &str) -> bool {
    let text = text.strip_prefix('/').unwrap_or(text);
    if text.contains(char::is_whitespace) || text.contains("://") || text.starts_with('-') {
        return false;
    }
    if text.ends_with('/') && text.len() > 1 {
        return text
            .trim_end_matches('/')
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'));
    }
    BARE_PATH.is_match(text)
}

/// The pack whose rules judge a file at `path`.
fn pack_of(path: &str) -> Option<&'static str> {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').find(|s| !s.is_empty()).unwrap_or(&lower);
    // The folders a file sits in; a folder named on its own is one of them.
    let folders: Vec<&str> = if lower.ends_with('/') {
        lower.split('/').filter(|s| !s.is_empty()).collect()
    } else {
        lower
            .split('/')
            .filter(|s| !s.is_empty())
            .rev()
            .skip(1)
            .collect()
    };
    let yaml = name.ends_with(".yaml") || name.ends_with(".yml");
    if name.starts_with("dockerfile") || name.ends_with(".dockerfile") {
        Some("docker")
    } else if (name.starts_with("docker-compose") || name.starts_with("compose")) && yaml {
        Some("compose")
    } else if lower.contains(".github/workflows") {
        Some("workflows")
    } else if name == "chart.yaml" || lower.contains("helm/") || lower.contains("charts/") {
        Some("helm")
    } else if lower.contains("kustomiz") {
        Some("kustomize")
    } else if (yaml || lower.ends_with('/'))
        && ["k8s", "kubernetes", "manifests", "deploy", "kube"]
            .iter()
            .any(|dir| folders.iter().any(|part| part.starts_with(dir)))
    {
        Some("k8s")
    } else {
        None
    }
}

/// Commands quoted in the item that only look at things: a build, a test,
/// a scan, a read. Commands that change the world (`kubectl apply`,
/// `docker push`, a migration) are never offered as checks.
fn quoted_commands(text: &str) -> Vec<Vec<String>> {
    CODE_SPAN
        .captures_iter(text)
        .filter_map(|c| {
            let command = c[1].trim();
            let operators = PLACEHOLDER.replace_all(command, "");
            if operators.contains(['|', '>', '<', ';', '&']) {
                return None;
            }
            let argv = split_words(command)?;
            verifies(&argv).then_some(argv)
        })
        .collect()
}

fn split_words(text: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in text.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => word.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                any = true;
            }
            None if c.is_whitespace() => {
                if any || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                    any = false;
                }
            }
            None => word.push(c),
        }
    }
    if quote.is_some() {
        return None;
    }
    if any || !word.is_empty() {
        words.push(word);
    }
    (!words.is_empty()).then_some(words)
}

fn verifies(argv: &[String]) -> bool {
    let args: Vec<&str> = argv.iter().map(String::as_str).collect();
    let sub = |i: usize| args.get(i).copied().unwrap_or("");
    if args.iter().any(|a| a.starts_with("--dry-run")) {
        return true;
    }
    match sub(0) {
        "kubectl" | "oc" => {
            matches!(
                sub(1),
                "get" | "describe" | "top" | "diff" | "auth" | "wait" | "version"
            ) || (sub(1) == "rollout" && sub(2) == "status")
        }
        "helm" => matches!(
            sub(1),
            "lint" | "template" | "test" | "status" | "list" | "ls" | "diff"
        ),
        "docker" => match sub(1) {
            "build" | "inspect" | "scout" => true,
            "image" | "manifest" => sub(2) == "inspect",
            "compose" => sub(2) == "config",
            "buildx" => sub(2) == "build" && !args.contains(&"--push"),
            _ => false,
        },
        "docker-compose" => sub(1) == "config",
        "trivy" | "grype" | "syft" | "hadolint" | "kubeconform" | "kubeval" | "kube-score"
        | "kube-linter" | "checkov" | "conftest" | "polaris" | "shipgate" | "ruff" | "mypy"
        | "eslint" | "pytest" | "jest" | "tox" | "nox" | "shellcheck" | "gitleaks"
        | "trufflehog" | "detect-secrets" | "pip-audit" | "k6" | "hey" | "wrk" | "ab"
        | "vegeta" | "locust" | "promtool" | "amtool" | "semgrep" | "bandit" | "flake8"
        | "pylint" | "black" | "isort" | "prettier" | "tflint" => true,
        "cosign" => sub(1) == "verify" || sub(1) == "verify-attestation",
        "cargo" => {
            matches!(
                sub(1),
                "test" | "clippy" | "check" | "audit" | "deny" | "build" | "nextest"
            ) || (sub(1) == "fmt" && args.contains(&"--check"))
        }
        "go" => matches!(sub(1), "test" | "vet" | "build"),
        "npm" | "pnpm" | "yarn" => {
            matches!(sub(1), "test" | "audit" | "ci" | "lint")
                || (sub(1) == "run" && matches!(sub(2), "test" | "lint" | "build" | "typecheck"))
        }
        "make" => matches!(sub(1), "test" | "lint" | "check" | "build" | "verify"),
        "python" | "python3" => {
            sub(1) == "-m" && matches!(sub(2), "pytest" | "mypy" | "ruff" | "unittest")
        }
        "nats" => matches!(
            (sub(1), sub(2)),
            ("stream" | "consumer", "ls" | "list" | "info") | ("server", "check")
        ),
        "curl" => {
            !args.iter().any(|a| {
                matches!(
                    *a,
                    "-d" | "--data" | "--data-raw" | "-F" | "--form" | "-T" | "--upload-file"
                )
            }) && !args.windows(2).any(|w| {
                matches!(w[0], "-X" | "--request") && !matches!(w[1], "GET" | "HEAD" | "OPTIONS")
            })
        }
        "openssl" => sub(1) == "s_client" || sub(1) == "verify" || sub(1) == "x509",
        "redis-cli" => args
            .iter()
            .any(|a| matches!(a.to_ascii_lowercase().as_str(), "ping" | "info")),
        "terraform" | "tofu" => {
            matches!(sub(1), "validate" | "plan") || (sub(1) == "fmt" && args.contains(&"-check"))
        }
        "git" => {
            matches!(sub(1), "verify-tag" | "verify-commit")
                || (sub(1) == "tag" && matches!(sub(2), "-v" | "--verify" | "-l" | "--list"))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(text: &str) -> Vec<String> {
        suggest(text).iter().map(Suggested::label).collect()
    }

    #[test]
    fn quoted_commands_are_offered_only_when_they_only_look() {
        assert_eq!(
            labels("Verify HPA active: `kubectl get hpa -n shop`")
                .iter()
                .filter(|l| l.starts_with("command"))
                .collect::<Vec<_>>(),
            ["command:kubectl get hpa -n shop"]
        );
        for text in [
            "Apply RBAC: `kubectl apply -f rbac.yaml`",
            "Push: `docker push registry/app:1.2`",
            "Migrate: `psql -f migrations/001.sql`",
            "Reset: `curl -X POST https://x/reset`",
        ] {
            assert!(
                !labels(text).iter().any(|l| l.starts_with("command:")),
                "{text}: {:?}",
                labels(text)
            );
        }
    }

    #[test]
    fn files_the_item_creates_get_file_checks_and_their_pack() {
        assert_eq!(
            labels("Create k8s/hpa.yaml for the Horizontal Pod Autoscaler")[..2],
            ["file:k8s/hpa.yaml", "k8s/*"]
        );
        assert_eq!(
            labels("`/deployment/Dockerfile.prod` - multi-stage production image")[..2],
            ["file:deployment/Dockerfile.prod", "docker/*"]
        );
        assert_eq!(
            labels("Add SECURITY.md with the disclosure process")[0],
            "file:**/SECURITY.md"
        );
        assert_eq!(
            labels("GitHub workflows (`.github/workflows/`)")[..2],
            ["file:.github/workflows/", "workflows/*"]
        );
        // Running or fixing something in a file does not create it.
        for text in [
            "Run `scripts/migrate.sh` against staging",
            "Fix lint errors in `hooks.py`",
        ] {
            assert!(
                !labels(text).iter().any(|l| l.starts_with("file:")),
                "{text}"
            );
        }
    }

    #[test]
    fn commands_with_placeholders_wait_for_a_person() {
        let (checks, pending) = checks_for(&suggest("Scan images: `trivy image <image>`"));
        assert!(
            checks
                .iter()
                .all(|c| !matches!(c.kind, CheckKind::Command(_)))
        );
        assert_eq!(pending, ["command:trivy image <image>"]);
    }
}
