//! `idempotency`: a request retried with the same key must answer the same
//! and take effect once.

use std::hash::{BuildHasher, RandomState};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::config::{EffectCheck, IdempotencyProbe};
use crate::context::{Context, Resolved};
use crate::http::{Exchange, Req, client, credential_headers, excerpt, send};
use crate::observation::Recorder;

pub(crate) async fn run(
    ctx: &Context,
    probe: &IdempotencyProbe,
    resolved: &Resolved,
    rec: &mut Recorder,
) -> Result<(), String> {
    let key = fresh_key();
    rec.evidence("key", key.clone());
    let client = client(resolved, probe.timeout.get(), false)?;
    let mut auth = Vec::new();
    if let Some(credential) = &probe.credential {
        auth = credential_headers(ctx, credential)?;
    }
    let url = with_key(&resolved.url, &key)?;
    let mut req = Req::new(&probe.method, url)
        .headers(&probe.headers)
        .header(&probe.key_header, &key)
        .body(
            probe
                .body
                .as_ref()
                .map(|b| b.replace("{key}", &key))
                .as_deref(),
        );
    req.headers.extend(auth.iter().cloned());

    let before = match &probe.effect {
        Some(effect) => Some(
            count(
                ctx,
                &client,
                resolved,
                effect,
                &key,
                &auth,
                rec,
                "effect_before",
            )
            .await?,
        ),
        None => None,
    };
    let first = send(&client, &req).await;
    let second = send(&client, &req).await;
    rec.evidence("first", first.evidence(&req));
    rec.evidence("second", second.evidence(&req));
    let (Some(s1), Some(s2)) = (first.status, second.status) else {
        let failed = if first.status.is_none() {
            &first
        } else {
            &second
        };
        rec.check("answers", false, "both requests answered", failed.outcome());
        return Ok(());
    };
    rec.check(
        "first status",
        probe.expect_status.matches(s1),
        probe.expect_status.to_string(),
        s1.to_string(),
    );
    rec.check(
        "same status",
        s1 == s2,
        format!("{s1} again"),
        s2.to_string(),
    );
    let (same, detail) = same_body(&first, &second, &probe.ignore);
    rec.check("same body", same, "the first body again", detail);

    match (&probe.effect, before) {
        (Some(effect), Some(Ok(before))) => {
            match count(
                ctx,
                &client,
                resolved,
                effect,
                &key,
                &auth,
                rec,
                "effect_after",
            )
            .await?
            {
                Ok(after) => {
                    rec.measure("effect_delta", after - before);
                    rec.check(
                        "single effect",
                        after - before == effect.delta,
                        format!("the count grows by {}", effect.delta),
                        format!("{before} -> {after} ({:+})", after - before),
                    );
                }
                Err(e) => {
                    rec.check("single effect", false, "a count after both requests", e);
                }
            }
        }
        (Some(_), Some(Err(e))) => {
            rec.check("single effect", false, "a count before the requests", e);
        }
        _ => {}
    }
    Ok(())
}

/// Asks the follow-up request and reads the count it shows.
#[allow(clippy::too_many_arguments)]
async fn count(
    ctx: &Context,
    client: &reqwest::Client,
    resolved: &Resolved,
    effect: &EffectCheck,
    key: &str,
    auth: &[(String, String)],
    rec: &mut Recorder,
    label: &str,
) -> Result<Result<i64, String>, String> {
    let path = effect.path.replace("{key}", key);
    let url = ctx
        .resolve(None, Some(root(&resolved.url).as_str()), Some(&path))?
        .url;
    let mut req = Req::new(&effect.method, url);
    req.headers.extend(auth.iter().cloned());
    let exchange = send(client, &req).await;
    rec.evidence(label, exchange.evidence(&req));
    let Some(status) = exchange.status else {
        return Ok(Err(format!("the effect request: {}", exchange.outcome())));
    };
    if !(200..300).contains(&status) {
        return Ok(Err(format!("the effect request answered {status}")));
    }
    let value: Value = match serde_json::from_slice(&exchange.body) {
        Ok(v) => v,
        Err(e) => return Ok(Err(format!("the effect body is not JSON: {e}"))),
    };
    let at = match &effect.count {
        Some(pointer) => value.pointer(pointer).cloned(),
        None => Some(value),
    };
    Ok(match at {
        Some(Value::Number(n)) => n.as_i64().ok_or_else(|| format!("{n} is not a count")),
        Some(Value::Array(items)) => Ok(items.len() as i64),
        Some(other) => Err(format!(
            "{} is neither a number nor an array",
            excerpt(other.to_string().as_bytes())
        )),
        None => Err(format!(
            "no value at {}",
            effect.count.as_deref().unwrap_or("")
        )),
    })
}

/// The target's URL without the probe's own path, for the follow-up
/// request's path to start from.
fn root(url: &url::Url) -> url::Url {
    let mut root = url.clone();
    root.set_path("/");
    root.set_query(None);
    root
}

fn with_key(url: &url::Url, key: &str) -> Result<url::Url, String> {
    let text = url.as_str().replace("%7Bkey%7D", key).replace("{key}", key);
    url::Url::parse(&text).map_err(|e| e.to_string())
}

/// A key no earlier run used.
fn fresh_key() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let random = RandomState::new().hash_one(nanos);
    format!("shipgate-{nanos:x}-{random:016x}")
}

/// Whether two bodies are the same, leaving out the ignored JSON pointers.
fn same_body(a: &Exchange, b: &Exchange, ignore: &[String]) -> (bool, String) {
    if !ignore.is_empty()
        && let (Ok(mut ja), Ok(mut jb)) = (
            serde_json::from_slice::<Value>(&a.body),
            serde_json::from_slice::<Value>(&b.body),
        )
    {
        for pointer in ignore {
            remove_pointer(&mut ja, pointer);
            remove_pointer(&mut jb, pointer);
        }
        return if ja == jb {
            (true, "the same, ignoring the listed fields".into())
        } else {
            (
                false,
                format!(
                    "{} vs {}",
                    excerpt(ja.to_string().as_bytes()),
                    excerpt(jb.to_string().as_bytes())
                ),
            )
        };
    }
    if a.body == b.body {
        (true, "the same".into())
    } else {
        (
            false,
            format!("{} vs {}", excerpt(&a.body), excerpt(&b.body)),
        )
    }
}

fn remove_pointer(value: &mut Value, pointer: &str) {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return;
    };
    let last = last.replace("~1", "/").replace("~0", "~");
    match value.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.remove(&last);
        }
        Some(Value::Array(items)) => {
            if let Ok(i) = last.parse::<usize>()
                && i < items.len()
            {
                items[i] = Value::Null;
            }
        }
        _ => {}
    }
}
