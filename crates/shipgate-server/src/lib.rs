//! The shipgate server: CI runs upload their reports, the server keeps them
//! (SQLite or PostgreSQL), and serves them back through a JSON API and a
//! dashboard. It reads reports only: it knows no rule, and judges nothing
//! that the report did not already judge.

pub mod api;
pub mod chart;
pub mod diff;
pub mod ingest;
pub mod ops;
pub mod pages;
pub mod store;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use sha2::{Digest, Sha256};

pub use store::{Location, Store};

/// How the server runs; the CLI fills it from its flags.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub store: Location,
    /// The largest request body taken, in bytes.
    pub max_body: usize,
    /// Runs one token may upload per minute; 0 for no limit.
    pub ingest_per_minute: u32,
    /// Runs older than this many days are deleted, each project's newest
    /// run excepted.
    pub retention_days: Option<u64>,
    /// Whether the dashboard asks for a viewer's token. By default it does
    /// unless the server listens on loopback only.
    pub dashboard_login: bool,
}

impl Config {
    pub fn new(listen: SocketAddr, store: Location) -> Self {
        Config {
            listen,
            store,
            max_body: 32 * 1024 * 1024,
            ingest_per_minute: 120,
            retention_days: None,
            dashboard_login: !listen.ip().is_loopback(),
        }
    }
}

/// What every handler shares.
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub limiter: ops::RateLimiter,
    pub metrics: ops::Metrics,
    pub dashboard_login: bool,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, config: &Config) -> Arc<Self> {
        Arc::new(AppState {
            store,
            limiter: ops::RateLimiter::per_minute(config.ingest_per_minute),
            metrics: ops::Metrics::default(),
            dashboard_login: config.dashboard_login,
        })
    }
}

/// The whole application: API, dashboard and operations endpoints.
pub fn router(state: Arc<AppState>, max_body: usize) -> Router {
    Router::new()
        .merge(api::routes(max_body))
        .merge(pages::routes())
        .merge(ops::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::observe,
        ))
        .with_state(state)
}

/// Runs the server until SIGINT or SIGTERM. Requests under way when the
/// signal comes are finished first, so a run whose upload was accepted is
/// committed and acknowledged before the process exits.
pub async fn serve(config: Config, ready: impl FnOnce(SocketAddr)) -> Result<(), String> {
    let store = store::open(&config.store)
        .await
        .map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let state = AppState::new(store.clone(), &config);
    if let Some(days) = config.retention_days {
        tokio::spawn(ops::retention(store.clone(), days));
    }
    tracing::info!(
        addr = %addr,
        backend = store.backend(),
        dashboard_login = config.dashboard_login,
        "listening on http://{addr}"
    );
    ready(addr);
    let app = router(state, config.max_body);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(|e| e.to_string())?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
    tracing::info!("shutting down: finishing the requests under way");
}

/// JSON lines on standard error, one per event; `RUST_LOG` filters them.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_current_span(false)
        .try_init();
}

/// Which kind of token to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenFor {
    /// Uploads and reads the runs of one project, created if new.
    Project(String),
    /// Opens the dashboard.
    Viewer,
}

/// Makes a token and stores its hash; the token itself is returned once and
/// kept nowhere.
pub async fn create_token(location: &Location, scope: &TokenFor) -> Result<String, String> {
    let store = store::open(location).await.map_err(|e| e.to_string())?;
    let (prefix, project) = match scope {
        TokenFor::Project(name) => {
            valid_project_name(name)?;
            let project = store
                .ensure_project(name)
                .await
                .map_err(|e| e.to_string())?;
            ("sgp_", Some(project.id))
        }
        TokenFor::Viewer => ("sgv_", None),
    };
    let token = new_secret(prefix)?;
    store
        .add_token(project, &hash_token(&token), &token_hint(&token))
        .await
        .map_err(|e| e.to_string())?;
    Ok(token)
}

/// Project names appear in URLs and metrics labels.
pub fn valid_project_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        && !name.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "project name `{name}`: use letters, digits, `-`, `_` and `.`, up to 100"
        ))
    }
}

pub(crate) fn new_secret(prefix: &str) -> Result<String, String> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness: {e}"))?;
    Ok(format!("{prefix}{}", hex(&bytes)))
}

pub fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Enough of a token to tell it apart, never enough to use it.
pub fn token_hint(token: &str) -> String {
    let head: String = token.chars().take(8).collect();
    format!("{head}…")
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A database URL fit for a log: the password replaced.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            if userinfo.contains(':') {
                format!("{scheme}://{user}:***@{host}")
            } else {
                format!("{scheme}://{user}@{host}")
            }
        }
        None => url.to_owned(),
    }
}

pub(crate) fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// `2026-11-23 16:47 UTC`.
pub(crate) fn format_time(unix: i64) -> String {
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(unix) else {
        return unix.to_string();
    };
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    t.format(&format).unwrap_or_else(|_| unix.to_string())
}

/// How long to wait between two passes of the retention sweep.
pub(crate) const RETENTION_EVERY: Duration = Duration::from_secs(3600);

/// Runs `future` on a runtime of its own, for callers that have none (the CLI).
pub fn block_on<F: std::future::Future>(future: F) -> Result<F::Output, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    Ok(runtime.block_on(future))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_password() {
        assert_eq!(
            // shipgate:ignore secrets/postgres-connection-string -- a made-up URL the test redacts
            redact_url("postgres://app:s3cret@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(redact_url("postgres://app@db/x"), "postgres://app@db/x");
    }

    #[test]
    fn tokens_are_hashed_and_hinted() {
        let token = new_secret("sgp_").unwrap();
        assert_eq!(token.len(), 4 + 48);
        assert_eq!(hash_token(&token).len(), 64);
        assert!(!token_hint(&token).contains(&token[8..]));
        assert!(valid_project_name("shop-api.v2").is_ok());
        assert!(valid_project_name("../x").is_err());
    }
}
