//! `load`: an open-model load generator.
//!
//! Request `i` is due at `start + i / rate`, whatever happened to the
//! requests before it. Each connection takes the next due request when it is
//! free, so when the server stalls, due requests wait, and the wait is part
//! of their latency: latency runs from the scheduled start, not from the
//! moment a connection got round to sending. A closed-loop generator (wrk,
//! ab) would instead send less during a stall and report only the few slow
//! requests it did send — coordinated omission.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Serializer as _, V2DeflateSerializer};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::TcpStream;

use crate::config::{LoadProbe, StatusSpec};
use crate::context::{Context, Resolved, display_url};
use crate::http::{client_config, credential_headers, ms};
use crate::observation::Recorder;

const NEVER_SENT: &str = "due but never sent before the deadline";
const UNFINISHED: &str = "unanswered at the deadline";

/// Latencies are recorded in microseconds, up to an hour, to three
/// significant digits.
const HIGHEST_US: u64 = 3_600_000_000;

/// What to send, how fast, and for how long.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    pub method: String,
    pub url: url::Url,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub ca_file: Option<String>,
    /// Requests per second; `None` sends as fast as the connections allow
    /// (a closed loop, for measuring saturation throughput only).
    pub rate: Option<f64>,
    pub duration: Duration,
    pub max_requests: u64,
    pub connections: u32,
    /// How long requests still running after `duration` may take.
    pub grace: Duration,
    pub expect_status: StatusSpec,
}

/// What the generator measured.
#[derive(Debug, Clone)]
pub struct LoadResult {
    /// Latency from the scheduled start, in microseconds, of every request
    /// due, unfinished ones included at the time they had waited.
    pub latency_us: Histogram<u64>,
    /// How late the generator woke for requests a free connection waited
    /// for: its own timer's imprecision, which the server is not to blame
    /// for, unlike a wait for a busy connection, which it is.
    pub lag_us: Histogram<u64>,
    pub planned: u64,
    pub sent: u64,
    pub completed: u64,
    pub errors: u64,
    pub unfinished: u64,
    pub statuses: BTreeMap<u16, u64>,
    pub failures: BTreeMap<String, u64>,
    pub elapsed: Duration,
    pub bytes: u64,
}

impl LoadResult {
    pub fn error_rate(&self) -> f64 {
        if self.planned == 0 {
            0.0
        } else {
            self.errors as f64 / self.planned as f64
        }
    }

    /// Answers that came back per second of the run.
    pub fn throughput(&self) -> f64 {
        self.completed as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn percentile_ms(&self, q: f64) -> f64 {
        self.latency_us.value_at_quantile(q) as f64 / 1000.0
    }
}

struct Worker {
    latency: Histogram<u64>,
    lag: Histogram<u64>,
    sent: u64,
    completed: u64,
    errors: u64,
    statuses: BTreeMap<u16, u64>,
    failures: BTreeMap<String, u64>,
    bytes: u64,
    /// Requests due that were not answered by the deadline, sent or not.
    unfinished: u64,
    /// Due requests this worker took, whatever became of them.
    taken: u64,
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIGHEST_US, 3).expect("static bounds are valid")
}

enum Connector {
    Plain,
    Tls(
        tokio_rustls::TlsConnector,
        rustls::pki_types::ServerName<'static>,
    ),
}

impl Connector {
    async fn connect(&self, addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>, String> {
        let tcp = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let _ = tcp.set_nodelay(true);
        match self {
            Connector::Plain => handshake(tcp).await,
            Connector::Tls(connector, name) => {
                let tls = connector
                    .connect(name.clone(), tcp)
                    .await
                    .map_err(|e| format!("TLS: {e}"))?;
                handshake(tls).await
            }
        }
    }
}

async fn handshake<T>(io: T) -> Result<SendRequest<Full<Bytes>>, String>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| format!("HTTP handshake: {e}"))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

/// Runs the plan and measures it. Bounded by `duration + grace` in time and
/// by `max_requests` in count.
pub async fn generate(plan: &LoadPlan) -> Result<LoadResult, String> {
    let connections = plan.connections.max(1);
    let planned = match plan.rate {
        Some(rate) if !(rate > 0.0 && rate.is_finite()) => {
            return Err(format!("`rate` must be a positive number, not {rate}"));
        }
        Some(rate) => ((rate * plan.duration.as_secs_f64()).floor() as u64).min(plan.max_requests),
        None => plan.max_requests,
    };
    let interval = plan.rate.map(|r| Duration::from_secs_f64(1.0 / r));
    let addr = *plan
        .url
        .socket_addrs(|| None)
        .map_err(|e| format!("cannot resolve {}: {e}", display_url(&plan.url)))?
        .first()
        .ok_or_else(|| format!("{} has no address", display_url(&plan.url)))?;
    let connector = Arc::new(match plan.url.scheme() {
        "http" => Connector::Plain,
        "https" => {
            let mut config = client_config(plan.ca_file.as_deref())?;
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            let host = plan
                .url
                .host_str()
                .unwrap_or_default()
                .trim_start_matches('[')
                .trim_end_matches(']');
            let name = rustls::pki_types::ServerName::try_from(host.to_owned())
                .map_err(|_| format!("`{host}` is not a host name"))?;
            Connector::Tls(tokio_rustls::TlsConnector::from(Arc::new(config)), name)
        }
        other => {
            return Err(format!(
                "the load generator speaks http and https, not {other}"
            ));
        }
    });
    let method = hyper::Method::from_bytes(plan.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| format!("`{}` is not an HTTP method", plan.method))?;
    let path = match plan.url.query() {
        Some(q) => format!("{}?{q}", plan.url.path()),
        None => plan.url.path().to_owned(),
    };
    let uri: hyper::Uri = path.parse().map_err(|e| format!("`{path}`: {e}"))?;
    let mut headers = HeaderMap::new();
    let authority = match plan.url.port() {
        Some(port) => format!("{}:{port}", plan.url.host_str().unwrap_or_default()),
        None => plan.url.host_str().unwrap_or_default().to_owned(),
    };
    headers.insert(
        hyper::header::HOST,
        HeaderValue::try_from(authority).map_err(|e| e.to_string())?,
    );
    headers.insert(
        hyper::header::USER_AGENT,
        HeaderValue::from_static(concat!("shipgate-probe/", env!("CARGO_PKG_VERSION"))),
    );
    for (k, v) in &plan.headers {
        let name =
            HeaderName::try_from(k.as_str()).map_err(|_| format!("`{k}` is not a header name"))?;
        let value = HeaderValue::try_from(v.as_str())
            .map_err(|_| format!("the header `{k}` has an invalid value"))?;
        headers.append(name, value);
    }
    let body = Bytes::from(plan.body.clone().unwrap_or_default());

    // Every connection is open before the clock starts, so the first
    // requests do not pay for connection setup the rest never see.
    let mut senders = Vec::with_capacity(connections as usize);
    for _ in 0..connections.min(planned.max(1) as u32) {
        senders.push(Some(
            connector
                .connect(addr)
                .await
                .map_err(|e| format!("{}: {e}", display_url(&plan.url)))?,
        ));
    }

    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now() + Duration::from_millis(5);
    let end_of_schedule = start + plan.duration;
    let hard_deadline = end_of_schedule + plan.grace;
    let mut tasks = Vec::with_capacity(senders.len());
    for sender in senders {
        let (next, connector, method, uri, headers, body) = (
            next.clone(),
            connector.clone(),
            method.clone(),
            uri.clone(),
            headers.clone(),
            body.clone(),
        );
        let expect = plan.expect_status.clone();
        tasks.push(tokio::spawn(async move {
            let mut w = Worker {
                latency: histogram(),
                lag: histogram(),
                sent: 0,
                completed: 0,
                errors: 0,
                statuses: BTreeMap::new(),
                failures: BTreeMap::new(),
                bytes: 0,
                unfinished: 0,
                taken: 0,
            };
            let mut sender = sender;
            // One timer for the whole run rather than one per request, which
            // at tens of thousands of requests a second is the generator's
            // largest cost.
            let deadline = tokio::time::sleep_until(hard_deadline.into());
            tokio::pin!(deadline);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= planned {
                    break;
                }
                let scheduled = match interval {
                    Some(interval) => start + interval.mul_f64(i as f64),
                    None => Instant::now(),
                };
                if interval.is_none() && scheduled >= end_of_schedule {
                    break;
                }
                w.taken += 1;
                let early = scheduled > Instant::now();
                if early {
                    tokio::time::sleep_until(scheduled.into()).await;
                }
                let now = Instant::now();
                if now >= hard_deadline {
                    w.latency.saturating_record(
                        hard_deadline
                            .saturating_duration_since(scheduled)
                            .as_micros() as u64,
                    );
                    w.errors += 1;
                    w.unfinished += 1;
                    *w.failures.entry(NEVER_SENT.into()).or_default() += 1;
                    break;
                }
                if early {
                    w.lag.saturating_record(
                        now.saturating_duration_since(scheduled).as_micros() as u64
                    );
                }
                if sender.as_ref().is_none_or(|s| s.is_closed()) {
                    sender = match connector.connect(addr).await {
                        Ok(s) => Some(s),
                        Err(e) => {
                            w.errors += 1;
                            *w.failures.entry(e).or_default() += 1;
                            w.latency.saturating_record(
                                Instant::now()
                                    .saturating_duration_since(scheduled)
                                    .as_micros() as u64,
                            );
                            continue;
                        }
                    };
                }
                let Some(s) = sender.as_mut() else { continue };
                let mut request = hyper::Request::new(Full::new(body.clone()));
                *request.method_mut() = method.clone();
                *request.uri_mut() = uri.clone();
                *request.headers_mut() = headers.clone();
                w.sent += 1;
                let exchange = async {
                    s.ready().await.map_err(|e| format!("connection: {e}"))?;
                    let response = s
                        .send_request(request)
                        .await
                        .map_err(|e| format!("request: {e}"))?;
                    let status = response.status().as_u16();
                    let body = response
                        .into_body()
                        .collect()
                        .await
                        .map_err(|e| format!("body: {e}"))?;
                    Ok::<_, String>((status, body.to_bytes().len() as u64))
                };
                let outcome = tokio::select! {
                    biased;
                    r = exchange => Ok(r),
                    _ = &mut deadline => Err(()),
                };
                match outcome {
                    Ok(Ok((status, bytes))) => {
                        let done = Instant::now();
                        w.latency.saturating_record(
                            done.saturating_duration_since(scheduled).as_micros() as u64,
                        );
                        w.completed += 1;
                        w.bytes += bytes;
                        *w.statuses.entry(status).or_default() += 1;
                        if !expect.matches(status) {
                            w.errors += 1;
                        }
                    }
                    Ok(Err(e)) => {
                        w.latency.saturating_record(
                            Instant::now()
                                .saturating_duration_since(scheduled)
                                .as_micros() as u64,
                        );
                        w.errors += 1;
                        *w.failures.entry(e).or_default() += 1;
                        sender = None;
                    }
                    Err(_) => {
                        w.unfinished += 1;
                        w.latency.saturating_record(
                            hard_deadline
                                .saturating_duration_since(scheduled)
                                .as_micros() as u64,
                        );
                        w.errors += 1;
                        *w.failures.entry(UNFINISHED.into()).or_default() += 1;
                        break;
                    }
                }
            }
            w
        }));
    }
    let mut result = LoadResult {
        latency_us: histogram(),
        lag_us: histogram(),
        planned,
        sent: 0,
        completed: 0,
        errors: 0,
        unfinished: 0,
        statuses: BTreeMap::new(),
        failures: BTreeMap::new(),
        elapsed: Duration::ZERO,
        bytes: 0,
    };
    let mut taken = 0;
    for task in tasks {
        let w = task
            .await
            .map_err(|e| format!("a load worker failed: {e}"))?;
        result
            .latency_us
            .add(&w.latency)
            .map_err(|e| e.to_string())?;
        result.lag_us.add(&w.lag).map_err(|e| e.to_string())?;
        result.sent += w.sent;
        result.completed += w.completed;
        result.errors += w.errors;
        result.bytes += w.bytes;
        result.unfinished += w.unfinished;
        taken += w.taken;
        for (s, n) in w.statuses {
            *result.statuses.entry(s).or_default() += n;
        }
        for (f, n) in w.failures {
            *result.failures.entry(f).or_default() += n;
        }
    }
    result.elapsed = Instant::now().saturating_duration_since(start);
    match interval {
        None => result.planned = taken,
        Some(interval) => {
            // The requests due that no connection took before the deadline
            // are the last ones: they waited until the deadline at least,
            // and that wait belongs in the distribution.
            let untaken = planned.saturating_sub(taken);
            for i in taken..planned {
                let scheduled = start + interval.mul_f64(i as f64);
                result.latency_us.saturating_record(
                    hard_deadline
                        .saturating_duration_since(scheduled)
                        .as_micros() as u64,
                );
            }
            if untaken > 0 {
                *result.failures.entry(NEVER_SENT.into()).or_default() += untaken;
            }
            result.errors += untaken;
            result.unfinished += untaken;
        }
    }
    Ok(result)
}

pub(crate) async fn run(
    ctx: &Context,
    probe: &LoadProbe,
    resolved: &Resolved,
    rec: &mut Recorder,
) -> Result<(), String> {
    if !(0.0..=1.0).contains(&probe.max_error_rate) {
        return Err("`max-error-rate` is a share between 0 and 1".into());
    }
    let mut headers: Vec<(String, String)> = probe
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if let Some(credential) = &probe.credential {
        headers.extend(credential_headers(ctx, credential)?);
    }
    let plan = LoadPlan {
        method: probe.method.clone(),
        url: resolved.url.clone(),
        headers,
        body: probe.body.clone(),
        ca_file: resolved.ca_file.clone(),
        rate: Some(probe.rate),
        duration: probe.duration.get(),
        max_requests: probe.max_requests,
        connections: probe.connections,
        grace: probe.timeout.get(),
        expect_status: probe.expect_status.clone(),
    };
    let result = match generate(&plan).await {
        Ok(r) => r,
        Err(e) => {
            rec.check("load", false, "a load run", e);
            return Ok(());
        }
    };
    record(probe, &result, rec);
    Ok(())
}

fn record(probe: &LoadProbe, r: &LoadResult, rec: &mut Recorder) {
    let h = &r.latency_us;
    rec.measure("requests_planned", r.planned);
    rec.measure("requests_sent", r.sent);
    rec.measure("requests_completed", r.completed);
    rec.measure("errors", r.errors);
    rec.measure("error_rate", round6(r.error_rate()));
    rec.measure("throughput_rps", round3(r.throughput()));
    rec.measure("target_rate_rps", probe.rate);
    rec.measure("elapsed_ms", ms(r.elapsed));
    for (key, q) in [("p50_ms", 0.5), ("p95_ms", 0.95), ("p99_ms", 0.99)] {
        rec.measure(key, r.percentile_ms(q));
    }
    rec.measure("max_ms", h.max() as f64 / 1000.0);
    rec.measure("mean_ms", round3(h.mean() / 1000.0));
    rec.measure(
        "schedule_lag_p99_ms",
        r.lag_us.value_at_quantile(0.99) as f64 / 1000.0,
    );

    for (name, q, bound) in [
        ("p50", 0.5, probe.p50),
        ("p95", 0.95, probe.p95),
        ("p99", 0.99, probe.p99),
        ("max", 1.0, probe.max),
    ] {
        if let Some(bound) = bound {
            let value = if q >= 1.0 {
                h.max() as f64 / 1000.0
            } else {
                r.percentile_ms(q)
            };
            rec.check(
                format!("{name} latency"),
                value <= bound.get().as_secs_f64() * 1000.0,
                format!("at most {bound}"),
                format!("{value} ms"),
            );
        }
    }
    let rate = r.error_rate();
    rec.check(
        "error rate",
        rate <= probe.max_error_rate,
        format!("at most {}", probe.max_error_rate),
        format!("{} ({} of {})", round6(rate), r.errors, r.planned),
    );

    let mut serialized = Vec::new();
    let encoded = match V2DeflateSerializer::new().serialize(h, &mut serialized) {
        Ok(_) => base64::engine::general_purpose::STANDARD.encode(&serialized),
        Err(e) => format!("not serialized: {e:?}"),
    };
    let percentiles: Vec<serde_json::Value> = [0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 0.9999, 1.0]
        .iter()
        .map(|q| json!({"quantile": q, "ms": h.value_at_quantile(*q) as f64 / 1000.0}))
        .collect();
    rec.evidence(
        "latency",
        json!({
            "measured_from": "each request's scheduled start",
            "unit": "microseconds",
            "count": h.len(),
            "percentiles": percentiles,
            "hdr_histogram_v2_deflate_base64": encoded,
        }),
    );
    rec.evidence("statuses", json!(r.statuses));
    if !r.failures.is_empty() {
        rec.evidence("failures", json!(r.failures));
    }
}

fn round3(x: f64) -> f64 {
    (x * 1e3).round() / 1e3
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}
