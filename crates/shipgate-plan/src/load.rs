//! Reading `shipgate.toml`: serde for the shape, then the checks serde
//! cannot make (references between phases, gates, owners, risks and
//! decisions; dependency cycles; patterns), each reported at its position.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::error::{LineIndex, PlanError, PlanErrors};
use crate::model::*;

/// A step into the TOML document, to find where an invalid value was written.
#[derive(Debug, Clone)]
enum Seg {
    Key(&'static str),
    Name(String),
    Index(usize),
}

#[derive(Debug)]
struct Issue {
    path: Vec<Seg>,
    message: String,
}

/// Parses and validates a plan written in TOML. `origin` names the file in
/// error messages.
pub fn parse_toml(text: &str, origin: &str) -> Result<Plan, PlanErrors> {
    let index = LineIndex::new(text);
    let plan: Plan = toml::from_str(text).map_err(|e| {
        PlanErrors(vec![PlanError {
            origin: origin.to_owned(),
            position: e.span().map(|span| index.position(span.start)),
            message: e.message().trim_end().to_owned(),
        }])
    })?;
    let issues = validate(&plan);
    if issues.is_empty() {
        return Ok(plan);
    }
    let document = DeTable::parse(text).ok();
    Err(PlanErrors(
        issues
            .into_iter()
            .map(|issue| PlanError {
                origin: origin.to_owned(),
                position: document
                    .as_ref()
                    .and_then(|doc| span_of(doc, &issue.path))
                    .map(|span| index.position(span.start)),
                message: issue.message,
            })
            .collect(),
    ))
}

/// Checks a plan built in code (the default plan, an imported one) the way
/// a file is checked, without positions.
pub fn check(plan: &Plan, origin: &str) -> Result<(), PlanErrors> {
    let issues = validate(plan);
    if issues.is_empty() {
        return Ok(());
    }
    Err(PlanErrors(
        issues
            .into_iter()
            .map(|issue| PlanError {
                origin: origin.to_owned(),
                position: None,
                message: issue.message,
            })
            .collect(),
    ))
}

/// The span of the deepest part of `path` the document has.
fn span_of(document: &Spanned<DeTable<'_>>, path: &[Seg]) -> Option<Range<usize>> {
    let mut span = None;
    let mut table: Option<&DeTable<'_>> = Some(document.get_ref());
    let mut value: Option<&Spanned<DeValue<'_>>> = None;
    for seg in path {
        let next = match seg {
            Seg::Key(key) => table.and_then(|t| lookup(t, key)),
            Seg::Name(key) => table.and_then(|t| lookup(t, key)),
            Seg::Index(i) => match value.map(|v| v.get_ref()) {
                Some(DeValue::Array(array)) => array.get(*i),
                _ => None,
            },
        };
        let Some(next) = next else {
            break;
        };
        span = Some(next.span());
        value = Some(next);
        table = match next.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => None,
        };
    }
    span
}

fn lookup<'a, 'i>(table: &'a DeTable<'i>, key: &str) -> Option<&'a Spanned<DeValue<'i>>> {
    table
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == key)
        .map(|(_, v)| v)
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

struct Validator {
    issues: Vec<Issue>,
}

impl Validator {
    fn issue(&mut self, path: Vec<Seg>, message: impl Into<String>) {
        self.issues.push(Issue {
            path,
            message: message.into(),
        });
    }

    fn id(&mut self, path: Vec<Seg>, what: &str, id: &str) {
        if !valid_id(id) {
            self.issue(
                path,
                format!("{what} id `{id}` may hold only letters, digits, `-`, `_` and `.`"),
            );
        }
    }

    fn owner(&mut self, plan: &Plan, path: Vec<Seg>, owner: &Option<String>) {
        if let Some(owner) = owner
            && !plan.owners.contains_key(owner)
        {
            let known = if plan.owners.is_empty() {
                "no owners are declared; add them under `[owners]`".to_owned()
            } else {
                format!(
                    "declared owners: {}",
                    plan.owners.keys().cloned().collect::<Vec<_>>().join(", ")
                )
            };
            self.issue(path, format!("unknown owner `{owner}` ({known})"));
        }
    }

    fn relative_path(&mut self, path: Vec<Seg>, what: &str, value: &str) {
        if value.trim().is_empty() {
            self.issue(path, format!("{what} is empty"));
        } else if value.starts_with('/') || value.split(['/', '\\']).any(|part| part == "..") {
            self.issue(
                path,
                format!("{what} `{value}` leaves the repository; write it relative to its root"),
            );
        }
    }
}

fn validate(plan: &Plan) -> Vec<Issue> {
    use Seg::{Index, Key, Name};
    let mut v = Validator { issues: Vec::new() };

    if let Some(schema) = &plan.schema
        && schema != PLAN_SCHEMA
    {
        v.issue(
            vec![Key("schema")],
            format!("unknown plan format `{schema}` (this shipgate reads `{PLAN_SCHEMA}`)"),
        );
    }
    for id in plan.owners.keys() {
        v.id(vec![Key("owners"), Name(id.clone())], "owner", id);
    }
    v.owner(
        plan,
        vec![Key("project"), Key("owner")],
        &plan.project.owner,
    );

    let decisions: BTreeSet<&str> = plan.decisions.iter().map(|d| d.id.as_str()).collect();
    let mut phase_ids: BTreeMap<&str, usize> = BTreeMap::new();
    for (p, phase) in plan.phases.iter().enumerate() {
        let at = |rest: &[Seg]| {
            let mut path = vec![Key("phase"), Index(p)];
            path.extend_from_slice(rest);
            path
        };
        v.id(at(&[Key("id")]), "phase", &phase.id);
        if phase_ids.insert(&phase.id, p).is_some() {
            v.issue(
                at(&[Key("id")]),
                format!("phase `{}` is declared twice", phase.id),
            );
        }
        v.owner(plan, at(&[Key("owner")]), &phase.owner);
        if phase.gates.is_empty() {
            v.issue(
                at(&[]),
                format!(
                    "phase `{}` has no gates, so it would pass on no evidence; add a `[[phase.gate]]`",
                    phase.id
                ),
            );
        }
        let mut gate_ids = BTreeSet::new();
        for (g, gate) in phase.gates.iter().enumerate() {
            let at = |rest: &[Seg]| {
                let mut path = at(&[Key("gate"), Index(g)]);
                path.extend_from_slice(rest);
                path
            };
            v.id(at(&[Key("id")]), "gate", &gate.id);
            if !gate_ids.insert(gate.id.as_str()) {
                v.issue(
                    at(&[Key("id")]),
                    format!("gate `{}/{}` is declared twice", phase.id, gate.id),
                );
            }
            v.owner(plan, at(&[Key("owner")]), &gate.owner);
            for (d, decision) in gate.decisions.iter().enumerate() {
                if !decisions.contains(decision.as_str()) {
                    v.issue(
                        at(&[Key("decisions"), Index(d)]),
                        format!(
                            "gate `{}/{}` cites unknown decision `{decision}`",
                            phase.id, gate.id
                        ),
                    );
                }
            }
            if gate.checks.is_empty() {
                v.issue(
                    at(&[]),
                    format!(
                        "gate `{}/{}` has no checks; a manual item is an `attestation` check",
                        phase.id, gate.id
                    ),
                );
            }
            let mut check_ids = BTreeSet::new();
            for (c, check) in gate.checks.iter().enumerate() {
                let at = |rest: &[Seg]| {
                    let mut path = at(&[Key("check"), Index(c)]);
                    path.extend_from_slice(rest);
                    path
                };
                let id = check.effective_id(gate, c);
                if let Some(own) = &check.id {
                    v.id(at(&[Key("id")]), "check", own);
                }
                if !check_ids.insert(id.clone()) {
                    v.issue(
                        at(&[Key("id")]),
                        format!(
                            "check `{id}` appears twice in gate `{}/{}`; give each an `id`",
                            phase.id, gate.id
                        ),
                    );
                }
                validate_check(&mut v, &check.kind, &at);
            }
        }
    }

    for (p, phase) in plan.phases.iter().enumerate() {
        for (n, need) in phase.needs.iter().enumerate() {
            let path = vec![Key("phase"), Index(p), Key("needs"), Index(n)];
            if need == &phase.id {
                v.issue(path, format!("phase `{need}` needs itself"));
            } else if !phase_ids.contains_key(need.as_str()) {
                v.issue(
                    path,
                    format!("phase `{}` needs unknown phase `{need}`", phase.id),
                );
            }
        }
    }
    for cycle in cycles(plan) {
        let first = cycle[0];
        let p = phase_ids[first];
        let n = plan.phases[p]
            .needs
            .iter()
            .position(|need| need == cycle[1])
            .unwrap_or(0);
        v.issue(
            vec![Key("phase"), Index(p), Key("needs"), Index(n)],
            format!("phases need each other in a cycle: {}", cycle.join(" → ")),
        );
    }

    let mut risk_ids = BTreeSet::new();
    for (r, risk) in plan.risks.iter().enumerate() {
        let at = |key| vec![Key("risk"), Index(r), Key(key)];
        v.id(at("id"), "risk", &risk.id);
        if !risk_ids.insert(risk.id.as_str()) {
            v.issue(at("id"), format!("risk `{}` is declared twice", risk.id));
        }
        v.owner(plan, at("owner"), &risk.owner);
        for (m, gate) in risk.mitigated_by.iter().enumerate() {
            if plan.gate(gate).is_none() {
                v.issue(
                    vec![Key("risk"), Index(r), Key("mitigated-by"), Index(m)],
                    format!(
                        "risk `{}` is mitigated by unknown gate `{gate}` (gates are named PHASE/GATE)",
                        risk.id
                    ),
                );
            }
        }
    }
    let mut decision_ids = BTreeSet::new();
    for (d, decision) in plan.decisions.iter().enumerate() {
        let at = |key| vec![Key("decision"), Index(d), Key(key)];
        v.id(at("id"), "decision", &decision.id);
        if !decision_ids.insert(decision.id.as_str()) {
            v.issue(
                at("id"),
                format!("decision `{}` is declared twice", decision.id),
            );
        }
        v.owner(plan, at("owner"), &decision.owner);
    }
    v.issues
}

fn validate_check(v: &mut Validator, kind: &CheckKind, at: &dyn Fn(&[Seg]) -> Vec<Seg>) {
    use Seg::{Index, Key};
    match kind {
        CheckKind::Rules(rules) => {
            if rules.rules.is_empty() {
                v.issue(at(&[Key("rules")]), "`rules` names no rule");
            }
            for (i, pattern) in rules.rules.iter().enumerate() {
                let path = at(&[Key("rules"), Index(i)]);
                if pattern.trim().is_empty() {
                    v.issue(path, "a rule pattern is empty");
                } else if let Err(e) = globset::Glob::new(pattern) {
                    v.issue(
                        path,
                        format!("invalid rule pattern `{pattern}`: {}", e.kind()),
                    );
                }
            }
            for (i, path) in rules.paths.iter().enumerate() {
                v.relative_path(at(&[Key("paths"), Index(i)]), "a path", path);
            }
        }
        CheckKind::Command(command) => {
            if command.argv.first().is_none_or(|p| p.trim().is_empty()) {
                v.issue(at(&[Key("command")]), "`command` names no program");
            }
            if command.timeout.seconds() == 0 {
                v.issue(
                    at(&[Key("timeout")]),
                    "a timeout of zero would never let the command run",
                );
            }
            if let Some(workdir) = &command.workdir {
                v.relative_path(at(&[Key("workdir")]), "`workdir`", workdir);
            }
        }
        CheckKind::File(file) => {
            v.relative_path(at(&[Key("file")]), "`file`", &file.path);
            if let Err(e) = globset::Glob::new(&file.path) {
                v.issue(
                    at(&[Key("file")]),
                    format!("invalid pattern `{}`: {}", file.path, e.kind()),
                );
            }
            if let Some(pattern) = &file.matches {
                if !file.exists {
                    v.issue(
                        at(&[Key("matches")]),
                        "`matches` asks about the content of a file that must not exist",
                    );
                }
                if let Err(e) = regex::Regex::new(pattern) {
                    let first = e.to_string();
                    let first = first.lines().last().unwrap_or("invalid").trim().to_owned();
                    v.issue(
                        at(&[Key("matches")]),
                        format!("`matches` is not a regular expression: {first}"),
                    );
                }
            }
        }
        CheckKind::Probe(probe) => {
            if probe.kind.trim().is_empty() {
                v.issue(
                    at(&[Key("probe"), Key("kind")]),
                    "a probe's `kind` is empty",
                );
            }
        }
        CheckKind::Attestation(attestation) => {
            if attestation.statement.trim().is_empty() {
                v.issue(
                    at(&[Key("attestation")]),
                    "an attestation says what is attested; it is empty",
                );
            }
            if attestation.max_age.is_some_and(|d| d.seconds() == 0) {
                v.issue(
                    at(&[Key("max-age")]),
                    "an attestation valid for no time can never pass",
                );
            }
        }
    }
}

/// Each dependency cycle once, as the phase ids along it with the first
/// repeated at the end.
fn cycles(plan: &Plan) -> Vec<Vec<&str>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let index: BTreeMap<&str, usize> = plan
        .phases
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.as_str(), i))
        .collect();
    let mut marks = vec![Mark::New; plan.phases.len()];
    let mut found = Vec::new();

    fn visit<'a>(
        plan: &'a Plan,
        index: &BTreeMap<&'a str, usize>,
        marks: &mut Vec<Mark>,
        stack: &mut Vec<usize>,
        at: usize,
        found: &mut Vec<Vec<&'a str>>,
    ) {
        marks[at] = Mark::Open;
        stack.push(at);
        for need in &plan.phases[at].needs {
            let Some(&next) = index.get(need.as_str()) else {
                continue;
            };
            if next == at {
                continue;
            }
            match marks[next] {
                Mark::New => visit(plan, index, marks, stack, next, found),
                Mark::Open => {
                    let start = stack.iter().position(|&s| s == next).unwrap_or(0);
                    let mut cycle: Vec<&str> = stack[start..]
                        .iter()
                        .map(|&s| plan.phases[s].id.as_str())
                        .collect();
                    cycle.push(plan.phases[next].id.as_str());
                    found.push(cycle);
                }
                Mark::Done => {}
            }
        }
        stack.pop();
        marks[at] = Mark::Done;
    }

    for start in 0..plan.phases.len() {
        if marks[start] == Mark::New {
            visit(plan, &index, &mut marks, &mut Vec::new(), start, &mut found);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<String> {
        match parse_toml(text, "shipgate.toml") {
            Ok(_) => Vec::new(),
            Err(e) => e.0.iter().map(ToString::to_string).collect(),
        }
    }

    const MINIMAL: &str = r#"
[[phase]]
id = "ci"

[[phase.gate]]
id = "workflows"

[[phase.gate.check]]
rules = ["workflows/*"]
"#;

    #[test]
    fn reads_a_minimal_plan() {
        let plan = parse_toml(MINIMAL, "shipgate.toml").expect("valid");
        assert_eq!(plan.phases[0].gates[0].checks.len(), 1);
        let CheckKind::Rules(rules) = &plan.phases[0].gates[0].checks[0].kind else {
            panic!("a rules check");
        };
        assert_eq!(rules.max, MaxFindings::default());
        assert!(plan.phases[0].gates[0].required);
    }

    #[test]
    fn names_an_unknown_key_at_its_position() {
        let text = MINIMAL.replace("id = \"workflows\"", "id = \"workflows\"\nrequird = false");
        let errors = errors(&text);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].starts_with("shipgate.toml:7:1: unknown field `requird`"),
            "{errors:?}"
        );
    }

    #[test]
    fn names_an_unknown_check_option_at_its_position() {
        let text = MINIMAL.replace(
            "rules = [\"workflows/*\"]",
            "rules = [\"workflows/*\"]\npath = [\"x\"]",
        );
        let errors = errors(&text);
        assert!(
            errors[0].starts_with("shipgate.toml:10:1: unknown field `path`"),
            "{errors:?}"
        );
    }

    #[test]
    fn rejects_options_of_another_kind() {
        let text = MINIMAL.replace(
            "rules = [\"workflows/*\"]",
            "rules = [\"workflows/*\"]\ntimeout = \"5m\"",
        );
        let errors = errors(&text);
        assert!(
            errors[0].contains("`timeout` is an option of command checks, not of rules checks"),
            "{errors:?}"
        );
        let text = MINIMAL.replace(
            "rules = [\"workflows/*\"]",
            "rules = [\"a\"]\ncommand = [\"make\"]",
        );
        assert!(errors_of(&text).contains("has `rules` and `command`"));
    }

    fn errors_of(text: &str) -> String {
        errors(text).join("\n")
    }

    #[test]
    fn rejects_a_cycle_naming_it() {
        let text = r#"
[[phase]]
id = "a"
needs = ["c"]
[[phase.gate]]
id = "g"
[[phase.gate.check]]
attestation = "done"

[[phase]]
id = "b"
needs = ["a"]
[[phase.gate]]
id = "g"
[[phase.gate.check]]
attestation = "done"

[[phase]]
id = "c"
needs = ["b"]
[[phase.gate]]
id = "g"
[[phase.gate.check]]
attestation = "done"
"#;
        let errors = errors(text);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(
            errors[0],
            "shipgate.toml:4:10: phases need each other in a cycle: a → c → b → a"
        );
    }

    #[test]
    fn reports_every_broken_reference_at_its_position() {
        let text = r#"
[owners.platform]
name = "Platform"

[[phase]]
id = "ship"
needs = ["validate"]
owner = "platfrom"

[[phase.gate]]
id = "approved"
decisions = ["D9"]

[[phase.gate.check]]
file = "../outside"

[[phase.gate.check]]
file = "CHANGELOG.md"
matches = "(unclosed"

[[risk]]
id = "R1"
title = "rollback fails"
mitigated-by = ["ship/nope"]
"#;
        let all = errors_of(text);
        for expected in [
            "shipgate.toml:7:10: phase `ship` needs unknown phase `validate`",
            "shipgate.toml:8:9: unknown owner `platfrom` (declared owners: platform)",
            "shipgate.toml:12:14: gate `ship/approved` cites unknown decision `D9`",
            "shipgate.toml:15:8: `file` `../outside` leaves the repository",
            "shipgate.toml:19:11: `matches` is not a regular expression",
            "shipgate.toml:24:17: risk `R1` is mitigated by unknown gate `ship/nope`",
        ] {
            assert!(all.contains(expected), "missing {expected:?} in\n{all}");
        }
    }

    #[test]
    fn rejects_a_phase_without_gates_and_a_gate_without_checks() {
        let all = errors_of(
            "[[phase]]\nid = \"a\"\n\n[[phase]]\nid = \"b\"\n[[phase.gate]]\nid = \"g\"\n",
        );
        assert!(
            all.contains("shipgate.toml:1:1: phase `a` has no gates"),
            "{all}"
        );
        assert!(all.contains("gate `b/g` has no checks"), "{all}");
    }

    #[test]
    fn reads_durations_limits_dates_and_probes() {
        let text = r#"
[[phase]]
id = "validate"
[[phase.gate]]
id = "g"
decisions = ["D1"]
[[phase.gate.check]]
command = ["make", "test"]
timeout = "1h30m"
[[phase.gate.check]]
rules = ["k8s"]
max = { warning = "any", info = 3 }
[[phase.gate.check]]
probe = { kind = "http", url = "https://example.com/health" }

[[decision]]
id = "D1"
title = "Test before shipping"
date = 2026-02-09
status = "accepted"
"#;
        let plan = parse_toml(text, "shipgate.toml").expect("valid");
        let checks = &plan.phases[0].gates[0].checks;
        let CheckKind::Command(command) = &checks[0].kind else {
            panic!()
        };
        assert_eq!(command.timeout.seconds(), 5400);
        assert_eq!(command.timeout.to_string(), "1h30m");
        let CheckKind::Rules(rules) = &checks[1].kind else {
            panic!()
        };
        assert_eq!(rules.max.error, Limit::At(0));
        assert_eq!(rules.max.warning, Limit::Any);
        assert_eq!(rules.max.info, Limit::At(3));
        let CheckKind::Probe(probe) = &checks[2].kind else {
            panic!()
        };
        assert_eq!(probe.kind, "http");
        assert!(probe.options.contains_key("url"));
        assert_eq!(
            plan.decisions[0].date.as_ref().unwrap().as_str(),
            "2026-02-09"
        );

        let printed = toml::to_string(&plan).expect("prints");
        assert_eq!(parse_toml(&printed, "again").expect("reads back"), plan);
    }

    #[test]
    fn rejects_bad_dates_and_durations() {
        let text = MINIMAL.replace(
            "rules = [\"workflows/*\"]",
            "command = [\"x\"]\ntimeout = \"10 minutes\"",
        );
        assert!(errors_of(&text).contains("is not a duration"));
        let text = "[[decision]]\nid = \"D1\"\ntitle = \"t\"\ndate = \"2026-02-30\"\n";
        assert!(
            errors_of(text).contains("shipgate.toml:4:8: `2026-02-30` is not a date"),
            "{}",
            errors_of(text)
        );
    }

    #[test]
    fn keeps_the_probes_tables_for_the_probes() {
        let text = r#"
[targets]
api = "http://127.0.0.1:9"

[[probe]]
name = "health"
kind = "http"
target = "api"
path = "/health"

[[phase]]
id = "live"
[[phase.gate]]
id = "up"
[[phase.gate.check]]
probe = { kind = "http", target = "api", path = "/ready" }
"#;
        let plan = parse_toml(text, "shipgate.toml").expect("valid");
        assert_eq!(plan.targets["api"].as_str(), Some("http://127.0.0.1:9"));
        assert_eq!(plan.probes[0]["name"].as_str(), Some("health"));
        let printed = toml::to_string_pretty(&plan).expect("prints");
        assert_eq!(parse_toml(&printed, "again").expect("reads back"), plan);
    }

    #[test]
    fn orders_phases_in_waves() {
        let text = r#"
[[phase]]
id = "ship"
needs = ["security", "infra"]
[[phase.gate]]
id = "g"
[[phase.gate.check]]
attestation = "x"
[[phase]]
id = "ci"
[[phase.gate]]
id = "g"
[[phase.gate.check]]
attestation = "x"
[[phase]]
id = "security"
needs = ["ci"]
[[phase.gate]]
id = "g"
[[phase.gate.check]]
attestation = "x"
[[phase]]
id = "infra"
needs = ["ci"]
[[phase.gate]]
id = "g"
[[phase.gate.check]]
attestation = "x"
"#;
        let plan = parse_toml(text, "p").expect("valid");
        let waves: Vec<Vec<&str>> = plan
            .waves()
            .iter()
            .map(|w| w.iter().map(|p| p.id.as_str()).collect())
            .collect();
        assert_eq!(
            waves,
            vec![vec!["ci"], vec!["security", "infra"], vec!["ship"]]
        );
    }
}
