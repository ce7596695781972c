//! Requests as the checks make them, with the exchange kept as evidence,
//! and the `http` probe.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use serde_json::{Value, json};

use crate::config::{Credential, HttpProbe};
use crate::context::{Context, REDACTED, Resolved};
use crate::observation::Recorder;

/// The one crypto provider of the whole crate.
pub(crate) fn crypto() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The public web roots, plus the certificates of `ca_file` when given.
pub(crate) fn roots(ca_file: Option<&str>) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(path) = ca_file {
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| format!("cannot read the CA file {path}: {e}"))?;
        let mut added = 0;
        for cert in certs {
            let cert = cert.map_err(|e| format!("the CA file {path}: {e}"))?;
            roots
                .add(cert)
                .map_err(|e| format!("the CA file {path}: {e}"))?;
            added += 1;
        }
        if added == 0 {
            return Err(format!("the CA file {path} holds no certificate"));
        }
    }
    Ok(roots)
}

pub(crate) fn client_config(ca_file: Option<&str>) -> Result<rustls::ClientConfig, String> {
    Ok(rustls::ClientConfig::builder_with_provider(crypto())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots(ca_file)?)
        .with_no_client_auth())
}

/// A client for one probe. Proxies are never used: a probe judges the
/// service, not the path to it through a proxy of the machine it runs on.
pub(crate) fn client(
    resolved: &Resolved,
    timeout: Duration,
    follow_redirects: bool,
) -> Result<reqwest::Client, String> {
    let policy = if follow_redirects {
        reqwest::redirect::Policy::limited(10)
    } else {
        reqwest::redirect::Policy::none()
    };
    reqwest::Client::builder()
        .use_preconfigured_tls(client_config(resolved.ca_file.as_deref())?)
        .no_proxy()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(policy)
        .user_agent(concat!("shipgate-probe/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {}", error_chain(&e)))
}

/// One request to send.
#[derive(Debug, Clone)]
pub(crate) struct Req {
    pub method: String,
    pub url: url::Url,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

impl Req {
    pub fn new(method: &str, url: url::Url) -> Self {
        Req {
            method: method.to_ascii_uppercase(),
            url,
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn headers<'a>(
        mut self,
        headers: impl IntoIterator<Item = (&'a String, &'a String)>,
    ) -> Self {
        for (k, v) in headers {
            self.headers.push((k.clone(), v.clone()));
        }
        self
    }

    pub fn body(mut self, body: Option<&str>) -> Self {
        self.body = body.map(str::to_owned);
        self
    }

    pub fn evidence(&self) -> Value {
        let headers: serde_json::Map<String, Value> = self
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(shown_header(k, v))))
            .collect();
        let mut out = json!({
            "method": self.method,
            "url": crate::context::display_url(&self.url),
        });
        if !headers.is_empty() {
            out["headers"] = Value::Object(headers);
        }
        if let Some(body) = &self.body {
            out["body"] = Value::String(excerpt(body.as_bytes()));
        }
        out
    }
}

/// What came back, or why nothing did.
#[derive(Debug)]
pub(crate) struct Exchange {
    pub status: Option<u16>,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub latency: Duration,
    pub error: Option<String>,
}

impl Exchange {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    }

    pub fn header_all(&self, name: &str) -> Vec<String> {
        self.headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The status, or the error, as one short string.
    pub fn outcome(&self) -> String {
        match (self.status, &self.error) {
            (Some(status), _) => status.to_string(),
            (None, Some(e)) => format!("no answer: {e}"),
            (None, None) => "no answer".into(),
        }
    }

    pub fn evidence(&self, req: &Req) -> Value {
        let mut out = json!({
            "request": req.evidence(),
            "latency_ms": ms(self.latency),
        });
        if let Some(status) = self.status {
            let headers: serde_json::Map<String, Value> =
                self.headers
                    .iter()
                    .fold(serde_json::Map::new(), |mut map, (k, v)| {
                        let value =
                            shown_header(k.as_str(), &String::from_utf8_lossy(v.as_bytes()));
                        match map.get_mut(k.as_str()) {
                            Some(Value::Array(values)) => values.push(Value::String(value)),
                            Some(existing) => {
                                let first = existing.take();
                                *existing = Value::Array(vec![first, Value::String(value)]);
                            }
                            None => {
                                map.insert(k.as_str().to_owned(), Value::String(value));
                            }
                        }
                        map
                    });
            out["response"] = json!({
                "status": status,
                "headers": headers,
                "body": excerpt(&self.body),
                "body_bytes": self.body.len(),
            });
        }
        if let Some(e) = &self.error {
            out["error"] = Value::String(e.clone());
        }
        out
    }
}

pub(crate) async fn send(client: &reqwest::Client, req: &Req) -> Exchange {
    let started = Instant::now();
    let failed = |error: String, started: Instant| Exchange {
        status: None,
        headers: HeaderMap::new(),
        body: Vec::new(),
        latency: started.elapsed(),
        error: Some(error),
    };
    let method = match reqwest::Method::from_bytes(req.method.as_bytes()) {
        Ok(m) => m,
        Err(_) => return failed(format!("`{}` is not an HTTP method", req.method), started),
    };
    let mut headers = HeaderMap::new();
    for (k, v) in &req.headers {
        let (Ok(name), Ok(value)) = (HeaderName::try_from(k.as_str()), HeaderValue::try_from(v))
        else {
            return failed(format!("`{k}` is not a valid header"), started);
        };
        headers.append(name, value);
    }
    let mut builder = client.request(method, req.url.clone()).headers(headers);
    if let Some(body) = &req.body {
        builder = builder.body(body.clone());
    }
    match builder.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            match response.bytes().await {
                Ok(body) => Exchange {
                    status: Some(status),
                    headers,
                    body: body.to_vec(),
                    latency: started.elapsed(),
                    error: None,
                },
                Err(e) => Exchange {
                    status: Some(status),
                    headers,
                    body: Vec::new(),
                    latency: started.elapsed(),
                    error: Some(format!("the body did not arrive: {}", error_chain(&e))),
                },
            }
        }
        Err(e) => failed(error_chain(&e), started),
    }
}

/// The headers that present a credential.
pub(crate) fn credential_headers(
    ctx: &Context,
    credential: &Credential,
) -> Result<Vec<(String, String)>, String> {
    let forms = [
        credential.bearer_env.is_some(),
        credential.header.is_some() || credential.value_env.is_some(),
        credential.basic_user.is_some() || credential.password_env.is_some(),
    ];
    if forms.iter().filter(|f| **f).count() != 1 {
        return Err(
            "a credential is exactly one of `bearer-env`, `header` with `value-env`, or `basic-user` with `password-env`"
                .into(),
        );
    }
    if let Some(var) = &credential.bearer_env {
        let token = ctx.secret(var)?;
        return Ok(vec![("Authorization".into(), format!("Bearer {token}"))]);
    }
    if let Some(header) = &credential.header {
        let Some(var) = &credential.value_env else {
            return Err(format!(
                "the credential header `{header}` needs `value-env`"
            ));
        };
        return Ok(vec![(header.clone(), ctx.secret(var)?)]);
    }
    let (Some(user), Some(var)) = (&credential.basic_user, &credential.password_env) else {
        return Err("basic authentication needs both `basic-user` and `password-env`".into());
    };
    use base64::Engine as _;
    let password = ctx.secret(var)?;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    ctx.remember(&encoded);
    Ok(vec![("Authorization".into(), format!("Basic {encoded}"))])
}

/// Headers whose values are credentials whatever their content.
fn is_secret_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    matches!(
        name.as_str(),
        "authorization"
            | "proxy-authorization"
            | "cookie"
            | "x-api-key"
            | "api-key"
            | "x-auth-token"
    ) || name.contains("token")
        || name.contains("secret")
        || name.contains("password")
}

/// A header's value as a report may show it.
fn shown_header(name: &str, value: &str) -> String {
    if name.eq_ignore_ascii_case("set-cookie") {
        // The attributes are the evidence; the value is a session.
        return match value.split_once('=') {
            Some((cookie, rest)) => {
                let attributes = rest.find(';').map(|i| &rest[i..]).unwrap_or("");
                format!("{cookie}={REDACTED}{attributes}")
            }
            None => value.to_owned(),
        };
    }
    if is_secret_header(name) {
        return match value.split_once(' ') {
            Some((scheme, _)) if !scheme.is_empty() && scheme.len() < 16 => {
                format!("{scheme} {REDACTED}")
            }
            _ => REDACTED.into(),
        };
    }
    value.to_owned()
}

const EXCERPT_BYTES: usize = 2048;

/// The start of a body, as text.
pub(crate) fn excerpt(body: &[u8]) -> String {
    if body.len() <= EXCERPT_BYTES {
        return String::from_utf8_lossy(body).into_owned();
    }
    let mut cut = EXCERPT_BYTES;
    while cut > 0 && (body[cut] & 0b1100_0000) == 0b1000_0000 {
        cut -= 1;
    }
    format!(
        "{}… ({} more bytes)",
        String::from_utf8_lossy(&body[..cut]),
        body.len() - cut
    )
}

pub(crate) fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// An error and its causes, which is where the useful words are
/// ("connection refused", "certificate expired").
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    parts.join(": ")
}

/// The value at a JSON pointer of a body, if the body is JSON.
pub(crate) fn json_at(body: &[u8], pointer: &str) -> Result<Option<Value>, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    Ok(value.pointer(pointer).cloned())
}

pub(crate) async fn run(
    ctx: &Context,
    probe: &HttpProbe,
    resolved: &Resolved,
    rec: &mut Recorder,
) -> Result<(), String> {
    let regex = probe
        .body_regex
        .as_deref()
        .map(|r| regex::Regex::new(r).map_err(|e| format!("`body-regex`: {e}")))
        .transpose()?;
    let mut required = Vec::new();
    for spec in &probe.require_headers {
        let (name, pattern) = match spec.split_once(':') {
            Some((name, pattern)) => {
                let re = regex::Regex::new(pattern.trim())
                    .map_err(|e| format!("`require-headers` `{spec}`: {e}"))?;
                (name.trim().to_owned(), Some(re))
            }
            None => (spec.trim().to_owned(), None),
        };
        required.push((name, pattern));
    }
    let client = client(resolved, probe.timeout.get(), probe.follow_redirects)?;
    let mut req = Req::new(&probe.method, resolved.url.clone())
        .headers(&probe.headers)
        .body(probe.body.as_deref());
    if let Some(credential) = &probe.credential {
        req.headers.extend(credential_headers(ctx, credential)?);
    }
    let exchange = send(&client, &req).await;
    rec.evidence("exchange", exchange.evidence(&req));
    rec.measure("latency_ms", ms(exchange.latency));
    let Some(status) = exchange.status else {
        rec.check(
            "answer",
            false,
            format!("status {}", probe.expect_status),
            exchange.outcome(),
        );
        return Ok(());
    };
    rec.measure("status", status);
    rec.measure("body_bytes", exchange.body.len());
    rec.check(
        "status",
        probe.expect_status.matches(status),
        probe.expect_status.to_string(),
        status.to_string(),
    );
    if let Some(error) = &exchange.error {
        rec.check("body", false, "a complete body", error.clone());
    }
    if let Some(max) = probe.max_latency {
        rec.check(
            "latency",
            exchange.latency <= max.get(),
            format!("at most {max}"),
            format!("{} ms", ms(exchange.latency)),
        );
    }
    for expectation in &probe.body_json {
        let name = format!("body {}", expectation.pointer);
        let expected = match &expectation.equals {
            Some(v) => format!("= {v}"),
            None => "present".into(),
        };
        match json_at(&exchange.body, &expectation.pointer) {
            Ok(Some(found)) => {
                let passed = expectation
                    .equals
                    .as_ref()
                    .is_none_or(|want| json_equal(want, &found));
                rec.check(name, passed, expected, found.to_string());
            }
            Ok(None) => {
                rec.check(name, false, expected, "absent");
            }
            Err(e) => {
                rec.check(name, false, expected, e);
            }
        }
    }
    if let Some(re) = &regex {
        let text = exchange.text();
        rec.check(
            "body matches",
            re.is_match(&text),
            format!("/{}/", re.as_str()),
            excerpt(text.as_bytes())
                .chars()
                .take(200)
                .collect::<String>(),
        );
    }
    for (name, pattern) in &required {
        let values = exchange.header_all(name);
        let (passed, expected) = match pattern {
            Some(re) => (
                values.iter().any(|v| re.is_match(v)),
                format!("{name} matching /{}/", re.as_str()),
            ),
            None => (!values.is_empty(), format!("{name} present")),
        };
        let actual = if values.is_empty() {
            "absent".into()
        } else {
            values
                .iter()
                .map(|v| shown_header(name, v))
                .collect::<Vec<_>>()
                .join(", ")
        };
        rec.check(format!("header {name}"), passed, expected, actual);
    }
    Ok(())
}

/// TOML integers and floats compare by value with JSON numbers.
fn json_equal(want: &Value, found: &Value) -> bool {
    match (want, found) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => want == found,
    }
}

/// Posts a JSON document with a bearer token, on a runtime of its own and
/// with the TLS setup of the probes, and returns the answer's status and
/// body. What `shipgate check --upload` sends its report with.
pub fn post_json(
    url: &str,
    token: &str,
    body: Vec<u8>,
    timeout: Duration,
) -> Result<(u16, String), String> {
    let client = reqwest::Client::builder()
        .use_preconfigured_tls(client_config(None)?)
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("shipgate/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {}", error_chain(&e)))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the HTTP runtime: {e}"))?;
    runtime.block_on(async {
        let response = client
            .post(url)
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| error_chain(&e))?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(|e| error_chain(&e))?;
        Ok((status, text))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_headers_and_cookie_values_are_never_shown() {
        assert_eq!(
            shown_header("Authorization", "Bearer abc.def"),
            "Bearer [redacted]"
        );
        assert_eq!(shown_header("X-Api-Key", "k-123456"), "[redacted]");
        assert_eq!(
            shown_header("Set-Cookie", "sid=abc123; Path=/; Secure; HttpOnly"),
            "sid=[redacted]; Path=/; Secure; HttpOnly"
        );
        assert_eq!(shown_header("Content-Type", "text/plain"), "text/plain");
    }

    #[test]
    fn long_bodies_are_cut_on_a_character() {
        let body = "é".repeat(2000);
        let cut = excerpt(body.as_bytes());
        assert!(cut.ends_with("more bytes)"), "{cut}");
        assert!(!cut.contains('\u{FFFD}'));
    }
}
