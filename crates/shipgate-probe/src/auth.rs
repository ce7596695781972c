//! `auth`: the access matrix of endpoints by roles, each cell an expected
//! status.

use serde_json::{Value, json};

use crate::config::AuthProbe;
use crate::context::{Context, Resolved};
use crate::http::{Req, client, credential_headers, send};
use crate::observation::Recorder;

/// The role that sends no credential at all.
pub const ANONYMOUS: &str = "none";

pub(crate) async fn run(
    ctx: &Context,
    probe: &AuthProbe,
    resolved: &Resolved,
    rec: &mut Recorder,
) -> Result<(), String> {
    if probe.credentials.contains_key(ANONYMOUS) {
        return Err(format!(
            "`{ANONYMOUS}` is the role without a credential; name the credential otherwise"
        ));
    }
    if probe.endpoints.is_empty() {
        return Err("an auth probe needs at least one endpoint".into());
    }
    let mut roles: Vec<(&str, Vec<(String, String)>)> = vec![(ANONYMOUS, Vec::new())];
    for (name, credential) in &probe.credentials {
        let headers =
            credential_headers(ctx, credential).map_err(|e| format!("credential `{name}`: {e}"))?;
        roles.push((name, headers));
    }
    for endpoint in &probe.endpoints {
        for (role, _) in &roles {
            if !endpoint.expect.contains_key(*role) {
                return Err(format!(
                    "{} {}: no expected status for the role `{role}`; every role is listed so none goes unchecked",
                    endpoint.method, endpoint.path
                ));
            }
        }
        for role in endpoint.expect.keys() {
            if !roles.iter().any(|(r, _)| r == role) {
                return Err(format!(
                    "{} {}: `{role}` is neither `{ANONYMOUS}` nor a declared credential",
                    endpoint.method, endpoint.path
                ));
            }
        }
    }
    let client = client(resolved, probe.timeout.get(), false)?;
    // Every cell in one line each; the full exchange only where the answer
    // was wrong, which is the evidence someone will want to read.
    let mut matrix: Vec<Value> = Vec::new();
    let mut mismatches: Vec<Value> = Vec::new();
    for endpoint in &probe.endpoints {
        let url = ctx
            .resolve(None, Some(resolved.url.as_str()), Some(&endpoint.path))?
            .url;
        for (role, headers) in &roles {
            let expected = &endpoint.expect[*role];
            let mut req = Req::new(&endpoint.method, url.clone())
                .headers(&endpoint.headers)
                .body(endpoint.body.as_deref());
            req.headers.extend(headers.iter().cloned());
            let exchange = send(&client, &req).await;
            let passed = exchange.status.is_some_and(|s| expected.matches(s));
            rec.check(
                format!("{} {} as {role}", req.method, endpoint.path),
                passed,
                expected.to_string(),
                exchange.outcome(),
            );
            matrix.push(json!(format!(
                "{} {} as {role}: expected {expected}, got {}{}",
                req.method,
                endpoint.path,
                exchange.outcome(),
                if passed { "" } else { "  <- wrong" }
            )));
            if !passed {
                let mut cell = exchange.evidence(&req);
                cell["role"] = json!(role);
                cell["expected"] = json!(expected.to_string());
                mismatches.push(cell);
            }
        }
    }
    rec.measure("requests", matrix.len());
    rec.measure("mismatches", mismatches.len());
    rec.evidence("matrix", Value::Array(matrix));
    if !mismatches.is_empty() {
        rec.evidence("mismatches", Value::Array(mismatches));
    }
    Ok(())
}
