//! `shipgate ship` and `shipgate sbom`: wiring only; the release logic is in
//! shipgate-ship and the SBOM in shipgate-sbom.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct ShipArgs {
    /// The repository to release (any folder inside its work tree).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// The plan whose gates must pass (default: shipgate.toml at the top of
    /// the work tree).
    #[arg(long, value_name = "FILE")]
    plan: Option<PathBuf>,
    /// Show everything the release would do, and do none of it.
    #[arg(long)]
    dry_run: bool,
    /// Run the plan's command checks, and a cliff.toml's commands. Without
    /// it a gate resting on a command is skipped, and a skipped gate is not
    /// a passed one.
    #[arg(long)]
    allow_commands: bool,
    /// Run the plan's live probes against its `[targets]`.
    #[arg(long)]
    live: bool,
    /// With --live: where a target of the plan runs, as NAME=URL.
    #[arg(long = "target", value_name = "NAME=URL", requires = "live")]
    targets: Vec<String>,
}

#[derive(clap::Args)]
pub struct SbomArgs {
    /// The folder whose lockfiles to read.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Write the SBOM to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// The name of the software the SBOM describes (default: the folder's
    /// name).
    #[arg(long)]
    name: Option<String>,
    /// Leave out lockfiles whose path (relative to DIR) matches this glob,
    /// such as `**/tests/fixtures/**`. Repeatable.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Its version (default: that of a `v1.2.3` tag on HEAD, else `0.0.0`).
    #[arg(long, value_name = "VERSION")]
    version: Option<String>,
}

/// The judge of a plan's gates over a fresh scan of the work tree; the
/// binary's `check` supplies it.
pub type Judge<'a> = dyn Fn(
        &Path,
        &shipgate_plan::LoadedPlan,
        &Path,
        bool,
        bool,
        &[String],
    ) -> Result<shipgate_core::PlanVerdict, String>
    + 'a;

pub fn ship(args: ShipArgs, judge: &Judge<'_>) -> Result<ExitCode, String> {
    let work_tree = shipgate_ship::git::work_tree(&args.dir)?;
    let plan_path = args
        .plan
        .clone()
        .unwrap_or_else(|| work_tree.join("shipgate.toml"));
    if !plan_path.is_file() {
        return Err(format!(
            "{}: no plan; a release needs gates to pass (write one with `shipgate init`)",
            plan_path.display()
        ));
    }
    let loaded = shipgate_plan::load_path(&plan_path).map_err(|e| e.to_string())?;
    let ship = loaded.plan.ship.clone();
    let state = shipgate_ship::git::read(&work_tree, &ship.tag_prefix)?;
    let short = &state.head[..state.head.len().min(12)];

    if let Some(tag) = state.head_releases.first() {
        println!("HEAD {short} is already released as {tag}; nothing to do.");
        return Ok(ExitCode::SUCCESS);
    }

    println!(
        "candidate: {short} on {}; {}",
        state.branch.as_deref().unwrap_or("(detached HEAD)"),
        match &state.previous {
            Some(previous) => format!(
                "{} commit{} since {}",
                state.commits.len(),
                if state.commits.len() == 1 { "" } else { "s" },
                previous.name
            ),
            None => format!(
                "first release, {} commit{}",
                state.commits.len(),
                if state.commits.len() == 1 { "" } else { "s" }
            ),
        }
    );

    let mut refusals = shipgate_ship::repository_refusals(&state, &ship)?;
    // Findings read best relative to where the user stands; from the top of
    // the work tree, that is `k8s/api.yaml`, not an absolute path.
    let scan_root = match std::env::current_dir().and_then(std::fs::canonicalize) {
        Ok(cwd) if cwd == work_tree => PathBuf::from("."),
        _ => work_tree.clone(),
    };
    let verdict = judge(
        &plan_path,
        &loaded,
        &scan_root,
        args.allow_commands,
        args.live,
        &args.targets,
    )?;
    let passed = verdict
        .gates
        .iter()
        .filter(|g| g.verdict == shipgate_core::Verdict::Pass)
        .count();
    println!(
        "gates: {passed} of {} passed ({})",
        verdict.gates.len(),
        display_relative(&plan_path, &work_tree)
    );
    refusals.extend(shipgate_ship::gate_refusals(&verdict));
    if !refusals.is_empty() {
        println!("refused:");
        for refusal in &refusals {
            println!("  - {refusal}");
        }
        return Ok(ExitCode::from(1));
    }

    let plan_bytes = std::fs::read(&plan_path)
        .map_err(|err| format!("cannot read {}: {err}", plan_path.display()))?;
    let name = project_name(&loaded.plan, &work_tree);
    let timestamp = time::OffsetDateTime::from_unix_timestamp(state.head_time)
        .map_err(|err| format!("HEAD's commit time: {err}"))?;
    let lockfiles = shipgate_sbom::scan_excluding(&work_tree, &ship.sbom_exclude)
        .map_err(|err| format!("[ship] sbom-exclude: {err}"))?;
    for diagnostic in &lockfiles.diagnostics {
        eprintln!("{diagnostic}");
    }
    if lockfiles.errors().next().is_some() {
        // An SBOM that silently misses a lockfile would lie about the release.
        return Err("a lockfile could not be read; the SBOM would be incomplete".into());
    }
    let sbom = |version: &str| -> Result<Vec<u8>, String> {
        let bom = shipgate_sbom::build(&lockfiles, &subject(&name, version, timestamp));
        Ok(shipgate_sbom::to_json(&bom).into_bytes())
    };
    let plan_display = display_relative(&plan_path, &work_tree);
    let prepared = shipgate_ship::prepare(
        &state,
        &shipgate_ship::Inputs {
            ship: &ship,
            verdict: &verdict,
            plan_path: &plan_display,
            plan: &plan_bytes,
            project: &name,
            sbom: &sbom,
            tool_version: env!("CARGO_PKG_VERSION"),
            allow_commands: args.allow_commands,
        },
    )?;

    let verb = |done: &'static str, would: &'static str| if args.dry_run { would } else { done };
    println!(
        "release: {} (changelog: {} configuration)",
        prepared.next.tag, prepared.next.config_origin
    );
    println!("{}", lockfiles.summary());
    for file in &prepared.files {
        let action = if file.changed {
            verb("wrote", "would write")
        } else {
            "unchanged"
        };
        println!("  {action} {}", file.path);
    }
    if args.dry_run {
        println!("  would commit: {}", first_line(&prepared.commit_message));
        println!(
            "  would tag: {} (annotated; signed if git's tag.gpgSign is set)",
            prepared.next.tag
        );
        println!();
        println!("{}", prepared.next.section);
        return Ok(ExitCode::SUCCESS);
    }
    let applied = shipgate_ship::apply(&state, &prepared)?;
    if let Some(commit) = &applied.commit {
        println!(
            "  committed {}: {}",
            &commit[..commit.len().min(12)],
            first_line(&prepared.commit_message)
        );
    }
    println!(
        "  tagged {}{}",
        applied.tag,
        if applied.signed { " (signed)" } else { "" }
    );
    Ok(ExitCode::SUCCESS)
}

pub fn sbom(args: SbomArgs) -> Result<ExitCode, String> {
    if !args.dir.is_dir() {
        return Err(format!("{}: no such folder", args.dir.display()));
    }
    let lockfiles = shipgate_sbom::scan_excluding(&args.dir, &args.exclude)
        .map_err(|err| format!("--exclude {err}"))?;
    for diagnostic in &lockfiles.diagnostics {
        eprintln!("{diagnostic}");
    }
    // Inside a repository, the SBOM is dated by HEAD's commit and named by
    // its release tag, so that it is the same file every time it is made
    // for the same commit.
    let (head_time, head_tag) = match shipgate_ship::git::head_releases(&args.dir, "v") {
        Ok((time, releases)) => (
            Some(time),
            releases
                .first()
                .map(|tag| tag.trim_start_matches('v').to_owned()),
        ),
        Err(_) => (None, None),
    };
    let timestamp = head_time
        .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
        .unwrap_or_else(|| {
            time::OffsetDateTime::now_utc()
                .replace_nanosecond(0)
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        });
    let name = args.name.clone().unwrap_or_else(|| {
        std::fs::canonicalize(&args.dir)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "project".to_owned())
    });
    let version = args
        .version
        .clone()
        .or(head_tag)
        .unwrap_or_else(|| "0.0.0".to_owned());
    let bom = shipgate_sbom::build(&lockfiles, &subject(&name, &version, timestamp));
    let json = shipgate_sbom::to_json(&bom);
    match &args.output {
        Some(path) => std::fs::write(path, &json)
            .map_err(|err| format!("cannot write {}: {err}", path.display()))?,
        None => print!("{json}"),
    }
    eprintln!("{}", lockfiles.summary());
    Ok(if lockfiles.errors().next().is_some() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn subject(name: &str, version: &str, timestamp: time::OffsetDateTime) -> shipgate_sbom::Subject {
    shipgate_sbom::Subject {
        name: name.to_owned(),
        version: version.to_owned(),
        timestamp,
        tool_name: "shipgate".to_owned(),
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

fn project_name(plan: &shipgate_plan::Plan, work_tree: &Path) -> String {
    plan.project.name.clone().unwrap_or_else(|| {
        work_tree
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "project".to_owned())
    })
}

fn display_relative(path: &Path, base: &Path) -> String {
    let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let base = std::fs::canonicalize(base).unwrap_or_else(|_| base.to_path_buf());
    path.strip_prefix(&base)
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_else(|_| path.display().to_string())
}
