//! A Markdown plan as the `shipgate.toml` it stands for.
//!
//! Every item becomes a gate of its phase, so that nothing is dropped: an
//! item bound by a comment gets the checks it names; any other item gets an
//! attestation, which only a person can satisfy, unless suggestions are
//! accepted, in which case it gets the checks the catalogue proposes.

use std::collections::{BTreeMap, BTreeSet};

use crate::coverage::plan_suggestions;
use crate::error::{PlanError, PlanErrors};
use crate::markdown::{MarkdownPlan, Section};
use crate::model::*;
use crate::suggest::{Suggested, checks_for, concepts};
use crate::text::slug;

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The file the plan was read from, as gates' `source` names it.
    pub origin: String,
    /// Turn the catalogue's suggestions into checks instead of attestations.
    pub accept_suggestions: bool,
}

/// The plan a Markdown plan stands for, validated.
pub fn import(markdown: &MarkdownPlan, options: &ImportOptions) -> Result<Plan, PlanErrors> {
    let origin = options.origin.as_str();
    let mut errors = Vec::new();
    let mut owners = OwnerIds::default();

    // Phases in the order their first item appears.
    let mut phase_of_section: BTreeMap<Option<usize>, usize> = BTreeMap::new();
    let mut phases: Vec<Phase> = Vec::new();
    let mut phase_sections: Vec<Option<usize>> = Vec::new();
    let mut used_ids = BTreeSet::new();
    for item in &markdown.items {
        if phase_of_section.contains_key(&item.phase) {
            continue;
        }
        let title = match item.phase {
            Some(s) => markdown.sections[s].title.clone(),
            None => markdown.title.clone().unwrap_or_else(|| "Plan".into()),
        };
        let id = unique(&mut used_ids, slug(&title, 40), "phase");
        phase_of_section.insert(item.phase, phases.len());
        phase_sections.push(item.phase);
        phases.push(Phase {
            id,
            title: Some(title),
            needs: Vec::new(),
            owner: None,
            gates: Vec::new(),
        });
    }
    link_phases(markdown, &mut phases, &phase_sections);

    let suggestions = plan_suggestions(markdown);
    let mut gate_of_item: Vec<String> = Vec::with_capacity(markdown.items.len());
    for (index, item) in markdown.items.iter().enumerate() {
        let phase = phase_of_section[&item.phase];
        let source = format!("{origin}:{}", item.line);
        let checks = if !item.bindings.is_empty() {
            match bound_checks(&item.bindings) {
                Ok(checks) => checks,
                Err(message) => {
                    errors.push(PlanError {
                        origin: origin.to_owned(),
                        position: Some(shipgate_core::Position::new(item.line, 1)),
                        message,
                    });
                    Vec::new()
                }
            }
        } else {
            let suggested = &suggestions[index];
            let (checks, pending) = if options.accept_suggestions {
                checks_for(suggested)
            } else {
                (Vec::new(), suggested.iter().map(Suggested::label).collect())
            };
            if checks.is_empty() {
                let mut attestation = Check::attestation(statement(&item.text, item.line));
                if let CheckKind::Attestation(a) = &mut attestation.kind {
                    a.suggested = dedup(pending);
                }
                vec![attestation]
            } else {
                checks
            }
        };
        gate_of_item.push(format!("{}/{}", phases[phase].id, item.id));
        phases[phase].gates.push(Gate {
            id: item.id.clone(),
            title: Some(statement(&item.text, item.line)),
            required: true,
            owner: None,
            decisions: Vec::new(),
            source: Some(source),
            checks,
        });
    }

    let item_concepts: Vec<Vec<&str>> = markdown.items.iter().map(|i| concepts(&i.text)).collect();
    let mut risk_ids = BTreeSet::new();
    let risks: Vec<Risk> = markdown
        .risks
        .iter()
        .map(|risk| {
            let mut risk = risk.clone();
            risk.id = unique(&mut risk_ids, risk.id.clone(), "risk");
            risk.owner = risk.owner.as_deref().map(|name| owners.id(name));
            let wants: BTreeSet<&str> = concepts(&format!(
                "{}. {}",
                risk.title,
                risk.mitigation.as_deref().unwrap_or("")
            ))
            .into_iter()
            .collect();
            risk.mitigated_by = item_concepts
                .iter()
                .zip(&gate_of_item)
                .filter(|(found, _)| found.iter().any(|c| wants.contains(c)))
                .map(|(_, gate)| gate.clone())
                .collect();
            risk
        })
        .collect();

    let mut decision_ids = BTreeSet::new();
    let decisions: Vec<Decision> = markdown
        .decisions
        .iter()
        .map(|decision| {
            let mut decision = decision.clone();
            decision.id = unique(&mut decision_ids, decision.id.clone(), "decision");
            decision.owner = decision.owner.as_deref().map(|name| owners.id(name));
            decision
        })
        .collect();

    if !errors.is_empty() {
        return Err(PlanErrors(errors));
    }
    let plan = Plan {
        schema: Some(PLAN_SCHEMA.into()),
        project: Project {
            name: markdown.title.clone(),
            description: None,
            owner: None,
        },
        owners: owners.into_owners(),
        phases,
        risks,
        decisions,
        targets: Default::default(),
        probes: Vec::new(),
        ship: Ship::default(),
    };
    crate::load::check(&plan, origin)?;
    Ok(plan)
}

/// An attestation states what is vouched for; an item with no words (a bare
/// checkbox) still needs one.
fn statement(text: &str, line: u32) -> String {
    if text.trim().is_empty() {
        format!("The item at line {line} is done")
    } else {
        text.to_owned()
    }
}

fn dedup(labels: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for label in labels {
        if !out.contains(&label) {
            out.push(label);
        }
    }
    out
}

fn unique(used: &mut BTreeSet<String>, base: String, fallback: &str) -> String {
    let base = if base.is_empty() {
        fallback.to_owned()
    } else {
        base
    };
    let mut id = base.clone();
    let mut n = 1;
    while !used.insert(id.clone()) {
        n += 1;
        id = format!("{base}-{n}");
    }
    id
}

/// The checks a `<!-- shipgate: ... -->` comment names: rule ids and globs,
/// `file:PATH`, `probe:KIND`, `command:PROGRAM ARGS`, or `attest`.
fn bound_checks(bindings: &[String]) -> Result<Vec<Check>, String> {
    let mut rules = Vec::new();
    let mut checks = Vec::new();
    for token in bindings {
        if let Some(path) = token.strip_prefix("file:") {
            checks.push(Check::new(CheckKind::File(FileCheck {
                path: path.to_owned(),
                exists: true,
                matches: None,
            })));
        } else if let Some(kind) = token.strip_prefix("probe:") {
            checks.push(Check::new(CheckKind::Probe(ProbeCheck {
                kind: kind.to_owned(),
                options: toml::Table::new(),
            })));
        } else if let Some(command) = token.strip_prefix("command:") {
            let argv: Vec<String> = command.split(',').map(str::to_owned).collect();
            checks.push(Check::new(CheckKind::Command(CommandCheck {
                argv,
                timeout: CommandCheck::DEFAULT_TIMEOUT,
                exit_code: 0,
                workdir: None,
            })));
        } else if matches!(token.as_str(), "attest" | "attestation" | "manual") {
            checks.push(Check::attestation("Attested by hand"));
        } else {
            globset::Glob::new(token).map_err(|e| {
                format!("the binding `{token}` is not a rule pattern: {}", e.kind())
            })?;
            rules.push(token.clone());
        }
    }
    if !rules.is_empty() {
        checks.insert(0, Check::rules(rules));
    }
    Ok(checks)
}

/// Dependencies between phases: those the plan writes (`Dependencies: WP1`),
/// or else, for phases numbered in sequence (`Phase 1`, `Phase 2`), each
/// after the one before.
fn link_phases(markdown: &MarkdownPlan, phases: &mut [Phase], sections: &[Option<usize>]) {
    let find = |reference: &str| -> Option<usize> {
        let wanted = normalise(reference);
        sections.iter().position(|s| {
            s.map(|s| &markdown.sections[s])
                .is_some_and(|section: &Section| {
                    section.label.as_deref().map(normalise) == Some(wanted.clone())
                        || normalise(&section.title) == wanted
                })
        })
    };
    let mut explicit = false;
    for (p, section) in sections.iter().enumerate() {
        let Some(section) = section else {
            continue;
        };
        for reference in &markdown.sections[*section].depends_on {
            explicit = true;
            if let Some(other) = find(reference)
                && other != p
            {
                let id = phases[other].id.clone();
                if !phases[p].needs.contains(&id) {
                    phases[p].needs.push(id);
                }
            }
        }
    }
    if explicit {
        return;
    }
    let numbered =
        regex::Regex::new(r"(?i)^(phase|stage|step|milestone|part)\s*[0-9]").expect("valid");
    let mut previous: Option<usize> = None;
    for (p, section) in sections.iter().enumerate() {
        let is_numbered = section.is_some_and(|s| numbered.is_match(&markdown.sections[s].title));
        if !is_numbered {
            continue;
        }
        if let Some(before) = previous {
            let id = phases[before].id.clone();
            phases[p].needs.push(id);
        }
        previous = Some(p);
    }
}

fn normalise(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Owner ids made from the names a plan writes in its tables.
#[derive(Default)]
struct OwnerIds {
    by_name: BTreeMap<String, String>,
    owners: BTreeMap<String, Owner>,
}

impl OwnerIds {
    fn id(&mut self, name: &str) -> String {
        if let Some(id) = self.by_name.get(name) {
            return id.clone();
        }
        let mut used: BTreeSet<String> = self.owners.keys().cloned().collect();
        let id = unique(&mut used, slug(name, 30), "owner");
        self.owners.insert(
            id.clone(),
            Owner {
                name: Some(name.to_owned()),
                contact: None,
            },
        );
        self.by_name.insert(name.to_owned(), id.clone());
        id
    }

    fn into_owners(self) -> BTreeMap<String, Owner> {
        self.owners
    }
}

/// The plan as `shipgate.toml` text.
pub fn to_toml(plan: &Plan) -> String {
    toml::to_string_pretty(plan).expect("a plan serializes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::parse;

    const PLAN: &str = "\
# Shop launch

## Phase 1: Build
### Tasks
- [ ] Pin image tags <!-- shipgate: k8s/image-tag docker/base-image-tag -->
- [x] Add SECURITY.md
- [ ] Celebrate

## Phase 2: Ship
### Gate Criteria
- [ ] p95 under 200ms with 2x traffic

## Risks
| Risk | Likelihood | Impact | Mitigation | Owner |
|---|---|---|---|---|
| Leaked credentials in the repo | Low | Critical | Secret scanning in CI | Security Team |
";

    #[test]
    fn every_item_becomes_a_gate_and_the_plan_reads_back() {
        let markdown = parse(PLAN, "plan.md");
        let options = ImportOptions {
            origin: "plan.md".into(),
            accept_suggestions: false,
        };
        let plan = import(&markdown, &options).expect("imports");
        assert_eq!(plan.project.name.as_deref(), Some("Shop launch"));
        let ids: Vec<&str> = plan.phases.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["phase-1-build", "phase-2-ship"]);
        assert_eq!(plan.phases[1].needs, ["phase-1-build"]);
        let gates: usize = plan.phases.iter().map(|p| p.gates.len()).sum();
        assert_eq!(gates, markdown.items.len());

        let pin = &plan.phases[0].gates[0];
        assert_eq!(pin.source.as_deref(), Some("plan.md:5"));
        let CheckKind::Rules(rules) = &pin.checks[0].kind else {
            panic!("bound items get their rules")
        };
        assert_eq!(rules.rules, ["k8s/image-tag", "docker/base-image-tag"]);

        let security = &plan.phases[0].gates[1];
        let CheckKind::Attestation(a) = &security.checks[0].kind else {
            panic!("unbound items are attested")
        };
        assert!(
            a.suggested
                .contains(&"repo/security-policy-missing".to_owned())
        );

        assert_eq!(plan.risks[0].owner.as_deref(), Some("security-team"));
        assert_eq!(
            plan.owners["security-team"].name.as_deref(),
            Some("Security Team")
        );

        let text = to_toml(&plan);
        assert_eq!(
            crate::parse_toml(&text, "shipgate.toml").expect("reads back"),
            plan
        );
    }

    #[test]
    fn accepted_suggestions_become_checks() {
        let markdown = parse(PLAN, "plan.md");
        let options = ImportOptions {
            origin: "plan.md".into(),
            accept_suggestions: true,
        };
        let plan = import(&markdown, &options).expect("imports");
        let security = &plan.phases[0].gates[1];
        assert!(security.checks.iter().all(|c| c.kind.is_automated()));
        let latency = &plan.phases[1].gates[0];
        assert!(matches!(&latency.checks[0].kind, CheckKind::Probe(p) if p.kind == "load"));
        let celebrate = &plan.phases[0].gates[2];
        assert!(matches!(
            celebrate.checks[0].kind,
            CheckKind::Attestation(_)
        ));
        let text = to_toml(&plan);
        assert_eq!(
            crate::parse_toml(&text, "shipgate.toml").expect("reads back"),
            plan
        );
    }

    #[test]
    fn a_bad_binding_is_reported_at_its_line() {
        let markdown = parse("- [ ] x <!-- shipgate: k8s/[oops -->\n", "plan.md");
        let errors = import(
            &markdown,
            &ImportOptions {
                origin: "plan.md".into(),
                accept_suggestions: false,
            },
        )
        .unwrap_err();
        assert!(
            errors
                .to_string()
                .starts_with("plan.md:1:1: the binding `k8s/[oops`"),
            "{errors}"
        );
    }
}
