//! The schemas compiled into the binary: every supported Kubernetes release,
//! sharing the definitions that did not change between them, and a few
//! widely used custom resources. Parsed once, on first use.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use serde_json::Value;

use crate::compile::{
    Compiled, CompiledSchema, Member, compile_builtin, compile_builtin_together, compile_crd,
};
use crate::{Release, WorkloadKinds};

/// `data/k8s-schemas.json.zz`, inflated by the build script. Schemas are
/// parsed one by one when a kind first needs them, borrowing from it.
const TEXT: &str = include_str!(concat!(env!("OUT_DIR"), "/k8s-schemas.json"));

/// The bundle's index, written by the build script: `SOURCES`,
/// `DEFINITIONS` and `KINDS` (names, by slot), `RELEASES` (per release, the
/// schema of each definition and kind slot, -1 where it has none), `CRDS`
/// and `SCHEMAS` (each schema's byte span in `TEXT`).
mod index {
    include!(concat!(env!("OUT_DIR"), "/k8s-schemas-index.rs"));
}

/// Where the bundled schemas come from, as recorded when they were generated.
#[derive(Debug, Clone)]
pub struct Source {
    pub registry: String,
    pub package: String,
    pub version: String,
    pub file: String,
    pub sha256: String,
}

pub(crate) struct BundledRelease {
    pub release: Release,
    definitions: &'static [i64],
    kinds: &'static [i64],
}

pub(crate) struct Bundle {
    pub sources: Vec<Source>,
    definition_index: HashMap<&'static str, usize>,
    kind_index: HashMap<(&'static str, &'static str), usize>,
    /// apiVersion and kind of each kind slot.
    kind_names: Vec<(&'static str, &'static str)>,
    pub releases: Vec<BundledRelease>,
    crds: HashMap<(&'static str, &'static str), usize>,
    crd_schemas: Vec<usize>,
    kind_count: usize,
    compiled_kinds: Vec<OnceLock<Compiled>>,
    compiled_crds: Vec<OnceLock<Compiled>>,
    /// Per release, the kinds to compile together, once named.
    groups: Vec<OnceLock<Group>>,
}

/// Kinds of one release compiled into one validator at first use.
struct Group {
    slots: Vec<usize>,
    /// One per slot; `None` if they could not be compiled together, when
    /// each is compiled on its own instead.
    compiled: OnceLock<Option<Vec<Arc<CompiledSchema>>>>,
}

static BUNDLE: LazyLock<Result<Bundle, String>> = LazyLock::new(load);

/// Workload kinds runs said they will validate, by release, until a kind of
/// that release is first compiled. Kept apart from the bundle, so that
/// saying so never waits for the bundle to load.
static EXPECTED: Mutex<Vec<(Release, WorkloadKinds)>> = Mutex::new(Vec::new());

/// Has the workload kinds a run will validate at `release` compiled
/// together, sharing the pod template's schemas, when the first is needed.
pub(crate) fn expect(release: Release, kinds: WorkloadKinds) {
    // One entry per release: a server that checks tree after tree must not
    // grow this list once every kind is compiled and it is no longer read.
    if let Ok(mut expected) = EXPECTED.lock() {
        match expected.iter_mut().find(|(wanted, _)| *wanted == release) {
            Some((_, named)) => *named = *named | kinds,
            None => expected.push((release, kinds)),
        }
    }
}

pub(crate) fn bundle() -> Result<&'static Bundle, &'static str> {
    BUNDLE.as_ref().map_err(String::as_str)
}

fn load() -> Result<Bundle, String> {
    let sources = index::SOURCES
        .iter()
        .map(|[registry, package, version, file, sha256]| Source {
            registry: (*registry).to_owned(),
            package: (*package).to_owned(),
            version: (*version).to_owned(),
            file: (*file).to_owned(),
            sha256: (*sha256).to_owned(),
        })
        .collect();
    let definition_index = index::DEFINITIONS
        .iter()
        .enumerate()
        .map(|(i, name)| (*name, i))
        .collect();
    let mut kind_index = HashMap::new();
    let mut kind_names = Vec::new();
    for (i, name) in index::KINDS.iter().enumerate() {
        let (api_version, kind) = name.rsplit_once('/').unwrap_or(("", name));
        kind_names.push((api_version, kind));
        if !api_version.is_empty() {
            kind_index.insert((api_version, kind), i);
        }
    }
    let mut releases = Vec::new();
    for (version, definitions, kinds) in index::RELEASES {
        let release: Release = version
            .parse()
            .map_err(|_| format!("bad release {version}"))?;
        releases.push(BundledRelease {
            release,
            definitions,
            kinds,
        });
    }
    releases.sort_by_key(|r| r.release);
    let mut crds = HashMap::new();
    let mut crd_schemas = Vec::new();
    for (api_version, kind, schema) in index::CRDS {
        crds.insert((*api_version, *kind), crd_schemas.len());
        crd_schemas.push(*schema);
    }
    let kind_count = index::KINDS.len();
    let compiled_kinds = (0..releases.len() * kind_count)
        .map(|_| OnceLock::new())
        .collect();
    let compiled_crds = (0..crd_schemas.len()).map(|_| OnceLock::new()).collect();
    let groups = releases.iter().map(|_| OnceLock::new()).collect();
    Ok(Bundle {
        sources,
        definition_index,
        kind_index,
        kind_names,
        releases,
        crds,
        crd_schemas,
        kind_count,
        compiled_kinds,
        compiled_crds,
        groups,
    })
}

impl Bundle {
    /// The bundled release used for `wanted`: the newest one not newer than
    /// it, or the oldest bundled one for older targets.
    pub fn release_index(&self, wanted: Release) -> usize {
        self.releases
            .iter()
            .rposition(|r| r.release <= wanted)
            .unwrap_or(0)
    }

    pub fn schema(&self, index: usize) -> Option<Value> {
        let &(start, end) = index::SCHEMAS.get(index)?;
        serde_json::from_str(TEXT.get(start..end)?).ok()
    }

    /// A definition of release `release` by name.
    pub fn definition(&self, release: usize, name: &str) -> Option<Value> {
        let slot = *self.definition_index.get(name)?;
        let index = *self.releases.get(release)?.definitions.get(slot)?;
        usize::try_from(index).ok().and_then(|i| self.schema(i))
    }

    fn kind_slot(&self, api_version: &str, kind: &str) -> Option<usize> {
        self.kind_index.get(&(api_version, kind)).copied()
    }

    fn kind_root(&self, release: usize, slot: usize) -> Option<usize> {
        let index = *self.releases.get(release)?.kinds.get(slot)?;
        usize::try_from(index).ok()
    }

    /// The compiled schema of a built-in kind at a release, if the release has it.
    pub fn builtin(&self, release: usize, api_version: &str, kind: &str) -> Option<Compiled> {
        let slot = self.kind_slot(api_version, kind)?;
        let root = self.kind_root(release, slot)?;
        if let Some(compiled) = self.grouped(release, slot) {
            return Some(Ok(compiled));
        }
        let cell = self.compiled_kinds.get(release * self.kind_count + slot)?;
        if cell.get().is_none()
            && self.group_expected(release)
            && let Some(compiled) = self.grouped(release, slot)
        {
            return Some(Ok(compiled));
        }
        Some(
            cell.get_or_init(|| compile_builtin(self, release, root))
                .clone(),
        )
    }

    /// Groups the workload kinds runs said they expect at this release (see
    /// [`expect`]). Only the first group of a release counts, and a kind
    /// already compiled stays on its own: either way every answer is the
    /// same, only the time to the first one changes. Whether a group is set.
    fn group_expected(&self, release: usize) -> bool {
        let Some(cell) = self.groups.get(release) else {
            return false;
        };
        let mut kinds = WorkloadKinds::default();
        if let Ok(mut expected) = EXPECTED.lock() {
            expected.retain(|(wanted, named)| {
                let here = self.release_index(*wanted) == release;
                if here {
                    kinds = kinds | *named;
                }
                !here
            });
        }
        let names = kinds.names();
        let slots: Vec<usize> = (0..self.kind_count)
            .filter(|&slot| {
                names.contains(&self.kind_names[slot].1)
                    && self.kind_root(release, slot).is_some()
                    && self.compiled_kinds[release * self.kind_count + slot]
                        .get()
                        .is_none()
            })
            .collect();
        if slots.len() > 1 {
            let _ = cell.set(Group {
                slots,
                compiled: OnceLock::new(),
            });
        }
        cell.get().is_some()
    }

    fn grouped(&self, release: usize, slot: usize) -> Option<Arc<CompiledSchema>> {
        let group = self.groups.get(release)?.get()?;
        let position = group.slots.iter().position(|s| *s == slot)?;
        let compiled = group.compiled.get_or_init(|| {
            let members: Option<Vec<Member<'_>>> = group
                .slots
                .iter()
                .map(|&slot| {
                    let (api_version, kind) = &self.kind_names[slot];
                    Some(Member {
                        api_version,
                        kind,
                        root: self.kind_root(release, slot)?,
                    })
                })
                .collect();
            compile_builtin_together(self, release, &members?).ok()
        });
        compiled.as_ref()?.get(position).cloned()
    }

    /// Releases whose bundle has the kind, oldest first.
    pub fn releases_with(&self, api_version: &str, kind: &str) -> Vec<Release> {
        let Some(slot) = self.kind_slot(api_version, kind) else {
            return Vec::new();
        };
        self.releases
            .iter()
            .filter(|r| r.kinds.get(slot).is_some_and(|i| *i >= 0))
            .map(|r| r.release)
            .collect()
    }

    /// The kinds a release serves under an apiVersion.
    pub fn kinds_of(&self, release: usize, api_version: &str) -> Vec<String> {
        let Some(r) = self.releases.get(release) else {
            return Vec::new();
        };
        self.kind_index
            .iter()
            .filter(|((v, _), slot)| {
                *v == api_version && r.kinds.get(**slot).is_some_and(|i| *i >= 0)
            })
            .map(|((_, kind), _)| (*kind).to_owned())
            .collect()
    }

    pub fn crd(&self, api_version: &str, kind: &str) -> Option<Compiled> {
        let slot = *self.crds.get(&(api_version, kind))?;
        let schema = self.crd_schemas[slot];
        Some(
            self.compiled_crds[slot]
                .get_or_init(|| match self.schema(schema) {
                    Some(open_api) => compile_crd(&open_api),
                    None => Err(Arc::from("the bundled schema is missing")),
                })
                .clone(),
        )
    }

    pub fn newest(&self) -> usize {
        self.releases.len().saturating_sub(1)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::compile::CompiledSchema;
    use crate::report::raw_errors;

    /// A pod spec with a defect of every sort the reports tell apart.
    fn broken_pod_spec() -> Value {
        json!({
            "containers": [{
                "name": "api",
                "image": 5,
                "imagePullPolcy": "Always",
                "resources": {"requests": {"memory": "1GB"}},
                "ports": [{"containerPort": "http"}],
            }],
            "restartPolicy": "Sometimes",
            "hostPID": "yes",
            "volumes": [{"name": "data", "emptyDir": {"sizeLimit": null}, "hostPth": {}}],
        })
    }

    /// An object of the kind with the broken pod spec where the kind keeps
    /// its pod template, and defects of its own around it.
    fn broken(api_version: &str, kind: &str) -> Value {
        let template = json!({"metadata": {"labels": {"app": 1}}, "spec": broken_pod_spec()});
        let spec = match kind {
            "Pod" => broken_pod_spec(),
            "CronJob" => json!({"schedule": 5, "jobTemplate": {"spec": {"template": template}}}),
            _ => json!({"replicas": "3", "selectr": {}, "template": template}),
        };
        let mut object = json!({
            "apiVersion": api_version,
            "kind": kind,
            "metadata": {"name": "api", "labels": {"tier": 3}},
            "spce": {},
        });
        if kind == "PodTemplate" {
            object["template"] = template;
        } else {
            object["spec"] = spec;
        }
        object
    }

    fn report(schema: &CompiledSchema, object: &Value) -> (bool, String) {
        let errors = raw_errors(
            schema.validator().iter_errors(object),
            schema.document(),
            schema.root(),
        );
        (schema.validator().is_valid(object), format!("{errors:#?}"))
    }

    #[test]
    fn workload_kinds_compiled_together_answer_as_each_alone() {
        let bundle = bundle().expect("the bundle loads");
        let workloads = WorkloadKinds::named_in(
            "kind: Pod\nkind: PodTemplate\nkind: ReplicationController\nkind: ReplicaSet\n\
             kind: Deployment\nkind: StatefulSet\nkind: DaemonSet\nkind: Job\nkind: CronJob\n",
        )
        .names();
        for release in [0, bundle.newest()] {
            let slots: Vec<usize> = (0..bundle.kind_count)
                .filter(|&slot| {
                    workloads.contains(&bundle.kind_names[slot].1)
                        && bundle.kind_root(release, slot).is_some()
                })
                .collect();
            assert!(slots.len() >= 9, "{slots:?}");
            let members: Vec<Member<'_>> = slots
                .iter()
                .map(|&slot| Member {
                    api_version: bundle.kind_names[slot].0,
                    kind: bundle.kind_names[slot].1,
                    root: bundle.kind_root(release, slot).expect("a root"),
                })
                .collect();
            let together =
                compile_builtin_together(bundle, release, &members).expect("compiles together");
            for (member, shared) in members.iter().zip(&together) {
                let alone = compile_builtin(bundle, release, member.root).expect("compiles alone");
                let object = broken(member.api_version, member.kind);
                let (valid, errors) = report(shared, &object);
                assert!(!valid, "{} {}", member.api_version, member.kind);
                assert!(errors.contains("unknown field"), "{errors}");
                assert!(errors.contains("imagePullPolicy"), "{errors}");
                assert_eq!(
                    (valid, errors),
                    report(&alone, &object),
                    "{} {}",
                    member.api_version,
                    member.kind
                );
                // The shared validator judges its members only.
                let mut stranger = object.clone();
                stranger["kind"] = json!("Service");
                assert!(shared.validator().is_valid(&stranger));
            }
        }
    }
}
