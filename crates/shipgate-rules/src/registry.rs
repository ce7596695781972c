use std::collections::HashMap;
use std::sync::LazyLock;

use globset::{Glob, GlobSet, GlobSetBuilder};
use shipgate_core::{Finding, RuleMeta, Tool};

use crate::k8s;

/// How a rule is run.
#[derive(Clone, Copy)]
pub enum Check {
    /// Judges one Kubernetes object at a time.
    Object(fn(&k8s::Object<'_>, &mut k8s::Sink<'_>)),
    /// Judges relations across every scanned object, grouped by namespace.
    Cluster(fn(&k8s::Cluster, &mut k8s::ClusterSink<'_>)),
    /// Judges one Dockerfile.
    Dockerfile(crate::docker::CheckFn),
    /// Judges one Compose file.
    Compose(crate::compose::CheckFn),
    /// Judges one GitHub Actions workflow.
    Workflow(crate::workflows::CheckFn),
    /// Judges a repository as a whole, once every file has been seen.
    Repo(crate::repo::CheckFn),
    /// Judges one Helm chart from the files of its folder, once every file has been seen.
    Helm(crate::helm::CheckFn),
    /// Raised by the engine itself: unreadable input, malformed YAML, suppressions.
    Engine,
}

/// A rule: its documentation and the code that enforces it.
pub struct RuleDef {
    pub meta: RuleMeta,
    pub check: Check,
}

/// Every rule shipgate knows, sorted by id.
pub struct Registry {
    rules: Vec<&'static RuleDef>,
    by_id: HashMap<&'static str, usize>,
}

static REGISTRY: LazyLock<Registry> = LazyLock::new(|| {
    let mut rules: Vec<&'static RuleDef> = crate::meta::RULES
        .iter()
        .chain(k8s::rules())
        .chain(crate::kustomize::RULES)
        .chain(crate::docker::RULES)
        .chain(crate::compose::RULES)
        .chain(crate::workflows::RULES)
        .chain(crate::repo::RULES)
        .chain(crate::helm::RULES)
        .chain(crate::secrets::RULES)
        .collect();
    rules.sort_by_key(|r| r.meta.id);
    let by_id = rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.meta.id, i))
        .collect();
    Registry { rules, by_id }
});

pub fn registry() -> &'static Registry {
    &REGISTRY
}

impl Registry {
    pub fn rules(&self) -> &[&'static RuleDef] {
        &self.rules
    }

    pub fn get(&self, id: &str) -> Option<&'static RuleDef> {
        self.by_id.get(id).map(|i| self.rules[*i])
    }

    /// Resolves what a user or a peer's suppression names (`k8s/host-pid`,
    /// `k8s/*`, `CKV_K8S_17`, `hostPIDSet`) to our rules. `tool` limits alias
    /// lookup to one peer's ids.
    pub fn resolve(&self, token: &str, tool: Option<Tool>) -> Vec<&'static RuleDef> {
        let token = token.trim();
        if token.is_empty() {
            return Vec::new();
        }
        if tool.is_none() {
            if let Some(rule) = self.get(token) {
                return vec![rule];
            }
            if token.contains(['*', '?', '[']) {
                return match Glob::new(token) {
                    Ok(glob) => {
                        let matcher = glob.compile_matcher();
                        self.rules
                            .iter()
                            .copied()
                            .filter(|r| matcher.is_match(r.meta.id))
                            .collect()
                    }
                    Err(_) => Vec::new(),
                };
            }
        }
        self.rules
            .iter()
            .copied()
            .filter(|r| r.meta.has_alias(tool, token))
            .collect()
    }
}

/// Which rules a run applies, from `--select` and `--ignore`.
pub struct Selection {
    enabled: Vec<bool>,
}

impl Selection {
    /// With no `select`, the rules enabled by default; otherwise exactly the
    /// rules `select` names (opt-in rules included). `ignore` is applied last.
    pub fn new(select: &[String], ignore: &[String]) -> Result<Self, String> {
        let registry = registry();
        let mut enabled: Vec<bool> = if select.is_empty() {
            registry
                .rules
                .iter()
                .map(|r| r.meta.enabled_by_default)
                .collect()
        } else {
            let set = matcher(select, registry)?;
            registry.rules.iter().map(|r| set(r)).collect()
        };
        if !ignore.is_empty() {
            let set = matcher(ignore, registry)?;
            for (slot, rule) in enabled.iter_mut().zip(&registry.rules) {
                if set(rule) {
                    *slot = false;
                }
            }
        }
        // Diagnostics about the input itself cannot be switched off by a
        // broad glob: a file we could not read must never look like a pass.
        for (slot, rule) in enabled.iter_mut().zip(&registry.rules) {
            if rule.meta.id == "io/unreadable-file" {
                *slot = true;
            }
        }
        Ok(Selection { enabled })
    }

    pub fn all_default() -> Self {
        Selection::new(&[], &[]).unwrap_or(Selection {
            enabled: Vec::new(),
        })
    }

    pub fn is_enabled(&self, id: &str) -> bool {
        registry()
            .by_id
            .get(id)
            .is_some_and(|i| self.enabled.get(*i).copied().unwrap_or(false))
    }

    pub fn enabled_rules(&self) -> impl Iterator<Item = &'static RuleDef> + '_ {
        registry()
            .rules
            .iter()
            .zip(&self.enabled)
            .filter(|(_, on)| **on)
            .map(|(r, _)| *r)
    }
}

/// The rules that `patterns` name, in the forms `--select` accepts.
pub fn matching(patterns: &[String]) -> Result<Vec<&'static RuleDef>, String> {
    let registry = registry();
    let set = matcher(patterns, registry)?;
    Ok(registry.rules.iter().copied().filter(|r| set(r)).collect())
}

type Matcher = Box<dyn Fn(&RuleDef) -> bool>;

fn matcher(patterns: &[String], registry: &Registry) -> Result<Matcher, String> {
    let mut globs = GlobSetBuilder::new();
    let mut aliases: Vec<String> = Vec::new();
    for pattern in patterns.iter().flat_map(|p| p.split(',')) {
        let pattern = pattern.trim();
        if pattern.is_empty() {
            continue;
        }
        let known = pattern.contains(['*', '?', '['])
            || registry.get(pattern).is_some()
            || !registry.resolve(pattern, None).is_empty()
            || registry.rules.iter().any(|r| r.meta.pack() == pattern);
        if !known {
            return Err(format!(
                "`{pattern}` matches no rule; `shipgate rules` lists them"
            ));
        }
        if registry.rules.iter().any(|r| r.meta.pack() == pattern) {
            globs.add(glob(&format!("{pattern}/*"))?);
        } else {
            globs.add(glob(pattern)?);
            aliases.push(pattern.to_owned());
        }
    }
    let set: GlobSet = globs.build().map_err(|e| e.to_string())?;
    Ok(Box::new(move |rule: &RuleDef| {
        set.is_match(rule.meta.id) || aliases.iter().any(|a| rule.meta.has_alias(None, a))
    }))
}

fn glob(pattern: &str) -> Result<Glob, String> {
    Glob::new(pattern).map_err(|e| format!("invalid rule pattern `{pattern}`: {e}"))
}

/// Builds a finding carrying a rule's severity and category.
pub fn finding(
    meta: &RuleMeta,
    message: impl Into<String>,
    location: shipgate_core::Location,
) -> Finding {
    Finding::new(meta.id, meta.severity, meta.category, message, location)
}
