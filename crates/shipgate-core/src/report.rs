use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Alias, Category, Finding, PlanVerdict, RuleMeta, Severity, SourceSpan};

/// The `schema` tag of the JSON report. Bumped only on incompatible changes.
pub const REPORT_SCHEMA: &str = "shipgate.report/v1";

/// Metadata of a rule as carried inside a report, so that renderers (SARIF in
/// particular) and the server never need the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RuleSummary {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub category: Category,
    pub rationale: String,
    pub remediation: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// `tool:id` pairs, such as `checkov:CKV_K8S_20`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
}

impl From<&RuleMeta> for RuleSummary {
    fn from(meta: &RuleMeta) -> Self {
        RuleSummary {
            id: meta.id.to_owned(),
            title: meta.title.to_owned(),
            severity: meta.severity,
            category: meta.category,
            rationale: meta.rationale.to_owned(),
            remediation: meta.remediation.to_owned(),
            references: meta.references.iter().map(|r| (*r).to_owned()).collect(),
            aliases: meta.aliases.iter().map(alias_string).collect(),
        }
    }
}

fn alias_string(alias: &Alias) -> String {
    format!("{}:{}", alias.tool, alias.id)
}

/// A finding that a suppression or the baseline silenced. Kept so that every
/// suppression is counted and visible.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SuppressedFinding {
    pub finding: Finding,
    /// `inline`, `annotation`, `baseline`, or a peer's mechanism such as `checkov`.
    pub by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What was looked at.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FileStats {
    pub scanned: u64,
    pub skipped: u64,
    pub bytes: u64,
    /// Artifact kind (`kubernetes`, `dockerfile`, ...) to number of files.
    #[serde(default)]
    pub by_kind: BTreeMap<String, u64>,
    /// Kubernetes objects seen across all files.
    #[serde(default)]
    pub objects: u64,
    /// Commits whose added lines were searched (`--history`); files then
    /// count each file as one commit changed it.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub commits: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    pub errors: u64,
    pub warnings: u64,
    pub infos: u64,
    pub suppressed: u64,
    /// Findings hidden because the baseline already knew them.
    pub baselined: u64,
}

impl Summary {
    pub fn count(&self, severity: Severity) -> u64 {
        match severity {
            Severity::Error => self.errors,
            Severity::Warning => self.warnings,
            Severity::Info => self.infos,
        }
    }

    /// Findings at or above `threshold`.
    pub fn at_least(&self, threshold: Severity) -> u64 {
        Severity::ALL
            .iter()
            .filter(|s| **s >= threshold)
            .map(|s| self.count(*s))
            .sum()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
}

/// Everything one run established. Renderers turn it into every output format;
/// nothing in it depends on how it will be shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Report {
    /// Always `shipgate.report/v1` for this version of the format.
    pub schema: String,
    pub tool: ToolInfo,
    /// The paths that were checked, as given on the command line.
    pub roots: Vec<String>,
    pub summary: Summary,
    pub files: FileStats,
    pub findings: Vec<Finding>,
    #[serde(default)]
    pub suppressed: Vec<SuppressedFinding>,
    /// Metadata of every rule that appears in `findings` or `suppressed`.
    #[serde(default)]
    pub rules: Vec<RuleSummary>,
    /// The plan's gates, when the run was given one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanVerdict>,
}

impl Report {
    pub fn new(roots: Vec<String>) -> Self {
        Report {
            schema: REPORT_SCHEMA.to_owned(),
            tool: ToolInfo {
                name: "shipgate".to_owned(),
                version: crate::TOOL_VERSION.to_owned(),
            },
            roots,
            summary: Summary::default(),
            files: FileStats::default(),
            findings: Vec::new(),
            suppressed: Vec::new(),
            rules: Vec::new(),
            plan: None,
        }
    }

    /// Sorts findings into their canonical order and recounts the summary.
    pub fn finalize(&mut self) {
        // The key is total, so an unstable sort is deterministic, and it
        // needs no buffer the size of the findings.
        self.findings
            .sort_unstable_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.suppressed
            .sort_unstable_by(|a, b| a.finding.sort_key().cmp(&b.finding.sort_key()));
        self.summary.errors = 0;
        self.summary.warnings = 0;
        self.summary.infos = 0;
        for finding in &self.findings {
            match finding.severity {
                Severity::Error => self.summary.errors += 1,
                Severity::Warning => self.summary.warnings += 1,
                Severity::Info => self.summary.infos += 1,
            }
        }
        self.summary.suppressed = self
            .suppressed
            .iter()
            .filter(|s| s.by != "baseline")
            .count() as u64;
        self.summary.baselined = self.suppressed.len() as u64 - self.summary.suppressed;
        self.rules.sort_by(|a, b| a.id.cmp(&b.id));
        self.rules.dedup_by(|a, b| a.id == b.id);
    }

    pub fn rule(&self, id: &str) -> Option<&RuleSummary> {
        self.rules
            .binary_search_by(|r| r.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.rules[i])
    }
}

/// What renderers read: a report whose findings may be held elsewhere.
///
/// A large scan writes its findings to disk as files finish, so peak memory
/// does not grow with them; [`Report`] itself is the view of a report held
/// whole. Findings and suppressed findings are visited in canonical order
/// ([`Finding::sort_key`]), and the head's `summary` and `rules` already
/// account for all of them, so a format that writes counts first can.
pub trait ReportView {
    /// Everything but the findings, which may be empty here.
    fn head(&self) -> &Report;

    /// The head, to add what is judged after the scan (a plan's gates).
    fn head_mut(&mut self) -> &mut Report;

    fn each_finding(
        &self,
        visit: &mut dyn FnMut(&Finding) -> std::io::Result<()>,
    ) -> std::io::Result<()>;

    fn each_suppressed(
        &self,
        visit: &mut dyn FnMut(&SuppressedFinding) -> std::io::Result<()>,
    ) -> std::io::Result<()>;

    /// Regions of `path` that hold a secret, found by any finding, reported
    /// or suppressed: a snippet of that file masks all of them.
    fn redactions(&self, path: &str) -> Vec<SourceSpan>;
}

impl ReportView for Report {
    fn head(&self) -> &Report {
        self
    }

    fn head_mut(&mut self) -> &mut Report {
        self
    }

    fn each_finding(
        &self,
        visit: &mut dyn FnMut(&Finding) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        self.findings.iter().try_for_each(visit)
    }

    fn each_suppressed(
        &self,
        visit: &mut dyn FnMut(&SuppressedFinding) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        self.suppressed.iter().try_for_each(visit)
    }

    fn redactions(&self, path: &str) -> Vec<SourceSpan> {
        self.findings
            .iter()
            .chain(self.suppressed.iter().map(|s| &s.finding))
            .filter(|f| f.location.path == path)
            .flat_map(|f| f.redact.iter().copied())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Location;

    #[test]
    fn finalize_counts_and_orders() {
        let mut report = Report::new(vec![".".into()]);
        let f = |rule: &str, sev, path: &str| {
            Finding::new(rule, sev, Category::Security, "m", Location::file(path))
        };
        report.findings = vec![
            f("k8s/b", Severity::Warning, "b.yaml"),
            f("k8s/a", Severity::Error, "a.yaml"),
            f("k8s/c", Severity::Info, "a.yaml"),
        ];
        report.finalize();
        assert_eq!(report.findings[0].rule, "k8s/a");
        assert_eq!(report.summary.at_least(Severity::Warning), 2);
        assert_eq!(report.summary.at_least(Severity::Info), 3);
    }
}
