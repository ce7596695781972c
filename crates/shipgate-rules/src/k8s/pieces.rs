//! A group of namespaces too large to hold at once is judged in pieces.
//!
//! Each object is joined to everything a relation rule could relate it to: a
//! selector to the workloads carrying the label it requires, a reference to
//! the objects of the name it gives, an object to the others of its name.
//! The connected sets are packed into pieces of a bounded size, and each
//! piece is read back from the store and judged on its own. Memory then
//! holds one piece and about a hundred bytes per object of the group (its
//! place in the store, the keys that join it), instead of the whole group at
//! well over a kilobyte per object. What a rule must know of the whole
//! namespace travels with each piece as [`NamespaceFacts`].
//!
//! Joins are made through 64-bit hashes: two keys that collide join sets
//! that did not need joining, which costs memory, never a finding.

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};

use rustc_hash::{FxHashMap, FxHashSet, FxHasher};

use super::cluster::{Cluster, NamespaceFacts, SetFacts, is_network_policy, namespace_of};
use super::{LabelSelector, ObjectInfo};
use crate::engine::{SummaryGroup, SummaryPlace};

/// Judges `group` with `judge`, whole when it holds at most `piece_objects`
/// objects, in pieces of about that many otherwise.
pub fn judge_group(
    group: &mut dyn SummaryGroup,
    whole: SetFacts,
    piece_objects: usize,
    judge: &mut dyn FnMut(Cluster),
) -> Result<(), String> {
    if group.count() <= piece_objects {
        judge(Cluster::of_group(group.collect()?, whole));
        return Ok(());
    }
    let plan = Plan::of(group, piece_objects)?;
    if plan.pieces.len() < 2 {
        judge(Cluster::of_group(group.collect()?, whole));
        return Ok(());
    }
    for places in &plan.pieces {
        let mut objects = Vec::with_capacity(places.len());
        group.fetch(places, &mut |object| objects.push(object))?;
        judge(Cluster::of_piece(objects, whole, &plan.facts));
    }
    Ok(())
}

/// The places of each piece's objects, and the facts of the namespaces.
struct Plan {
    pieces: Vec<Vec<SummaryPlace>>,
    facts: BTreeMap<String, NamespaceFacts>,
}

/// What one reading of a group keeps of each object to join it.
#[derive(Default)]
struct Joins {
    places: Vec<SummaryPlace>,
    namespace_at: Vec<u32>,
    /// Keys an object is always joined through, the object's run ending at
    /// `always_end[object]`.
    always: Vec<u64>,
    always_end: Vec<u32>,
    /// A workload's pod labels, joined through only when a selector
    /// requires them: a label every pod of a team carries must not join
    /// the team's workloads into one set.
    labels: Vec<u64>,
    labels_end: Vec<u32>,
    workload: Vec<bool>,
}

impl Plan {
    fn of(group: &mut dyn SummaryGroup, piece_objects: usize) -> Result<Plan, String> {
        let mut namespaces: Vec<(String, NamespaceFacts, usize)> = Vec::new();
        let mut index: HashMap<String, u32> = HashMap::new();
        let mut required: FxHashSet<u64> = FxHashSet::default();
        let mut select_all: FxHashSet<u32> = FxHashSet::default();
        let mut joins = Joins::default();
        group.replay(&mut |place, object| {
            let namespace = namespace_of(&object);
            let at = match index.get(namespace) {
                Some(at) => *at,
                None => {
                    let at = namespaces.len() as u32;
                    index.insert(namespace.to_owned(), at);
                    namespaces.push((namespace.to_owned(), NamespaceFacts::default(), 0));
                    at
                }
            };
            let (_, facts, count) = &mut namespaces[at as usize];
            facts.note(&object);
            *count += 1;
            joins.places.push(place);
            joins.namespace_at.push(at);
            if let Some(name) = object.name.as_deref() {
                joins.always.push(key(&[namespace, "name", name]));
            }
            for reference in &object.references {
                joins
                    .always
                    .push(key(&[namespace, "name", &reference.name]));
            }
            if let Some(selector) = relating_selector(&object) {
                match required_labels(namespace, selector) {
                    Some(keys) => {
                        required.extend(&keys);
                        joins.always.extend(keys);
                    }
                    None => {
                        select_all.insert(at);
                        joins.always.push(key(&[namespace, "every pod"]));
                    }
                }
            }
            joins.always_end.push(joins.always.len() as u32);
            if let Some(workload) = object.workload.as_deref() {
                for (label, value) in &workload.pod_labels {
                    joins.labels.push(key(&[namespace, "label", label, value]));
                }
            }
            joins.labels_end.push(joins.labels.len() as u32);
            joins.workload.push(object.workload.is_some());
        })?;
        drop(index);
        let objects = joins.places.len();

        // Objects are the first sets, in the order they came; keys follow.
        let mut sets = Sets::default();
        for _ in 0..objects {
            sets.add(1);
        }
        let mut nodes: FxHashMap<u64, u32> = FxHashMap::default();
        let mut join = |sets: &mut Sets, object: usize, key: u64| {
            let node = *nodes.entry(key).or_insert_with(|| sets.add(0));
            sets.join(object as u32, node);
        };
        let (mut always, mut labels) = (0usize, 0usize);
        for object in 0..objects {
            let always_end = joins.always_end[object] as usize;
            for key in &joins.always[always..always_end] {
                join(&mut sets, object, *key);
            }
            always = always_end;
            let labels_end = joins.labels_end[object] as usize;
            for label in &joins.labels[labels..labels_end] {
                if required.contains(label) {
                    join(&mut sets, object, *label);
                }
            }
            labels = labels_end;
            let namespace = joins.namespace_at[object];
            if joins.workload[object] && select_all.contains(&namespace) {
                let name = &namespaces[namespace as usize].0;
                join(&mut sets, object, key(&[name, "every pod"]));
            }
        }
        drop((required, nodes));

        // Sets are packed in the order their first object came, so that a
        // piece holds neighbouring files, and a namespace that fits in a
        // piece starts one rather than straddle two: judged whole, it keeps
        // what only a whole namespace gives (suggestions).
        let mut first_piece: Vec<Option<u32>> = vec![None; namespaces.len()];
        let mut split = vec![false; namespaces.len()];
        let mut piece_of_set = vec![u32::MAX; sets.parent.len()];
        let mut pieces: Vec<Vec<SummaryPlace>> = Vec::new();
        let mut filled = 0usize;
        let mut current = None;
        let mut namespace_starts_piece = false;
        for (object, (place, namespace)) in
            joins.places.into_iter().zip(joins.namespace_at).enumerate()
        {
            let namespace = namespace as usize;
            if current != Some(namespace) {
                current = Some(namespace);
                let count = namespaces[namespace].2;
                namespace_starts_piece =
                    filled > 0 && filled + count > piece_objects && count <= piece_objects;
            }
            let set = sets.find(object as u32) as usize;
            if piece_of_set[set] == u32::MAX {
                let size = sets.size[set] as usize;
                if pieces.is_empty()
                    || namespace_starts_piece
                    || (filled > 0 && filled + size > piece_objects)
                {
                    pieces.push(Vec::new());
                    filled = 0;
                    namespace_starts_piece = false;
                }
                filled += size;
                piece_of_set[set] = (pieces.len() - 1) as u32;
            }
            let piece = piece_of_set[set];
            pieces[piece as usize].push(place);
            let first = *first_piece[namespace].get_or_insert(piece);
            split[namespace] |= first != piece;
        }
        let facts = namespaces
            .into_iter()
            .zip(split)
            .map(|((namespace, facts, _), split)| {
                (
                    namespace,
                    NamespaceFacts {
                        whole: !split,
                        ..facts
                    },
                )
            })
            .collect();
        Ok(Plan { pieces, facts })
    }
}

/// The selector through which a relation rule relates `object` to pods:
/// a PodDisruptionBudget's, a Service's, or a NetworkPolicy's that does not
/// select every pod (those are a fact of the namespace).
fn relating_selector(object: &ObjectInfo) -> Option<&LabelSelector> {
    let (selector, _) = object.selector.as_deref()?;
    let relates = match object.kind.as_str() {
        "PodDisruptionBudget" => true,
        "Service" => !selector.is_empty(),
        _ => is_network_policy(object) && !selector.is_empty(),
    };
    relates.then_some(selector)
}

/// Keys of the labels of which a pod must carry one to be selected, or
/// `None` when a pod may be selected without any given label.
fn required_labels(namespace: &str, selector: &LabelSelector) -> Option<Vec<u64>> {
    if let Some((label, value)) = selector.match_labels.first() {
        return Some(vec![key(&[namespace, "label", label, value])]);
    }
    let within = selector
        .match_expressions
        .iter()
        .find(|r| r.operator == "In")?;
    Some(
        within
            .values
            .iter()
            .map(|value| key(&[namespace, "label", &within.key, value]))
            .collect(),
    )
}

fn key(parts: &[&str]) -> u64 {
    let mut hasher = FxHasher::default();
    parts.hash(&mut hasher);
    hasher.finish()
}

/// Disjoint sets over objects and the keys that join them; `size` counts
/// objects only.
#[derive(Default)]
struct Sets {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl Sets {
    fn add(&mut self, objects: u32) -> u32 {
        let id = self.parent.len() as u32;
        self.parent.push(id);
        self.size.push(objects);
        id
    }

    fn find(&mut self, mut at: u32) -> u32 {
        let mut root = at;
        while self.parent[root as usize] != root {
            root = self.parent[root as usize];
        }
        while self.parent[at as usize] != root {
            let next = self.parent[at as usize];
            self.parent[at as usize] = root;
            at = next;
        }
        root
    }

    fn join(&mut self, a: u32, b: u32) {
        let (a, b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        let (big, small) = if self.size[a as usize] >= self.size[b as usize] {
            (a, b)
        } else {
            (b, a)
        };
        self.parent[small as usize] = big;
        self.size[big as usize] += self.size[small as usize];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ArtifactKind, Engine, EngineConfig, HeldSummaries, SummaryStore};

    fn group(documents: &[String]) -> HeldSummaries {
        let engine = Engine::new(EngineConfig::default()).expect("defaults");
        let mut group = HeldSummaries::default();
        for (i, text) in documents.iter().enumerate() {
            let outcome = engine.check_text(&format!("{i}.yaml"), text, ArtifactKind::Yaml);
            outcome.objects.into_iter().for_each(|o| group.put(o));
        }
        group
    }

    fn deployment(name: &str, labels: &str) -> String {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  template:\n    metadata:\n      labels: {labels}\n    spec:\n      containers: [{{name: app, image: app:1}}]\n"
        )
    }

    fn service(name: &str, selector: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  selector: {selector}\n"
        )
    }

    /// The objects of each piece, by their position in the group.
    fn pieces(documents: &[String]) -> Vec<Vec<usize>> {
        // A held group's places are the objects' positions.
        let plan = Plan::of(&mut group(documents), 1).expect("planned");
        plan.pieces
            .iter()
            .map(|piece| piece.iter().map(|place| place.at as usize).collect())
            .collect()
    }

    #[test]
    fn related_objects_share_a_piece_and_a_shared_label_joins_nothing() {
        let documents = [
            deployment("api", "{app: api, team: shop}"),
            deployment("worker", "{app: worker, team: shop}"),
            service("api", "{app: api}"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: shop}\n".into(),
            "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: scaler, namespace: shop}\nspec:\n  scaleTargetRef: {kind: Deployment, name: worker}\n".into(),
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: shop}\nspec:\n  defaultBackend: {service: {name: api}}\n".into(),
            // Same labels, other namespace: unrelated.
            service("api", "{app: api}").replace("shop", "ops"),
        ];
        assert_eq!(
            pieces(&documents),
            vec![vec![0, 2, 5], vec![1, 4], vec![3], vec![6]]
        );
    }

    #[test]
    fn a_selector_any_pod_may_match_joins_its_namespace() {
        let documents = [
            deployment("api", "{app: api}"),
            deployment("worker", "{app: worker}"),
            "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: all, namespace: shop}\nspec:\n  maxUnavailable: 1\n  selector:\n    matchExpressions: [{key: app, operator: Exists}]\n".into(),
            // A policy for every pod is a fact of the namespace instead.
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\nspec:\n  podSelector: {}\n".into(),
        ];
        assert_eq!(pieces(&documents), vec![vec![0, 1, 2], vec![3]]);
        let plan = Plan::of(&mut group(&documents), 1).expect("planned");
        assert!(plan.facts["shop"].policy_for_every_pod);
    }
}
