//! `rate-limit`: a bounded burst that must be refused with 429, and a
//! `Retry-After` that says truthfully when to come back.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::json;
use tokio::sync::Mutex;

use crate::config::RateLimitProbe;
use crate::context::{Context, Resolved};
use crate::http::{Exchange, Req, client, credential_headers, ms, send};
use crate::observation::Recorder;

struct Burst {
    sent: AtomicU32,
    stop: AtomicBool,
    statuses: Mutex<BTreeMap<String, u32>>,
    /// The first refusal: its position in the burst and the exchange.
    first_refusal: Mutex<Option<(u32, Exchange)>>,
}

pub(crate) async fn run(
    ctx: &Context,
    probe: &RateLimitProbe,
    resolved: &Resolved,
    rec: &mut Recorder,
) -> Result<(), String> {
    if probe.requests == 0 || probe.concurrency == 0 {
        return Err("`requests` and `concurrency` are at least 1".into());
    }
    let client = client(resolved, probe.timeout.get(), false)?;
    let mut req = Req::new(&probe.method, resolved.url.clone())
        .headers(&probe.headers)
        .body(probe.body.as_deref());
    if let Some(credential) = &probe.credential {
        req.headers.extend(credential_headers(ctx, credential)?);
    }
    let burst = Arc::new(Burst {
        sent: AtomicU32::new(0),
        stop: AtomicBool::new(false),
        statuses: Mutex::new(BTreeMap::new()),
        first_refusal: Mutex::new(None),
    });
    let started = Instant::now();
    let deadline = started + probe.within.get();
    let mut workers = Vec::new();
    for _ in 0..probe.concurrency.min(probe.requests) {
        let (burst, client, req) = (burst.clone(), client.clone(), req.clone());
        let limit = probe.requests;
        workers.push(tokio::spawn(async move {
            while !burst.stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                let n = burst.sent.fetch_add(1, Ordering::Relaxed);
                if n >= limit {
                    burst.sent.fetch_sub(1, Ordering::Relaxed);
                    break;
                }
                let exchange = send(&client, &req).await;
                let key = match exchange.status {
                    Some(s) => s.to_string(),
                    None => "no answer".into(),
                };
                *burst.statuses.lock().await.entry(key).or_default() += 1;
                if exchange.status == Some(429) {
                    burst.stop.store(true, Ordering::Relaxed);
                    let mut first = burst.first_refusal.lock().await;
                    if first.as_ref().is_none_or(|(at, _)| n + 1 < *at) {
                        *first = Some((n + 1, exchange));
                    }
                }
            }
        }));
    }
    for worker in workers {
        worker
            .await
            .map_err(|e| format!("a burst worker failed: {e}"))?;
    }
    let elapsed = started.elapsed();
    let sent = burst.sent.load(Ordering::Relaxed);
    let statuses = burst.statuses.lock().await.clone();
    rec.measure("requests_sent", sent);
    rec.measure("burst_ms", ms(elapsed));
    rec.evidence("request", req.evidence());
    rec.evidence("statuses", json!(statuses));
    let summary = statuses
        .iter()
        .map(|(s, n)| format!("{s} x{n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let first = burst.first_refusal.lock().await.take();
    let Some((at, refusal)) = first else {
        let why = if sent < probe.requests {
            format!(
                "no 429 in {sent} requests over {} ms (time bound reached): {summary}",
                ms(elapsed)
            )
        } else {
            format!(
                "no 429 in {sent} requests over {} ms: {summary}",
                ms(elapsed)
            )
        };
        rec.check(
            "refused with 429",
            false,
            format!("a 429 within {} requests", probe.requests),
            why,
        );
        return Ok(());
    };
    rec.measure("first_429_at", at);
    rec.evidence("first_429", refusal.evidence(&req));
    rec.check(
        "refused with 429",
        true,
        format!("a 429 within {} requests", probe.requests),
        format!("first 429 at request {at} ({summary})"),
    );
    let retry_after = refusal.header("retry-after");
    let parsed = retry_after.as_deref().map(parse_retry_after);
    if probe.require_retry_after || retry_after.is_some() {
        let (passed, actual) = match (&retry_after, &parsed) {
            (None, _) => (false, "absent".to_owned()),
            (Some(raw), Some(Ok(wait))) => {
                rec.measure("retry_after_s", wait.as_secs_f64());
                (
                    *wait <= probe.max_retry_after.get(),
                    format!("`{raw}` ({} s)", wait.as_secs_f64()),
                )
            }
            (Some(raw), _) => (
                false,
                format!("`{raw}` is neither seconds nor an HTTP date"),
            ),
        };
        rec.check(
            "Retry-After",
            passed,
            format!("seconds or an HTTP date, at most {}", probe.max_retry_after),
            actual,
        );
    }
    if probe.check_recovery
        && let Some(Ok(wait)) = parsed
        && wait <= probe.max_retry_after.get()
    {
        // A little past the promised instant, so clock granularity on either
        // side does not turn an honest limiter into a failure.
        tokio::time::sleep(wait + Duration::from_millis(250)).await;
        let after = send(&client, &req).await;
        rec.evidence("after_retry_after", after.evidence(&req));
        rec.check(
            "lifted after Retry-After",
            after.status.is_some_and(|s| s != 429),
            "not 429 once Retry-After has passed",
            after.outcome(),
        );
    }
    Ok(())
}

/// `Retry-After` as delta-seconds or an IMF-fixdate (RFC 9110 §10.2.3).
pub(crate) fn parse_retry_after(value: &str) -> Result<Duration, String> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let at = parse_http_date(value).ok_or_else(|| format!("`{value}` is not a Retry-After"))?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    Ok(Duration::from_secs(at.saturating_sub(now)))
}

/// Seconds since the epoch of an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn parse_http_date(text: &str) -> Option<u64> {
    let (_, rest) = text.split_once(", ")?;
    let parts: Vec<&str> = rest.split(' ').collect();
    let [day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let day: u64 = day.parse().ok()?;
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = months.iter().position(|m| m == month)? as u64 + 1;
    let year: i64 = year.parse().ok()?;
    let hms: Vec<u64> = time
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [h, m, s] = hms.as_slice() else {
        return None;
    };
    if !(1..=31).contains(&day) || *h > 23 || *m > 59 || *s > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day)?;
    Some(days * 86_400 + h * 3600 + m * 60 + s)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub(crate) fn days_from_civil(year: i64, month: u64, day: u64) -> Option<u64> {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    u64::try_from(era * 146_097 + doe - 719_468).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after("7").unwrap(), Duration::from_secs(7));
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT").unwrap(),
            Duration::ZERO
        );
        assert!(parse_retry_after("soon").is_err());
        assert!(parse_retry_after("-1").is_err());
    }
}
