//! Rules over relations between objects: disruption budgets, network
//! policies, Services, Ingresses and autoscalers to the workloads they serve.

use shipgate_core::{Alias, Category, Example, RuleMeta, Severity, Tool};

use crate::k8s::{Cluster, ClusterSink};
use crate::{Check, RuleDef};

pub(super) const RULES: &[RuleDef] = &[PDB_MISSING];

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
            Alias::new(Tool::KubeLinter, "no-pod-disruption-budget"),
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
    for (object, workload) in cluster.workloads() {
        if !REPLICATED.contains(&object.kind.as_str()) || workload.replicas.unwrap_or(1) < 2 {
            continue;
        }
        let covered = cluster.peers(object, "PodDisruptionBudget").any(|pdb| {
            pdb.selector
                .as_ref()
                .is_some_and(|(selector, _)| selector.matches(&workload.pod_labels))
        });
        if !covered {
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
