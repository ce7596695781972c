//! The `shipgate` command: argument parsing, wiring and exit codes. Anything
//! worth testing on its own lives in the library crates.

use std::borrow::Cow;

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use shipgate_core::{Report, Severity};
use shipgate_report::{Format, RenderOptions, SourceProvider};
use shipgate_rules::baseline::Baseline;
use shipgate_rules::k8s::KubeVersion;
use shipgate_rules::{ArtifactKind, Engine, EngineConfig, registry};

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => check(args),
        Command::Rules { format } => list_rules(format),
        Command::Explain { rule } => explain(&rule),
        Command::Plan(command) => plan(command),
        Command::Probe(args) => probe(args),
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
    let select = match history {
        // History is searched for credentials only: the other packs judge
        // what is deployed, which is the tree as it is now.
        Some(_) if args.select.is_empty() => vec!["secrets".to_owned()],
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
        shipgate_scan::history::scan_history(&engine, &args.paths, range, baseline.as_ref())?
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
        engine.finish(vec!["-".into()], vec![outcome], baseline.as_ref())
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
        shipgate_scan::scan_with(&engine, &args.paths, baseline.as_ref(), &options)
    };

    if let Some(path) = &args.write_baseline {
        let baseline = Baseline::from_report(&report);
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
    write_report(&report, format, &sources, &options, args.output.as_ref())?;
    Ok(if report.summary.at_least(fail_on) > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
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
    report: &Report,
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
    }
}
