//! `shipgate generate`: writes generated artifacts to disk.

use std::fs;
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use shipgate_gen::Options;

/// The list of files the last run wrote, relative to the output folder.
const MANIFEST: &str = ".shipgate-generated";

#[derive(Subcommand)]
pub enum GenerateCommand {
    /// A hardened Kubernetes kit from a Compose file: a Kustomize base,
    /// components (hardening, network policies, monitoring, backups) and an
    /// overlay per environment, and with --helm a Helm chart.
    Kubernetes(KubernetesArgs),
}

#[derive(clap::Args)]
pub struct KubernetesArgs {
    /// The Compose file.
    #[arg(long, value_name = "FILE")]
    from: PathBuf,
    /// The folder to write the kit to.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Write a Helm chart under DIR/chart too.
    #[arg(long)]
    helm: bool,
    /// Environments, one overlay each.
    #[arg(
        long,
        value_name = "ENVS",
        value_delimiter = ',',
        default_value = "dev,staging,prod"
    )]
    envs: Vec<String>,
    /// Compose services to expose through an Ingress with TLS. Services can
    /// also say so with the label `shipgate.dev/public: "true"`.
    #[arg(long, value_name = "SERVICES", value_delimiter = ',')]
    public: Vec<String>,
    /// The domain Ingress hosts are made from: SERVICE.ENV.DOMAIN, and
    /// SERVICE.DOMAIN in prod.
    #[arg(long, value_name = "DOMAIN", default_value = "example.com")]
    domain: String,
}

pub fn run(command: GenerateCommand) -> Result<ExitCode, String> {
    match command {
        GenerateCommand::Kubernetes(args) => kubernetes(args),
    }
}

fn valid_env(env: &str) -> bool {
    !env.is_empty()
        && env.len() <= 30
        && env
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !env.starts_with('-')
        && !env.ends_with('-')
}

fn kubernetes(args: KubernetesArgs) -> Result<ExitCode, String> {
    let mut envs: Vec<String> = Vec::new();
    for env in &args.envs {
        let env = env.trim().to_owned();
        if !valid_env(&env) {
            return Err(format!(
                "--envs: `{env}` is not a valid environment name (lower-case letters, digits and `-`)"
            ));
        }
        if !envs.contains(&env) {
            envs.push(env);
        }
    }
    let text = fs::read_to_string(&args.from)
        .map_err(|e| format!("cannot read {}: {e}", args.from.display()))?;
    let folder = args
        .from
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    // Only files beside or below the Compose file are read into the kit:
    // a bind mount of `/etc/...` belongs to the host, not to the application.
    let read = move |relative: &str| -> Option<String> {
        let path = Path::new(relative);
        if path
            .components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
        {
            return None;
        }
        let full = folder.join(path);
        if !full.is_file() {
            return None;
        }
        fs::read_to_string(full).ok()
    };
    let options = Options {
        envs,
        public: args.public.clone(),
        helm: args.helm,
        domain: args.domain.clone(),
        source: args.from.display().to_string(),
    };
    let kit = shipgate_gen::kubernetes(&text, &options, &read).map_err(|d| d.to_string())?;
    // Files an earlier run wrote and this one does not (a service removed
    // from the Compose file) would linger and be judged on their own.
    let manifest = args.out.join(MANIFEST);
    if let Ok(previous) = fs::read_to_string(&manifest) {
        for old in previous.lines() {
            let relative = Path::new(old);
            let inside = !old.is_empty()
                && !old.starts_with('#')
                && relative
                    .components()
                    .all(|c| matches!(c, Component::Normal(_)));
            if inside && !kit.files.contains_key(old) {
                let _ = fs::remove_file(args.out.join(relative));
            }
        }
    }
    for (path, bytes) in &kit.files {
        let target = args.out.join(path);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        fs::write(&target, bytes).map_err(|e| format!("cannot write {}: {e}", target.display()))?;
    }
    let mut listing: String = kit.files.keys().map(|p| format!("{p}\n")).collect();
    listing.insert_str(
        0,
        "# Written by shipgate generate kubernetes; removed from DIR when no longer generated.\n",
    );
    fs::write(&manifest, listing)
        .map_err(|e| format!("cannot write {}: {e}", manifest.display()))?;
    eprintln!(
        "wrote {} files to {}; read {} first",
        kit.files.len(),
        args.out.display(),
        args.out.join("NOTES.md").display()
    );
    Ok(ExitCode::SUCCESS)
}
