//! `headers`: the security headers of an answer, each judged and weighted
//! into a score out of 100, graded like the MDN HTTP Observatory does.
//!
//! The weights are this crate's own; docs/probes.md lists them. A check's
//! penalty reflects how directly its absence exposes users: a credentialed
//! wildcard CORS policy or a cookie readable over plain HTTP costs more than
//! a missing `nosniff`.

use serde_json::json;

use crate::config::HeadersProbe;
use crate::context::{Context, Resolved};
use crate::http::{Exchange, Req, client, credential_headers, send};
use crate::observation::Recorder;

const ONE_YEAR: u64 = 31_536_000;

/// One judged header: passed, the score it adds (negative for a penalty),
/// what it should be and what it is.
#[derive(Debug, Clone, PartialEq)]
pub struct HeaderCheck {
    pub id: &'static str,
    pub passed: bool,
    pub modifier: i32,
    pub expected: String,
    pub actual: String,
}

pub(crate) async fn run(
    ctx: &Context,
    probe: &HeadersProbe,
    resolved: &Resolved,
    rec: &mut Recorder,
) -> Result<(), String> {
    for id in &probe.allow {
        if !CHECK_IDS.contains(&id.as_str()) {
            return Err(format!(
                "`allow`: no header check `{id}`; the checks are {}",
                CHECK_IDS.join(", ")
            ));
        }
    }
    let client = client(resolved, probe.timeout.get(), false)?;
    let mut req = Req::new("GET", resolved.url.clone()).header("Origin", &probe.origin);
    if let Some(credential) = &probe.credential {
        req.headers.extend(credential_headers(ctx, credential)?);
    }
    let exchange = send(&client, &req).await;
    rec.evidence("exchange", exchange.evidence(&req));
    if exchange.status.is_none() {
        rec.check("answer", false, "an HTTP answer", exchange.outcome());
        return Ok(());
    }
    let https = resolved.url.scheme() == "https";
    let checks = judge(&exchange, https, &probe.origin, &probe.script_cookies);
    let score = score(&checks);
    let grade = grade(score);
    rec.measure("score", score);
    rec.measure("grade", grade);
    let mut scored = Vec::new();
    for c in &checks {
        let allowed = probe.allow.iter().any(|a| a == c.id);
        let name = if allowed && !c.passed {
            format!("{} (allowed)", c.id)
        } else {
            c.id.to_owned()
        };
        rec.check(
            name,
            c.passed || allowed,
            c.expected.clone(),
            c.actual.clone(),
        );
        scored.push(json!({"check": c.id, "passed": c.passed, "modifier": c.modifier}));
    }
    rec.evidence(
        "score",
        json!({"score": score, "grade": grade, "checks": scored}),
    );
    if let Some(min) = probe.min_score {
        rec.check(
            "score",
            score >= min,
            format!("at least {min}"),
            format!("{score} ({grade})"),
        );
    }
    Ok(())
}

pub const CHECK_IDS: [&str; 9] = [
    "hsts",
    "csp",
    "csp-scripts",
    "content-type-options",
    "framing",
    "referrer-policy",
    "cookies",
    "cors",
    "version-leak",
];

/// The score: 100 plus every check's modifier, never below 0.
pub fn score(checks: &[HeaderCheck]) -> i32 {
    (100 + checks.iter().map(|c| c.modifier).sum::<i32>()).max(0)
}

/// The Observatory's letter bands.
pub fn grade(score: i32) -> &'static str {
    match score {
        100.. => "A+",
        90..=99 => "A",
        85..=89 => "A-",
        80..=84 => "B+",
        70..=79 => "B",
        65..=69 => "B-",
        60..=64 => "C+",
        50..=59 => "C",
        45..=49 => "C-",
        40..=44 => "D+",
        30..=39 => "D",
        25..=29 => "D-",
        _ => "F",
    }
}

fn check(
    id: &'static str,
    passed: bool,
    modifier: i32,
    expected: &str,
    actual: impl Into<String>,
) -> HeaderCheck {
    HeaderCheck {
        id,
        passed,
        modifier,
        expected: expected.to_owned(),
        actual: actual.into(),
    }
}

pub(crate) fn judge(
    exchange: &Exchange,
    https: bool,
    origin: &str,
    script_cookies: &[String],
) -> Vec<HeaderCheck> {
    let csp: Vec<Policy> = exchange
        .header_all("content-security-policy")
        .iter()
        .map(|p| Policy::parse(p))
        .collect();
    vec![
        hsts(exchange.header("strict-transport-security"), https),
        csp_present(&csp),
        csp_scripts(&csp),
        content_type_options(exchange.header("x-content-type-options")),
        framing(&csp, exchange.header("x-frame-options")),
        referrer_policy(exchange.header("referrer-policy")),
        cookies(&exchange.header_all("set-cookie"), https, script_cookies),
        cors(
            exchange.header("access-control-allow-origin"),
            exchange.header("access-control-allow-credentials"),
            origin,
        ),
        version_leak(exchange),
    ]
}

fn hsts(value: Option<String>, https: bool) -> HeaderCheck {
    let expected = "max-age of at least one year (31536000) over HTTPS";
    if !https {
        return check(
            "hsts",
            false,
            -20,
            expected,
            "served over plain HTTP, where HSTS cannot apply",
        );
    }
    let Some(value) = value else {
        return check("hsts", false, -20, expected, "absent");
    };
    let mut max_age = None;
    let (mut subdomains, mut preload) = (false, false);
    for directive in value.split(';') {
        let directive = directive.trim();
        let (name, arg) = match directive.split_once('=') {
            Some((n, a)) => (n.trim(), Some(a.trim().trim_matches('"'))),
            None => (directive, None),
        };
        match name.to_ascii_lowercase().as_str() {
            "max-age" => max_age = arg.and_then(|a| a.parse::<u64>().ok()),
            "includesubdomains" => subdomains = true,
            "preload" => preload = true,
            _ => {}
        }
    }
    match max_age {
        None => check(
            "hsts",
            false,
            -20,
            expected,
            format!("`{value}` has no valid max-age"),
        ),
        Some(age) if age < ONE_YEAR => {
            check("hsts", false, -10, expected, format!("max-age={age}"))
        }
        Some(age) => {
            let bonus = if subdomains && preload { 5 } else { 0 };
            check(
                "hsts",
                true,
                bonus,
                expected,
                format!(
                    "max-age={age}{}{}",
                    if subdomains {
                        "; includeSubDomains"
                    } else {
                        ""
                    },
                    if preload { "; preload" } else { "" }
                ),
            )
        }
    }
}

/// One Content-Security-Policy header: directives by lowercase name.
struct Policy {
    text: String,
    directives: Vec<(String, Vec<String>)>,
}

impl Policy {
    fn parse(text: &str) -> Policy {
        let mut directives = Vec::new();
        for part in text.split(';') {
            let mut tokens = part.split_ascii_whitespace();
            if let Some(name) = tokens.next() {
                let name = name.to_ascii_lowercase();
                // The first occurrence of a directive wins (CSP3 §2.2.1).
                if !directives.iter().any(|(n, _)| *n == name) {
                    directives.push((name, tokens.map(str::to_owned).collect()));
                }
            }
        }
        Policy {
            text: text.to_owned(),
            directives,
        }
    }

    fn get(&self, name: &str) -> Option<&[String]> {
        self.directives
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// What restricts scripts: `script-src`, else `default-src`.
    fn script_sources(&self) -> Option<&[String]> {
        self.get("script-src").or_else(|| self.get("default-src"))
    }
}

fn csp_present(policies: &[Policy]) -> HeaderCheck {
    let expected = "a Content-Security-Policy";
    if policies.is_empty() {
        check("csp", false, -25, expected, "absent")
    } else {
        let shown: Vec<&str> = policies.iter().map(|p| p.text.as_str()).collect();
        check("csp", true, 0, expected, shown.join(" | "))
    }
}

/// Why a policy leaves scripts open, if it does.
fn script_weakness(policy: &Policy) -> Option<String> {
    let Some(sources) = policy.script_sources() else {
        return Some("neither script-src nor default-src restricts scripts".into());
    };
    let lower: Vec<String> = sources.iter().map(|s| s.to_ascii_lowercase()).collect();
    let has = |s: &str| lower.iter().any(|x| x == s);
    let hashed = lower.iter().any(|s| {
        s.starts_with("'nonce-")
            || s.starts_with("'sha256-")
            || s.starts_with("'sha384-")
            || s.starts_with("'sha512-")
    });
    let strict_dynamic = has("'strict-dynamic'");
    let mut weaknesses = Vec::new();
    // With a nonce or hash, browsers ignore 'unsafe-inline' (CSP3).
    if has("'unsafe-inline'") && !hashed && !strict_dynamic {
        weaknesses.push("'unsafe-inline'");
    }
    if has("'unsafe-eval'") {
        weaknesses.push("'unsafe-eval'");
    }
    if !strict_dynamic {
        for broad in ["*", "http:", "https:", "data:"] {
            if has(broad) {
                weaknesses.push(broad);
            }
        }
    }
    (!weaknesses.is_empty()).then(|| format!("scripts allow {}", weaknesses.join(", ")))
}

fn csp_scripts(policies: &[Policy]) -> HeaderCheck {
    let expected = "scripts restricted: no 'unsafe-inline' (without nonce or hash), 'unsafe-eval', or scheme and wildcard sources";
    if policies.is_empty() {
        return check("csp-scripts", false, 0, expected, "no policy");
    }
    // Every policy applies, so one strict policy is enough.
    let weaknesses: Vec<String> = policies.iter().filter_map(script_weakness).collect();
    if weaknesses.len() < policies.len() {
        check("csp-scripts", true, 0, expected, "restricted")
    } else {
        check("csp-scripts", false, -20, expected, weaknesses.join("; "))
    }
}

fn content_type_options(value: Option<String>) -> HeaderCheck {
    let expected = "X-Content-Type-Options: nosniff";
    match value {
        Some(v) if v.trim().eq_ignore_ascii_case("nosniff") => {
            check("content-type-options", true, 0, expected, v)
        }
        Some(v) => check(
            "content-type-options",
            false,
            -5,
            expected,
            format!("`{v}`"),
        ),
        None => check("content-type-options", false, -5, expected, "absent"),
    }
}

fn framing(policies: &[Policy], xfo: Option<String>) -> HeaderCheck {
    let expected = "CSP frame-ancestors, or X-Frame-Options DENY or SAMEORIGIN";
    if let Some(ancestors) = policies.iter().find_map(|p| p.get("frame-ancestors")) {
        let shown = format!("frame-ancestors {}", ancestors.join(" "));
        if ancestors.iter().any(|s| {
            s == "*" || s.eq_ignore_ascii_case("https:") || s.eq_ignore_ascii_case("http:")
        }) {
            return check("framing", false, -20, expected, shown);
        }
        return check("framing", true, 5, expected, shown);
    }
    match xfo {
        Some(v)
            if matches!(
                v.trim().to_ascii_uppercase().as_str(),
                "DENY" | "SAMEORIGIN"
            ) =>
        {
            check(
                "framing",
                true,
                0,
                expected,
                format!("X-Frame-Options: {v}"),
            )
        }
        Some(v) => check(
            "framing",
            false,
            -20,
            expected,
            format!("X-Frame-Options: `{v}`"),
        ),
        None => check("framing", false, -20, expected, "absent"),
    }
}

fn referrer_policy(value: Option<String>) -> HeaderCheck {
    let expected = "Referrer-Policy: no-referrer, same-origin, strict-origin or strict-origin-when-cross-origin";
    let Some(value) = value else {
        return check("referrer-policy", false, -5, expected, "absent");
    };
    // Browsers apply the last policy they understand.
    let effective = value
        .split(',')
        .map(|p| p.trim().to_ascii_lowercase())
        .rfind(|p| !p.is_empty())
        .unwrap_or_default();
    match effective.as_str() {
        "no-referrer" | "same-origin" | "strict-origin" | "strict-origin-when-cross-origin" => {
            check("referrer-policy", true, 5, expected, value)
        }
        _ => check("referrer-policy", false, -10, expected, value),
    }
}

fn cookies(set_cookies: &[String], https: bool, script_cookies: &[String]) -> HeaderCheck {
    let expected = "every cookie Secure, HttpOnly (unless scripts read it) and SameSite";
    if set_cookies.is_empty() {
        return check("cookies", true, 0, expected, "no cookies set");
    }
    let mut problems = Vec::new();
    let mut penalty = 0;
    for cookie in set_cookies {
        let mut parts = cookie.split(';');
        let name = parts
            .next()
            .and_then(|p| p.split_once('=').map(|(n, _)| n.trim().to_owned()))
            .unwrap_or_default();
        let mut secure = false;
        let mut http_only = false;
        let mut same_site = None;
        for attribute in parts {
            let attribute = attribute.trim();
            let (key, value) = match attribute.split_once('=') {
                Some((k, v)) => (k.trim(), Some(v.trim())),
                None => (attribute, None),
            };
            match key.to_ascii_lowercase().as_str() {
                "secure" => secure = true,
                "httponly" => http_only = true,
                "samesite" => same_site = value.map(str::to_ascii_lowercase),
                _ => {}
            }
        }
        let mut missing = Vec::new();
        if !secure {
            missing.push("Secure");
            // Over plain HTTP the cookie travels in clear text either way.
            penalty = penalty.min(if https { -40 } else { -20 });
        }
        if !http_only && !script_cookies.contains(&name) {
            missing.push("HttpOnly");
            penalty = penalty.min(-30);
        }
        match same_site.as_deref() {
            Some("strict" | "lax") => {}
            Some("none") if secure => {}
            Some(other) => {
                missing.push("SameSite");
                problems.push(format!(
                    "{name}: SameSite={other} is not Strict or Lax (or None with Secure)"
                ));
                penalty = penalty.min(-10);
                continue;
            }
            None => {
                missing.push("SameSite");
                penalty = penalty.min(-10);
            }
        }
        if !missing.is_empty() {
            problems.push(format!("{name} lacks {}", missing.join(", ")));
        }
    }
    if problems.is_empty() {
        check(
            "cookies",
            true,
            0,
            expected,
            format!("{} cookie(s), all flagged", set_cookies.len()),
        )
    } else {
        check("cookies", false, penalty, expected, problems.join("; "))
    }
}

fn cors(
    allow_origin: Option<String>,
    allow_credentials: Option<String>,
    origin: &str,
) -> HeaderCheck {
    let expected = "no credentialed access for any origin (`*` or a reflected stranger)";
    let credentials = allow_credentials.is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    match allow_origin.as_deref().map(str::trim) {
        None => check("cors", true, 0, expected, "no CORS for a stranger's origin"),
        Some("*") if credentials => check(
            "cors",
            false,
            -50,
            expected,
            "Access-Control-Allow-Origin: * with Access-Control-Allow-Credentials: true",
        ),
        Some(o) if o == origin && credentials => check(
            "cors",
            false,
            -50,
            expected,
            format!("the stranger origin {origin} is reflected, with credentials"),
        ),
        Some(o) => check(
            "cors",
            true,
            0,
            expected,
            format!("Access-Control-Allow-Origin: {o}"),
        ),
    }
}

fn version_leak(exchange: &Exchange) -> HeaderCheck {
    let expected = "no software versions in Server, X-Powered-By, X-AspNet-Version";
    let mut leaks = Vec::new();
    for name in [
        "server",
        "x-powered-by",
        "x-aspnet-version",
        "x-aspnetmvc-version",
        "x-generator",
    ] {
        for value in exchange.header_all(name) {
            if name.starts_with("x-aspnet") || has_version(&value) {
                leaks.push(format!("{name}: {value}"));
            }
        }
    }
    if leaks.is_empty() {
        check("version-leak", true, 0, expected, "no versions")
    } else {
        check("version-leak", false, -5, expected, leaks.join("; "))
    }
}

/// A version number: `nginx/1.25.3`, `PHP 8.2`, `Express 4`.
fn has_version(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.iter().enumerate().any(|(i, b)| {
        b.is_ascii_digit()
            && (i == 0 || matches!(bytes[i - 1], b'/' | b' ' | b'v' | b'V' | b'-' | b'('))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(headers: &[(&str, &str)]) -> Exchange {
        let mut map = reqwest::header::HeaderMap::new();
        for (k, v) in headers {
            map.append(
                reqwest::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                reqwest::header::HeaderValue::from_str(v).unwrap(),
            );
        }
        Exchange {
            status: Some(200),
            headers: map,
            body: Vec::new(),
            latency: std::time::Duration::ZERO,
            error: None,
        }
    }

    const ORIGIN: &str = "https://stranger.invalid";

    #[test]
    fn a_hardened_answer_scores_above_100() {
        let e = exchange(&[
            (
                "strict-transport-security",
                "max-age=63072000; includeSubDomains; preload",
            ),
            (
                "content-security-policy",
                "default-src 'self'; script-src 'self' 'nonce-abc' 'unsafe-inline'; frame-ancestors 'none'; object-src 'none'",
            ),
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "strict-origin-when-cross-origin"),
            (
                "set-cookie",
                "__Host-sid=1; Path=/; Secure; HttpOnly; SameSite=Lax",
            ),
            ("server", "nginx"),
        ]);
        let checks = judge(&e, true, ORIGIN, &[]);
        assert!(checks.iter().all(|c| c.passed), "{checks:#?}");
        assert_eq!(score(&checks), 115);
        assert_eq!(grade(score(&checks)), "A+");
    }

    #[test]
    fn each_weakness_is_named_and_costs() {
        let e = exchange(&[
            ("strict-transport-security", "max-age=86400"),
            (
                "content-security-policy",
                "default-src * 'unsafe-inline' 'unsafe-eval'",
            ),
            ("x-frame-options", "ALLOW-FROM https://a.example"),
            ("referrer-policy", "unsafe-url"),
            ("set-cookie", "sid=1; Path=/"),
            ("access-control-allow-origin", "*"),
            ("access-control-allow-credentials", "true"),
            ("server", "Apache/2.4.1 (Unix)"),
            ("x-powered-by", "PHP/8.1.2"),
        ]);
        let checks = judge(&e, true, ORIGIN, &[]);
        let failed: Vec<&str> = checks.iter().filter(|c| !c.passed).map(|c| c.id).collect();
        assert_eq!(
            failed,
            [
                "hsts",
                "csp-scripts",
                "content-type-options",
                "framing",
                "referrer-policy",
                "cookies",
                "cors",
                "version-leak"
            ]
        );
        assert_eq!(score(&checks), 0);
        let cookies = checks.iter().find(|c| c.id == "cookies").unwrap();
        assert_eq!(cookies.actual, "sid lacks Secure, HttpOnly, SameSite");
        assert!(has_version("nginx/1.25.3") && !has_version("nginx") && !has_version("cloudflare"));
    }
}
