//! Which workload kinds a tree holds, read from its text before it is
//! parsed, so that their schemas can be compiled together.
//!
//! Every kind that runs pods embeds a pod template, whose schemas are most
//! of that kind's compile time. Compiled apart, a tree of Deployments,
//! StatefulSets and CronJobs compiles the pod template three times.

use std::ops::BitOr;

/// Kinds whose schemas embed a pod template.
const KINDS: [&str; 9] = [
    "Pod",
    "PodTemplate",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
];

/// A set of workload kinds, named as objects name them in `kind`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkloadKinds(u16);

impl WorkloadKinds {
    /// The workload kinds a YAML or JSON text names in a `kind` field. It
    /// reads the text, not its structure: a kind written in a way it does
    /// not recognise is left out, and a `kind` key that is not an object's
    /// counts. Either only changes what is compiled together.
    pub fn named_in(text: &str) -> Self {
        let mut found = WorkloadKinds::default();
        for (at, _) in text.match_indices("kind") {
            if let Some(name) = value_after_key(&text[at + "kind".len()..])
                && let Some(index) = KINDS.iter().position(|kind| *kind == name)
            {
                found.0 |= 1 << index;
            }
        }
        found
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub(crate) fn names(self) -> Vec<&'static str> {
        KINDS
            .iter()
            .enumerate()
            .filter(|(index, _)| self.0 & (1 << index) != 0)
            .map(|(_, kind)| *kind)
            .collect()
    }
}

impl BitOr for WorkloadKinds {
    type Output = WorkloadKinds;

    fn bitor(self, other: WorkloadKinds) -> WorkloadKinds {
        WorkloadKinds(self.0 | other.0)
    }
}

/// After a key `kind`: an optional closing quote, the colon, and the plain
/// or quoted word that follows (`kind: Job`, `"kind": "Job"`, `kind: 'Job'`).
fn value_after_key(rest: &str) -> Option<&str> {
    let rest = rest
        .strip_prefix('"')
        .or_else(|| rest.strip_prefix('\''))
        .unwrap_or(rest);
    let rest = rest.trim_start_matches([' ', '\t']).strip_prefix(':')?;
    let rest = rest.trim_start_matches([' ', '\t']);
    let rest = rest
        .strip_prefix('"')
        .or_else(|| rest.strip_prefix('\''))
        .unwrap_or(rest);
    let end = rest
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<&'static str> {
        WorkloadKinds::named_in(text).names()
    }

    #[test]
    fn kinds_are_read_from_block_flow_and_json_styles() {
        assert_eq!(
            names("apiVersion: apps/v1\nkind: Deployment\n"),
            ["Deployment"]
        );
        assert_eq!(
            names("{apiVersion: batch/v1, kind: 'CronJob'}"),
            ["CronJob"]
        );
        assert_eq!(
            names(r#"{"apiVersion": "apps/v1", "kind" : "StatefulSet"}"#),
            ["StatefulSet"]
        );
        assert_eq!(
            names("kind: Job\n---\nkind: Pod\n---\nkind: DaemonSet\n"),
            ["Pod", "DaemonSet", "Job"]
        );
    }

    #[test]
    fn only_whole_workload_kinds_count() {
        assert!(WorkloadKinds::named_in("kind: PodDisruptionBudget\n").is_empty());
        assert!(WorkloadKinds::named_in("kind: Service\nkinds: [Pod]\n").is_empty());
        assert!(WorkloadKinds::named_in("kind:\n").is_empty());
        assert!(WorkloadKinds::named_in("kind").is_empty());
        assert!(WorkloadKinds::named_in("").is_empty());
        assert_eq!(names("kind: Podcast\nkind: Pod"), ["Pod"]);
    }

    #[test]
    fn sets_join() {
        let joined = WorkloadKinds::named_in("kind: Job") | WorkloadKinds::named_in("kind: Pod");
        assert_eq!(joined.names(), ["Pod", "Job"]);
    }
}
