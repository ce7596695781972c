//! The `shipgate` command: argument parsing, wiring and exit codes. Anything
//! worth testing on its own lives in the library crates.

mod attest;
mod generate;
mod serve;
mod ship;
mod upload;

use std::borrow::Cow;

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use shipgate_core::{ReportView, Severity};
use shipgate_report::{Format, RenderOptions, SourceProvider};
use shipgate_rules::baseline::Baseline;
use shipgate_rules::k8s::KubeVersion;
use shipgate_rules::{ArtifactKind, Engine, EngineConfig, registry};

// A scan allocates a small string or vector for every YAML scalar and node,
// from several threads; glibc's malloc spent about an eighth of a run's CPU
// on it (arena growth by mprotect included). Transparent huge pages are off
// (`no_thp`): with them mimalloc's eagerly committed arenas doubled the peak
// RSS of a small run for no speed.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "shipgate", version, about = "Check deployment artifacts against production-readiness rules.", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once per run: boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Check the deployment artifacts under PATHs (default: the current folder).
    Check(CheckArgs),
    /// List every rule.
    Rules {
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
    /// Explain a rule: why it matters, how to fix it, examples.
    Explain {
        /// A rule id (`k8s/host-pid`) or a peer's id (`CKV_K8S_17`).
        rule: String,
    },
    /// Read a deployment plan: what backs its items, and its shipgate.toml.
    #[command(subcommand)]
    Plan(PlanCommand),
    /// Run the plan's live probes against the running service: HTTP, auth,
    /// rate limits, headers, TLS, idempotency, load, backup drills.
    Probe(ProbeArgs),
    /// Record that a person vouches for a manual item of the plan, until an
    /// expiry, in .shipgate/attestations.jsonl; or list those records.
    Attest(attest::AttestArgs),
    /// Write a shipgate.toml for the repository: the default plan's phases,
    /// with the rule packs that apply to what the repository holds.
    Init {
        /// The repository.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Replace an existing shipgate.toml.
        #[arg(long)]
        force: bool,
    },
    /// Run the server: keeps the reports CI uploads, serves the API and
    /// the dashboard.
    Serve(serve::ServeArgs),
    /// Administer the server's data: tokens.
    #[command(subcommand)]
    Server(serve::ServerCommand),
    /// Generate deployment artifacts from what the repository holds.
    #[command(subcommand)]
    Generate(generate::GenerateCommand),
    /// Release HEAD when every required gate of the plan passes: next
    /// version from conventional commits, changelog section, CycloneDX SBOM,
    /// in-toto statement, release commit and annotated tag.
    Ship(ship::ShipArgs),
    /// Write a CycloneDX 1.6 SBOM of the dependencies the lockfiles pin.
    Sbom(ship::SbomArgs),
    /// Print a shell completion script
    /// (`shipgate completions bash > /etc/bash_completion.d/shipgate`).
    Completions { shell: clap_complete::Shell },
    /// Print the manual page, or write one per subcommand into a folder.
    Man {
        /// Write shipgate.1, shipgate-check.1, ... into DIR.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

#[derive(clap::Args)]
struct ProbeArgs {
    /// The plan whose `[targets]` and probes to run.
    #[arg(long, value_name = "FILE", default_value = "shipgate.toml")]
    plan: PathBuf,
    /// Point a target of the plan somewhere else, as NAME=URL
    /// (`api=https://staging.example.com`). Repeatable.
    #[arg(long = "target", value_name = "NAME=URL")]
    targets: Vec<String>,
    /// Run only the probes with these names. Repeatable, comma-separated.
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    only: Vec<String>,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = ListFormat::Human)]
    format: ListFormat,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Subcommand)]
enum PlanCommand {
    /// Show which items of a Markdown plan are bound to checks, which have
    /// a check to suggest, and which only a person can vouch for.
    Coverage {
        /// A Markdown plan, whatever its extension.
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
    /// Write the shipgate.toml a Markdown plan stands for: a gate per item,
    /// attested unless bound to checks.
    Import {
        /// A Markdown plan, whatever its extension.
        file: PathBuf,
        /// Where to write the plan; `-` prints it.
        #[arg(long, short, value_name = "FILE", default_value = "shipgate.toml")]
        output: PathBuf,
        /// Replace an existing output file.
        #[arg(long)]
        force: bool,
        /// Give unbound items the suggested checks instead of attestations.
        #[arg(long)]
        accept_suggestions: bool,
    },
    /// Set a Markdown plan's checkboxes from evidence: ticked only where the
    /// item's checks passed at this commit. Boxes ticked by hand without
    /// evidence are listed as claimed, unverified.
    Sync {
        /// A Markdown plan, whatever its extension.
        file: PathBuf,
        /// The repository the plan is about.
        #[arg(long, default_value = ".", value_name = "DIR")]
        root: PathBuf,
        /// Change nothing; exit 1 when a box would change or a claim is
        /// unverified.
        #[arg(long)]
        check: bool,
        /// Run the plan's command checks (see `check --allow-commands`).
        #[arg(long)]
        allow_commands: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ListFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Files or folders to check; `-` reads a YAML stream from standard input
    /// (`kubectl kustomize DIR | shipgate check -`).
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Output format: human, json, sarif, junit or github.
    #[arg(long, short, default_value = "human")]
    format: String,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit with 1 when a finding at or above this severity remains.
    #[arg(long, default_value = "warning", value_name = "SEVERITY")]
    fail_on: String,
    /// Rules to run instead of the defaults: ids, globs (`k8s/*`), packs
    /// (`k8s`) or peers' ids (`CKV_K8S_20`). Repeatable, comma-separated.
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    select: Vec<String>,
    /// Rules not to run. Same forms as --select.
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    ignore: Vec<String>,
    /// Report only findings that are not in this baseline.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Record every current finding in FILE as the new baseline.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// Skip files larger than this many bytes.
    #[arg(long, default_value_t = 10 * 1024 * 1024, value_name = "BYTES")]
    max_file_size: u64,
    /// The Kubernetes release manifests are judged against (removed APIs,
    /// schemas), such as 1.31.
    #[arg(long, value_name = "VERSION", default_value_t = KubeVersion::DEFAULT)]
    kube_version: KubeVersion,
    /// A folder of extra schemas, read recursively: JSON Schemas named
    /// `GROUP/KIND_VERSION.json`, `KIND-GROUP-VERSION.json` or
    /// `KIND_VERSION.json`, and CustomResourceDefinitions in YAML files.
    /// Repeatable.
    #[arg(long, value_name = "DIR")]
    schema_dir: Vec<PathBuf>,
    /// Set a rule's severity instead of its default, as RULES=LEVEL
    /// (`k8s/unknown-kind=error`, `docker/*=info`). Repeatable.
    #[arg(long = "severity", value_name = "RULES=LEVEL")]
    severities: Vec<String>,
    /// A values file for every Helm chart's renderings, after the chart's
    /// own values and its environment's. Repeatable.
    #[arg(long, value_name = "FILE")]
    helm_values: Vec<PathBuf>,
    /// A value for every Helm chart's renderings, as helm's `--set`
    /// KEY=VALUE; applied last. Repeatable.
    #[arg(long, value_name = "KEY=VALUE")]
    helm_set: Vec<String>,
    /// Search the lines that every commit of REV-RANGE added for credentials,
    /// instead of the files on disk: `A..B`, `A...B`, or one revision for all
    /// commits reachable from it (default: HEAD). Runs the secrets rules only;
    /// paths go before this flag, or give the range as --history=REV-RANGE.
    #[arg(long, value_name = "REV-RANGE", num_args = 0..=1)]
    history: Option<Option<String>>,
    /// When to colour the human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Also show info findings and suppressed findings one by one.
    #[arg(long, short)]
    verbose: bool,
    /// Judge the gates of this plan (`shipgate.toml`, or any Markdown
    /// plan) over the findings; the exit code is then the gates': 1 when a
    /// required gate fails.
    #[arg(long, value_name = "FILE")]
    plan: Option<PathBuf>,
    /// Run the plan's command checks. They run programs of the repository,
    /// so without this flag they are skipped, never passed.
    #[arg(long)]
    allow_commands: bool,
    /// Run the plan's live probes against its `[targets]`; without this
    /// flag they are skipped.
    #[arg(long)]
    live: bool,
    /// With --live: where a target of the plan runs, as NAME=URL.
    /// Repeatable.
    #[arg(long = "target", value_name = "NAME=URL", requires = "live")]
    targets: Vec<String>,
    /// Also send the JSON report to the shipgate server at URL, with the
    /// project token in SHIPGATE_TOKEN.
    #[arg(long, value_name = "URL")]
    upload: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => check(args),
        Command::Rules { format } => list_rules(format),
        Command::Explain { rule } => explain(&rule),
        Command::Plan(command) => plan(command),
        Command::Probe(args) => probe(args),
        Command::Attest(args) => attest::run(args),
        Command::Init { dir, force } => init(&dir, force),
        Command::Serve(args) => serve::serve(args),
        Command::Server(command) => serve::server(command),
        Command::Generate(command) => generate::run(command),
        Command::Ship(args) => ship::ship(args, &judge_work_tree),
        Command::Sbom(args) => ship::sbom(args),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "shipgate", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man { out } => man(out.as_deref()),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// Source text for snippets: read back from disk, or kept from standard input.
struct Sources {
    stdin: Option<String>,
    /// Findings of `--history` lie in older versions of their files: the
    /// files on disk hold other lines.
    disk: bool,
}

impl SourceProvider for Sources {
    fn source(&self, path: &str) -> Option<Cow<'_, str>> {
        if !self.disk {
            return None;
        }
        if path == STDIN_PATH {
            return self.stdin.as_deref().map(Cow::Borrowed);
        }
        let bytes = std::fs::read(path).ok()?;
        String::from_utf8(bytes).ok().map(Cow::Owned)
    }
}

const STDIN_PATH: &str = "<stdin>";

fn check(args: CheckArgs) -> Result<ExitCode, String> {
    let format: Format = args.format.parse().map_err(|e| format!("{e}"))?;
    let fail_on: Severity = args.fail_on.parse()?;
    let history = args.history.as_ref().map(Option::as_deref);
    let plan = match &args.plan {
        Some(path) => Some(shipgate_plan::load_path(path).map_err(|e| e.to_string())?),
        None => None,
    };
    let select = match (history, &plan) {
        // History is searched for credentials only: the other packs judge
        // what is deployed, which is the tree as it is now.
        (Some(_), _) if args.select.is_empty() => vec!["secrets".to_owned()],
        (None, Some(plan)) if args.select.is_empty() => with_plan_rules(&plan.plan),
        _ => args.select.clone(),
    };
    let repository_roots = match history {
        Some(_) => Vec::new(),
        None => shipgate_scan::repository_roots(&args.paths),
    };
    let engine = Engine::new(EngineConfig {
        select,
        ignore: args.ignore.clone(),
        max_file_size: args.max_file_size,
        repository_roots,
        kube_version: args.kube_version,
        severities: args.severities.clone(),
        ..EngineConfig::default()
    })?;
    for dir in &args.schema_dir {
        engine.config().schemas.load_dir(dir)?;
    }
    let baseline = match &args.baseline {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read baseline {}: {e}", path.display()))?;
            Some(Baseline::parse(&text)?.fingerprints())
        }
        None => None,
    };

    let from_stdin = args.paths.iter().any(|p| p.as_os_str() == "-");
    let mut stdin_text = None;
    let report = if let Some(range) = history {
        if from_stdin {
            return Err("--history reads a repository, not standard input".into());
        }
        for path in &args.paths {
            if std::fs::symlink_metadata(path).is_err() {
                return Err(format!("{}: no such file or folder", path.display()));
            }
        }
        let report: Box<dyn ReportView> = Box::new(shipgate_scan::history::scan_history(
            &engine,
            &args.paths,
            range,
            baseline.as_ref(),
        )?);
        report
    } else if from_stdin {
        if args.paths.len() > 1 {
            return Err("`-` (standard input) cannot be combined with other paths".into());
        }
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        if let Ok(text) = std::str::from_utf8(&bytes) {
            engine.config().schemas.add_crds_from_text(STDIN_PATH, text);
        }
        let outcome = engine.check_bytes(STDIN_PATH, &bytes, ArtifactKind::Kubernetes);
        stdin_text = String::from_utf8(bytes).ok();
        let report: Box<dyn ReportView> =
            Box::new(engine.finish(vec!["-".into()], vec![outcome], baseline.as_ref()));
        report
    } else {
        for path in &args.paths {
            if std::fs::symlink_metadata(path).is_err() {
                return Err(format!("{}: no such file or folder", path.display()));
            }
        }
        for file in &args.helm_values {
            if !file.is_file() {
                return Err(format!("--helm-values {}: no such file", file.display()));
            }
        }
        let options = shipgate_scan::ScanOptions {
            helm: shipgate_scan::helm::HelmOptions {
                values: args.helm_values.clone(),
                set: args.helm_set.clone(),
                ..Default::default()
            },
        };
        Box::new(shipgate_scan::scan_streaming(
            &engine,
            &args.paths,
            baseline.as_ref(),
            &options,
        ))
    };
    let mut report = report;
    if let (Some(path), Some(plan)) = (&args.plan, &plan) {
        let root = match args.paths.as_slice() {
            [root] if root.is_dir() => root.clone(),
            _ => PathBuf::from("."),
        };
        let probes = if args.live {
            Some(probe_runner(path, &args.targets)?)
        } else {
            None
        };
        let verdict = judge_plan(
            path,
            plan,
            &root,
            args.allow_commands,
            probes,
            &engine,
            report.as_ref(),
        )?;
        report.head_mut().plan = Some(verdict);
    }
    let report = report.as_ref();

    if let Some(path) = &args.write_baseline {
        let baseline = Baseline::from_view(report)
            .map_err(|e| format!("cannot read the findings back: {e}"))?;
        let json = serde_json::to_string_pretty(&baseline).map_err(|e| e.to_string())?;
        std::fs::write(path, json + "\n")
            .map_err(|e| format!("cannot write baseline {}: {e}", path.display()))?;
        eprintln!(
            "wrote {} findings to the baseline {}",
            baseline.findings.len(),
            path.display()
        );
        return Ok(ExitCode::SUCCESS);
    }

    let sources = Sources {
        stdin: stdin_text,
        disk: history.is_none(),
    };
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            args.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let options = RenderOptions {
        color,
        verbose: args.verbose,
        root_uri: root_uri(),
    };
    write_report(report, format, &sources, &options, args.output.as_ref())?;
    if let Some(url) = &args.upload {
        upload::upload(report, url)?;
    }
    let failed = match &report.head().plan {
        Some(plan) => plan.failed(),
        None => report.head().summary.at_least(fail_on) > 0,
    };
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn man(out: Option<&Path>) -> Result<ExitCode, String> {
    let command = <Cli as clap::CommandFactory>::command();
    match out {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
            clap_mangen::generate_to(command, dir)
                .map_err(|err| format!("cannot write the manual pages: {err}"))?;
        }
        None => clap_mangen::Man::new(command)
            .render(&mut std::io::stdout())
            .map_err(|err| format!("cannot write the manual page: {err}"))?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The default rules, and the opt-in rules the plan names by id: a plan that
/// asks for a rule by name wants it run. Empty (the default selection) when
/// the plan names none.
fn with_plan_rules(plan: &shipgate_plan::Plan) -> Vec<String> {
    let extra = shipgate_plan::evidence::opt_in_rules(plan);
    if extra.is_empty() {
        return Vec::new();
    }
    registry::Selection::all_default()
        .enabled_rules()
        .map(|rule| rule.meta.id)
        .chain(extra)
        .map(str::to_owned)
        .collect()
}

/// Scans the work tree with the default rules (and those the plan names)
/// and judges the plan over it: what `ship` re-evaluates at HEAD.
fn judge_work_tree(
    path: &Path,
    plan: &shipgate_plan::LoadedPlan,
    root: &Path,
    allow_commands: bool,
    live: bool,
    targets: &[String],
) -> Result<shipgate_core::PlanVerdict, String> {
    let roots = vec![root.to_path_buf()];
    let engine = Engine::new(EngineConfig {
        select: with_plan_rules(&plan.plan),
        repository_roots: shipgate_scan::repository_roots(&roots),
        ..EngineConfig::default()
    })?;
    let report = shipgate_scan::scan_streaming(
        &engine,
        &roots,
        None,
        &shipgate_scan::ScanOptions::default(),
    );
    let probes = if live {
        Some(probe_runner(path, targets)?)
    } else {
        None
    };
    judge_plan(path, plan, root, allow_commands, probes, &engine, &report)
}

/// Evaluates the plan read from `path` against the scan's report.
fn judge_plan(
    path: &Path,
    loaded: &shipgate_plan::LoadedPlan,
    root: &Path,
    allow_commands: bool,
    probes: Option<shipgate_probe::Runner>,
    engine: &Engine,
    report: &dyn ReportView,
) -> Result<shipgate_core::PlanVerdict, String> {
    let mut checker = shipgate_plan::evidence::RepoChecker::new(
        &loaded.plan,
        root,
        report,
        &|id| engine.is_enabled(id),
        allow_commands,
    )
    .map_err(|e| format!("cannot read the findings back: {e}"))?;
    let ledger = shipgate_plan::attest::load(root).map_err(|e| e.to_string())?;
    for problem in &ledger.problems {
        eprintln!("warning: {problem}");
    }
    let owners = loaded.plan.owners.clone();
    let now = time::OffsetDateTime::now_utc();
    checker = checker.with_attestations(move |item, check| {
        let judged = ledger.judge_with_owners(item, check, &owners, now);
        let verdict = if judged.passed() {
            shipgate_core::Verdict::Pass
        } else {
            shipgate_core::Verdict::Fail
        };
        let inputs = judged
            .record()
            .map(|r| r.digest.clone())
            .unwrap_or_default();
        let outcome = shipgate_plan::evaluate::Outcome::new(verdict, judged.to_string());
        if inputs.is_empty() {
            outcome
        } else {
            outcome.with_inputs(inputs)
        }
    });
    if let Some(runner) = probes {
        checker = checker.with_probes(move |address, check| {
            let observation = runner.run(address, &check.kind, &check.options);
            let verdict = match observation.outcome {
                shipgate_probe::Outcome::Pass => shipgate_core::Verdict::Pass,
                // A probe that could not run proves nothing either way.
                shipgate_probe::Outcome::Fail | shipgate_probe::Outcome::Error => {
                    shipgate_core::Verdict::Fail
                }
            };
            let recorded = serde_json::to_vec(&observation).unwrap_or_default();
            shipgate_plan::evaluate::Outcome::new(verdict, observation.summary)
                .with_inputs(shipgate_plan::evaluate::sha256_hex(&recorded))
        });
    }
    let run = shipgate_plan::evaluate::Run {
        origin: shipgate_scan::display_path(path),
        commit: shipgate_plan::attest::head_commit(root),
        at: now_rfc3339(),
    };
    Ok(shipgate_plan::evaluate::evaluate(
        &loaded.plan,
        &checker,
        &run,
    ))
}

/// The probes of a plan: its `[targets]`, overridden by `--target`.
fn probe_runner(plan: &Path, targets: &[String]) -> Result<shipgate_probe::Runner, String> {
    let mut file = if plan.extension().is_some_and(|e| e == "toml") {
        shipgate_probe::ProbeFile::read(plan)?
    } else {
        shipgate_probe::ProbeFile::default()
    };
    file.override_targets(targets)?;
    shipgate_probe::Runner::new(&file)
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// SARIF consumers resolve relative paths against this base.
fn root_uri() -> Option<String> {
    let cwd = std::env::current_dir().ok()?;
    let mut uri = String::from("file://");
    for segment in cwd.to_string_lossy().split('/').filter(|s| !s.is_empty()) {
        uri.push('/');
        uri.push_str(&percent_encode(segment));
    }
    uri.push('/');
    Some(uri)
}

fn percent_encode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn write_report(
    report: &dyn ReportView,
    format: Format,
    sources: &Sources,
    options: &RenderOptions,
    output: Option<&PathBuf>,
) -> Result<(), String> {
    // Rendered straight into a buffered writer: a report of a large tree can
    // be hundreds of megabytes, and holding it whole would double the peak.
    let result = match output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            let mut writer = std::io::BufWriter::new(file);
            shipgate_report::render(report, format, sources, options, &mut writer)
                .and_then(|()| writer.flush())
        }
        None => {
            let mut writer = std::io::BufWriter::new(std::io::stdout().lock());
            shipgate_report::render(report, format, sources, options, &mut writer)
                .and_then(|()| writer.flush())
        }
    };
    match result {
        // A closed pipe (`| head`) is the reader's choice, not an error.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write the report: {e}"))
        }
        _ => Ok(()),
    }
}

fn list_rules(format: ListFormat) -> Result<ExitCode, String> {
    let rules = registry().rules();
    let mut out = String::new();
    match format {
        ListFormat::Json => {
            let list: Vec<serde_json::Value> = rules
                .iter()
                .map(|r| {
                    let m = &r.meta;
                    serde_json::json!({
                        "id": m.id,
                        "title": m.title,
                        "severity": m.severity,
                        "category": m.category,
                        "enabled_by_default": m.enabled_by_default,
                        "aliases": m.aliases.iter().map(|a| format!("{}:{}", a.tool, a.id)).collect::<Vec<_>>(),
                    })
                })
                .collect();
            out = serde_json::to_string_pretty(&list).map_err(|e| e.to_string())? + "\n";
        }
        ListFormat::Human => {
            let width = rules.iter().map(|r| r.meta.id.len()).max().unwrap_or(0);
            for rule in rules {
                let m = &rule.meta;
                let opt_in = if m.enabled_by_default {
                    ""
                } else {
                    " (opt-in)"
                };
                out.push_str(&format!(
                    "{:width$}  {:7}  {:12}  {}{opt_in}\n",
                    m.id,
                    m.severity.as_str(),
                    m.category.as_str(),
                    m.title
                ));
            }
        }
    }
    print_stdout(&out)
}

fn explain(token: &str) -> Result<ExitCode, String> {
    let registry = registry();
    let matches = registry.resolve(token, None);
    let Some(rule) = matches.first() else {
        return Err(format!("no rule `{token}`; `shipgate rules` lists them"));
    };
    let mut out = shipgate_report::rule_markdown(&rule.meta);
    if matches.len() > 1 {
        let others: Vec<&str> = matches[1..].iter().map(|r| r.meta.id).collect();
        out.push_str(&format!(
            "\n`{token}` also maps to: {}\n",
            others.join(", ")
        ));
    }
    print_stdout(&out)
}

/// Exits with 2 when a probe could not run (its configuration needs fixing
/// before any verdict means something), else 1 when one failed.
fn probe(args: ProbeArgs) -> Result<ExitCode, String> {
    let mut file = shipgate_probe::ProbeFile::read(&args.plan)?;
    file.override_targets(&args.targets)?;
    if file.probes.is_empty() {
        return Err(format!("{} declares no probes", args.plan.display()));
    }
    let report = shipgate_probe::run_file(&file, &args.only)?;
    let text = match args.format {
        ListFormat::Human => shipgate_probe::render::human(&report),
        ListFormat::Json => shipgate_probe::render::json(&report),
    };
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
        None => {
            print_stdout(&text)?;
        }
    }
    Ok(if report.summary.error > 0 {
        ExitCode::from(2)
    } else if report.summary.fail > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_stdout(text: &str) -> Result<ExitCode, String> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.to_string()),
        _ => Ok(ExitCode::SUCCESS),
    }
}

fn read_markdown_plan(file: &PathBuf) -> Result<shipgate_plan::markdown::MarkdownPlan, String> {
    let origin = file.display().to_string();
    if origin.to_ascii_lowercase().ends_with(".toml") {
        return Err(format!(
            "{origin}: a shipgate.toml is already a plan; these commands read Markdown plans"
        ));
    }
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {origin}: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{origin}: not UTF-8 text"))?;
    let plan = shipgate_plan::markdown::parse(&text, &origin);
    // A binding that names no rule would never produce evidence.
    for item in &plan.items {
        for token in &item.bindings {
            let other_kind = ["file:", "probe:", "command:"]
                .iter()
                .any(|p| token.starts_with(p))
                || matches!(token.as_str(), "attest" | "attestation" | "manual");
            let resolves = matches!(
                shipgate_rules::registry::matching(std::slice::from_ref(token)),
                Ok(rules) if !rules.is_empty()
            );
            if !other_kind && !resolves {
                eprintln!(
                    "warning: {origin}:{}: `{token}` matches no rule; `shipgate rules` lists them",
                    item.line
                );
            }
        }
    }
    Ok(plan)
}

fn plan(command: PlanCommand) -> Result<ExitCode, String> {
    match command {
        PlanCommand::Coverage { file, format } => {
            let report = shipgate_plan::coverage::coverage(&read_markdown_plan(&file)?);
            let out = match format {
                ListFormat::Json => {
                    serde_json::to_string_pretty(&report).map_err(|e| e.to_string())? + "\n"
                }
                ListFormat::Human => report.render_human(),
            };
            print_stdout(&out)
        }
        PlanCommand::Import {
            file,
            output,
            force,
            accept_suggestions,
        } => {
            let markdown = read_markdown_plan(&file)?;
            let options = shipgate_plan::import::ImportOptions {
                origin: file.display().to_string(),
                accept_suggestions,
            };
            let plan =
                shipgate_plan::import::import(&markdown, &options).map_err(|e| e.to_string())?;
            let text = shipgate_plan::import::to_toml(&plan);
            if output.as_os_str() == "-" {
                return print_stdout(&text);
            }
            if output.exists() && !force {
                return Err(format!(
                    "{} exists; pass --force to replace it, or --output another file",
                    output.display()
                ));
            }
            std::fs::write(&output, text)
                .map_err(|e| format!("cannot write {}: {e}", output.display()))?;
            let gates: usize = plan.phases.iter().map(|p| p.gates.len()).sum();
            eprintln!(
                "wrote {} phases and {gates} gates from {} items to {}",
                plan.phases.len(),
                markdown.items.len(),
                output.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        PlanCommand::Sync {
            file,
            root,
            check,
            allow_commands,
        } => sync_plan(&file, &root, check, allow_commands),
    }
}

/// `plan sync`: scans `root` with the default rules, judges the plan in
/// `file`, and rewrites its checkboxes.
fn sync_plan(
    file: &Path,
    root: &Path,
    check: bool,
    allow_commands: bool,
) -> Result<ExitCode, String> {
    let markdown = read_markdown_plan(&file.to_path_buf())?;
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let plan = shipgate_plan::load_path(file).map_err(|e| e.to_string())?;
    let verdict = judge_work_tree(file, &plan, root, allow_commands, false, &[])?;
    let synced = shipgate_plan::sync::sync(&text, &markdown, &verdict);
    let shown = file.display();
    for change in &synced.changes {
        let mark = if change.ticked { "[x]" } else { "[ ]" };
        println!("{shown}:{}: {mark} {}", change.line, change.text);
    }
    for claim in &synced.unverified {
        let why = match claim.verdict {
            Some(verdict) => format!("its gate is {}", verdict.as_str()),
            None => "no gate stands for it".to_owned(),
        };
        println!(
            "{shown}:{}: claimed, unverified: {} ({why})",
            claim.line, claim.text
        );
    }
    if check {
        let clean = synced.changes.is_empty() && synced.unverified.is_empty();
        return Ok(if clean {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    if !synced.changes.is_empty() {
        std::fs::write(file, &synced.text).map_err(|e| format!("cannot write {shown}: {e}"))?;
    }
    eprintln!(
        "{shown}: {} boxes changed, {} claims unverified",
        synced.changes.len(),
        synced.unverified.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// `shipgate init`: a plan cut to the kinds of artifact found in `dir`.
fn init(dir: &Path, force: bool) -> Result<ExitCode, String> {
    if !dir.is_dir() {
        return Err(format!("{}: not a folder", dir.display()));
    }
    let output = dir.join("shipgate.toml");
    if output.exists() && !force {
        return Err(format!(
            "{} exists; pass --force to replace it",
            output.display()
        ));
    }
    let (files, _) = shipgate_scan::discover(&[dir.to_path_buf()]);
    let packs: std::collections::BTreeSet<&str> = files
        .iter()
        .flat_map(|f| match f.kind {
            ArtifactKind::Kubernetes => &["k8s"][..],
            ArtifactKind::Kustomization => &["kustomize", "k8s"][..],
            ArtifactKind::HelmChart | ArtifactKind::HelmTemplate | ArtifactKind::HelmValues => {
                &["helm", "k8s"][..]
            }
            ArtifactKind::Dockerfile => &["docker"][..],
            ArtifactKind::Compose => &["compose"][..],
            ArtifactKind::Workflow => &["workflows"][..],
            ArtifactKind::Yaml | ArtifactKind::Text => &[][..],
        })
        .copied()
        .collect();
    let name = dir
        .canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()));
    let plan = shipgate_plan::init::plan_for(&packs, name.as_deref());
    let text = shipgate_plan::import::to_toml(&plan);
    std::fs::write(&output, text).map_err(|e| format!("cannot write {}: {e}", output.display()))?;
    let gates: usize = plan.phases.iter().map(|p| p.gates.len()).sum();
    let found: Vec<&str> = packs.iter().copied().collect();
    eprintln!(
        "wrote {} with {} phases and {gates} gates, for {}",
        output.display(),
        plan.phases.len(),
        if found.is_empty() {
            "a repository with no deployment artifacts".to_owned()
        } else {
            found.join(", ")
        }
    );
    Ok(ExitCode::SUCCESS)
}
