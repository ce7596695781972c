//! Merging what several lockfiles say into one component per purl.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Component, Parsed, Scope};
use crate::purl;
use crate::{Diagnostic, Level};

#[derive(Default)]
pub(crate) struct Merger {
    components: BTreeMap<String, Merged>,
    root: BTreeSet<String>,
}

struct Merged {
    component: Component,
    lockfiles: BTreeSet<String>,
    depends_on: Option<BTreeSet<String>>,
}

impl Merger {
    pub fn add(&mut self, path: &str, parsed: Parsed, diagnostics: &mut Vec<Diagnostic>) {
        let mut purls: Vec<Option<String>> = Vec::with_capacity(parsed.packages.len());
        for pkg in &parsed.packages {
            if pkg.local {
                purls.push(None);
                continue;
            }
            let Some(id) = purl::identity(pkg.ecosystem, &pkg.name, &pkg.version, &pkg.qualifiers)
            else {
                diagnostics.push(Diagnostic {
                    level: Level::Note,
                    path: path.to_string(),
                    line: None,
                    column: None,
                    message: format!(
                        "{:?}@{:?} has no valid package URL; left out",
                        pkg.name, pkg.version
                    ),
                });
                purls.push(None);
                continue;
            };
            let merged = self
                .components
                .entry(id.purl.clone())
                .or_insert_with(|| Merged {
                    component: Component {
                        ecosystem: pkg.ecosystem,
                        group: id.group,
                        name: id.name,
                        version: pkg.version.trim().to_string(),
                        purl: id.purl.clone(),
                        hashes: Vec::new(),
                        scope: pkg.scope,
                        lockfiles: Vec::new(),
                        depends_on: None,
                    },
                    lockfiles: BTreeSet::new(),
                    depends_on: None,
                });
            let c = &mut merged.component;
            c.hashes.extend(pkg.hashes.iter().cloned());
            c.hashes.sort();
            c.hashes.dedup();
            c.scope = merge_scope(c.scope, pkg.scope);
            merged.lockfiles.insert(path.to_string());
            purls.push(Some(id.purl));
        }
        for (i, pkg) in parsed.packages.iter().enumerate() {
            let Some(deps) = &pkg.deps else {
                continue;
            };
            let targets = deps.iter().filter_map(|&j| purls.get(j).cloned().flatten());
            match &purls[i] {
                // What the repository's own packages depend on, it depends on.
                None if pkg.local => self.root.extend(targets),
                None => {}
                Some(purl) => {
                    let merged = self.components.get_mut(purl).expect("inserted above");
                    let set = merged.depends_on.get_or_insert_with(BTreeSet::new);
                    set.extend(targets.filter(|t| t != purl));
                }
            }
        }
        self.root.extend(
            parsed
                .root_deps
                .iter()
                .filter_map(|&j| purls.get(j).cloned().flatten()),
        );
    }

    /// Components sorted by purl, and the repository's direct dependencies.
    pub fn finish(self) -> (Vec<Component>, Vec<String>) {
        let components = self
            .components
            .into_values()
            .map(|m| Component {
                lockfiles: m.lockfiles.into_iter().collect(),
                depends_on: m.depends_on.map(|d| d.into_iter().collect()),
                ..m.component
            })
            .collect();
        (components, self.root.into_iter().collect())
    }
}

/// Required anywhere means required; unknown anywhere means unknown, since
/// the lockfile that did not say may use it at run time.
fn merge_scope(a: Option<Scope>, b: Option<Scope>) -> Option<Scope> {
    match (a, b) {
        (Some(Scope::Required), _) | (_, Some(Scope::Required)) => Some(Scope::Required),
        (None, _) | (_, None) => None,
        (Some(Scope::Optional), Some(Scope::Optional)) => Some(Scope::Optional),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_merge_towards_required() {
        use Scope::*;
        assert_eq!(merge_scope(Some(Optional), Some(Required)), Some(Required));
        assert_eq!(merge_scope(Some(Optional), None), None);
        assert_eq!(merge_scope(None, Some(Required)), Some(Required));
        assert_eq!(merge_scope(Some(Optional), Some(Optional)), Some(Optional));
    }
}
