//! Rules over relations between objects: disruption budgets, network
//! policies, Services, Ingresses and autoscalers to the workloads they serve.

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};

use shipgate_core::{Alias, Category, Example, RuleMeta, Severity, Tool};

use crate::k8s::cluster::is_network_policy;
use crate::k8s::{Cluster, ClusterSink, LabelSelector, NamespaceFacts, ObjectInfo, Workload};
use crate::{Check, RuleDef};

pub(super) const RULES: &[RuleDef] = &[
    PDB_MISSING,
    PDB_BLOCKS_DRAIN,
    PDB_SELECTS_NOTHING,
    NETWORKPOLICY_MISSING,
    SERVICE_SELECTS_NOTHING,
    SERVICE_TARGET_PORT_UNKNOWN,
    INGRESS_SERVICE_MISSING,
    HPA_TARGET_MISSING,
    SINGLE_REPLICA,
];

const NSA_CISA: &str = "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF";

/// Workload kinds a PodDisruptionBudget is meant for: replicated, long-running.
const REPLICATED: &[&str] = &["Deployment", "StatefulSet", "ReplicaSet"];

const PDB_MISSING: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/pdb-missing",
        title: "Replicated workloads are covered by a PodDisruptionBudget",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "Node drains during upgrades and autoscaling evict pods without regard for \
            the service they form. A PodDisruptionBudget tells the eviction API how many \
            replicas must stay up, so routine maintenance does not become an outage.",
        remediation: "Add a PodDisruptionBudget whose selector matches the pod template's \
            labels:\n\n```yaml\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  \
            name: api\nspec:\n  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app: api\n```",
        references: &["https://kubernetes.io/docs/tasks/run-application/configure-pdb/"],
        aliases: &[
            Alias::new(Tool::KubeScore, "deployment-has-poddisruptionbudget"),
            Alias::new(Tool::KubeScore, "statefulset-has-poddisruptionbudget"),
            Alias::new(Tool::KubeLinter, "pod-disruption-budget"),
            Alias::new(Tool::Polaris, "missingPodDisruptionBudget"),
        ],
        enabled_by_default: true,
        failing: Example {
            file: "api.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  replicas: 3
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
",
        },
        passing: Example {
            file: "api.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  replicas: 3
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: api
  namespace: shop
spec:
  maxUnavailable: 1
  selector:
    matchLabels: {app: api}
",
        },
    },
    check: Check::Cluster(pdb_missing),
};

fn pdb_missing(cluster: &Cluster, sink: &mut ClusterSink<'_>) {
    for ns in Namespace::all(cluster) {
        let mut covered = vec![false; ns.workloads.len()];
        for pdb in ns.of_kind("PodDisruptionBudget") {
            if let Some((selector, _)) = pdb.selector.as_deref() {
                for i in ns.selected(selector) {
                    covered[i] = true;
                }
            }
        }
        for (i, (object, workload)) in ns.workloads.iter().enumerate() {
            if covered[i]
                || !REPLICATED.contains(&object.kind.as_str())
                || workload.replicas.unwrap_or(1) < 2
            {
                continue;
            }
            let name = object.name.as_deref().unwrap_or("?");
            sink.object(
                object,
                format!(
                    "{} `{name}` runs {} replicas but no PodDisruptionBudget selects its pods",
                    object.kind,
                    workload.replicas.unwrap_or(1)
                ),
            );
        }
    }
}

/// One namespace's objects, with the workloads' pod labels indexed so that a
/// selector finds its workloads without testing every workload: relation
/// rules stay near-linear on very large scans.
struct Namespace<'a> {
    name: &'a str,
    facts: NamespaceFacts,
    objects: Vec<&'a ObjectInfo>,
    workloads: Vec<(&'a ObjectInfo, &'a Workload)>,
    by_label: HashMap<(&'a str, &'a str), Vec<usize>>,
    /// Workload comparisons `closest` may still make: a suggestion compares
    /// every workload, so many broken selectors in a huge namespace would
    /// otherwise cost quadratic time for a nicety.
    suggestions_left: Cell<usize>,
}

/// Comparisons allowed for suggestions, per namespace and rule.
const SUGGESTION_BUDGET: usize = 20_000;

impl<'a> Namespace<'a> {
    fn all(cluster: &'a Cluster) -> impl Iterator<Item = Namespace<'a>> + 'a {
        cluster
            .namespaces()
            .map(move |name| Namespace::new(cluster, name))
    }

    fn new(cluster: &'a Cluster, name: &'a str) -> Self {
        let objects: Vec<&ObjectInfo> = cluster.in_namespace(name).collect();
        let workloads: Vec<(&ObjectInfo, &Workload)> = objects
            .iter()
            .filter_map(|o| o.workload.as_deref().map(|w| (*o, w)))
            .collect();
        let mut by_label: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
        for (i, (_, workload)) in workloads.iter().enumerate() {
            for (key, value) in &workload.pod_labels {
                by_label
                    .entry((key.as_str(), value.as_str()))
                    .or_default()
                    .push(i);
            }
        }
        Namespace {
            name,
            facts: cluster.namespace_facts(name),
            objects,
            workloads,
            by_label,
            suggestions_left: Cell::new(SUGGESTION_BUDGET),
        }
    }

    fn of_kind(&self, kind: &'static str) -> impl Iterator<Item = &'a ObjectInfo> + '_ {
        self.objects.iter().copied().filter(move |o| o.kind == kind)
    }

    /// Indices of the workloads whose pods `selector` selects.
    fn selected<'s>(&'s self, selector: &'s LabelSelector) -> Vec<usize> {
        // Only the workloads carrying a required label can match: start from
        // the smallest such set, from `matchLabels` or an `In` expression.
        // Sets are posting lists of the index, borrowed, never copied whole.
        let mut smallest: Option<(usize, Vec<&[usize]>)> = None;
        let mut narrow = |lists: Vec<&'s [usize]>| {
            let size = lists.iter().map(|l| l.len()).sum();
            if smallest.as_ref().is_none_or(|(s, _)| size < *s) {
                smallest = Some((size, lists));
            }
        };
        for (key, value) in &selector.match_labels {
            match self.by_label.get(&(key.as_str(), value.as_str())) {
                None => return Vec::new(),
                Some(list) => narrow(vec![list]),
            }
        }
        for requirement in &selector.match_expressions {
            if requirement.operator != "In" {
                continue;
            }
            let mut values: Vec<&str> = requirement.values.iter().map(String::as_str).collect();
            values.sort_unstable();
            values.dedup();
            // A pod has one value per key, so these lists never overlap.
            narrow(
                values
                    .iter()
                    .filter_map(|v| self.by_label.get(&(requirement.key.as_str(), *v)))
                    .map(Vec::as_slice)
                    .collect(),
            );
        }
        let matches = |i: &usize| selector.matches(&self.workloads[*i].1.pod_labels);
        match smallest {
            Some((_, lists)) => {
                let mut selected: Vec<usize> = lists
                    .into_iter()
                    .flatten()
                    .copied()
                    .filter(matches)
                    .collect();
                selected.sort_unstable();
                selected
            }
            None => (0..self.workloads.len()).filter(matches).collect(),
        }
    }

    /// The workload that looks most like what `selector` asks for: the most
    /// selector labels it carries exactly, then the most it carries with a
    /// value one typo away, then the fewest edits. `None` when nothing is close.
    fn closest(&self, selector: &LabelSelector) -> Option<(&'a ObjectInfo, &'a Workload)> {
        let rank = |workload: &Workload| -> Likeness {
            let (mut exact, mut near, mut edits) = (0, 0, 0);
            for (key, value) in &selector.match_labels {
                let Some((_, actual)) = workload.pod_labels.iter().find(|(k, _)| k == key) else {
                    continue;
                };
                if actual == value {
                    exact += 1;
                    continue;
                }
                let d = strsim::levenshtein(value, actual);
                if d <= (value.len().max(actual.len()) / 3).max(1) {
                    near += 1;
                    edits += d;
                }
            }
            (exact, near, Reverse(edits))
        };
        // Only a whole namespace holds every candidate.
        let left = self.suggestions_left.get();
        if !self.facts.whole || left < self.workloads.len() {
            return None;
        }
        self.suggestions_left.set(left - self.workloads.len());
        let mut best: Option<(Likeness, usize)> = None;
        for (i, (_, workload)) in self.workloads.iter().enumerate() {
            let r = rank(workload);
            // The first of equals, so that the answer follows the input order.
            if r.0 + r.1 > 0 && best.as_ref().is_none_or(|(b, _)| r > *b) {
                best = Some((r, i));
            }
        }
        best.map(|(_, i)| self.workloads[i])
    }

    /// The fewest pods each autoscaled target may run, by `(kind, name)`:
    /// the highest floor of the autoscalers that target it.
    fn autoscaler_floors(&self) -> HashMap<(&'a str, &'a str), i64> {
        let mut floors: HashMap<(&str, &str), i64> = HashMap::new();
        for scaler in self.objects.iter() {
            // An HPA's minReplicas defaults to 1; KEDA's minReplicaCount to 0.
            let default = match scaler.kind.as_str() {
                "HorizontalPodAutoscaler" => 1,
                "ScaledObject" => 0,
                _ => continue,
            };
            let floor = scaler
                .field("minReplicas")
                .and_then(|(v, _)| v.trim().parse::<i64>().ok())
                .unwrap_or(default);
            for target in &scaler.references {
                let slot = floors
                    .entry((target.kind.as_str(), target.name.as_str()))
                    .or_insert(floor);
                *slot = (*slot).max(floor);
            }
        }
        floors
    }
}

/// How much a workload looks like a selector's target: labels equal, labels a
/// typo away, and (fewer is closer) the edits those typos take.
type Likeness = (usize, usize, Reverse<usize>);

fn name_of(object: &ObjectInfo) -> &str {
    object.name.as_deref().unwrap_or("?")
}

/// Services that route to pods by selector; ExternalName Services and those
/// without a selector (manually managed endpoints) route elsewhere.
fn routing_selector(service: &ObjectInfo) -> Option<(&LabelSelector, shipgate_core::SourceSpan)> {
    if service
        .field("type")
        .is_some_and(|(t, _)| t == "ExternalName")
    {
        return None;
    }
    service
        .selector
        .as_deref()
        .filter(|(s, _)| !s.is_empty())
        .map(|(s, span)| (s, *span))
}

/// `maxUnavailable` and `minAvailable` are an int or a percentage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Budget {
    Count(i64),
    Percent(i64),
}

fn budget(text: &str) -> Option<Budget> {
    let text = text.trim();
    match text.strip_suffix('%') {
        Some(percent) => percent.trim().parse().ok().map(Budget::Percent),
        None => text.parse().ok().map(Budget::Count),
    }
}

/// Workload kinds with a replica count a PodDisruptionBudget can be weighed against.
const SCALABLE: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "ReplicaSet",
    "ReplicationController",
];

const PDB_BLOCKS_DRAIN: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/pdb-blocks-drain",
        title: "PodDisruptionBudgets allow at least one pod to be evicted",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "A budget that allows no disruption (`maxUnavailable: 0`, `minAvailable: \
            100%`, or a `minAvailable` equal to the replica count) makes every eviction \
            fail: node drains hang, cluster upgrades and autoscaler scale-downs stall until \
            someone deletes the budget by hand, usually in the middle of an incident. A \
            budget should slow disruption down, never forbid it.",
        remediation: "Allow one pod at a time to go, and run enough replicas to absorb \
            it:\n\n```yaml\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  \
            name: api\n  namespace: shop\nspec:\n  maxUnavailable: 1\n  selector:\n    \
            matchLabels: {app: api}\n```",
        references: &[
            "https://kubernetes.io/docs/tasks/run-application/configure-pdb/",
            "https://kubernetes.io/docs/concepts/workloads/pods/disruptions/",
        ],
        aliases: &[
            Alias::new(Tool::KubeLinter, "pdb-max-unavailable"),
            Alias::new(Tool::KubeLinter, "pdb-min-available"),
            Alias::new(Tool::Polaris, "pdbDisruptionsIsZero"),
        ],
        enabled_by_default: true,
        failing: Example {
            file: "api.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: api
  namespace: shop
spec:
  minAvailable: 2
  selector:
    matchLabels: {app: api}
",
        },
        passing: Example {
            file: "api.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  replicas: 3
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: api
  namespace: shop
spec:
  minAvailable: 2
  selector:
    matchLabels: {app: api}
",
        },
    },
    check: Check::Cluster(pdb_blocks_drain),
};

fn pdb_blocks_drain(cluster: &Cluster, sink: &mut ClusterSink<'_>) {
    for ns in Namespace::all(cluster) {
        let floors = ns.autoscaler_floors();
        // The pods a workload runs at least: its autoscaler's floor when it has
        // one (the scale it sits at on a quiet night), else its replicas.
        let pods = |object: &'_ ObjectInfo, workload: &Workload| -> i64 {
            floors
                .get(&(object.kind.as_str(), name_of(object)))
                .copied()
                .unwrap_or(workload.replicas.unwrap_or(1))
        };
        for pdb in ns.of_kind("PodDisruptionBudget") {
            let selected = pdb
                .selector
                .as_deref()
                .map(|(s, _)| ns.selected(s))
                .unwrap_or_default();
            let relate = |finding: &mut shipgate_core::Finding| {
                for i in &selected {
                    let (object, workload) = ns.workloads[*i];
                    finding.add_related(
                        object.location(),
                        format!(
                            "selects {} `{}` ({} replicas)",
                            object.kind,
                            name_of(object),
                            pods(object, workload)
                        ),
                    );
                }
            };
            let name = name_of(pdb);
            if let Some((text, span)) = pdb.field("maxUnavailable") {
                if matches!(budget(text), Some(Budget::Count(0) | Budget::Percent(0))) {
                    let finding = sink.at(
                        pdb,
                        span,
                        "spec.maxUnavailable",
                        format!(
                            "PodDisruptionBudget `{name}` allows no eviction (maxUnavailable: {text}): node drains wait forever"
                        ),
                    );
                    finding
                        .set_help("allow at least one pod to be evicted, e.g. maxUnavailable: 1");
                    relate(finding);
                }
                continue;
            }
            let Some((text, span)) = pdb.field("minAvailable") else {
                continue;
            };
            let blocks = match budget(text) {
                Some(Budget::Percent(p)) if p >= 100 => true,
                Some(minimum) => {
                    // Only a known replica count can be weighed: DaemonSets and
                    // Jobs have none, and an empty selection is another rule's.
                    let scalable = !selected.is_empty()
                        && selected
                            .iter()
                            .all(|i| SCALABLE.contains(&ns.workloads[*i].0.kind.as_str()));
                    let total: i64 = selected
                        .iter()
                        .map(|i| pods(ns.workloads[*i].0, ns.workloads[*i].1))
                        .sum();
                    // Kubernetes rounds a percentage of minAvailable up.
                    let required = match minimum {
                        Budget::Count(n) => n,
                        Budget::Percent(p) => (p.saturating_mul(total) + 99) / 100,
                    };
                    scalable && total > 0 && required >= total
                }
                None => false,
            };
            if blocks {
                let finding = sink.at(
                    pdb,
                    span,
                    "spec.minAvailable",
                    format!(
                        "PodDisruptionBudget `{name}` needs every selected pod available (minAvailable: {text}): node drains wait forever"
                    ),
                );
                finding.set_help("use maxUnavailable: 1, or run more replicas than minAvailable");
                relate(finding);
            }
        }
    }
}

const PDB_SELECTS_NOTHING: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/pdb-selects-nothing",
        title: "PodDisruptionBudgets select the pods they are meant to protect",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "A budget whose selector matches no pod protects nothing, yet its presence \
            reassures reviewers and silences checks that look for one. It usually follows a \
            label rename in the pod template. The rule only judges namespaces where the \
            scan saw at least one workload.",
        remediation: "Make the selector match the pod template's labels:\n\n```yaml\nspec:\n  \
            maxUnavailable: 1\n  selector:\n    matchLabels:\n      \
            app.kubernetes.io/name: api   # as in spec.template.metadata.labels\n```",
        references: &[
            "https://kubernetes.io/docs/tasks/run-application/configure-pdb/",
            "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/",
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "api.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  replicas: 3
  selector:
    matchLabels: {app.kubernetes.io/name: api}
  template:
    metadata:
      labels: {app.kubernetes.io/name: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: api
  namespace: shop
spec:
  maxUnavailable: 1
  selector:
    matchLabels: {app: api}
",
        },
        passing: Example {
            file: "api.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  replicas: 3
  selector:
    matchLabels: {app.kubernetes.io/name: api}
  template:
    metadata:
      labels: {app.kubernetes.io/name: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: api
  namespace: shop
spec:
  maxUnavailable: 1
  selector:
    matchLabels: {app.kubernetes.io/name: api}
",
        },
    },
    check: Check::Cluster(pdb_selects_nothing),
};

fn pdb_selects_nothing(cluster: &Cluster, sink: &mut ClusterSink<'_>) {
    for ns in Namespace::all(cluster) {
        if !ns.facts.workloads {
            continue;
        }
        for pdb in ns.of_kind("PodDisruptionBudget") {
            let name = name_of(pdb);
            match pdb.selector.as_deref() {
                None => {
                    sink.object(
                        pdb,
                        format!(
                            "PodDisruptionBudget `{name}` has no selector, so it protects no pod"
                        ),
                    )
                    .set_help("set spec.selector to the labels of the pods to protect");
                }
                Some((selector, span)) if ns.selected(selector).is_empty() => {
                    let finding = sink.at(
                        pdb,
                        *span,
                        "spec.selector",
                        format!(
                            "PodDisruptionBudget `{name}` selects no pod of the workloads in namespace `{}`",
                            ns.name
                        ),
                    );
                    relate_closest(finding, &ns, selector);
                }
                Some(_) => {}
            }
        }
    }
}

/// Points a "selects nothing" finding at the workload its selector most
/// resembles, and says which labels that workload's pods carry.
fn relate_closest(
    finding: &mut shipgate_core::Finding,
    ns: &Namespace<'_>,
    selector: &LabelSelector,
) {
    let Some((object, workload)) = ns.closest(selector) else {
        return;
    };
    let labels: Vec<String> = selector
        .match_labels
        .iter()
        .filter_map(|(k, _)| {
            workload
                .pod_labels
                .iter()
                .find(|(pk, _)| pk == k)
                .map(|(pk, pv)| format!("{pk}={pv}"))
        })
        .collect();
    let what = format!("{} `{}`", object.kind, name_of(object));
    finding.add_related(object.location(), format!("closest match: {what}"));
    if !labels.is_empty() {
        finding.set_help(format!(
            "the pods of {what} are labelled {}",
            labels.join(", ")
        ));
    }
}

const NETWORKPOLICY_MISSING: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/networkpolicy-missing",
        title: "Every workload's pods are selected by a NetworkPolicy",
        severity: Severity::Warning,
        category: Category::Security,
        rationale: "Pods that no NetworkPolicy selects accept connections from, and open \
            connections to, every pod in the cluster: one compromised pod can reach every \
            database and internal API. A default-deny policy per namespace, with explicit \
            allows, limits the blast radius (CIS Kubernetes Benchmark 5.3.2, NSA/CISA \
            hardening guide). Cluster-wide policies (Calico, Cilium, AdminNetworkPolicy) \
            cannot be weighed here, so a scan that contains one is not judged.",
        remediation: "Add a default-deny policy to the namespace, then allow the traffic the \
            pods need:\n\n```yaml\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n\
            metadata:\n  name: default-deny-all\n  namespace: shop\nspec:\n  podSelector: {}\n  \
            policyTypes: [Ingress, Egress]\n```",
        references: &[
            "https://kubernetes.io/docs/concepts/services-networking/network-policies/",
            "https://kubernetes.io/docs/concepts/security/multi-tenancy/#network-isolation",
            "https://www.cisecurity.org/benchmark/kubernetes",
            NSA_CISA,
        ],
        aliases: &[
            Alias::new(Tool::KubeScore, "pod-networkpolicy"),
            Alias::new(Tool::KubeLinter, "non-isolated-pod"),
            Alias::new(Tool::Polaris, "missingNetworkPolicy"),
            Alias::new(Tool::Checkov, "CKV2_K8S_6"),
        ],
        enabled_by_default: true,
        failing: Example {
            file: "worker.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: worker}
  template:
    metadata:
      labels: {app: worker}
    spec:
      containers:
        - name: worker
          image: ghcr.io/acme/worker:2.3.0
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-ingress
  namespace: shop
spec:
  podSelector:
    matchLabels: {app: api}
  policyTypes: [Ingress]
",
        },
        passing: Example {
            file: "worker.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: worker}
  template:
    metadata:
      labels: {app: worker}
    spec:
      containers:
        - name: worker
          image: ghcr.io/acme/worker:2.3.0
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny-all
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
",
        },
    },
    check: Check::Cluster(networkpolicy_missing),
};

fn networkpolicy_missing(cluster: &Cluster, sink: &mut ClusterSink<'_>) {
    if cluster.whole().cluster_wide_network_policy {
        return;
    }
    for ns in Namespace::all(cluster) {
        // An empty selector selects every pod of the namespace; a missing
        // one is Calico's expression syntax, which we take as covering
        // rather than guess.
        if ns.facts.policy_for_every_pod {
            continue;
        }
        let mut covered = vec![false; ns.workloads.len()];
        for policy in ns.objects.iter().filter(|o| is_network_policy(o)) {
            if let Some((selector, _)) = policy.selector.as_deref() {
                for i in ns.selected(selector) {
                    covered[i] = true;
                }
            }
        }
        for (i, (object, _)) in ns.workloads.iter().enumerate() {
            if !covered[i] {
                sink.object(
                    object,
                    format!(
                        "{} `{}` has no NetworkPolicy selecting its pods: they accept traffic from any pod",
                        object.kind,
                        name_of(object)
                    ),
                )
                .set_help("add a default-deny NetworkPolicy to the namespace and allow what the pods need");
            }
        }
    }
}

const SERVICE_SELECTS_NOTHING: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/service-selects-nothing",
        title: "Services select the pods of a workload",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "A Service whose selector matches no pod has no endpoints: clients get \
            connection refused or time out, while every object looks healthy on its own. It \
            is almost always a typo or a label renamed on one side only. The rule only \
            judges namespaces where the scan saw at least one workload, since the pods may \
            come from elsewhere.",
        remediation: "Make the selector match the pod template's labels exactly:\n\n```yaml\n\
            kind: Service\nspec:\n  selector:\n    app.kubernetes.io/name: redis   # as in \
            spec.template.metadata.labels\n```",
        references: &[
            "https://kubernetes.io/docs/concepts/services-networking/service/#defining-a-service",
            "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/",
        ],
        aliases: &[
            Alias::new(Tool::KubeScore, "service-targets-pod"),
            Alias::new(Tool::KubeLinter, "dangling-service"),
        ],
        enabled_by_default: true,
        failing: Example {
            file: "redis.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: redis
  namespace: shop
spec:
  replicas: 1
  selector:
    matchLabels: {app.kubernetes.io/name: redis}
  template:
    metadata:
      labels: {app.kubernetes.io/name: redis}
    spec:
      containers:
        - name: redis
          image: redis:7.4.1
          ports:
            - name: redis
              containerPort: 6379
---
apiVersion: v1
kind: Service
metadata:
  name: redis
  namespace: shop
spec:
  selector:
    app.kubernetes.io/name: reddis
  ports:
    - name: redis
      port: 6379
      targetPort: redis
",
        },
        passing: Example {
            file: "redis.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: redis
  namespace: shop
spec:
  replicas: 1
  selector:
    matchLabels: {app.kubernetes.io/name: redis}
  template:
    metadata:
      labels: {app.kubernetes.io/name: redis}
    spec:
      containers:
        - name: redis
          image: redis:7.4.1
          ports:
            - name: redis
              containerPort: 6379
---
apiVersion: v1
kind: Service
metadata:
  name: redis
  namespace: shop
spec:
  selector:
    app.kubernetes.io/name: redis
  ports:
    - name: redis
      port: 6379
      targetPort: redis
",
        },
    },
    check: Check::Cluster(service_selects_nothing),
};

fn service_selects_nothing(cluster: &Cluster, sink: &mut ClusterSink<'_>) {
    for ns in Namespace::all(cluster) {
        if !ns.facts.workloads {
            continue;
        }
        for service in ns.of_kind("Service") {
            let Some((selector, span)) = routing_selector(service) else {
                continue;
            };
            if ns.selected(selector).is_empty() {
                let finding = sink.at(
                    service,
                    span,
                    "spec.selector",
                    format!(
                        "Service `{}` selects no pod of the workloads in namespace `{}`",
                        name_of(service),
                        ns.name
                    ),
                );
                relate_closest(finding, &ns, selector);
            }
        }
    }
}

const SERVICE_TARGET_PORT_UNKNOWN: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/service-target-port-unknown",
        title: "A Service's named target ports exist on the pods it selects",
        severity: Severity::Error,
        category: Category::Reliability,
        rationale: "A named `targetPort` is resolved against the container ports of each \
            selected pod; a pod without a port of that name is left out of the Service's \
            endpoints for it. If no selected pod declares the name, the Service routes \
            nowhere although its selector matches. None of the peer tools resolves named \
            ports, so the rule has no equivalent.",
        remediation: "Name the container port as the Service expects (or use the number):\n\n\
            ```yaml\n# Deployment\nports:\n  - name: http\n    containerPort: 8000\n---\n\
            # Service\nports:\n  - name: http\n    port: 80\n    targetPort: http\n```",
        references: &[
            "https://kubernetes.io/docs/concepts/services-networking/service/#field-spec-ports",
            "https://kubernetes.io/docs/concepts/services-networking/service/#defining-a-service",
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "api.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  replicas: 3
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
          ports:
            - name: web
              containerPort: 8000
---
apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: shop
spec:
  selector: {app: api}
  ports:
    - name: http
      port: 80
      targetPort: http
",
        },
        passing: Example {
            file: "api.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  replicas: 3
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
          ports:
            - name: http
              containerPort: 8000
---
apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: shop
spec:
  selector: {app: api}
  ports:
    - name: http
      port: 80
      targetPort: http
    - name: metrics
      port: 9090
      targetPort: 9090
",
        },
    },
    check: Check::Cluster(service_target_port_unknown),
};

fn service_target_port_unknown(cluster: &Cluster, sink: &mut ClusterSink<'_>) {
    for ns in Namespace::all(cluster) {
        for service in ns.of_kind("Service") {
            let Some((selector, _)) = routing_selector(service) else {
                continue;
            };
            let selected = ns.selected(selector);
            // A Service that selects nothing is `k8s/service-selects-nothing`'s.
            if selected.is_empty() {
                continue;
            }
            for (port, span) in &service.target_ports {
                if port.trim().parse::<i64>().is_ok() {
                    continue;
                }
                let declared =
                    |w: &Workload| w.ports.iter().any(|(n, _)| n.as_deref() == Some(port));
                if selected.iter().any(|i| declared(ns.workloads[*i].1)) {
                    continue;
                }
                let mut names: Vec<&str> = selected
                    .iter()
                    .flat_map(|i| ns.workloads[*i].1.ports.iter())
                    .filter_map(|(n, _)| n.as_deref())
                    .collect();
                names.sort_unstable();
                names.dedup();
                let finding = sink.at(
                    service,
                    *span,
                    &format!("spec.ports.targetPort[{port}]"),
                    format!(
                        "targetPort `{port}` of Service `{}` names no container port of the pods it selects",
                        name_of(service)
                    ),
                );
                finding.set_help(if names.is_empty() {
                    "the selected pods declare no named ports: name one, or use the port number"
                        .to_owned()
                } else {
                    format!("the selected pods declare: {}", names.join(", "))
                });
                for i in &selected {
                    let object = ns.workloads[*i].0;
                    finding.add_related(
                        object.location(),
                        format!("selected {} `{}`", object.kind, name_of(object)),
                    );
                }
            }
        }
    }
}

const INGRESS_SERVICE_MISSING: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/ingress-service-missing",
        title: "Ingress backends name Services that exist",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "An Ingress backend that names a missing Service answers every request to \
            its path with an error (503 or 404, depending on the controller), and nothing \
            fails at apply time. It usually follows a Service rename. The rule only judges \
            namespaces where the scan saw at least one Service, since the Service may be \
            deployed from elsewhere.",
        remediation: "Point the backend at the Service's `metadata.name` in the same \
            namespace:\n\n```yaml\nbackend:\n  service:\n    name: orders-api\n    port:\n      \
            name: http\n```",
        references: &[
            "https://kubernetes.io/docs/concepts/services-networking/ingress/#the-ingress-resource",
        ],
        aliases: &[
            Alias::new(Tool::KubeScore, "ingress-targets-service"),
            Alias::new(Tool::KubeLinter, "dangling-ingress"),
        ],
        enabled_by_default: true,
        failing: Example {
            file: "ingress.yaml",
            content: "apiVersion: v1
kind: Service
metadata:
  name: orders-api
  namespace: shop
spec:
  selector: {app: orders-api}
  ports:
    - name: http
      port: 80
      targetPort: http
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: orders-api
  namespace: shop
spec:
  ingressClassName: nginx
  tls:
    - hosts: [orders.shop.example.com]
      secretName: orders-tls
  rules:
    - host: orders.shop.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: orders
                port:
                  name: http
",
        },
        passing: Example {
            file: "ingress.yaml",
            content: "apiVersion: v1
kind: Service
metadata:
  name: orders-api
  namespace: shop
spec:
  selector: {app: orders-api}
  ports:
    - name: http
      port: 80
      targetPort: http
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: orders-api
  namespace: shop
spec:
  ingressClassName: nginx
  tls:
    - hosts: [orders.shop.example.com]
      secretName: orders-tls
  rules:
    - host: orders.shop.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: orders-api
                port:
                  name: http
",
        },
    },
    check: Check::Cluster(ingress_service_missing),
};

fn ingress_service_missing(cluster: &Cluster, sink: &mut ClusterSink<'_>) {
    for ns in Namespace::all(cluster) {
        if !ns.facts.named_services {
            continue;
        }
        let services: HashSet<&str> = ns
            .of_kind("Service")
            .filter_map(|s| s.name.as_deref())
            .collect();
        for ingress in ns.of_kind("Ingress") {
            for reference in ingress.references.iter().filter(|r| r.kind == "Service") {
                if services.contains(reference.name.as_str()) {
                    continue;
                }
                sink.at(
                    ingress,
                    reference.span,
                    &reference.field,
                    format!(
                        "Ingress `{}` routes to Service `{}`, which is not among the Services of namespace `{}`",
                        name_of(ingress),
                        reference.name,
                        ns.name
                    ),
                )
                .set_help("name a Service of the same namespace");
            }
        }
    }
}

const HPA_TARGET_MISSING: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/hpa-target-missing",
        title: "HorizontalPodAutoscalers target a workload that exists",
        severity: Severity::Error,
        category: Category::Reliability,
        rationale: "An autoscaler whose `scaleTargetRef` names a missing object scales \
            nothing: the workload it was meant for stays at its static replica count \
            through every traffic peak, and the only trace is a condition on the HPA's \
            status. The rule only judges namespaces where the scan saw at least one \
            workload.",
        remediation: "Make `scaleTargetRef` name the workload's kind and name exactly:\n\n\
            ```yaml\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    \
            name: orders-api\n```",
        references: &[
            "https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/",
            "https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/horizontal-pod-autoscaler-v2/",
        ],
        aliases: &[
            Alias::new(Tool::KubeScore, "horizontalpodautoscaler-has-target"),
            Alias::new(Tool::KubeLinter, "dangling-horizontalpodautoscaler"),
        ],
        enabled_by_default: true,
        failing: Example {
            file: "api.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: orders-api
  namespace: shop
spec:
  selector:
    matchLabels: {app: orders-api}
  template:
    metadata:
      labels: {app: orders-api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/orders:1.8.3
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: orders-api
  namespace: shop
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: orders-api-v2
  minReplicas: 3
  maxReplicas: 10
",
        },
        passing: Example {
            file: "api.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: orders-api
  namespace: shop
spec:
  selector:
    matchLabels: {app: orders-api}
  template:
    metadata:
      labels: {app: orders-api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/orders:1.8.3
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: orders-api
  namespace: shop
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: orders-api
  minReplicas: 3
  maxReplicas: 10
",
        },
    },
    check: Check::Cluster(hpa_target_missing),
};

fn hpa_target_missing(cluster: &Cluster, sink: &mut ClusterSink<'_>) {
    for ns in Namespace::all(cluster) {
        if !ns.facts.workloads {
            continue;
        }
        let present: HashSet<(&str, &str)> = ns
            .objects
            .iter()
            .filter_map(|o| Some((o.kind.as_str(), o.name.as_deref()?)))
            .collect();
        for hpa in ns.of_kind("HorizontalPodAutoscaler") {
            for target in &hpa.references {
                if present.contains(&(target.kind.as_str(), target.name.as_str())) {
                    continue;
                }
                let finding = sink.at(
                    hpa,
                    target.span,
                    &target.field,
                    format!(
                        "HorizontalPodAutoscaler `{}` scales {} `{}`, which is not in namespace `{}`",
                        name_of(hpa),
                        target.kind,
                        target.name,
                        ns.name
                    ),
                );
                // A right name under the wrong kind is the likeliest slip.
                match ns
                    .workloads
                    .iter()
                    .find(|(o, _)| o.name.as_deref() == Some(target.name.as_str()))
                {
                    Some((other, _)) => {
                        finding.set_help(format!(
                            "a {} named `{}` exists: set scaleTargetRef.kind to {}",
                            other.kind, target.name, other.kind
                        ));
                    }
                    None => {
                        finding.set_help("name an existing workload of the namespace");
                    }
                }
            }
        }
    }
}

const SINGLE_REPLICA: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "k8s/single-replica",
        title: "Workloads behind a Service run at least two replicas",
        severity: Severity::Warning,
        category: Category::Reliability,
        rationale: "With one replica, every rollout, node drain, eviction or crash takes the \
            Service's only endpoint away, and its clients see errors until a new pod is \
            ready. Two replicas on different nodes turn those routine events into \
            non-events. Workloads no Service selects (workers), Deployments with the \
            `Recreate` strategy (declared singletons) and those an autoscaler keeps at \
            two or more are not reported.",
        remediation: "Run at least two replicas, or let an autoscaler keep a floor of two:\n\n\
            ```yaml\nspec:\n  replicas: 2\n```\n\nor\n\n```yaml\nkind: \
            HorizontalPodAutoscaler\nspec:\n  minReplicas: 2\n```",
        references: &[
            "https://kubernetes.io/docs/concepts/workloads/controllers/deployment/",
            "https://kubernetes.io/docs/concepts/workloads/pods/disruptions/",
            "https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/",
        ],
        aliases: &[
            Alias::new(Tool::KubeScore, "deployment-replicas"),
            Alias::new(Tool::Polaris, "deploymentMissingReplicas"),
        ],
        enabled_by_default: true,
        failing: Example {
            file: "api.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  replicas: 1
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
          ports:
            - name: http
              containerPort: 8000
---
apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: shop
spec:
  selector: {app: api}
  ports:
    - name: http
      port: 80
      targetPort: http
",
        },
        passing: Example {
            file: "api.yaml",
            content: "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
          ports:
            - name: http
              containerPort: 8000
---
apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: shop
spec:
  selector: {app: api}
  ports:
    - name: http
      port: 80
      targetPort: http
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: api
  namespace: shop
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: api
  minReplicas: 2
  maxReplicas: 10
",
        },
    },
    check: Check::Cluster(single_replica),
};

/// Stateless kinds that can simply run more replicas; a StatefulSet's
/// replica count is a data decision this rule does not second-guess.
const STATELESS: &[&str] = &["Deployment", "ReplicaSet"];

fn single_replica(cluster: &Cluster, sink: &mut ClusterSink<'_>) {
    for ns in Namespace::all(cluster) {
        let floors = ns.autoscaler_floors();
        let mut serving: Vec<Option<&ObjectInfo>> = vec![None; ns.workloads.len()];
        for service in ns.of_kind("Service") {
            if let Some((selector, _)) = routing_selector(service) {
                for i in ns.selected(selector) {
                    serving[i].get_or_insert(service);
                }
            }
        }
        for (i, (object, workload)) in ns.workloads.iter().enumerate() {
            let Some(service) = serving[i] else { continue };
            // `Recreate` says two copies must never run at once (a singleton,
            // a ReadWriteOnce volume): more replicas would contradict it.
            let singleton = object
                .field("strategy")
                .is_some_and(|(s, _)| s == "Recreate");
            if !STATELESS.contains(&object.kind.as_str()) || singleton {
                continue;
            }
            // A replica count we cannot read (a template, a string) is not judged.
            if workload.replicas.is_none() && workload.replicas_span.is_some() {
                continue;
            }
            let floor = floors
                .get(&(object.kind.as_str(), name_of(object)))
                .copied();
            let (replicas, how) = match floor {
                Some(min) => (min, "its autoscaler's floor"),
                None => (workload.replicas.unwrap_or(1), "replicas"),
            };
            if replicas >= 2 {
                continue;
            }
            let message = format!(
                "{} `{}` behind Service `{}` runs {replicas} replica(s) ({how}): a rollout, drain or crash interrupts its traffic",
                object.kind,
                name_of(object),
                name_of(service),
            );
            let finding = match (floor, workload.replicas_span) {
                (None, Some(span)) => sink.at(object, span, "spec.replicas", message),
                _ => sink.object(object, message),
            };
            finding
                .set_help("run at least 2 replicas, or set the autoscaler's minReplicas to 2")
                .add_related(service.location(), "the Service that sends it traffic");
        }
    }
}

#[cfg(test)]
mod tests {
    use shipgate_core::Finding;

    use crate::{ArtifactKind, Engine, EngineConfig};

    /// Runs `rule` over files checked one by one, then across all of them.
    fn findings(rule: &str, files: &[(&str, &str)]) -> Vec<Finding> {
        let engine = Engine::new(EngineConfig {
            select: vec![rule.to_owned()],
            ..EngineConfig::default()
        })
        .expect("selection");
        let outcomes = files
            .iter()
            .map(|(path, text)| engine.check_text(path, text, ArtifactKind::from_path(path, false)))
            .collect();
        engine
            .finish(vec![".".into()], outcomes, None)
            .findings
            .into_iter()
            .filter(|f| f.rule == rule)
            .collect()
    }

    fn at(finding: &Finding) -> (&str, u32, u32) {
        let span = finding.location.span.unwrap_or_default();
        (
            finding.location.path.as_str(),
            span.start.line,
            span.start.column,
        )
    }

    fn deployment(name: &str, namespace: &str, replicas: u32, labels: &str) -> String {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {namespace}\nspec:\n  replicas: {replicas}\n  selector:\n    matchLabels: {labels}\n  template:\n    metadata:\n      labels: {labels}\n    spec:\n      containers:\n        - name: app\n          image: app:1.0\n          ports:\n            - name: http\n              containerPort: 8080\n"
        )
    }

    const PDB_MIN_3: &str = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: api\n  namespace: shop\nspec:\n  minAvailable: 3\n  selector:\n    matchExpressions:\n      - {key: app, operator: In, values: [api, api-canary]}\n      - {key: track, operator: NotIn, values: [batch]}\n";

    #[test]
    fn pdb_spanning_two_files_is_weighed_against_the_replicas_it_selects() {
        let three = deployment("api", "shop", 3, "{app: api, tier: web}");
        let found = findings(
            "k8s/pdb-blocks-drain",
            &[("deploy.yaml", &three), ("pdb.yaml", PDB_MIN_3)],
        );
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(at(&found[0]), ("pdb.yaml", 7, 17));
        assert_eq!(found[0].related.len(), 1);
        assert_eq!(found[0].related[0].location.path, "deploy.yaml");

        let four = deployment("api", "shop", 4, "{app: api, tier: web}");
        assert!(
            findings(
                "k8s/pdb-blocks-drain",
                &[("deploy.yaml", &four), ("pdb.yaml", PDB_MIN_3)]
            )
            .is_empty()
        );

        // NotIn excludes the batch track, so the selected pods are 3 again.
        let batch = deployment("api-batch", "shop", 5, "{app: api, track: batch}");
        let found = findings(
            "k8s/pdb-blocks-drain",
            &[
                ("deploy.yaml", &three),
                ("batch.yaml", &batch),
                ("pdb.yaml", PDB_MIN_3),
            ],
        );
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn pdb_blocks_drain_on_zero_and_full_budgets() {
        let pdb = |field: &str| {
            format!(
                "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: p\nspec:\n  {field}\n  selector:\n    matchLabels: {{app: x}}\n"
            )
        };
        for field in [
            "maxUnavailable: 0",
            "maxUnavailable: \"0%\"",
            "minAvailable: 100%",
        ] {
            let found = findings("k8s/pdb-blocks-drain", &[("p.yaml", &pdb(field))]);
            assert_eq!(found.len(), 1, "{field}");
            assert_eq!(found[0].location.line(), Some(6));
        }
        for field in [
            "maxUnavailable: 1",
            "maxUnavailable: 10%",
            "minAvailable: 50%",
        ] {
            assert!(
                findings("k8s/pdb-blocks-drain", &[("p.yaml", &pdb(field))]).is_empty(),
                "{field}"
            );
        }
        // 80% of 3 rounds up to 3: nothing may go.
        let d = deployment("x", "default", 3, "{app: x}");
        let found = findings(
            "k8s/pdb-blocks-drain",
            &[("d.yaml", &d), ("p.yaml", &pdb("minAvailable: 80%"))],
        );
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn pdb_selects_nothing_with_match_expressions() {
        let web = deployment("web", "shop", 2, "{app: web}");
        let found = findings(
            "k8s/pdb-selects-nothing",
            &[("d.yaml", &web), ("pdb.yaml", PDB_MIN_3)],
        );
        assert_eq!(found.len(), 1);
        assert_eq!(at(&found[0]), ("pdb.yaml", 9, 5));
        let api = deployment("api", "shop", 3, "{app: api-canary}");
        assert!(
            findings(
                "k8s/pdb-selects-nothing",
                &[("d.yaml", &api), ("pdb.yaml", PDB_MIN_3)]
            )
            .is_empty()
        );
        // No workload in the namespace: nothing to judge against.
        assert!(findings("k8s/pdb-selects-nothing", &[("pdb.yaml", PDB_MIN_3)]).is_empty());
    }

    const SERVICE: &str = "apiVersion: v1\nkind: Service\nmetadata:\n  name: api\n  namespace: shop\nspec:\n  selector:\n    app: api\n  ports:\n    - port: 80\n      targetPort: http\n    - port: 81\n      targetPort: admin\n";

    #[test]
    fn services_only_select_workloads_of_their_namespace() {
        let elsewhere = deployment("api", "other", 2, "{app: api}");
        let here = deployment("web", "shop", 2, "{app: web, tier: front}");
        let found = findings(
            "k8s/service-selects-nothing",
            &[
                ("other.yaml", &elsewhere),
                ("here.yaml", &here),
                ("svc.yaml", SERVICE),
            ],
        );
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(at(&found[0]), ("svc.yaml", 8, 5));
        // `app: web` is not a typo of `app: api`: no guess.
        assert!(found[0].related.is_empty());

        // The workload one typo away is suggested, not the first one seen.
        let far = deployment("orders", "shop", 2, "{app: orders}");
        let typo = deployment("api", "shop", 2, "{app: apii}");
        let found = findings(
            "k8s/service-selects-nothing",
            &[("far.yaml", &far), ("d.yaml", &typo), ("svc.yaml", SERVICE)],
        );
        assert_eq!(found[0].related.len(), 1);
        assert_eq!(found[0].related[0].location.path, "d.yaml");
        assert_eq!(
            found[0].help.as_deref(),
            Some("the pods of Deployment `api` are labelled app=apii")
        );

        let matching = deployment("api", "shop", 2, "{app: api}");
        assert!(
            findings(
                "k8s/service-selects-nothing",
                &[("d.yaml", &matching), ("svc.yaml", SERVICE)]
            )
            .is_empty()
        );
        // The namespace has no workload at all: the pods may come from elsewhere.
        assert!(findings("k8s/service-selects-nothing", &[("svc.yaml", SERVICE)]).is_empty());
    }

    #[test]
    fn named_target_ports_resolve_against_selected_pods() {
        let api = deployment("api", "shop", 2, "{app: api}");
        let found = findings(
            "k8s/service-target-port-unknown",
            &[("d.yaml", &api), ("svc.yaml", SERVICE)],
        );
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(at(&found[0]), ("svc.yaml", 13, 19));
        assert_eq!(
            found[0].help.as_deref(),
            Some("the selected pods declare: http")
        );
    }

    #[test]
    fn networkpolicy_coverage() {
        let api = deployment("api", "shop", 2, "{app: api, tier: web}");
        let job = deployment("db", "shop", 1, "{app: db}");
        let policy = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  podSelector:\n    matchExpressions:\n      - {key: tier, operator: Exists}\n";
        let found = findings(
            "k8s/networkpolicy-missing",
            &[("a.yaml", &api), ("b.yaml", &job), ("np.yaml", policy)],
        );
        assert_eq!(found.len(), 1);
        assert_eq!(at(&found[0]), ("b.yaml", 2, 7));
        // A default-deny policy in another namespace covers nothing here.
        let deny = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny\n  namespace: other\nspec:\n  podSelector: {}\n";
        assert_eq!(
            findings(
                "k8s/networkpolicy-missing",
                &[("a.yaml", &api), ("np.yaml", deny)]
            )
            .len(),
            1
        );
        let deny_here = deny.replace("namespace: other", "namespace: shop");
        assert!(
            findings(
                "k8s/networkpolicy-missing",
                &[("a.yaml", &api), ("np.yaml", &deny_here)]
            )
            .is_empty()
        );
    }

    #[test]
    fn objects_without_a_namespace_are_in_default() {
        let api =
            deployment("api", "default", 2, "{app: api}").replace("  namespace: default\n", "");
        let service = SERVICE.replace("  namespace: shop\n", "  namespace: default\n");
        assert!(
            findings(
                "k8s/service-selects-nothing",
                &[("d.yaml", &api), ("s.yaml", &service)]
            )
            .is_empty()
        );
    }

    #[test]
    fn ingress_and_hpa_references() {
        let ingress = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  defaultBackend:\n    service:\n      name: api\n      port: {number: 80}\n  rules:\n    - http:\n        paths:\n          - path: /\n            pathType: Prefix\n            backend:\n              service:\n                name: missing\n                port: {number: 80}\n";
        let found = findings(
            "k8s/ingress-service-missing",
            &[("svc.yaml", SERVICE), ("ing.yaml", ingress)],
        );
        assert_eq!(found.len(), 1);
        assert_eq!(at(&found[0]), ("ing.yaml", 18, 23));
        // Without any Service in the namespace we cannot tell.
        assert!(findings("k8s/ingress-service-missing", &[("ing.yaml", ingress)]).is_empty());

        let set = deployment("api", "shop", 2, "{app: api}")
            .replace("kind: Deployment", "kind: StatefulSet");
        let hpa = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: api\n  namespace: shop\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: api\n  minReplicas: 2\n  maxReplicas: 4\n";
        let found = findings(
            "k8s/hpa-target-missing",
            &[("s.yaml", &set), ("hpa.yaml", hpa)],
        );
        assert_eq!(found.len(), 1);
        assert_eq!(at(&found[0]), ("hpa.yaml", 10, 11));
        assert!(
            found[0]
                .help
                .as_deref()
                .is_some_and(|h| h.contains("StatefulSet"))
        );
    }

    #[test]
    fn single_replica_needs_a_service_and_respects_autoscalers() {
        let one = deployment("api", "shop", 1, "{app: api}");
        let found = findings(
            "k8s/single-replica",
            &[("d.yaml", &one), ("svc.yaml", SERVICE)],
        );
        assert_eq!(found.len(), 1);
        assert_eq!(at(&found[0]), ("d.yaml", 7, 13));
        assert!(findings("k8s/single-replica", &[("d.yaml", &one)]).is_empty());
        let keda = "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata:\n  name: api\n  namespace: shop\nspec:\n  scaleTargetRef:\n    name: api\n  minReplicaCount: 2\n";
        assert!(
            findings(
                "k8s/single-replica",
                &[("d.yaml", &one), ("svc.yaml", SERVICE), ("k.yaml", keda)]
            )
            .is_empty()
        );
        let hpa_of_one = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: api\n  namespace: shop\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}\n  maxReplicas: 4\n";
        let three = deployment("api", "shop", 3, "{app: api}");
        let found = findings(
            "k8s/single-replica",
            &[
                ("d.yaml", &three),
                ("svc.yaml", SERVICE),
                ("h.yaml", hpa_of_one),
            ],
        );
        assert_eq!(found.len(), 1, "an HPA may scale it down to 1");
        // A declared singleton is left alone.
        let recreate = one.replace(
            "spec:\n  replicas",
            "spec:\n  strategy: {type: Recreate}\n  replicas",
        );
        assert!(
            findings(
                "k8s/single-replica",
                &[("d.yaml", &recreate), ("svc.yaml", SERVICE)]
            )
            .is_empty()
        );
    }
}
