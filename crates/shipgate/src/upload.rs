//! `shipgate check --upload URL`: the JSON report, sent to a shipgate
//! server with the project token from SHIPGATE_TOKEN.

use std::time::Duration;

use shipgate_core::ReportView;
use shipgate_report::{Format, NoSources, RenderOptions};

const TOKEN_VARIABLE: &str = "SHIPGATE_TOKEN";

/// The endpoint for a server's base URL; a URL that already names the
/// endpoint is kept.
fn endpoint(url: &str) -> String {
    let base = url.trim_end_matches('/');
    if base.ends_with("/api/v1/runs") {
        base.to_owned()
    } else {
        format!("{base}/api/v1/runs")
    }
}

pub fn upload(report: &dyn ReportView, url: &str) -> Result<(), String> {
    let token = std::env::var(TOKEN_VARIABLE)
        .ok()
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| format!("--upload needs a project token in {TOKEN_VARIABLE}"))?;
    let mut body = Vec::new();
    shipgate_report::render(
        report,
        Format::Json,
        &NoSources,
        &RenderOptions::default(),
        &mut body,
    )
    .map_err(|e| format!("cannot render the report for upload: {e}"))?;
    let endpoint = endpoint(url);
    let (status, answer) =
        shipgate_probe::http::post_json(&endpoint, token.trim(), body, Duration::from_secs(120))
            .map_err(|e| format!("cannot upload to {endpoint}: {e}"))?;
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap_or_default();
    if status != 201 {
        let why = answer["error"].as_str().unwrap_or("no reason given");
        return Err(format!("{endpoint} refused the report ({status}): {why}"));
    }
    let base = endpoint.trim_end_matches("/api/v1/runs");
    eprintln!(
        "uploaded run {} of {} ({}): {base}{}",
        answer["id"],
        answer["project"].as_str().unwrap_or("?"),
        answer["verdict"].as_str().unwrap_or("?"),
        answer["url"].as_str().unwrap_or("")
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_url_gets_the_endpoint() {
        assert_eq!(
            endpoint("http://127.0.0.1:8480"),
            "http://127.0.0.1:8480/api/v1/runs"
        );
        assert_eq!(endpoint("https://h/x/"), "https://h/x/api/v1/runs");
        assert_eq!(endpoint("https://h/api/v1/runs"), "https://h/api/v1/runs");
    }
}
