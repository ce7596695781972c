//! The evidence of a repository: what the checks of a plan read when they
//! run against a scan's report and the repository's files.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use globset::{Glob, GlobMatcher};
use sha2::{Digest, Sha256};
use shipgate_core::{ReportView, Severity, Verdict};

use crate::evaluate::{Checker, Outcome, sha256_hex};
use crate::model::{Check, CheckKind, CommandCheck, FileCheck, Limit, Plan, RulesCheck};

/// The findings of a report, tallied once for every rules check of a plan,
/// in one pass over the findings (which may be read from disk).
struct Tally {
    counts: [usize; 3],
    /// The first findings counted, for the summary.
    examples: Vec<String>,
    digest: Sha256,
}

/// What a rules check selects.
struct Selection {
    rules: Result<Vec<&'static str>, String>,
    paths: Vec<PathFilter>,
}

enum PathFilter {
    Prefix(String),
    Glob(GlobMatcher),
}

impl PathFilter {
    fn new(path: &str) -> Result<Self, String> {
        if path.contains(['*', '?', '[', '{']) {
            Glob::new(path)
                .map(|g| PathFilter::Glob(g.compile_matcher()))
                .map_err(|e| format!("`{path}` is not a glob: {e}"))
        } else {
            Ok(PathFilter::Prefix(
                path.trim_start_matches("./")
                    .trim_end_matches('/')
                    .to_owned(),
            ))
        }
    }

    fn matches(&self, relative: &str) -> bool {
        match self {
            PathFilter::Prefix(prefix) => {
                prefix.is_empty()
                    || relative == prefix
                    || relative
                        .strip_prefix(prefix.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            }
            PathFilter::Glob(glob) => glob.is_match(relative),
        }
    }
}

/// Runs a plan's checks against one repository.
pub struct RepoChecker {
    root: PathBuf,
    tallies: HashMap<(String, String), Result<Tally, String>>,
    allow_commands: bool,
    attestations: Box<JudgeAttestation>,
    probes: Option<Box<RunProbe>>,
}

/// Runs a probe check of the gate at an address against a live target.
type RunProbe = dyn Fn(&str, &crate::model::ProbeCheck) -> Outcome + Sync;

/// Judges an attestation check, named `phase/gate#check`.
type JudgeAttestation = dyn Fn(&str, &crate::model::AttestationCheck) -> Outcome + Sync;

/// How much of a command's output is kept for its digest and summary.
const MAX_COMMAND_OUTPUT: u64 = 16 * 1024 * 1024;
/// Files larger than this are not searched by `matches`.
const MAX_MATCHED_FILE: u64 = 8 * 1024 * 1024;

impl RepoChecker {
    /// Tallies `report`'s findings for every rules check of `plan`.
    /// `root` is the repository the report scanned, as shown in finding
    /// paths (`.` when the scan ran at the root); `enabled` says whether
    /// a rule ran.
    pub fn new(
        plan: &Plan,
        root: &Path,
        report: &dyn ReportView,
        enabled: &dyn Fn(&str) -> bool,
        allow_commands: bool,
    ) -> io::Result<Self> {
        let mut selections: Vec<((String, String), Result<Selection, String>)> = Vec::new();
        for (address, _, gate) in plan.gates() {
            for (index, check) in gate.checks.iter().enumerate() {
                if let CheckKind::Rules(rules) = &check.kind {
                    let key = (address.clone(), check.effective_id(gate, index));
                    selections.push((key, select(rules, enabled)));
                }
            }
        }
        let prefix = match shipgate_scan::display_path(root).as_str() {
            "." | "" => String::new(),
            shown => format!("{shown}/"),
        };
        let mut tallies: Vec<Option<Tally>> = selections
            .iter()
            .map(|(_, s)| {
                s.as_ref().ok().map(|_| Tally {
                    counts: [0; 3],
                    examples: Vec::new(),
                    digest: Sha256::new(),
                })
            })
            .collect();
        report.each_finding(&mut |finding| {
            let relative = finding
                .location
                .path
                .strip_prefix(prefix.as_str())
                .unwrap_or(&finding.location.path);
            for ((_, selection), tally) in selections.iter().zip(tallies.iter_mut()) {
                let (Ok(selection), Some(tally)) = (selection, tally) else {
                    continue;
                };
                let Ok(rules) = &selection.rules else {
                    continue;
                };
                if !rules.contains(&finding.rule.as_str())
                    || !(selection.paths.is_empty()
                        || selection.paths.iter().any(|p| p.matches(relative)))
                {
                    continue;
                }
                tally.counts[severity_index(finding.severity)] += 1;
                tally.digest.update(finding.fingerprint.0.as_bytes());
                if tally.examples.len() < 3 {
                    // A finding about a file or folder as a whole has no line.
                    let example = match finding.location.line() {
                        Some(line) if line > 0 => {
                            format!("{} {}:{line}", finding.rule, finding.location.path)
                        }
                        _ => format!("{} {}", finding.rule, finding.location.path),
                    };
                    tally.examples.push(example);
                }
            }
            Ok(())
        })?;
        let tallies = selections
            .into_iter()
            .zip(tallies)
            .map(|((key, selection), tally)| {
                let result = match (selection, tally) {
                    (Err(err), _) => Err(err),
                    (
                        Ok(Selection {
                            rules: Err(err), ..
                        }),
                        _,
                    ) => Err(err),
                    (Ok(_), Some(tally)) => Ok(tally),
                    (Ok(_), None) => Err("not tallied".to_owned()),
                };
                (key, result)
            })
            .collect();
        Ok(RepoChecker {
            root: root.to_path_buf(),
            tallies,
            allow_commands,
            attestations: Box::new(|_, _| {
                Outcome::new(Verdict::Fail, "no attestation is recorded for this item")
            }),
            probes: None,
        })
    }

    /// Judges attestation checks with `judge` (the attestation ledger).
    pub fn with_attestations(
        mut self,
        judge: impl Fn(&str, &crate::model::AttestationCheck) -> Outcome + Sync + 'static,
    ) -> Self {
        self.attestations = Box::new(judge);
        self
    }

    /// Runs probe checks with `run`; without it they are skipped, since a
    /// probe reaches a live service only when the caller asks for it.
    pub fn with_probes(
        mut self,
        run: impl Fn(&str, &crate::model::ProbeCheck) -> Outcome + Sync + 'static,
    ) -> Self {
        self.probes = Some(Box::new(run));
        self
    }

    fn rules(&self, address: &str, check_id: &str, check: &RulesCheck) -> Outcome {
        let key = (address.to_owned(), check_id.to_owned());
        let tally = match self.tallies.get(&key) {
            Some(Ok(tally)) => tally,
            Some(Err(err)) if err.starts_with("skipped: ") => {
                return Outcome::new(Verdict::Skipped, &err["skipped: ".len()..]);
            }
            Some(Err(err)) => return Outcome::new(Verdict::Fail, err.clone()),
            None => return Outcome::new(Verdict::Fail, "the check was not tallied"),
        };
        let digest = sha256_hex(&tally.digest.clone().finalize());
        let over: Vec<String> = Severity::ALL
            .iter()
            .filter_map(|severity| {
                let count = tally.counts[severity_index(*severity)];
                let limit = check.max.for_severity(*severity);
                (!limit.allows(count)).then(|| match limit {
                    Limit::At(max) => format!("{count} {severity} (at most {max})"),
                    Limit::Any => String::new(),
                })
            })
            .collect();
        let total: usize = tally.counts.iter().sum();
        if over.is_empty() {
            let summary = match total {
                0 => "no findings".to_owned(),
                1 => "1 finding, within the limits".to_owned(),
                n => format!("{n} findings, within the limits"),
            };
            return Outcome::new(Verdict::Pass, summary).with_inputs(digest);
        }
        let mut summary = over.join(", ");
        if !tally.examples.is_empty() {
            summary.push_str(": ");
            summary.push_str(&tally.examples.join(", "));
            if total > tally.examples.len() {
                summary.push_str(", ...");
            }
        }
        Outcome::new(Verdict::Fail, summary).with_inputs(digest)
    }

    fn file(&self, check: &FileCheck) -> Outcome {
        let matched = match matching_files(&self.root, &check.path) {
            Ok(found) => found,
            Err(err) => return Outcome::new(Verdict::Fail, err),
        };
        let mut digest = Sha256::new();
        for path in &matched {
            digest.update(path.as_bytes());
            digest.update([0]);
        }
        if !check.exists {
            let verdict = if matched.is_empty() {
                Verdict::Pass
            } else {
                Verdict::Fail
            };
            let summary = match matched.first() {
                None => format!("no `{}`, as required", check.path),
                Some(first) => format!("`{first}` exists and must not"),
            };
            return Outcome::new(verdict, summary).with_inputs(sha256_hex(&digest.finalize()));
        }
        if matched.is_empty() {
            return Outcome::new(Verdict::Fail, format!("no file matches `{}`", check.path));
        }
        let Some(pattern) = &check.matches else {
            return Outcome::new(Verdict::Pass, format!("`{}` exists", matched[0]))
                .with_inputs(sha256_hex(&digest.finalize()));
        };
        let regex = match regex::Regex::new(pattern) {
            Ok(regex) => regex,
            Err(err) => {
                return Outcome::new(Verdict::Fail, format!("`{pattern}` is not a regex: {err}"));
            }
        };
        for path in &matched {
            let full = self.root.join(path);
            let Ok(meta) = std::fs::metadata(&full) else {
                continue;
            };
            if !meta.is_file() || meta.len() > MAX_MATCHED_FILE {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&full) else {
                continue;
            };
            digest.update(text.as_bytes());
            if regex.is_match(&text) {
                return Outcome::new(Verdict::Pass, format!("`{path}` matches `{pattern}`"))
                    .with_inputs(sha256_hex(&digest.finalize()));
            }
        }
        Outcome::new(
            Verdict::Fail,
            format!("no file matching `{}` contains `{pattern}`", check.path),
        )
        .with_inputs(sha256_hex(&digest.finalize()))
    }

    fn command(&self, check: &CommandCheck) -> Outcome {
        if !self.allow_commands {
            return Outcome::new(
                Verdict::Skipped,
                "command checks run only with --allow-commands",
            );
        }
        let Some((program, args)) = check.argv.split_first() else {
            return Outcome::new(Verdict::Fail, "the command is empty");
        };
        let workdir = match &check.workdir {
            Some(dir) => self.root.join(dir),
            None => self.root.clone(),
        };
        let mut command = std::process::Command::new(program);
        command.args(args).current_dir(&workdir);
        let shown = check.argv.join(" ");
        let timeout = Duration::from_secs(check.timeout.seconds());
        match shipgate_scan::sandbox::run_limited(
            command,
            timeout,
            MAX_COMMAND_OUTPUT,
            MAX_COMMAND_OUTPUT,
        ) {
            Err(shipgate_scan::sandbox::Failure::Spawn(err)) => {
                Outcome::new(Verdict::Fail, format!("cannot run `{shown}`: {err}"))
            }
            Err(shipgate_scan::sandbox::Failure::Timeout) => Outcome::new(
                Verdict::Fail,
                format!("`{shown}` did not finish within {} s", timeout.as_secs()),
            ),
            Err(shipgate_scan::sandbox::Failure::Wait(err)) => Outcome::new(Verdict::Fail, err),
            Ok(finished) => {
                let mut digest = Sha256::new();
                digest.update(&finished.stdout);
                digest.update([0]);
                digest.update(&finished.stderr);
                let inputs = sha256_hex(&digest.finalize());
                let code = finished.status.code();
                let seconds = finished.elapsed.as_secs_f64();
                if code == Some(check.exit_code) {
                    return Outcome::new(
                        Verdict::Pass,
                        format!("`{shown}` exited {} in {seconds:.1} s", check.exit_code),
                    )
                    .with_inputs(inputs);
                }
                let said = last_line(&finished.stderr).or_else(|| last_line(&finished.stdout));
                let mut summary = match code {
                    Some(code) => format!("`{shown}` exited {code}, expected {}", check.exit_code),
                    None => format!("`{shown}` was killed by a signal"),
                };
                if let Some(said) = said {
                    summary.push_str(": ");
                    summary.push_str(&said);
                }
                Outcome::new(Verdict::Fail, summary).with_inputs(inputs)
            }
        }
    }
}

impl Checker for RepoChecker {
    fn run(&self, address: &str, check_id: &str, check: &Check) -> Outcome {
        match &check.kind {
            CheckKind::Rules(rules) => self.rules(address, check_id, rules),
            CheckKind::File(file) => self.file(file),
            CheckKind::Command(command) => self.command(command),
            CheckKind::Probe(probe) => match &self.probes {
                Some(run) => run(address, probe),
                None => Outcome::new(
                    Verdict::Skipped,
                    format!("the live probe `{}` runs with --live", probe.kind),
                ),
            },
            // A record for the gate covers each of its checks; one for
            // `gate#check` only that check.
            CheckKind::Attestation(attestation) => {
                (self.attestations)(&format!("{address}#{check_id}"), attestation)
            }
        }
    }
}

fn severity_index(severity: Severity) -> usize {
    match severity {
        Severity::Error => 0,
        Severity::Warning => 1,
        Severity::Info => 2,
    }
}

/// The opt-in rules a plan names by id: a plan that asks for a rule by name
/// wants it run, so `check --plan` and `ship` add these to a default scan.
pub fn opt_in_rules(plan: &Plan) -> Vec<&'static str> {
    let registry = shipgate_rules::registry::registry();
    let mut ids: Vec<&'static str> = plan
        .phases
        .iter()
        .flat_map(|phase| &phase.gates)
        .flat_map(|gate| &gate.checks)
        .filter_map(|check| match &check.kind {
            CheckKind::Rules(rules) => Some(&rules.rules),
            _ => None,
        })
        .flatten()
        .flat_map(|pattern| pattern.split(','))
        .filter_map(|pattern| registry.get(pattern.trim()))
        .filter(|rule| !rule.meta.enabled_by_default)
        .map(|rule| rule.meta.id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The rules a check names; a check whose rules did not all run is
/// skipped, since findings nobody looked for prove nothing. A glob or a
/// pack (`workflows/*`) stands for the rules a default scan runs: an opt-in
/// rule it also matches counts only when the scan ran it, and must be named
/// by its id to be required.
fn select(check: &RulesCheck, enabled: &dyn Fn(&str) -> bool) -> Result<Selection, String> {
    let paths = check
        .paths
        .iter()
        .map(|p| PathFilter::new(p))
        .collect::<Result<Vec<_>, _>>()?;
    let named: Vec<&str> = check
        .rules
        .iter()
        .flat_map(|p| p.split(','))
        .map(str::trim)
        .filter(|p| shipgate_rules::registry::registry().get(p).is_some())
        .collect();
    let rules = shipgate_rules::registry::matching(&check.rules).map(|rules| {
        rules
            .into_iter()
            .filter(|r| {
                r.meta.enabled_by_default || named.contains(&r.meta.id) || enabled(r.meta.id)
            })
            .map(|r| r.meta.id)
            .collect::<Vec<_>>()
    });
    let rules = match rules {
        Ok(rules) if rules.is_empty() => Err(format!("`{}` names no rule", check.rules.join(", "))),
        Ok(rules) => {
            let off: Vec<&str> = rules.iter().copied().filter(|id| !enabled(id)).collect();
            if off.is_empty() {
                Ok(rules)
            } else {
                return Err(format!(
                    "skipped: {} of its rules did not run (such as {}): see --select and --ignore",
                    off.len(),
                    off[0]
                ));
            }
        }
        Err(err) => Err(err),
    };
    Ok(Selection { rules, paths })
}

/// Files and folders under `root` matching `pattern` (a path or a glob),
/// relative to `root`, sorted.
fn matching_files(root: &Path, pattern: &str) -> Result<Vec<String>, String> {
    let pattern = pattern.trim_start_matches("./");
    if !pattern.contains(['*', '?', '[', '{']) {
        let trimmed = pattern.trim_end_matches('/');
        let full = root.join(trimmed);
        let exists = if pattern.ends_with('/') {
            full.is_dir()
        } else {
            full.exists()
        };
        return Ok(if exists {
            vec![trimmed.to_owned()]
        } else {
            Vec::new()
        });
    }
    let glob = Glob::new(pattern)
        .map_err(|e| format!("`{pattern}` is not a glob: {e}"))?
        .compile_matcher();
    let mut found = Vec::new();
    for entry in ignore::WalkBuilder::new(root)
        .hidden(false)
        .filter_entry(|e| e.file_name() != ".git")
        .build()
        .flatten()
    {
        if let Ok(relative) = entry.path().strip_prefix(root) {
            let relative = relative.to_string_lossy().replace('\\', "/");
            if !relative.is_empty() && glob.is_match(&relative) {
                found.push(relative);
            }
        }
    }
    found.sort();
    Ok(found)
}

fn last_line(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let line = text.lines().rev().find(|l| !l.trim().is_empty())?.trim();
    let mut line: String = line.chars().take(200).collect();
    if line.len() < text.trim().len() && text.lines().count() > 1 {
        line.insert_str(0, "... ");
    }
    Some(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MaxFindings;

    fn check(rules: &[&str]) -> RulesCheck {
        RulesCheck {
            rules: rules.iter().map(|r| (*r).to_owned()).collect(),
            paths: Vec::new(),
            max: MaxFindings::default(),
        }
    }

    fn by_default(id: &str) -> bool {
        shipgate_rules::registry::registry()
            .get(id)
            .is_some_and(|r| r.meta.enabled_by_default)
    }

    #[test]
    fn a_pack_stands_for_the_rules_a_default_scan_runs() {
        let opt_in = "workflows/job-timeout-missing";
        assert!(!by_default(opt_in), "the test needs an opt-in rule");
        let selection = select(&check(&["workflows/*"]), &by_default).unwrap();
        let rules = selection.rules.unwrap();
        assert!(!rules.contains(&opt_in), "{rules:?}");
        assert!(!rules.is_empty());

        // Once the scan runs it, the opt-in rule counts.
        let with_it = |id: &str| by_default(id) || id == opt_in;
        let rules = select(&check(&["workflows"]), &with_it)
            .unwrap()
            .rules
            .unwrap();
        assert!(rules.contains(&opt_in), "{rules:?}");
    }

    #[test]
    fn a_rule_named_by_id_must_have_run() {
        let err = select(&check(&["workflows/job-timeout-missing"]), &by_default)
            .err()
            .unwrap();
        assert!(
            err.starts_with("skipped: 1 of its rules did not run"),
            "{err}"
        );
        // A default rule switched off by --ignore holds its check back too.
        let ignored = |id: &str| by_default(id) && id != "k8s/host-pid";
        let err = select(&check(&["k8s/*"]), &ignored).err().unwrap();
        assert!(err.contains("k8s/host-pid"), "{err}");
    }
}
