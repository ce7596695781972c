//! Operations: health and readiness, Prometheus metrics, the per-token
//! ingest limit and the retention sweep.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::{AppState, Store};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// Ready when the database answers.
async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
}

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
pub struct Metrics {
    ingested: Mutex<BTreeMap<String, u64>>,
    /// By route template and method, so that ids in paths do not make a
    /// series each.
    latency: Mutex<BTreeMap<(String, String), Histogram>>,
}

impl Metrics {
    pub fn ingested(&self, project: &str) {
        let mut map = self.ingested.lock().unwrap_or_else(|e| e.into_inner());
        *map.entry(project.to_owned()).or_default() += 1;
    }

    fn observe(&self, route: String, method: String, seconds: f64) {
        let mut map = self.latency.lock().unwrap_or_else(|e| e.into_inner());
        let h = map.entry((route, method)).or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += seconds;
    }
}

/// Times every request, and logs it.
pub async fn observe(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    tracing::info!(
        method = %method,
        route = %route,
        status = response.status().as_u16(),
        ms = elapsed.as_secs_f64() * 1000.0,
        "request"
    );
    state.metrics.observe(route, method, elapsed.as_secs_f64());
    response
}

fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let mut out = String::new();
    out.push_str("# HELP shipgate_runs_ingested_total Runs stored since the server started.\n");
    out.push_str("# TYPE shipgate_runs_ingested_total counter\n");
    {
        let map = state
            .metrics
            .ingested
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for (project, n) in map.iter() {
            let _ = writeln!(
                out,
                "shipgate_runs_ingested_total{{project=\"{}\"}} {n}",
                label(project)
            );
        }
    }
    out.push_str(
        "# HELP shipgate_gate_pass_ratio Gates passed over gates judged, in each project's newest run.\n",
    );
    out.push_str("# TYPE shipgate_gate_pass_ratio gauge\n");
    match state.store.latest_runs().await {
        Ok(runs) => {
            for run in runs.iter().filter(|r| r.gates_total > 0) {
                let _ = writeln!(
                    out,
                    "shipgate_gate_pass_ratio{{project=\"{}\"}} {}",
                    label(&run.project),
                    run.gates_passed as f64 / run.gates_total as f64
                );
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: cannot read the latest runs"),
    }
    out.push_str("# HELP shipgate_http_request_duration_seconds Time to answer a request.\n");
    out.push_str("# TYPE shipgate_http_request_duration_seconds histogram\n");
    {
        let map = state
            .metrics
            .latency
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for ((route, method), h) in map.iter() {
            let labels = format!("route=\"{}\",method=\"{}\"", label(route), label(method));
            for (bound, count) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(
                    out,
                    "shipgate_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "shipgate_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "shipgate_http_request_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "shipgate_http_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

/// A token bucket per token: `per_minute` uploads a minute on average, and
/// as many at once after a quiet minute.
pub struct RateLimiter {
    per_minute: u32,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    pub fn per_minute(per_minute: u32) -> Self {
        RateLimiter {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one upload from `key`'s bucket, or says how long to wait.
    pub fn take(&self, key: &str) -> Result<(), Duration> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(self.per_minute);
        let rate = capacity / 60.0;
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let (tokens, at) = buckets.entry(key.to_owned()).or_insert((capacity, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * rate).min(capacity);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) / rate))
        }
    }
}

/// Deletes old runs once an hour, keeping each project's newest.
pub async fn retention(store: Arc<dyn Store>, days: u64) {
    let mut every = tokio::time::interval(crate::RETENTION_EVERY);
    loop {
        every.tick().await;
        let cutoff = crate::now() - (days as i64).saturating_mul(86_400);
        match store.prune(cutoff).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, days, "retention: old runs deleted"),
            Err(e) => tracing::warn!(error = %e, "retention: cannot delete old runs"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_empties_and_says_how_long_to_wait() {
        let limiter = RateLimiter::per_minute(2);
        assert!(limiter.take("a").is_ok());
        assert!(limiter.take("a").is_ok());
        let wait = limiter.take("a").unwrap_err();
        assert!(wait > Duration::from_secs(25) && wait <= Duration::from_secs(30));
        // Another token has its own bucket.
        assert!(limiter.take("b").is_ok());
        assert!(RateLimiter::per_minute(0).take("a").is_ok());
    }
}
