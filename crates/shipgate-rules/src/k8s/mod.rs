//! The Kubernetes pack: a read-only model over position-exact YAML, the
//! cross-object view, and the rules.

mod cluster;
mod model;
pub mod pieces;
pub mod quantity;
mod rules;
mod sink;
mod version;

pub use cluster::{
    Cluster, LabelSelector, NamespaceFacts, ObjectInfo, SetFacts, Workload, namespace_of,
};
pub use model::{Container, ContainerKind, Object, PodSpec, WORKLOAD_KINDS};
pub use sink::{ClusterSink, Sink};
pub use version::KubeVersion;

use crate::RuleDef;

/// Every rule of the pack.
pub fn rules() -> impl Iterator<Item = &'static RuleDef> {
    rules::ALL.iter().flat_map(|pack| pack.iter())
}
