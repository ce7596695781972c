//! `shipgate attest`: record that a person vouches for a manual plan item,
//! or list the ledger of such attestations.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use shipgate_plan::Duration;
use shipgate_plan::attest::{
    self, Attestable, Attestation, Ledger, OffsetDateTime, Trust, format_time,
};

#[derive(clap::Args)]
pub struct AttestArgs {
    /// The item vouched for: a gate of the plan, PHASE/GATE, or one of its
    /// attestation checks, PHASE/GATE#CHECK.
    #[arg(required_unless_present = "list", conflicts_with = "list")]
    item: Option<String>,
    /// Who vouches: one of the check's attesters when the plan names them
    /// (an owner id, name or contact).
    #[arg(
        long,
        value_name = "NAME",
        required_unless_present = "list",
        conflicts_with = "list"
    )]
    by: Option<String>,
    /// What was done, in a sentence.
    #[arg(
        long,
        value_name = "TEXT",
        required_unless_present = "list",
        conflicts_with = "list"
    )]
    note: Option<String>,
    /// How long the attestation holds (`30d`, `12h`, `2w`); the check's
    /// max-age, when shorter, ends it sooner.
    #[arg(long, value_name = "DURATION", conflicts_with = "list")]
    expires: Option<Duration>,
    /// The plan whose items may be attested (default: ROOT/shipgate.toml
    /// when it exists; with no plan, any PHASE/GATE is accepted).
    #[arg(long, value_name = "FILE")]
    plan: Option<PathBuf>,
    /// The repository whose ledger, .shipgate/attestations.jsonl, is
    /// written or read.
    #[arg(long, value_name = "DIR", default_value = ".")]
    root: PathBuf,
    /// Print every attestation of the ledger and whether it holds now:
    /// current, expired, not allowed or tampered. Exits with 1 when the
    /// ledger has malformed or tampered lines.
    #[arg(long)]
    list: bool,
}

pub fn run(args: AttestArgs) -> Result<ExitCode, String> {
    let plan = read_plan(&args)?;
    let now = OffsetDateTime::now_utc();
    if args.list {
        return list(&args.root, plan.as_ref(), now);
    }
    let (Some(item), Some(by), Some(note)) = (&args.item, &args.by, &args.note) else {
        return Err("give ITEM, --by and --note, or --list".into());
    };
    let (item, by, note) = (item.trim(), by.trim(), note.trim());
    attest::check_item_syntax(item)?;
    let checks = match &plan {
        Some(plan) => allowed_checks(plan, item, by)?,
        None => Vec::new(),
    };

    let mut record =
        Attestation::new(item, by, note, now).with_commit(attest::head_commit(&args.root));
    if let Some(expires) = args.expires {
        record = record.expiring_after(expires)?;
    }
    let record = attest::append(&args.root, record)?;

    let until = ends(&record, &checks);
    let mut line = format!("recorded: {item} attested by {by}");
    match until {
        Some(until) => {
            line.push_str(&format!(", holding until {}", format_time(until)));
            if record.expires.is_none_or(|own| until < own) {
                line.push_str(" (the check's max-age)");
            }
        }
        None => line.push_str(", with no expiry"),
    }
    if let Some(commit) = &record.commit {
        line.push_str(&format!(
            ", at commit {}",
            commit.get(..12).unwrap_or(commit)
        ));
    }
    line.push('\n');
    print(&line)?;
    Ok(ExitCode::SUCCESS)
}

/// The plan named, or the repository's shipgate.toml when there is one.
fn read_plan(args: &AttestArgs) -> Result<Option<shipgate_plan::Plan>, String> {
    let path = match &args.plan {
        Some(path) => path.clone(),
        None => {
            let default = args.root.join("shipgate.toml");
            if !default.is_file() {
                return Ok(None);
            }
            default
        }
    };
    shipgate_plan::load_path(&path)
        .map(|loaded| Some(loaded.plan))
        .map_err(|e| e.to_string())
}

/// The attestation checks `item` stands for that `by` may vouch for; an
/// attestation nobody would count is refused rather than recorded.
fn allowed_checks<'a>(
    plan: &'a shipgate_plan::Plan,
    item: &str,
    by: &str,
) -> Result<Vec<Attestable<'a>>, String> {
    let checks = attest::resolve(plan, item)?;
    let allowed: Vec<Attestable<'a>> = checks
        .iter()
        .filter(|a| attest::may_attest(a.check, &plan.owners, by))
        .cloned()
        .collect();
    if allowed.is_empty() {
        let mut attesters: Vec<&str> = checks
            .iter()
            .flat_map(|a| a.check.attesters.iter().map(String::as_str))
            .collect();
        attesters.dedup();
        return Err(format!(
            "{by} may not attest {item}: the plan allows {}",
            attesters.join(", ")
        ));
    }
    Ok(allowed)
}

fn list(
    root: &Path,
    plan: Option<&shipgate_plan::Plan>,
    now: OffsetDateTime,
) -> Result<ExitCode, String> {
    let ledger = attest::load(root).map_err(|e| e.to_string())?;
    for problem in &ledger.problems {
        eprintln!("{problem}");
    }
    print(&render(&ledger, plan, now))?;
    Ok(if ledger.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn render(ledger: &Ledger, plan: Option<&shipgate_plan::Plan>, now: OffsetDateTime) -> String {
    if ledger.entries.is_empty() {
        return format!("no attestations are recorded in {}\n", attest::LEDGER_PATH);
    }
    let mut rows: Vec<[String; 7]> =
        vec![["line", "status", "item", "by", "at", "until", "note"].map(str::to_owned)];
    for entry in &ledger.entries {
        let record = &entry.record;
        let (status, until) = status(entry.trust, record, plan, now);
        rows.push([
            entry.line.to_string(),
            status.to_owned(),
            record.item.clone(),
            record.by.clone(),
            format_time(record.at),
            until.map_or_else(|| "-".to_owned(), format_time),
            record.note.replace(['\n', '\r'], " "),
        ]);
    }
    let mut widths = [0usize; 7];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Whether a record holds now, judged by the plan's checks for its item
/// when there is a plan that still has the item, else by its own expiry.
fn status(
    trust: Trust,
    record: &Attestation,
    plan: Option<&shipgate_plan::Plan>,
    now: OffsetDateTime,
) -> (&'static str, Option<OffsetDateTime>) {
    if let Trust::Tampered { .. } = trust {
        return ("tampered", record.expires);
    }
    let mut until = record.expires;
    if let Some(plan) = plan {
        let checks = attest::resolve(plan, &record.item).unwrap_or_default();
        if !checks.is_empty() {
            let allowed: Vec<Attestable> = checks
                .into_iter()
                .filter(|a| attest::may_attest(a.check, &plan.owners, &record.by))
                .collect();
            if allowed.is_empty() {
                return ("not allowed", record.expires);
            }
            until = ends(record, &allowed);
        }
    }
    match until {
        Some(until) if until <= now => ("expired", Some(until)),
        until => ("current", until),
    }
}

/// When `record` first stops holding for one of `checks`; with no checks,
/// its own expiry.
fn ends(record: &Attestation, checks: &[Attestable]) -> Option<OffsetDateTime> {
    if checks.is_empty() {
        return record.expires;
    }
    checks
        .iter()
        .filter_map(|a| record.valid_until(a.check))
        .min()
}

fn print(text: &str) -> Result<(), String> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.to_string()),
        _ => Ok(()),
    }
}
