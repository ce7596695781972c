//! The plan as `shipgate.toml` holds it: phases that depend on each other,
//! gates made of checks, owners, risks and decisions.
//!
//! These types are what the rest of shipgate reads. They parse and print as
//! TOML through serde; [`crate::load`] adds the checks serde cannot express
//! (references, cycles, patterns) and the positions of every error.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The value of the optional top-level `schema` key.
pub const PLAN_SCHEMA: &str = "shipgate.plan/v1";

/// A deployment plan: phases in dependency order, each a set of gates that
/// pass only on evidence.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(title = "shipgate plan (shipgate.toml)")]
pub struct Plan {
    /// The format of this file; `shipgate.plan/v1` when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    #[serde(default, skip_serializing_if = "Project::is_empty")]
    pub project: Project,
    /// People and teams the plan's phases, gates, risks and decisions name,
    /// by id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub owners: BTreeMap<String, Owner>,
    /// The phases, in the order they are shown; `needs` decides the order
    /// they are evaluated in.
    #[serde(default, rename = "phase", skip_serializing_if = "Vec::is_empty")]
    pub phases: Vec<Phase>,
    /// The risk register.
    #[serde(default, rename = "risk", skip_serializing_if = "Vec::is_empty")]
    pub risks: Vec<Risk>,
    /// The decisions log.
    #[serde(default, rename = "decision", skip_serializing_if = "Vec::is_empty")]
    pub decisions: Vec<Decision>,
    /// The services live probes reach, by name; read by the probes.
    #[serde(default, skip_serializing_if = "toml::Table::is_empty")]
    #[schemars(with = "OpaqueTable")]
    pub targets: toml::Table,
    /// Probes that stand apart from gates; read by the probes.
    #[serde(default, rename = "probe", skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<OpaqueTable>")]
    pub probes: Vec<toml::Table>,
    /// How `shipgate ship` cuts a release once every gate passed.
    #[serde(default, skip_serializing_if = "Ship::is_default")]
    pub ship: Ship,
}

/// Where a release may be cut and what it writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Ship {
    /// Branches a release may be cut from, as globs (`release/*`).
    #[serde(default = "Ship::default_branches")]
    pub branches: Vec<String>,
    /// What precedes the version in a release tag: `v` gives `v1.4.0`.
    #[serde(default = "Ship::default_tag_prefix")]
    pub tag_prefix: String,
    /// The changelog the release's section is added to, relative to the
    /// repository root.
    #[serde(default = "Ship::default_changelog")]
    pub changelog: String,
    /// Where each release's SBOM and in-toto statement are kept, in a
    /// folder named after its tag, relative to the repository root.
    #[serde(default = "Ship::default_evidence_dir")]
    pub evidence_dir: String,
    /// Lockfiles the SBOM leaves out, as globs relative to the repository
    /// root (`**/tests/fixtures/**`): those of test fixtures and examples
    /// describe software that is not shipped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sbom_exclude: Vec<String>,
}

impl Ship {
    fn default_branches() -> Vec<String> {
        vec!["main".into(), "master".into()]
    }

    fn default_tag_prefix() -> String {
        "v".into()
    }

    fn default_changelog() -> String {
        "CHANGELOG.md".into()
    }

    fn default_evidence_dir() -> String {
        ".shipgate/releases".into()
    }

    pub fn is_default(&self) -> bool {
        *self == Ship::default()
    }
}

impl Default for Ship {
    fn default() -> Self {
        Ship {
            branches: Ship::default_branches(),
            tag_prefix: Ship::default_tag_prefix(),
            changelog: Ship::default_changelog(),
            evidence_dir: Ship::default_evidence_dir(),
            sbom_exclude: Vec::new(),
        }
    }
}

/// A table whose keys belong to another part of shipgate.
struct OpaqueTable;

impl JsonSchema for OpaqueTable {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "OpaqueTable".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Read by the live probes; see their documentation.",
            "type": "object",
            "additionalProperties": true
        })
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Project {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The owner accountable for the whole plan: an id from `[owners]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

impl Project {
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.description.is_none() && self.owner.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Owner {
    /// How people call this owner: a person or a team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Where to reach them: an e-mail address, a chat channel, a pager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Phase {
    /// Unique among phases: lowercase letters, digits, `-`, `_` and `.`.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Phases that must pass before this one is evaluated; when one of them
    /// fails, this phase is blocked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, rename = "gate")]
    pub gates: Vec<Gate>,
}

impl Phase {
    pub fn title(&self) -> &str {
        self.title.as_deref().unwrap_or(&self.id)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Gate {
    /// Unique within its phase; the gate's address is `PHASE/GATE`.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// A gate that is not required is reported but never fails its phase.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Decisions this gate carries out, by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decisions: Vec<String>,
    /// Where the gate was written first, as `FILE:LINE` of a Markdown plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Every check must pass for the gate to pass.
    #[serde(default, rename = "check")]
    pub checks: Vec<Check>,
}

impl Gate {
    pub fn title(&self) -> &str {
        self.title.as_deref().unwrap_or(&self.id)
    }
}

fn yes() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

/// One piece of evidence a gate asks for. In TOML a check is a table with
/// exactly one of the keys `rules`, `command`, `file`, `probe` or
/// `attestation`, and the options of that kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawCheck", into = "RawCheck")]
pub struct Check {
    /// Unique within the gate; defaults to the kind, numbered from the
    /// second check of that kind on (`rules`, `rules-2`).
    pub id: Option<String>,
    pub title: Option<String>,
    pub kind: CheckKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CheckKind {
    Rules(RulesCheck),
    Command(CommandCheck),
    File(FileCheck),
    Probe(ProbeCheck),
    Attestation(AttestationCheck),
}

impl CheckKind {
    pub fn name(&self) -> &'static str {
        match self {
            CheckKind::Rules(_) => "rules",
            CheckKind::Command(_) => "command",
            CheckKind::File(_) => "file",
            CheckKind::Probe(_) => "probe",
            CheckKind::Attestation(_) => "attestation",
        }
    }

    /// Whether the check produces its own evidence, as opposed to waiting
    /// for someone to vouch for it.
    pub fn is_automated(&self) -> bool {
        !matches!(self, CheckKind::Attestation(_))
    }
}

/// Static rules over the repository's artifacts.
#[derive(Debug, Clone, PartialEq)]
pub struct RulesCheck {
    /// Rule ids, globs (`k8s/*`), packs (`docker`) or peers' ids, in the
    /// forms `shipgate check --select` accepts.
    pub rules: Vec<String>,
    /// Files or folders to judge, relative to the repository root; empty
    /// means the whole repository.
    pub paths: Vec<String>,
    pub max: MaxFindings,
}

/// The most findings a rules check allows at each severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MaxFindings {
    #[serde(default = "Limit::none")]
    pub error: Limit,
    #[serde(default = "Limit::none")]
    pub warning: Limit,
    #[serde(default)]
    pub info: Limit,
}

impl Default for MaxFindings {
    /// Errors and warnings fail, as `shipgate check` does by default.
    fn default() -> Self {
        MaxFindings {
            error: Limit::At(0),
            warning: Limit::At(0),
            info: Limit::Any,
        }
    }
}

impl MaxFindings {
    pub fn is_default(&self) -> bool {
        *self == MaxFindings::default()
    }

    pub fn for_severity(&self, severity: shipgate_core::Severity) -> Limit {
        match severity {
            shipgate_core::Severity::Error => self.error,
            shipgate_core::Severity::Warning => self.warning,
            shipgate_core::Severity::Info => self.info,
        }
    }
}

/// A number of findings, or `"any"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Limit {
    At(u32),
    #[default]
    Any,
}

impl Limit {
    fn none() -> Self {
        Limit::At(0)
    }

    pub fn allows(self, count: usize) -> bool {
        match self {
            Limit::At(max) => count <= max as usize,
            Limit::Any => true,
        }
    }
}

impl Serialize for Limit {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Limit::At(n) => serializer.serialize_u32(*n),
            Limit::Any => serializer.serialize_str("any"),
        }
    }
}

impl<'de> Deserialize<'de> for Limit {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LimitVisitor;
        impl Visitor<'_> for LimitVisitor {
            type Value = Limit;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number of findings or \"any\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Limit, E> {
                u32::try_from(v)
                    .map(Limit::At)
                    .map_err(|_| E::custom(format!("{v} is not a number of findings")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Limit, E> {
                u32::try_from(v)
                    .map(Limit::At)
                    .map_err(|_| E::custom(format!("{v} is too many findings")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Limit, E> {
                if v == "any" {
                    Ok(Limit::Any)
                } else {
                    Err(E::custom(format!(
                        "`{v}` is not a limit: write a number of findings or \"any\""
                    )))
                }
            }
        }
        deserializer.deserialize_any(LimitVisitor)
    }
}

impl JsonSchema for Limit {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Limit".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A number of findings, or \"any\".",
            "anyOf": [
                {"type": "integer", "minimum": 0, "maximum": u32::MAX},
                {"const": "any"}
            ]
        })
    }
}

/// A program run from the repository root; it passes when it exits with
/// the expected code before its timeout. Commands run only when the user
/// allows them.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandCheck {
    /// The program and its arguments, run without a shell.
    pub argv: Vec<String>,
    pub timeout: Duration,
    pub exit_code: i32,
    /// The folder to run in, relative to the repository root.
    pub workdir: Option<String>,
}

impl CommandCheck {
    pub const DEFAULT_TIMEOUT: Duration = Duration(600);
}

/// A file in the repository.
#[derive(Debug, Clone, PartialEq)]
pub struct FileCheck {
    /// A path or a glob relative to the repository root; a folder ends with `/`.
    pub path: String,
    /// Whether a match must exist (default) or must not.
    pub exists: bool,
    /// A regular expression some matching file's content must match.
    pub matches: Option<String>,
}

/// A live check (HTTP, TLS, load, authentication, backups); its options
/// belong to the probe kind.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeCheck {
    pub kind: String,
    pub options: toml::Table,
}

/// A manual item: it passes only with a current attestation.
#[derive(Debug, Clone, PartialEq)]
pub struct AttestationCheck {
    /// What the person attesting vouches for.
    pub statement: String,
    /// Who may attest: owner ids or names; empty means anyone.
    pub attesters: Vec<String>,
    /// How long an attestation stays valid.
    pub max_age: Option<Duration>,
    /// Automated checks that could replace this attestation once they are
    /// configured (`probe:http`, `command`).
    pub suggested: Vec<String>,
}

/// The flat table a check is written as.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawCheck {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rules: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    paths: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max: Option<MaxFindings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    command: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    timeout: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exit_code: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    workdir: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exists: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    matches: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    probe: Option<toml::Table>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    attestation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    attesters: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_age: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    suggested: Option<Vec<String>>,
}

const KINDS: [&str; 5] = ["rules", "command", "file", "probe", "attestation"];

impl RawCheck {
    /// The options present, each with the kind it belongs to.
    fn options(&self) -> Vec<(&'static str, &'static str)> {
        let mut found = Vec::new();
        let mut note = |present: bool, key, kind| {
            if present {
                found.push((key, kind));
            }
        };
        note(self.paths.is_some(), "paths", "rules");
        note(self.max.is_some(), "max", "rules");
        note(self.timeout.is_some(), "timeout", "command");
        note(self.exit_code.is_some(), "exit-code", "command");
        note(self.workdir.is_some(), "workdir", "command");
        note(self.exists.is_some(), "exists", "file");
        note(self.matches.is_some(), "matches", "file");
        note(self.attesters.is_some(), "attesters", "attestation");
        note(self.max_age.is_some(), "max-age", "attestation");
        note(self.suggested.is_some(), "suggested", "attestation");
        found
    }
}

impl TryFrom<RawCheck> for Check {
    type Error = String;

    fn try_from(raw: RawCheck) -> Result<Self, String> {
        let present: Vec<&str> = KINDS
            .iter()
            .copied()
            .filter(|kind| match *kind {
                "rules" => raw.rules.is_some(),
                "command" => raw.command.is_some(),
                "file" => raw.file.is_some(),
                "probe" => raw.probe.is_some(),
                _ => raw.attestation.is_some(),
            })
            .collect();
        let kind = match present.as_slice() {
            [one] => *one,
            [] => {
                return Err(
                    "a check needs one of `rules`, `command`, `file`, `probe` or `attestation`"
                        .into(),
                );
            }
            many => {
                return Err(format!(
                    "a check is of one kind, but this one has `{}`; write one check each",
                    many.join("` and `")
                ));
            }
        };
        if let Some((key, owner)) = raw.options().into_iter().find(|(_, k)| *k != kind) {
            return Err(format!(
                "`{key}` is an option of {owner} checks, not of {kind} checks"
            ));
        }
        let check_kind = match kind {
            "rules" => CheckKind::Rules(RulesCheck {
                rules: raw.rules.unwrap_or_default(),
                paths: raw.paths.unwrap_or_default(),
                max: raw.max.unwrap_or_default(),
            }),
            "command" => CheckKind::Command(CommandCheck {
                argv: raw.command.unwrap_or_default(),
                timeout: raw.timeout.unwrap_or(CommandCheck::DEFAULT_TIMEOUT),
                exit_code: raw.exit_code.unwrap_or(0),
                workdir: raw.workdir,
            }),
            "file" => CheckKind::File(FileCheck {
                path: raw.file.unwrap_or_default(),
                exists: raw.exists.unwrap_or(true),
                matches: raw.matches,
            }),
            "probe" => {
                let mut options = raw.probe.unwrap_or_default();
                let kind = match options.remove("kind") {
                    Some(toml::Value::String(kind)) => kind,
                    Some(_) => return Err("a probe's `kind` is a string".into()),
                    None => {
                        return Err("a probe needs a `kind`, such as `http` or `tls`".into());
                    }
                };
                CheckKind::Probe(ProbeCheck { kind, options })
            }
            _ => CheckKind::Attestation(AttestationCheck {
                statement: raw.attestation.unwrap_or_default(),
                attesters: raw.attesters.unwrap_or_default(),
                max_age: raw.max_age,
                suggested: raw.suggested.unwrap_or_default(),
            }),
        };
        Ok(Check {
            id: raw.id,
            title: raw.title,
            kind: check_kind,
        })
    }
}

impl From<Check> for RawCheck {
    fn from(check: Check) -> Self {
        let mut raw = RawCheck {
            id: check.id,
            title: check.title,
            ..RawCheck::default()
        };
        match check.kind {
            CheckKind::Rules(r) => {
                raw.rules = Some(r.rules);
                raw.paths = (!r.paths.is_empty()).then_some(r.paths);
                raw.max = (!r.max.is_default()).then_some(r.max);
            }
            CheckKind::Command(c) => {
                raw.command = Some(c.argv);
                raw.timeout = (c.timeout != CommandCheck::DEFAULT_TIMEOUT).then_some(c.timeout);
                raw.exit_code = (c.exit_code != 0).then_some(c.exit_code);
                raw.workdir = c.workdir;
            }
            CheckKind::File(f) => {
                raw.file = Some(f.path);
                raw.exists = (!f.exists).then_some(false);
                raw.matches = f.matches;
            }
            CheckKind::Probe(p) => {
                let mut table = toml::Table::new();
                table.insert("kind".into(), toml::Value::String(p.kind));
                table.extend(p.options);
                raw.probe = Some(table);
            }
            CheckKind::Attestation(a) => {
                raw.attestation = Some(a.statement);
                raw.attesters = (!a.attesters.is_empty()).then_some(a.attesters);
                raw.max_age = a.max_age;
                raw.suggested = (!a.suggested.is_empty()).then_some(a.suggested);
            }
        }
        raw
    }
}

impl Check {
    pub fn new(kind: CheckKind) -> Self {
        Check {
            id: None,
            title: None,
            kind,
        }
    }

    pub fn rules<I, S>(rules: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Check::new(CheckKind::Rules(RulesCheck {
            rules: rules.into_iter().map(Into::into).collect(),
            paths: Vec::new(),
            max: MaxFindings::default(),
        }))
    }

    pub fn attestation(statement: impl Into<String>) -> Self {
        Check::new(CheckKind::Attestation(AttestationCheck {
            statement: statement.into(),
            attesters: Vec::new(),
            max_age: None,
            suggested: Vec::new(),
        }))
    }

    /// The check as it is written in `shipgate.toml`, with its keys in a
    /// fixed order: hashing it identifies the check's definition, so that a
    /// verdict can be tied to exactly what was checked.
    pub fn definition(&self) -> String {
        let mut out = String::new();
        for (key, value) in check_table(self) {
            out.push_str(&key);
            out.push_str(" = ");
            out.push_str(&value.to_string());
            out.push('\n');
        }
        out
    }
}

fn check_table(check: &Check) -> BTreeMap<String, toml::Value> {
    match toml::Value::try_from(RawCheck::from(check.clone())) {
        Ok(toml::Value::Table(table)) => table.into_iter().collect(),
        _ => BTreeMap::new(),
    }
}

/// The schema of a check: one object per kind, since a check is of exactly
/// one kind.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum CheckSchema {
    Rules(RulesSchema),
    Command(CommandSchema),
    File(FileSchema),
    Probe(ProbeSchema),
    Attestation(AttestationSchema),
}

#[derive(JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[allow(dead_code)]
/// Static rules over the repository's artifacts.
struct RulesSchema {
    id: Option<String>,
    title: Option<String>,
    /// Rule ids, globs (`k8s/*`), packs (`docker`) or peers' ids, as
    /// `shipgate check --select` takes them.
    #[schemars(length(min = 1))]
    rules: Vec<String>,
    /// Files or folders to judge, relative to the repository root (default:
    /// the whole repository).
    paths: Option<Vec<String>>,
    /// The most findings allowed per severity (default: no errors, no
    /// warnings, any number of infos).
    max: Option<MaxFindings>,
}

#[derive(JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[allow(dead_code)]
/// A program run from the repository root, only when commands are allowed.
struct CommandSchema {
    id: Option<String>,
    title: Option<String>,
    /// The program and its arguments, run without a shell.
    #[schemars(length(min = 1))]
    command: Vec<String>,
    /// How long the command may run (`90s`, `10m`, `1h`; default `10m`).
    timeout: Option<Duration>,
    /// The exit code that means success (default 0).
    exit_code: Option<i32>,
    /// The folder to run in, relative to the repository root.
    workdir: Option<String>,
}

#[derive(JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[allow(dead_code)]
/// A file in the repository.
struct FileSchema {
    id: Option<String>,
    title: Option<String>,
    /// A path or glob relative to the repository root.
    file: String,
    /// Whether a matching file must exist (default true) or must not.
    exists: Option<bool>,
    /// A regular expression the content of a matching file must match.
    matches: Option<String>,
}

#[derive(JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[allow(dead_code)]
/// A live check; its options belong to the probe kind.
struct ProbeSchema {
    id: Option<String>,
    title: Option<String>,
    probe: ProbeTableSchema,
}

/// A probe's table: its kind, and options the kind defines.
struct ProbeTableSchema;

impl JsonSchema for ProbeTableSchema {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Probe".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A live check. `kind` names the probe (`http`, `auth`, `rate-limit`, `headers`, `tls`, `idempotency`, `load`, `backup-drill`); the other keys are its options.",
            "type": "object",
            "required": ["kind"],
            "properties": {"kind": {"type": "string", "minLength": 1}},
            "additionalProperties": true
        })
    }
}

#[derive(JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[allow(dead_code)]
/// A manual item: it passes only with a current attestation.
struct AttestationSchema {
    id: Option<String>,
    title: Option<String>,
    /// What the person attesting vouches for.
    #[schemars(length(min = 1))]
    attestation: String,
    /// Who may attest: owner ids or names (default: anyone).
    attesters: Option<Vec<String>>,
    /// How long an attestation stays valid (`30d`).
    max_age: Option<Duration>,
    /// Automated checks that could replace the attestation once configured.
    suggested: Option<Vec<String>>,
}

impl JsonSchema for Check {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Check".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        CheckSchema::json_schema(generator)
    }
}

/// A length of time, written `90s`, `10m`, `2h`, `30d` or combined (`1h30m`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub u64);

impl Duration {
    pub fn seconds(self) -> u64 {
        self.0
    }

    pub fn std(self) -> std::time::Duration {
        std::time::Duration::from_secs(self.0)
    }
}

impl FromStr for Duration {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("`{text}` is not a duration: write `90s`, `10m`, `2h` or `30d`");
        let mut total: u64 = 0;
        let mut digits = String::new();
        let mut any = false;
        for c in text.trim().chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let unit = match c {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                'w' => 7 * 86_400,
                _ => return Err(bad()),
            };
            let n: u64 = digits.parse().map_err(|_| bad())?;
            total = n
                .checked_mul(unit)
                .and_then(|s| total.checked_add(s))
                .ok_or_else(bad)?;
            digits.clear();
            any = true;
        }
        if !digits.is_empty() || !any {
            return Err(bad());
        }
        Ok(Duration(total))
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        if rest == 0 {
            return f.write_str("0s");
        }
        for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
            if rest >= size {
                write!(f, "{}{unit}", rest / size)?;
                rest %= size;
            }
        }
        Ok(())
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurationVisitor;
        impl Visitor<'_> for DurationVisitor {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as \"90s\", \"10m\" or \"30d\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
                v.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(DurationVisitor)
    }
}

impl JsonSchema for Duration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A length of time: `90s`, `10m`, `2h`, `30d`, `1w` or combined (`1h30m`).",
            "type": "string",
            "pattern": "^([0-9]+[smhdw])+$"
        })
    }
}

/// How likely a risk is, or how much it would hurt.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    /// Reads the words plans use for levels: `Med`, `H`, `P1`, `3/5`.
    pub fn parse_loose(text: &str) -> Option<Level> {
        let t = text
            .trim()
            .trim_matches(['*', '_', '`'])
            .to_ascii_lowercase();
        let word = t.split(|c: char| !c.is_ascii_alphanumeric()).next()?;
        Some(match word {
            "low" | "l" | "minor" | "unlikely" | "rare" | "p3" | "p4" | "1" => Level::Low,
            "medium" | "med" | "m" | "moderate" | "possible" | "p2" | "2" | "3" => Level::Medium,
            "high" | "h" | "major" | "likely" | "p1" | "4" => Level::High,
            "critical" | "crit" | "severe" | "blocker" | "certain" | "p0" | "5" => Level::Critical,
            _ => return None,
        })
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum RiskStatus {
    Open,
    Mitigated,
    Accepted,
    Closed,
}

impl RiskStatus {
    pub fn parse_loose(text: &str) -> Option<RiskStatus> {
        let t = text.trim().to_ascii_lowercase();
        let word = t.split(|c: char| !c.is_ascii_alphanumeric()).next()?;
        Some(match word {
            "open" | "active" | "new" | "identified" | "monitoring" | "tbd" => RiskStatus::Open,
            "mitigated" | "mitigating" | "resolved" | "fixed" => RiskStatus::Mitigated,
            "accepted" => RiskStatus::Accepted,
            "closed" | "retired" | "done" => RiskStatus::Closed,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Risk {
    /// Unique among risks.
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub likelihood: Option<Level>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact: Option<Level>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// How the risk is mitigated, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mitigation: Option<String>,
    /// The gates that carry the mitigation out, as `PHASE/GATE`: while one of
    /// them fails, the risk is open exposure.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mitigated_by: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<RiskStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum DecisionStatus {
    Proposed,
    Accepted,
    Rejected,
    Superseded,
}

impl DecisionStatus {
    pub fn parse_loose(text: &str) -> Option<DecisionStatus> {
        let t = text.trim().to_ascii_lowercase();
        let word = t.split(|c: char| !c.is_ascii_alphanumeric()).next()?;
        Some(match word {
            "proposed" | "pending" | "draft" | "open" | "proposal" | "tbd" | "under" => {
                DecisionStatus::Proposed
            }
            "accepted" | "approved" | "decided" | "agreed" | "done" | "adopted" | "final" => {
                DecisionStatus::Accepted
            }
            "rejected" | "declined" | "dropped" => DecisionStatus::Rejected,
            "superseded" | "replaced" | "deprecated" | "obsolete" => DecisionStatus::Superseded,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Decision {
    /// Unique among decisions; gates cite decisions by it.
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<DecisionStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// What was decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// A calendar date, `YYYY-MM-DD`; TOML's own dates are accepted too.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(String);

impl Date {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Date {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("`{text}` is not a date: write YYYY-MM-DD");
        let parts: Vec<&str> = text.split('-').collect();
        let [y, m, d] = parts.as_slice() else {
            return Err(bad());
        };
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !(digits(y, 4) && digits(m, 2) && digits(d, 2)) {
            return Err(bad());
        }
        let (year, month, day): (u32, u32, u32) = (
            y.parse().map_err(|_| bad())?,
            m.parse().map_err(|_| bad())?,
            d.parse().map_err(|_| bad())?,
        );
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return Err(bad()),
        };
        if day == 0 || day > days {
            return Err(bad());
        }
        Ok(Date(text.to_owned()))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Text(String),
            Toml(toml::value::Datetime),
        }
        let text = match Repr::deserialize(deserializer)
            .map_err(|_| de::Error::custom("a date is written YYYY-MM-DD"))?
        {
            Repr::Text(text) => text,
            Repr::Toml(datetime) => match (datetime.date, datetime.time) {
                (Some(date), None) => date.to_string(),
                _ => return Err(de::Error::custom("a date has no time: write YYYY-MM-DD")),
            },
        };
        text.parse().map_err(de::Error::custom)
    }
}

impl JsonSchema for Date {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Date".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A calendar date, YYYY-MM-DD.",
            "type": "string",
            "format": "date"
        })
    }
}

impl Plan {
    pub fn phase(&self, id: &str) -> Option<&Phase> {
        self.phases.iter().find(|p| p.id == id)
    }

    /// A gate by its address, `PHASE/GATE`.
    pub fn gate(&self, address: &str) -> Option<(&Phase, &Gate)> {
        let (phase, gate) = address.split_once('/')?;
        let phase = self.phase(phase)?;
        phase
            .gates
            .iter()
            .find(|g| g.id == gate)
            .map(|g| (phase, g))
    }

    /// Every gate with its address.
    pub fn gates(&self) -> impl Iterator<Item = (String, &Phase, &Gate)> {
        self.phases.iter().flat_map(|phase| {
            phase
                .gates
                .iter()
                .map(move |gate| (format!("{}/{}", phase.id, gate.id), phase, gate))
        })
    }

    /// The phases in waves: every phase of a wave needs only phases of
    /// earlier waves, so the phases of one wave can be evaluated in parallel.
    /// Within a wave, phases keep the order they are written in. Phases
    /// caught in a cycle or needing unknown phases are left out; validation
    /// reports them.
    pub fn waves(&self) -> Vec<Vec<&Phase>> {
        let mut placed: BTreeMap<&str, usize> = BTreeMap::new();
        let mut waves: Vec<Vec<&Phase>> = Vec::new();
        loop {
            let wave: Vec<&Phase> = self
                .phases
                .iter()
                .filter(|p| !placed.contains_key(p.id.as_str()))
                .filter(|p| p.needs.iter().all(|n| placed.contains_key(n.as_str())))
                .collect();
            if wave.is_empty() {
                break;
            }
            let index = waves.len();
            for phase in &wave {
                placed.insert(&phase.id, index);
            }
            waves.push(wave);
        }
        waves
    }
}

impl Check {
    /// The check's id within its gate: its own, or its kind numbered among
    /// the checks of that kind before it.
    pub fn effective_id(&self, gate: &Gate, index: usize) -> String {
        if let Some(id) = &self.id {
            return id.clone();
        }
        let kind = self.kind.name();
        let same_before = gate.checks[..index]
            .iter()
            .filter(|c| c.id.is_none() && c.kind.name() == kind)
            .count();
        if same_before == 0 {
            kind.to_owned()
        } else {
            format!("{kind}-{}", same_before + 1)
        }
    }
}
