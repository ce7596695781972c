//! Live checks of a running service: HTTP answers, the access matrix, rate
//! limits, security headers, TLS, idempotency, latency under an open-model
//! load, and PostgreSQL backup drills. Each probe yields an [`Observation`]:
//! a verdict, the values measured, and the evidence behind the verdict,
//! with every secret redacted.
//!
//! This crate never reads the repository: what to probe comes from the
//! plan's probe tables, typed by [`ProbeSpec`].

pub mod auth;
pub mod backup;
pub mod config;
pub mod context;
pub mod headers;
pub mod http;
pub mod idempotency;
pub mod load;
pub mod observation;
pub mod plan;
pub mod ratelimit;
pub mod render;
pub mod tls;

use std::time::{Instant, SystemTime, UNIX_EPOCH};

pub use config::{ProbeDuration, ProbeSpec, StatusSpec, Target};
pub use context::Context;
pub use observation::{CheckResult, Observation, Outcome, PROBE_REPORT_SCHEMA, ProbeReport};
pub use plan::{NamedProbe, ProbeFile};

/// Runs one probe. Never fails: a probe that cannot run is an observation
/// with the outcome [`Outcome::Error`].
pub async fn run_probe(ctx: &Context, name: &str, spec: &ProbeSpec) -> Observation {
    let started_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let clock = Instant::now();
    let mut rec = observation::Recorder::default();
    let (target, url) = spec.endpoint();
    let path = match spec {
        ProbeSpec::Http(p) => p.path.as_deref(),
        ProbeSpec::RateLimit(p) => p.path.as_deref(),
        ProbeSpec::Headers(p) => p.path.as_deref(),
        ProbeSpec::Idempotency(p) => p.path.as_deref(),
        ProbeSpec::Load(p) => p.path.as_deref(),
        ProbeSpec::Auth(_) | ProbeSpec::Tls(_) | ProbeSpec::BackupDrill(_) => None,
    };
    let resolved = ctx.resolve(target.as_deref(), url.as_deref(), path);
    let shown_url = resolved.as_ref().ok().map(|r| context::display_url(&r.url));
    let result = match &resolved {
        Err(e) => Err(e.clone()),
        Ok(resolved) => match spec {
            ProbeSpec::Http(p) => http::run(ctx, p, resolved, &mut rec).await,
            ProbeSpec::Auth(p) => auth::run(ctx, p, resolved, &mut rec).await,
            ProbeSpec::RateLimit(p) => ratelimit::run(ctx, p, resolved, &mut rec).await,
            ProbeSpec::Headers(p) => headers::run(ctx, p, resolved, &mut rec).await,
            ProbeSpec::Tls(p) => tls::run(p, resolved, &mut rec).await,
            ProbeSpec::Idempotency(p) => idempotency::run(ctx, p, resolved, &mut rec).await,
            ProbeSpec::Load(p) => load::run(ctx, p, resolved, &mut rec).await,
            ProbeSpec::BackupDrill(p) => backup::run(ctx, p, resolved, &mut rec).await,
        },
    };
    let (outcome, summary) = match &result {
        Err(e) => (Outcome::Error, e.clone()),
        Ok(()) if rec.all_passed() => (Outcome::Pass, format!("{} checks held", rec.checks.len())),
        Ok(()) => {
            let failed: Vec<String> = rec
                .checks
                .iter()
                .filter(|c| !c.passed)
                .map(|c| format!("{}: {}", c.name, c.actual))
                .collect();
            let shown = failed
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ");
            let more = if failed.len() > 3 {
                format!(" (and {} more)", failed.len() - 3)
            } else {
                String::new()
            };
            (Outcome::Fail, format!("{shown}{more}"))
        }
    };
    let mut evidence = serde_json::Value::Object(rec.evidence);
    if let Err(e) = &result {
        evidence["error"] = serde_json::Value::String(e.clone());
    }
    let mut observation = Observation {
        name: name.to_owned(),
        kind: spec.kind().to_owned(),
        target: target.clone(),
        url: shown_url,
        outcome,
        summary,
        checks: rec.checks,
        measurements: rec.measurements,
        evidence,
        duration_ms: http::ms(clock.elapsed()),
        started_at,
    };
    redact(ctx, &mut observation);
    observation
}

/// Whatever a probe wrote, no secret it read leaves it.
fn redact(ctx: &Context, o: &mut Observation) {
    o.summary = ctx.redact(&o.summary);
    if let Some(url) = &o.url {
        o.url = Some(ctx.redact(url));
    }
    for c in &mut o.checks {
        c.expected = ctx.redact(&c.expected);
        c.actual = ctx.redact(&c.actual);
    }
    for v in o.measurements.values_mut() {
        ctx.redact_json(v);
    }
    ctx.redact_json(&mut o.evidence);
}

/// Runs single probes on demand, one at a time, on a runtime of its own:
/// what a plan's gates use, each probe check a call.
pub struct Runner {
    runtime: tokio::runtime::Runtime,
    ctx: Context,
    /// Probes never overlap, for the reason [`run_all`] gives.
    turn: std::sync::Mutex<()>,
}

impl Runner {
    /// `file` gives the targets; secrets come from the process environment.
    pub fn new(file: &ProbeFile) -> Result<Self, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the probe runtime: {e}"))?;
        Ok(Runner {
            runtime,
            ctx: Context::new(file.targets.clone()),
            turn: std::sync::Mutex::new(()),
        })
    }

    /// Runs the probe of `kind` with `options` (a plan's probe check); an
    /// option the kind does not take is an `Error` observation.
    pub fn run(&self, name: &str, kind: &str, options: &toml::Table) -> Observation {
        let spec = match ProbeSpec::from_kind_and_options(kind, options) {
            Ok(spec) => spec,
            Err(err) => return Observation::misconfigured(name, kind, err),
        };
        let _turn = self
            .turn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        self.runtime.block_on(run_probe(&self.ctx, name, &spec))
    }
}

/// Runs probes one after the other: a load or a burst running beside
/// another probe would distort what that probe measures.
pub async fn run_all(ctx: &Context, probes: &[NamedProbe]) -> Vec<Observation> {
    let mut out = Vec::with_capacity(probes.len());
    for p in probes {
        out.push(run_probe(ctx, &p.name, &p.spec).await);
    }
    out
}

/// Runs the probes of a file on a runtime of its own, with secrets from the
/// process environment.
pub fn run_file(file: &ProbeFile, only: &[String]) -> Result<ProbeReport, String> {
    for name in only {
        if !file.probes.iter().any(|p| &p.name == name) {
            return Err(format!("no probe named `{name}`"));
        }
    }
    let probes: Vec<NamedProbe> = file
        .probes
        .iter()
        .filter(|p| only.is_empty() || only.contains(&p.name))
        .cloned()
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the probe runtime: {e}"))?;
    let ctx = Context::new(file.targets.clone());
    let observations = runtime.block_on(run_all(&ctx, &probes));
    Ok(ProbeReport::new(observations))
}
