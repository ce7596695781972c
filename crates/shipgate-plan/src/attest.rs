//! Attestations: the evidence of manual plan items, those only a person can
//! vouch for ("restored last night's backup", "the release is approved").
//!
//! `shipgate attest` appends one JSON object per line to
//! `.shipgate/attestations.jsonl`, the ledger: the item, who vouches, a note,
//! when, until when, and the commit the repository was at. Each record
//! carries `digest`, a SHA-256 over its content and `prev`, the digest of the
//! record it was appended after; a record whose digest does not match its
//! content, or whose `prev` names no earlier trusted record, is reported as
//! tampering, and so is every record appended after it.
//!
//! The chain gives integrity, not identity. It catches a record edited or
//! removed by hand, by a bad merge or by a tool, but anyone can recompute
//! it: there is no secret key. Who attested is established the way every
//! other change is, by the commit that adds the line once the ledger is
//! committed and reviewed; rewriting the chain to hide an edit changes every
//! later line in that commit's diff. `by` is a claim that the plan checks
//! against the attesters it allows, not a signature.
//!
//! `prev` is stored rather than implied by the line order so that two
//! branches that each appended records can be merged (`merge=union` in
//! `.gitattributes`): both records then follow the same earlier one, and
//! both are trusted.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
pub use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::model::{AttestationCheck, CheckKind, Duration, Owner, Plan};

/// Where the ledger lives, relative to the repository root.
pub const LEDGER_PATH: &str = ".shipgate/attestations.jsonl";

/// Starts the hashed content, so that a digest of a record can never be
/// mistaken for the digest of anything else shipgate hashes.
const DIGEST_DOMAIN: &[u8] = b"shipgate.attestation/v1\n";

/// One line of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attestation {
    /// What is vouched for: a gate address, `PHASE/GATE`, which covers every
    /// attestation check of the gate, or one check, `PHASE/GATE#CHECK`.
    pub item: String,
    /// Who vouches: an owner id, a name or a contact.
    pub by: String,
    /// What was done, in the attester's words.
    pub note: String,
    /// When, in RFC 3339, UTC.
    #[serde(with = "rfc3339")]
    pub at: OffsetDateTime,
    /// When the attestation stops holding; a check's `max-age` may end it
    /// sooner.
    #[serde(
        default,
        with = "rfc3339_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub expires: Option<OffsetDateTime>,
    /// The repository's HEAD commit when the attestation was made, when
    /// known: what state of the repository was vouched for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The digest of the record this one was appended after; none for the
    /// first record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    /// SHA-256, in hex, of this record's content and `prev`.
    pub digest: String,
}

impl Attestation {
    /// A record to [`append`]: `at` is truncated to the second, since the
    /// ledger is read by people; `prev` and `digest` are set when appended.
    pub fn new(
        item: impl Into<String>,
        by: impl Into<String>,
        note: impl Into<String>,
        at: OffsetDateTime,
    ) -> Self {
        let at = at.to_offset(time::UtcOffset::UTC);
        Attestation {
            item: item.into(),
            by: by.into(),
            note: note.into(),
            at: at.replace_nanosecond(0).unwrap_or(at),
            expires: None,
            commit: None,
            prev: None,
            digest: String::new(),
        }
    }

    /// Makes the attestation expire `after` its time.
    pub fn expiring_after(mut self, after: Duration) -> Result<Self, String> {
        if after.seconds() == 0 {
            return Err("an attestation that expires at once vouches for nothing".into());
        }
        self.expires = Some(add(self.at, after).ok_or_else(|| {
            format!(
                "an attestation made at {} cannot last {after}",
                format_time(self.at)
            )
        })?);
        Ok(self)
    }

    pub fn with_commit(mut self, commit: Option<String>) -> Self {
        self.commit = commit;
        self
    }

    /// The digest this record should carry: its content and `prev`, with
    /// times in their canonical form, so that reformatting a line (another
    /// offset, CRLF line ends, spacing) does not break the chain while
    /// changing what it says does.
    pub fn content_digest(&self) -> Result<String, String> {
        #[derive(Serialize)]
        struct Canonical<'a> {
            item: &'a str,
            by: &'a str,
            note: &'a str,
            at: String,
            expires: Option<String>,
            commit: Option<&'a str>,
            prev: Option<&'a str>,
        }
        let canonical = Canonical {
            item: &self.item,
            by: &self.by,
            note: &self.note,
            at: try_format_time(self.at)?,
            expires: self.expires.map(try_format_time).transpose()?,
            commit: self.commit.as_deref(),
            prev: self.prev.as_deref(),
        };
        let json = serde_json::to_vec(&canonical).map_err(|e| e.to_string())?;
        let mut hasher = Sha256::new();
        hasher.update(DIGEST_DOMAIN);
        hasher.update(&json);
        Ok(hex(&hasher.finalize()))
    }

    /// When the attestation stops holding for `check`: the earlier of its
    /// own expiry and its time plus the check's `max-age`; `None` when
    /// neither bounds it.
    pub fn valid_until(&self, check: &AttestationCheck) -> Option<OffsetDateTime> {
        let capped = check.max_age.and_then(|age| add(self.at, age));
        match (self.expires, capped) {
            (Some(own), Some(cap)) => Some(own.min(cap)),
            (own, cap) => own.or(cap),
        }
    }

    /// Whether this record vouches for `item`: the same address, or the
    /// gate of a `GATE#CHECK` item.
    pub fn covers(&self, item: &str) -> bool {
        self.item == item
            || item
                .split_once('#')
                .is_some_and(|(gate, _)| self.item == gate)
    }
}

fn add(at: OffsetDateTime, duration: Duration) -> Option<OffsetDateTime> {
    let seconds = i64::try_from(duration.seconds()).ok()?;
    let later = at.checked_add(time::Duration::seconds(seconds))?;
    // A time past what RFC 3339 can write could never be stored.
    try_format_time(later).ok().map(|_| later)
}

/// A time as the ledger writes it: RFC 3339 in UTC.
pub fn format_time(at: OffsetDateTime) -> String {
    try_format_time(at).unwrap_or_else(|_| at.to_string())
}

fn try_format_time(at: OffsetDateTime) -> Result<String, String> {
    at.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .map_err(|e| format!("{at} cannot be written as RFC 3339: {e}"))
}

/// Reads an RFC 3339 time, in any offset, as UTC.
pub fn parse_time(text: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map(|t| t.to_offset(time::UtcOffset::UTC))
        .map_err(|e| format!("`{text}` is not an RFC 3339 time: {e}"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

mod rfc3339 {
    use serde::{Deserialize, Deserializer, Serializer, de, ser};

    use super::OffsetDateTime;

    pub fn serialize<S: Serializer>(at: &OffsetDateTime, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&super::try_format_time(*at).map_err(ser::Error::custom)?)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<OffsetDateTime, D::Error> {
        let text = String::deserialize(deserializer)?;
        super::parse_time(&text).map_err(de::Error::custom)
    }
}

mod rfc3339_option {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::OffsetDateTime;

    pub fn serialize<S: Serializer>(
        at: &Option<OffsetDateTime>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match at {
            Some(at) => super::rfc3339::serialize(at, serializer),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapped(#[serde(with = "super::rfc3339")] OffsetDateTime);
        Ok(Option::<Wrapped>::deserialize(deserializer)?.map(|Wrapped(at)| at))
    }
}

/// The ledger of a repository.
pub fn ledger_path(root: &Path) -> PathBuf {
    root.join(LEDGER_PATH)
}

fn shown(root: &Path) -> String {
    if root == Path::new(".") || root.as_os_str().is_empty() {
        LEDGER_PATH.to_owned()
    } else {
        ledger_path(root).display().to_string()
    }
}

/// Whether an item is written as an address: `PHASE/GATE` or
/// `PHASE/GATE#CHECK`, ids without spaces.
pub fn check_item_syntax(item: &str) -> Result<(), String> {
    let bad = || format!("`{item}` is not a plan item: write PHASE/GATE or PHASE/GATE#CHECK");
    let (gate, check) = match item.split_once('#') {
        Some((gate, check)) => (gate, Some(check)),
        None => (item, None),
    };
    let id = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && !matches!(c, '/' | '#'))
    };
    let (phase, gate) = gate.split_once('/').ok_or_else(bad)?;
    if id(phase) && id(gate) && check.is_none_or(id) {
        Ok(())
    } else {
        Err(bad())
    }
}

/// Appends `attestation` to the ledger of the repository at `root`, chained
/// after its last record, and returns the record as written. A ledger with
/// problems is left alone: a record appended after a tampered or malformed
/// line would be hard to tell from the damage.
pub fn append(root: &Path, attestation: Attestation) -> Result<Attestation, String> {
    let mut record = attestation;
    check_item_syntax(&record.item)?;
    for (field, value) in [("by", &record.by), ("note", &record.note)] {
        if value.trim().is_empty() {
            return Err(format!("an attestation needs `{field}`"));
        }
    }
    if record.expires.is_some_and(|expires| expires <= record.at) {
        return Err("the attestation would expire before it is made".into());
    }
    let ledger = load(root).map_err(|e| e.to_string())?;
    if !ledger.problems.is_empty() {
        let problems: Vec<String> = ledger.problems.iter().map(ToString::to_string).collect();
        return Err(format!(
            "the ledger has problems; mend them before attesting:\n{}",
            problems.join("\n")
        ));
    }
    record.prev = ledger.entries.last().map(|e| e.record.digest.clone());
    record.digest = record.content_digest()?;
    let mut line = serde_json::to_string(&record).map_err(|e| e.to_string())?;
    line.push('\n');

    let path = ledger_path(root);
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(&path)
        .map_err(|e| format!("cannot open {}: {e}", shown(root)))?;
    // A last line left without its newline (an editor, a cut-off write)
    // would otherwise swallow the new record.
    if !ends_with_newline(&mut file) {
        line.insert(0, '\n');
    }
    // One write of the whole line: appends of a few hundred bytes are not
    // interleaved with another process's, so concurrent attests each leave
    // a whole line.
    file.write_all(line.as_bytes())
        .and_then(|()| file.sync_data())
        .map_err(|e| format!("cannot write {}: {e}", shown(root)))?;
    Ok(record)
}

fn ends_with_newline(file: &mut fs::File) -> bool {
    use std::io::{Seek, SeekFrom};
    let Ok(len) = file.seek(SeekFrom::End(0)) else {
        return true;
    };
    if len == 0 {
        return true;
    }
    let mut last = [0u8; 1];
    file.seek(SeekFrom::End(-1))
        .and_then(|_| file.read_exact(&mut last))
        .map_or(true, |()| last[0] == b'\n')
}

/// Whether a record can be relied on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    Verified,
    /// The chain is broken at line `since`, at this record or before it.
    Tampered {
        since: usize,
    },
}

/// A record of the ledger and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// 1-based.
    pub line: usize,
    pub record: Attestation,
    pub trust: Trust,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// The ledger exists but cannot be read.
    Unreadable,
    /// A line is not an attestation record; it is skipped.
    Malformed,
    /// The chain breaks at a line: it and the records after it are not
    /// trusted.
    Tampered,
}

/// A problem of the ledger, at its line when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerProblem {
    /// The ledger as shown to people.
    pub path: String,
    pub line: Option<usize>,
    pub kind: ProblemKind,
    pub message: String,
}

impl fmt::Display for LedgerProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.path, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

/// The attestations of a repository, as read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ledger {
    /// Every well-formed record, trusted or not, in file order.
    pub entries: Vec<Entry>,
    /// Malformed lines and breaks of the chain, in file order.
    pub problems: Vec<LedgerProblem>,
}

/// How long a ledger line may be. Records are a few hundred bytes; a
/// longer line is not one of them, and is not kept in memory.
const MAX_LINE: usize = 64 * 1024;
/// How large a ledger may be: far more than years of attestations.
const MAX_LEDGER: u64 = 64 * 1024 * 1024;

/// Reads the ledger of the repository at `root`; an absent ledger is empty.
/// A malformed line is a problem at its line and the other lines are still
/// read; a break in the chain is a problem at the line it starts, and the
/// records from there on are kept but not trusted. Only a ledger that
/// cannot be read at all is an error.
pub fn load(root: &Path) -> Result<Ledger, LedgerProblem> {
    let path = shown(root);
    let unreadable = |message: String| LedgerProblem {
        path: path.clone(),
        line: None,
        kind: ProblemKind::Unreadable,
        message,
    };
    let mut bytes = Vec::new();
    match fs::File::open(ledger_path(root)) {
        Ok(file) => {
            file.take(MAX_LEDGER + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| unreadable(format!("cannot read the ledger: {e}")))?;
            if bytes.len() as u64 > MAX_LEDGER {
                return Err(unreadable(format!(
                    "the ledger is larger than {} MiB; it is not an attestation ledger",
                    MAX_LEDGER / (1024 * 1024)
                )));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Ledger::default()),
        Err(e) => return Err(unreadable(format!("cannot open the ledger: {e}"))),
    }
    Ok(parse(&bytes, &path))
}

/// Reads ledger text; `path` names it in problems.
pub fn parse(bytes: &[u8], path: &str) -> Ledger {
    let mut ledger = Ledger::default();
    let problem = |line: usize, kind: ProblemKind, message: String| LedgerProblem {
        path: path.to_owned(),
        line: Some(line),
        kind,
        message,
    };
    let mut verified: HashSet<String> = HashSet::new();
    // The digest a broken record claims, and the line its break starts at,
    // so that the records chained after it are traced to that line.
    let mut broken: HashMap<String, usize> = HashMap::new();
    for (index, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = index + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if raw.len() > MAX_LINE {
            ledger.problems.push(problem(
                line,
                ProblemKind::Malformed,
                format!("a line of {} bytes is not an attestation record", raw.len()),
            ));
            continue;
        }
        let Ok(text) = std::str::from_utf8(raw) else {
            ledger.problems.push(problem(
                line,
                ProblemKind::Malformed,
                "the line is not UTF-8 text".into(),
            ));
            continue;
        };
        let record: Attestation = match serde_json::from_str(text) {
            Ok(record) => record,
            Err(e) => {
                ledger.problems.push(problem(
                    line,
                    ProblemKind::Malformed,
                    format!("not an attestation record: {}", json_error(&e)),
                ));
                continue;
            }
        };
        let intact = record
            .content_digest()
            .is_ok_and(|digest| digest == record.digest);
        let trust = if !intact {
            ledger.problems.push(problem(
                line,
                ProblemKind::Tampered,
                "the record was changed after it was written (its digest does not match its \
                 content); it and the records after it are not trusted"
                    .into(),
            ));
            Trust::Tampered { since: line }
        } else {
            match record.prev.as_deref() {
                None => Trust::Verified,
                Some(prev) if verified.contains(prev) => Trust::Verified,
                Some(prev) => match broken.get(prev) {
                    Some(&since) => Trust::Tampered { since },
                    None => {
                        ledger.problems.push(problem(
                            line,
                            ProblemKind::Tampered,
                            format!(
                                "the record this one was appended after ({}…) was removed or \
                                 changed; it and the records after it are not trusted",
                                prev.get(..12).unwrap_or(prev)
                            ),
                        ));
                        Trust::Tampered { since: line }
                    }
                },
            }
        };
        match trust {
            Trust::Verified => {
                verified.insert(record.digest.clone());
            }
            Trust::Tampered { since } => {
                broken.entry(record.digest.clone()).or_insert(since);
            }
        }
        ledger.entries.push(Entry {
            line,
            record,
            trust,
        });
    }
    ledger
}

/// serde_json's message without its own position: the line is ours, and a
/// record is one line.
fn json_error(error: &serde_json::Error) -> String {
    let message = error.to_string();
    let message = match message.rfind(" at line ") {
        Some(at) => &message[..at],
        None => &message,
    };
    if error.column() > 0 {
        format!("{message} (column {})", error.column())
    } else {
        message.to_owned()
    }
}

/// What the ledger says about one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttestationVerdict {
    /// Attested, by someone allowed, and still holding; `until` is `None`
    /// when nothing bounds it.
    Current {
        record: Attestation,
        until: Option<OffsetDateTime>,
    },
    /// The newest attestation stopped holding at `ended`.
    Expired {
        record: Attestation,
        ended: OffsetDateTime,
    },
    /// The newest attestation is by someone the check does not allow.
    NotAllowed { record: Attestation },
    /// The newest attestation sits in a broken part of the chain.
    Tampered {
        record: Attestation,
        line: usize,
        since: usize,
    },
    /// Nobody attested.
    Missing,
}

impl AttestationVerdict {
    pub fn passed(&self) -> bool {
        matches!(self, AttestationVerdict::Current { .. })
    }

    pub fn record(&self) -> Option<&Attestation> {
        match self {
            AttestationVerdict::Current { record, .. }
            | AttestationVerdict::Expired { record, .. }
            | AttestationVerdict::NotAllowed { record }
            | AttestationVerdict::Tampered { record, .. } => Some(record),
            AttestationVerdict::Missing => None,
        }
    }
}

impl fmt::Display for AttestationVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttestationVerdict::Current { record, until } => {
                write!(f, "attested by {} at {}", record.by, format_time(record.at))?;
                match until {
                    Some(until) => write!(f, ", until {}", format_time(*until))?,
                    None => f.write_str(", with no expiry")?,
                }
                write!(f, ": {}", record.note)
            }
            AttestationVerdict::Expired { record, ended } => write!(
                f,
                "the attestation by {} at {} expired at {}",
                record.by,
                format_time(record.at),
                format_time(*ended)
            ),
            AttestationVerdict::NotAllowed { record } => write!(
                f,
                "attested by {}, who is not among the check's attesters",
                record.by
            ),
            AttestationVerdict::Tampered { line, since, .. } => write!(
                f,
                "the attestation at line {line} of {LEDGER_PATH} is not trusted: the ledger \
                 was changed at line {since}"
            ),
            AttestationVerdict::Missing => f.write_str("no attestation is recorded"),
        }
    }
}

impl Ledger {
    /// Judges `item` against `check`, with attesters matched by name only;
    /// see [`Ledger::judge_with_owners`].
    pub fn judge(
        &self,
        item: &str,
        check: &AttestationCheck,
        now: OffsetDateTime,
    ) -> AttestationVerdict {
        self.judge_with_owners(item, check, &BTreeMap::new(), now)
    }

    /// Judges `item` (a gate address, or `GATE#CHECK`, which gate-wide
    /// records also cover) against `check` at `now`. Any record that holds
    /// passes the item, the one holding longest is shown; otherwise the
    /// newest record says why the item fails. `owners` lets an attester be
    /// named by owner id, name or contact.
    pub fn judge_with_owners(
        &self,
        item: &str,
        check: &AttestationCheck,
        owners: &BTreeMap<String, Owner>,
        now: OffsetDateTime,
    ) -> AttestationVerdict {
        let mut holding: Option<AttestationVerdict> = None;
        let mut newest: Option<(&Entry, AttestationVerdict)> = None;
        for entry in self.entries.iter().filter(|e| e.record.covers(item)) {
            let record = &entry.record;
            let verdict = match entry.trust {
                Trust::Tampered { since } => AttestationVerdict::Tampered {
                    record: record.clone(),
                    line: entry.line,
                    since,
                },
                Trust::Verified if !may_attest(check, owners, &record.by) => {
                    AttestationVerdict::NotAllowed {
                        record: record.clone(),
                    }
                }
                Trust::Verified => match record.valid_until(check) {
                    Some(ended) if ended <= now => AttestationVerdict::Expired {
                        record: record.clone(),
                        ended,
                    },
                    until => AttestationVerdict::Current {
                        record: record.clone(),
                        until,
                    },
                },
            };
            if let AttestationVerdict::Current { until, .. } = &verdict {
                let longer = match &holding {
                    Some(AttestationVerdict::Current { until: best, .. }) => {
                        best.is_some() && until.is_none_or(|u| best.is_some_and(|b| u >= b))
                    }
                    _ => true,
                };
                if longer {
                    holding = Some(verdict.clone());
                }
            }
            // Merged branches interleave records, so "newest" is by time.
            if newest
                .as_ref()
                .is_none_or(|(best, _)| record.at >= best.record.at)
            {
                newest = Some((entry, verdict));
            }
        }
        holding
            .or(newest.map(|(_, verdict)| verdict))
            .unwrap_or(AttestationVerdict::Missing)
    }
}

/// Whether `by` may attest for `check`: anyone when it lists no attesters;
/// otherwise one of them, compared without case, or the same owner under
/// another of its names (id, name, contact).
pub fn may_attest(check: &AttestationCheck, owners: &BTreeMap<String, Owner>, by: &str) -> bool {
    if check.attesters.is_empty() {
        return true;
    }
    let same = |a: &str, b: &str| a.trim().to_lowercase() == b.trim().to_lowercase();
    let names = |id: &'_ str, owner: &'_ Owner| -> Vec<String> {
        let mut names = vec![id.to_owned()];
        names.extend(owner.name.clone());
        names.extend(owner.contact.clone());
        names
    };
    check.attesters.iter().any(|attester| {
        same(attester, by)
            || owners.iter().any(|(id, owner)| {
                let names = names(id, owner);
                names.iter().any(|n| same(n, attester)) && names.iter().any(|n| same(n, by))
            })
    })
}

/// An attestation check of a plan and the item it is attested as.
#[derive(Debug, Clone, PartialEq)]
pub struct Attestable<'a> {
    /// `PHASE/GATE`.
    pub gate: String,
    /// The check's id within its gate.
    pub check_id: String,
    pub check: &'a AttestationCheck,
}

impl Attestable<'_> {
    /// `PHASE/GATE#CHECK`.
    pub fn address(&self) -> String {
        format!("{}#{}", self.gate, self.check_id)
    }
}

/// Every attestation check of `plan`, in plan order.
pub fn attestable(plan: &Plan) -> Vec<Attestable<'_>> {
    let mut found = Vec::new();
    for (address, _, gate) in plan.gates() {
        for (index, check) in gate.checks.iter().enumerate() {
            if let CheckKind::Attestation(attestation) = &check.kind {
                found.push(Attestable {
                    gate: address.clone(),
                    check_id: check.effective_id(gate, index),
                    check: attestation,
                });
            }
        }
    }
    found
}

/// The attestation checks of `plan` that a record for `item` vouches for;
/// an error naming close matches when there are none.
pub fn resolve<'a>(plan: &'a Plan, item: &str) -> Result<Vec<Attestable<'a>>, String> {
    check_item_syntax(item)?;
    let all = attestable(plan);
    let matched: Vec<Attestable<'a>> = all
        .iter()
        .filter(|a| a.gate == item || a.address() == item)
        .cloned()
        .collect();
    if !matched.is_empty() {
        return Ok(matched);
    }
    let mut message = if plan.gate(item.split('#').next().unwrap_or(item)).is_some() {
        format!("`{item}` has no attestation check: its checks produce their own evidence")
    } else {
        format!("`{item}` is not an item of the plan")
    };
    let mut names: Vec<String> = Vec::new();
    for a in &all {
        if !names.contains(&a.gate) {
            names.push(a.gate.clone());
        }
        if all.iter().filter(|b| b.gate == a.gate).count() > 1 {
            names.push(a.address());
        }
    }
    let close = close_matches(item, &names);
    if names.is_empty() {
        message.push_str("; the plan has no attestation checks");
    } else if !close.is_empty() {
        message.push_str(&format!("; did you mean {}?", close.join(", ")));
    } else if names.len() <= 12 {
        let names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
        message.push_str(&format!("; the attested items are {}", names.join(", ")));
    } else {
        message.push_str(&format!("; the plan has {} attested items", names.len()));
    }
    Err(message)
}

/// Up to five of `names` that look like `wanted`: a few edits away, the
/// same gate in another phase, or containing it.
fn close_matches(wanted: &str, names: &[String]) -> Vec<String> {
    let wanted_gate = wanted
        .split('#')
        .next()
        .and_then(|g| g.rsplit('/').next())
        .unwrap_or(wanted);
    let mut scored: Vec<(usize, &String)> = names
        .iter()
        .filter_map(|name| {
            let distance = strsim::levenshtein(wanted, name);
            let gate = name.split('#').next().and_then(|g| g.rsplit('/').next());
            let close = distance <= (wanted.chars().count() / 3).max(2)
                || gate == Some(wanted_gate)
                || (wanted.len() >= 3 && name.contains(wanted));
            close.then_some((distance, name))
        })
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(5)
        .map(|(_, n)| format!("`{n}`"))
        .collect()
}

/// The commit the repository holding `root` is at, read from `.git`
/// without running git: HEAD, then the branch it names, loose or packed.
/// `None` outside a repository, on an unborn branch, or with a reference
/// store this does not read (reftable).
pub fn head_commit(root: &Path) -> Option<String> {
    let start = fs::canonicalize(root).ok()?;
    let dot_git = start
        .ancestors()
        .map(|dir| dir.join(".git"))
        .find(|p| p.exists())?;
    let git_dir = if dot_git.is_dir() {
        dot_git
    } else {
        // Worktrees and submodules: `.git` is a file naming the real one.
        let text = read_small(&dot_git)?;
        let target = text.lines().next()?.strip_prefix("gitdir:")?.trim();
        let base = dot_git.parent()?;
        base.join(target)
    };
    // A linked worktree keeps its HEAD but shares the branches of the
    // main repository, named in `commondir`.
    let common_dir = read_small(&git_dir.join("commondir"))
        .map(|text| git_dir.join(text.trim()))
        .unwrap_or_else(|| git_dir.clone());
    let mut content = read_small(&git_dir.join("HEAD"))?.trim().to_owned();
    // Symbolic references may name each other; a few hops is plenty, and
    // bounds a loop.
    for _ in 0..5 {
        let Some(name) = content.strip_prefix("ref:") else {
            return is_object_id(&content).then_some(content);
        };
        let name = name.trim();
        if !is_ref_name(name) {
            return None;
        }
        content = match [&git_dir, &common_dir]
            .iter()
            .find_map(|dir| read_small(&dir.join(name)))
        {
            Some(loose) => loose.trim().to_owned(),
            None => packed_ref(&common_dir, name)?,
        };
    }
    None
}

fn packed_ref(common_dir: &Path, name: &str) -> Option<String> {
    let text = read_small(&common_dir.join("packed-refs"))?;
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.starts_with('^'))
        .filter_map(|line| line.split_once(' '))
        .find(|(_, refname)| refname.trim() == name)
        .map(|(id, _)| id.to_owned())
        .filter(|id| is_object_id(id))
}

/// A SHA-1 or SHA-256 object id.
fn is_object_id(text: &str) -> bool {
    matches!(text.len(), 40 | 64) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A reference name HEAD may hold, which must stay inside the git folder.
fn is_ref_name(name: &str) -> bool {
    name.starts_with("refs/")
        && Path::new(name)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
}

/// Refs and HEAD are a line, packed-refs of a large repository a few MiB.
const MAX_GIT_FILE: u64 = 64 * 1024 * 1024;

/// The text of a small git file.
fn read_small(path: &Path) -> Option<String> {
    let mut text = String::new();
    fs::File::open(path)
        .ok()?
        .take(MAX_GIT_FILE)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> OffsetDateTime {
        parse_time(text).expect("time")
    }

    fn check(attesters: &[&str], max_age: Option<&str>) -> AttestationCheck {
        AttestationCheck {
            statement: "Restored the backup".into(),
            attesters: attesters.iter().map(|s| (*s).to_owned()).collect(),
            max_age: max_age.map(|m| m.parse().expect("duration")),
            suggested: Vec::new(),
        }
    }

    fn record(item: &str, by: &str, when: &str) -> Attestation {
        Attestation::new(item, by, "restored into staging", at(when))
    }

    fn days(n: u64) -> Duration {
        Duration(n * 86_400)
    }

    #[test]
    fn appended_records_read_back_chained_and_trusted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = append(
            dir.path(),
            record("validation/restore", "alice", "2026-11-01T10:00:00Z")
                .expiring_after(days(30))
                .expect("expiry")
                .with_commit(Some("a".repeat(40))),
        )
        .expect("first");
        let second = append(
            dir.path(),
            record("ship/approved", "bob", "2026-11-02T10:00:00.75+02:00"),
        )
        .expect("second");
        assert_eq!(first.prev, None);
        assert_eq!(second.prev.as_deref(), Some(first.digest.as_str()));
        assert_eq!(format_time(second.at), "2026-11-02T08:00:00Z");

        let text = fs::read_to_string(ledger_path(dir.path())).expect("ledger");
        assert_eq!(text.lines().count(), 2);
        assert!(text.lines().next().expect("line").contains(
            r#""at":"2026-11-01T10:00:00Z","expires":"2026-12-01T10:00:00Z","commit":"aaaa"#
        ));

        let ledger = load(dir.path()).expect("load");
        assert!(ledger.problems.is_empty(), "{:?}", ledger.problems);
        assert_eq!(ledger.entries.len(), 2);
        assert_eq!(ledger.entries[0].record, first);
        assert_eq!(ledger.entries[1].record, second);
        assert!(ledger.entries.iter().all(|e| e.trust == Trust::Verified));
        assert_eq!(ledger.entries[1].line, 2);
    }

    #[test]
    fn an_absent_ledger_is_empty() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(load(dir.path()).expect("load"), Ledger::default());
    }

    #[test]
    fn bad_records_are_refused_before_anything_is_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let when = "2026-11-01T10:00:00Z";
        for bad in [
            record("restore", "alice", when),
            record("validation/restore now", "alice", when),
            record("validation/restore", " ", when),
            Attestation::new("validation/restore", "alice", "", at(when)),
        ] {
            assert!(append(dir.path(), bad).is_err());
        }
        assert!(
            record("validation/restore", "alice", when)
                .expiring_after(Duration(0))
                .is_err()
        );
        assert!(
            record("validation/restore", "alice", when)
                .expiring_after(Duration(u64::MAX))
                .is_err()
        );
        assert!(!ledger_path(dir.path()).exists());
    }

    #[test]
    fn an_attestation_holds_until_it_expires() {
        let dir = tempfile::tempdir().expect("tempdir");
        append(
            dir.path(),
            record("validation/restore", "alice", "2026-11-01T10:00:00Z")
                .expiring_after("30d".parse().expect("duration"))
                .expect("expiry"),
        )
        .expect("append");
        let ledger = load(dir.path()).expect("load");
        let anyone = check(&[], None);

        let verdict = ledger.judge("validation/restore", &anyone, at("2026-11-30T10:00:00Z"));
        assert!(verdict.passed(), "{verdict}");
        assert_eq!(
            verdict.to_string(),
            "attested by alice at 2026-11-01T10:00:00Z, until 2026-12-01T10:00:00Z: \
             restored into staging"
        );

        let verdict = ledger.judge("validation/restore", &anyone, at("2026-12-01T10:00:00Z"));
        assert!(
            matches!(&verdict, AttestationVerdict::Expired { ended, .. } if *ended == at("2026-12-01T10:00:00Z")),
            "{verdict:?}"
        );
        assert!(!verdict.passed());

        assert_eq!(
            ledger.judge("validation/other", &anyone, at("2026-11-02T00:00:00Z")),
            AttestationVerdict::Missing
        );
    }

    #[test]
    fn the_checks_max_age_ends_an_attestation_before_its_own_expiry() {
        let dir = tempfile::tempdir().expect("tempdir");
        append(
            dir.path(),
            record("validation/restore", "alice", "2026-11-01T00:00:00Z")
                .expiring_after(days(365))
                .expect("expiry"),
        )
        .expect("append");
        append(
            dir.path(),
            record("validation/drill", "alice", "2026-11-01T00:00:00Z"),
        )
        .expect("append");
        let ledger = load(dir.path()).expect("load");
        let monthly = check(&[], Some("30d"));
        for item in ["validation/restore", "validation/drill"] {
            assert!(
                ledger
                    .judge(item, &monthly, at("2026-11-30T23:59:59Z"))
                    .passed()
            );
            let verdict = ledger.judge(item, &monthly, at("2026-12-01T00:00:00Z"));
            assert!(
                matches!(&verdict, AttestationVerdict::Expired { ended, .. } if *ended == at("2026-12-01T00:00:00Z")),
                "{item}: {verdict:?}"
            );
        }
        // Without a cap, a record with no expiry holds for good.
        let verdict = ledger.judge(
            "validation/drill",
            &check(&[], None),
            at("2099-01-01T00:00:00Z"),
        );
        assert!(matches!(
            verdict,
            AttestationVerdict::Current { until: None, .. }
        ));
    }

    #[test]
    fn only_the_checks_attesters_count_under_any_of_their_names() {
        let dir = tempfile::tempdir().expect("tempdir");
        append(
            dir.path(),
            record("ship/approved", "mallory", "2026-11-01T00:00:00Z"),
        )
        .expect("append");
        let ledger = load(dir.path()).expect("load");
        let now = at("2026-11-02T00:00:00Z");
        let verdict = ledger.judge("ship/approved", &check(&["alice", "platform"], None), now);
        assert!(
            matches!(verdict, AttestationVerdict::NotAllowed { .. }),
            "{verdict:?}"
        );
        assert!(
            ledger
                .judge("ship/approved", &check(&["Mallory"], None), now)
                .passed()
        );

        let owners = BTreeMap::from([(
            "mal".to_owned(),
            Owner {
                name: Some("Mallory Jones".into()),
                contact: Some("mallory".into()),
            },
        )]);
        let by_id = check(&["mal"], None);
        assert!(!ledger.judge("ship/approved", &by_id, now).passed());
        assert!(
            ledger
                .judge_with_owners("ship/approved", &by_id, &owners, now)
                .passed()
        );
        assert!(may_attest(&check(&["Mallory Jones"], None), &owners, "MAL"));
        assert!(!may_attest(&by_id, &owners, "alice"));
    }

    #[test]
    fn a_record_that_holds_wins_over_newer_ones_that_do_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (by, when) in [
            ("alice", "2026-11-01T00:00:00Z"),
            ("mallory", "2026-11-05T00:00:00Z"),
        ] {
            append(dir.path(), record("ship/approved", by, when)).expect("append");
        }
        let ledger = load(dir.path()).expect("load");
        let alice = check(&["alice"], None);
        let verdict = ledger.judge("ship/approved", &alice, at("2026-11-06T00:00:00Z"));
        assert_eq!(verdict.record().map(|r| r.by.as_str()), Some("alice"));
        assert!(verdict.passed());
        let short = check(&["alice"], Some("2d"));
        let verdict = ledger.judge("ship/approved", &short, at("2026-11-06T00:00:00Z"));
        assert!(
            matches!(verdict, AttestationVerdict::NotAllowed { .. }),
            "{verdict:?}"
        );
    }

    #[test]
    fn a_gate_wide_record_covers_each_of_its_checks_and_not_the_reverse() {
        let dir = tempfile::tempdir().expect("tempdir");
        append(
            dir.path(),
            record("ship/approved", "alice", "2026-11-01T00:00:00Z"),
        )
        .expect("append");
        append(
            dir.path(),
            record("ship/signed#legal", "alice", "2026-11-01T00:00:00Z"),
        )
        .expect("append");
        let ledger = load(dir.path()).expect("load");
        let (anyone, now) = (check(&[], None), at("2026-11-02T00:00:00Z"));
        assert!(
            ledger
                .judge("ship/approved#attestation-2", &anyone, now)
                .passed()
        );
        assert!(ledger.judge("ship/signed#legal", &anyone, now).passed());
        assert!(!ledger.judge("ship/signed", &anyone, now).passed());
        assert!(!ledger.judge("ship/signed#security", &anyone, now).passed());
    }

    #[test]
    fn a_malformed_line_is_reported_at_its_line_and_the_others_still_count() {
        let dir = tempfile::tempdir().expect("tempdir");
        append(
            dir.path(),
            record("ship/approved", "alice", "2026-11-01T00:00:00Z"),
        )
        .expect("append");
        let path = ledger_path(dir.path());
        let mut text = fs::read_to_string(&path).expect("read");
        text.push_str("<<<<<<< HEAD\n\n{\"item\": \"ship/approved\"}\r\n\u{0}\u{ff}\n");
        fs::write(&path, &text).expect("write");
        // A record appended after the damage by hand, chained to line 1.
        let mut later = record("validation/restore", "bob", "2026-11-03T00:00:00Z");
        later.prev = Some(
            load(dir.path()).expect("load").entries[0]
                .record
                .digest
                .clone(),
        );
        later.digest = later.content_digest().expect("digest");
        text.push_str(&serde_json::to_string(&later).expect("json"));
        fs::write(&path, &text).expect("write");

        let ledger = load(dir.path()).expect("load");
        let problems: Vec<String> = ledger.problems.iter().map(ToString::to_string).collect();
        assert_eq!(problems.len(), 3, "{problems:#?}");
        assert!(
            problems[0].starts_with(".shipgate/attestations.jsonl:2: not an attestation record")
                || problems[0]
                    .contains("/.shipgate/attestations.jsonl:2: not an attestation record"),
            "{}",
            problems[0]
        );
        assert!(
            problems[1].contains(":4: not an attestation record: missing field"),
            "{}",
            problems[1]
        );
        assert!(problems[2].contains(":5: "), "{}", problems[2]);
        assert!(
            ledger
                .problems
                .iter()
                .all(|p| p.kind == ProblemKind::Malformed)
        );
        assert_eq!(ledger.entries.len(), 2);
        assert_eq!(ledger.entries[1].line, 6);
        assert!(ledger.entries.iter().all(|e| e.trust == Trust::Verified));
        let now = at("2026-11-04T00:00:00Z");
        assert!(
            ledger
                .judge("validation/restore", &check(&[], None), now)
                .passed()
        );

        // Nothing is appended to a damaged ledger.
        let error = append(
            dir.path(),
            record("ship/approved", "carol", "2026-11-05T00:00:00Z"),
        )
        .unwrap_err();
        assert!(error.contains("mend them"), "{error}");
    }

    #[test]
    fn editing_or_removing_a_record_is_tampering_from_that_line_on() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (item, day) in [("a/one", 1), ("a/two", 2), ("a/three", 3), ("a/four", 4)] {
            append(
                dir.path(),
                record(item, "alice", &format!("2026-11-0{day}T00:00:00Z")),
            )
            .expect("append");
        }
        let path = ledger_path(dir.path());
        let original = fs::read_to_string(&path).expect("read");
        let lines: Vec<&str> = original.lines().collect();
        let now = at("2026-11-10T00:00:00Z");
        let anyone = check(&[], None);

        // An edited note.
        let edited = original.replacen(
            &lines[1].to_owned(),
            &lines[1].replace("restored into staging", "restored nothing"),
            1,
        );
        fs::write(&path, &edited).expect("write");
        let ledger = load(dir.path()).expect("load");
        assert_eq!(ledger.problems.len(), 1, "{:?}", ledger.problems);
        assert_eq!(ledger.problems[0].line, Some(2));
        assert_eq!(ledger.problems[0].kind, ProblemKind::Tampered);
        let trust: Vec<Trust> = ledger.entries.iter().map(|e| e.trust).collect();
        assert_eq!(
            trust,
            [
                Trust::Verified,
                Trust::Tampered { since: 2 },
                Trust::Tampered { since: 2 },
                Trust::Tampered { since: 2 }
            ]
        );
        assert!(ledger.judge("a/one", &anyone, now).passed());
        let verdict = ledger.judge("a/four", &anyone, now);
        assert!(
            matches!(
                verdict,
                AttestationVerdict::Tampered {
                    line: 4,
                    since: 2,
                    ..
                }
            ),
            "{verdict:?}"
        );
        assert!(verdict.to_string().contains("changed at line 2"));

        // An edit whose digest was recomputed breaks the next link instead.
        let mut forged: Attestation = serde_json::from_str(lines[1]).expect("record");
        forged.by = "mallory".into();
        forged.digest = forged.content_digest().expect("digest");
        let forged_line = serde_json::to_string(&forged).expect("json");
        fs::write(&path, original.replacen(lines[1], &forged_line, 1)).expect("write");
        let ledger = load(dir.path()).expect("load");
        assert_eq!(ledger.problems.len(), 1, "{:?}", ledger.problems);
        assert_eq!(ledger.problems[0].line, Some(3));
        assert!(ledger.judge("a/two", &anyone, now).passed());
        assert!(!ledger.judge("a/three", &anyone, now).passed());

        // A removed record.
        fs::write(&path, original.replacen(&format!("{}\n", lines[1]), "", 1)).expect("write");
        let ledger = load(dir.path()).expect("load");
        assert_eq!(ledger.problems.len(), 1, "{:?}", ledger.problems);
        assert_eq!(ledger.problems[0].line, Some(2));
        assert!(ledger.problems[0].message.contains("removed or changed"));
        assert_eq!(ledger.entries[2].trust, Trust::Tampered { since: 2 });
        assert!(
            append(
                dir.path(),
                record("a/five", "alice", "2026-11-05T00:00:00Z")
            )
            .is_err()
        );

        // Reformatting changes nothing that is vouched for.
        let reformatted = original
            .replace("\n", "\r\n")
            .replace("\"by\":", "\"by\" : ")
            .replace("2026-11-03T00:00:00Z", "2026-11-03T01:00:00+01:00");
        fs::write(&path, reformatted).expect("write");
        let ledger = load(dir.path()).expect("load");
        assert!(ledger.problems.is_empty(), "{:?}", ledger.problems);
    }

    #[test]
    fn records_appended_on_two_merged_branches_are_both_trusted() {
        let dir = tempfile::tempdir().expect("tempdir");
        append(dir.path(), record("a/one", "alice", "2026-11-01T00:00:00Z")).expect("append");
        let path = ledger_path(dir.path());
        let base = fs::read_to_string(&path).expect("read");
        append(dir.path(), record("a/two", "alice", "2026-11-02T00:00:00Z")).expect("append");
        let ours = fs::read_to_string(&path).expect("read");
        fs::write(&path, &base).expect("write");
        append(dir.path(), record("a/three", "bob", "2026-11-02T00:00:00Z")).expect("append");
        let theirs = fs::read_to_string(&path).expect("read");
        let merged = format!("{ours}{}", &theirs[base.len()..]);
        fs::write(&path, merged).expect("write");

        let ledger = load(dir.path()).expect("load");
        assert!(ledger.problems.is_empty(), "{:?}", ledger.problems);
        assert_eq!(ledger.entries.len(), 3);
        append(dir.path(), record("a/four", "bob", "2026-11-03T00:00:00Z")).expect("append");
        assert!(load(dir.path()).expect("load").problems.is_empty());
    }

    #[test]
    fn an_append_after_a_line_without_its_newline_starts_a_new_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        append(dir.path(), record("a/one", "alice", "2026-11-01T00:00:00Z")).expect("append");
        let path = ledger_path(dir.path());
        let text = fs::read_to_string(&path).expect("read");
        fs::write(&path, text.trim_end()).expect("write");
        append(dir.path(), record("a/two", "alice", "2026-11-02T00:00:00Z")).expect("append");
        let ledger = load(dir.path()).expect("load");
        assert!(ledger.problems.is_empty(), "{:?}", ledger.problems);
        assert_eq!(ledger.entries.len(), 2);
    }

    #[test]
    fn items_resolve_to_the_plans_attestation_checks() {
        let plan = crate::parse_toml(
            r#"
[[phase]]
id = "validation"
[[phase.gate]]
id = "restore-drill"
[[phase.gate.check]]
attestation = "Restored last night's backup"
[[phase.gate.check]]
id = "sign-off"
attestation = "The DBA signs off"
[[phase.gate]]
id = "pinned"
[[phase.gate.check]]
rules = ["k8s/image-tag-pinned"]
[[phase.gate]]
id = "load"
[[phase.gate.check]]
attestation = "Load tested"
"#,
            "shipgate.toml",
        )
        .expect("plan");
        let gate = resolve(&plan, "validation/restore-drill").expect("gate");
        assert_eq!(gate.len(), 2);
        assert_eq!(gate[0].address(), "validation/restore-drill#attestation");
        let one = resolve(&plan, "validation/restore-drill#sign-off").expect("check");
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].check.statement, "The DBA signs off");

        let typo = resolve(&plan, "validation/restore-dril").unwrap_err();
        assert!(
            typo.contains("did you mean `validation/restore-drill`"),
            "{typo}"
        );
        let elsewhere = resolve(&plan, "ship/load").unwrap_err();
        assert!(elsewhere.contains("`validation/load`"), "{elsewhere}");
        let automated = resolve(&plan, "validation/pinned").unwrap_err();
        assert!(
            automated.contains("has no attestation check"),
            "{automated}"
        );
        let far = resolve(&plan, "zzz/qqq").unwrap_err();
        assert!(far.contains("the attested items are"), "{far}");
        assert!(resolve(&plan, "nonsense").is_err());
    }

    fn fake_repo(head: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::create_dir_all(dir.path().join(".git/refs/heads")).expect("mkdir");
        fs::write(dir.path().join(".git/HEAD"), head).expect("HEAD");
        dir
    }

    #[test]
    fn head_is_read_from_a_loose_branch() {
        let id = "0123456789abcdef0123456789abcdef01234567";
        let repo = fake_repo("ref: refs/heads/main\n");
        fs::write(repo.path().join(".git/refs/heads/main"), format!("{id}\n")).expect("ref");
        fs::create_dir_all(repo.path().join("deploy/k8s")).expect("mkdir");
        assert_eq!(head_commit(repo.path()).as_deref(), Some(id));
        assert_eq!(
            head_commit(&repo.path().join("deploy/k8s")).as_deref(),
            Some(id)
        );
    }

    #[test]
    fn head_is_read_from_packed_refs() {
        let id = "89abcdef0123456789abcdef0123456789abcdef";
        let repo = fake_repo("ref: refs/heads/release/1.2\n");
        fs::write(
            repo.path().join(".git/packed-refs"),
            format!(
                "# pack-refs with: peeled fully-peeled sorted\n\
                 1111111111111111111111111111111111111111 refs/heads/main\n\
                 {id} refs/heads/release/1.2\n\
                 ^2222222222222222222222222222222222222222\n"
            ),
        )
        .expect("packed");
        assert_eq!(head_commit(repo.path()).as_deref(), Some(id));
    }

    #[test]
    fn a_detached_head_is_the_commit_itself() {
        let id = "fedcba9876543210fedcba9876543210fedcba98";
        let repo = fake_repo(&format!("{id}\n"));
        assert_eq!(head_commit(repo.path()).as_deref(), Some(id));
    }

    #[test]
    fn no_commit_is_claimed_when_head_cannot_be_resolved() {
        let unborn = fake_repo("ref: refs/heads/main\n");
        assert_eq!(head_commit(unborn.path()), None);
        let escaping = fake_repo("ref: refs/../../../etc/passwd\n");
        assert_eq!(head_commit(escaping.path()), None);
        let garbage = fake_repo("not a head at all");
        assert_eq!(head_commit(garbage.path()), None);
        let looping = fake_repo("ref: refs/heads/a\n");
        fs::write(
            looping.path().join(".git/refs/heads/a"),
            "ref: refs/heads/b\n",
        )
        .expect("a");
        fs::write(
            looping.path().join(".git/refs/heads/b"),
            "ref: refs/heads/a\n",
        )
        .expect("b");
        assert_eq!(head_commit(looping.path()), None);
    }

    #[test]
    fn a_worktree_reads_its_head_and_the_shared_branches() {
        let id = "0000000000000000000000000000000000000abc";
        let main = fake_repo("ref: refs/heads/main\n");
        let admin = main.path().join(".git/worktrees/feature");
        fs::create_dir_all(&admin).expect("mkdir");
        fs::write(admin.join("HEAD"), "ref: refs/heads/feature\n").expect("HEAD");
        fs::write(admin.join("commondir"), "../..\n").expect("commondir");
        fs::write(main.path().join(".git/refs/heads/feature"), id).expect("ref");
        let worktree = tempfile::tempdir().expect("tempdir");
        fs::write(
            worktree.path().join(".git"),
            format!("gitdir: {}\n", admin.display()),
        )
        .expect(".git");
        assert_eq!(head_commit(worktree.path()).as_deref(), Some(id));
    }
}
