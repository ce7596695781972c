//! The plan `shipgate init` writes: the default plan cut to the kinds of
//! artifact a repository holds, so that no gate stands on rules that have
//! nothing to read there.

use std::collections::BTreeSet;

use crate::default::default_plan;
use crate::model::{CheckKind, Plan};

/// Packs whose rules apply to any repository.
const EVERYWHERE: &[&str] = &["yaml", "io", "meta", "secrets", "repo"];

/// The default plan keeping only the rules of `packs` (`k8s`, `docker`,
/// `compose`, `workflows`, `helm`, `kustomize`) and of the packs that apply
/// everywhere; a gate left with no rule is dropped, then a phase left with
/// no gate, and the `needs` on it.
pub fn plan_for(packs: &BTreeSet<&str>, project: Option<&str>) -> Plan {
    let mut plan = default_plan();
    plan.project.name = project.map(str::to_owned);
    let applies = |pattern: &str| {
        let pack = pattern.split('/').next().unwrap_or(pattern);
        EVERYWHERE.contains(&pack) || packs.contains(pack)
    };
    for phase in &mut plan.phases {
        for gate in &mut phase.gates {
            for check in &mut gate.checks {
                if let CheckKind::Rules(rules) = &mut check.kind {
                    rules.rules.retain(|r| applies(r));
                }
            }
            gate.checks.retain(|c| match &c.kind {
                CheckKind::Rules(rules) => !rules.rules.is_empty(),
                _ => true,
            });
        }
        phase.gates.retain(|g| !g.checks.is_empty());
    }
    plan.phases.retain(|p| !p.gates.is_empty());
    let kept: BTreeSet<String> = plan.phases.iter().map(|p| p.id.clone()).collect();
    for phase in &mut plan.phases {
        phase.needs.retain(|n| kept.contains(n));
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(plan: &Plan) -> Vec<String> {
        plan.phases
            .iter()
            .flat_map(|p| &p.gates)
            .flat_map(|g| &g.checks)
            .filter_map(|c| match &c.kind {
                CheckKind::Rules(r) => Some(r.rules.clone()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    #[test]
    fn keeps_the_packs_a_repository_has() {
        let docker_only = plan_for(&BTreeSet::from(["docker"]), Some("api"));
        let kept = rules(&docker_only);
        assert!(kept.iter().any(|r| r.starts_with("docker/")));
        assert!(kept.iter().any(|r| r.starts_with("secrets/")));
        assert!(
            !kept
                .iter()
                .any(|r| r.starts_with("k8s/") || r.starts_with("compose/"))
        );
        assert_eq!(docker_only.project.name.as_deref(), Some("api"));
        // What is written loads again: no dangling `needs`, no empty phase.
        let text = crate::import::to_toml(&docker_only);
        let loaded = crate::parse_toml(&text, "shipgate.toml").expect("valid plan");
        assert_eq!(loaded.phases.len(), docker_only.phases.len());

        let everything = plan_for(
            &BTreeSet::from(["k8s", "docker", "compose", "workflows", "helm", "kustomize"]),
            None,
        );
        assert_eq!(rules(&everything), rules(&default_plan()));
    }
}
