//! The typed configuration of every probe kind.
//!
//! A probe is a table with a `kind` and that kind's options; unknown keys are
//! errors so that a misspelt threshold never silently falls back to a
//! default. Keys are kebab-case, durations are strings with units (`250ms`,
//! `2s`, `1m30s`), and secrets are never written in the configuration: it
//! names the environment variables that hold them.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// One probe: its kind and the kind's options.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ProbeSpec {
    Http(HttpProbe),
    Auth(AuthProbe),
    RateLimit(RateLimitProbe),
    Headers(HeadersProbe),
    Tls(TlsProbe),
    Idempotency(IdempotencyProbe),
    Load(LoadProbe),
    BackupDrill(BackupDrillProbe),
}

impl ProbeSpec {
    /// Every kind, as written in `kind = "..."`.
    pub const KINDS: [&'static str; 8] = [
        "http",
        "auth",
        "rate-limit",
        "headers",
        "tls",
        "idempotency",
        "load",
        "backup-drill",
    ];

    /// The typed probe of a plan's probe table, where the kind was read
    /// apart from its options.
    pub fn from_kind_and_options(kind: &str, options: &toml::Table) -> Result<Self, String> {
        if !Self::KINDS.contains(&kind) {
            return Err(format!(
                "unknown probe kind `{kind}`; expected one of {}",
                Self::KINDS.join(", ")
            ));
        }
        let mut table = options.clone();
        table.insert("kind".into(), toml::Value::String(kind.into()));
        Self::from_table(table)
    }

    /// The typed probe of a table holding `kind` and its options.
    pub fn from_table(table: toml::Table) -> Result<Self, String> {
        match table.get("kind") {
            Some(toml::Value::String(kind)) if !Self::KINDS.contains(&kind.as_str()) => {
                return Err(format!(
                    "unknown probe kind `{kind}`; expected one of {}",
                    Self::KINDS.join(", ")
                ));
            }
            Some(toml::Value::String(_)) => {}
            Some(_) => return Err("a probe's `kind` is a string".into()),
            None => {
                return Err(format!(
                    "a probe needs a `kind`: one of {}",
                    Self::KINDS.join(", ")
                ));
            }
        }
        ProbeSpec::deserialize(toml::Value::Table(table))
            .map_err(|e| e.to_string().trim().to_owned())
    }

    pub fn kind(&self) -> &'static str {
        match self {
            ProbeSpec::Http(_) => "http",
            ProbeSpec::Auth(_) => "auth",
            ProbeSpec::RateLimit(_) => "rate-limit",
            ProbeSpec::Headers(_) => "headers",
            ProbeSpec::Tls(_) => "tls",
            ProbeSpec::Idempotency(_) => "idempotency",
            ProbeSpec::Load(_) => "load",
            ProbeSpec::BackupDrill(_) => "backup-drill",
        }
    }

    /// Where the probe goes: a target's name or a literal URL.
    pub fn endpoint(&self) -> (&Option<String>, &Option<String>) {
        match self {
            ProbeSpec::Http(p) => (&p.target, &p.url),
            ProbeSpec::Auth(p) => (&p.target, &p.url),
            ProbeSpec::RateLimit(p) => (&p.target, &p.url),
            ProbeSpec::Headers(p) => (&p.target, &p.url),
            ProbeSpec::Tls(p) => (&p.target, &p.url),
            ProbeSpec::Idempotency(p) => (&p.target, &p.url),
            ProbeSpec::Load(p) => (&p.target, &p.url),
            ProbeSpec::BackupDrill(p) => (&p.target, &p.url),
        }
    }
}

/// `http`: one request and what its answer must be.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct HttpProbe {
    /// A target's name from `[targets]`; the request goes to its URL joined
    /// with `path`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// A full URL instead of a target (not overridable with `--target`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default = "default_method")]
    pub method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<Credential>,
    /// The status the answer must have (default: any 2xx).
    #[serde(default = "StatusSpec::success")]
    pub expect_status: StatusSpec,
    /// The slowest acceptable answer, headers and body included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_latency: Option<ProbeDuration>,
    /// Values the JSON body must hold, by JSON pointer (RFC 6901).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub body_json: Vec<JsonExpectation>,
    /// A regular expression the body must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_regex: Option<String>,
    /// Headers the answer must carry: a name, or `Name: regex` for a value
    /// the header must match.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub require_headers: Vec<String>,
    /// Follow redirects (up to 10) instead of judging the redirect itself.
    #[serde(default)]
    pub follow_redirects: bool,
    #[serde(default = "default_timeout")]
    pub timeout: ProbeDuration,
}

/// A value at a JSON pointer: equal to `equals`, or merely present.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct JsonExpectation {
    pub pointer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<serde_json::Value>,
}

/// `auth`: every endpoint, asked with no credential and with each declared
/// one, answers the expected status.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AuthProbe {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The roles, by name. `none` is reserved for asking without one.
    #[serde(default)]
    pub credentials: BTreeMap<String, Credential>,
    pub endpoints: Vec<AuthEndpoint>,
    #[serde(default = "default_timeout")]
    pub timeout: ProbeDuration,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AuthEndpoint {
    #[serde(default = "default_method")]
    pub method: String,
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The expected status per role (`none` and each credential's name).
    /// Every role must be listed, so that a role added later is never
    /// silently unchecked.
    pub expect: BTreeMap<String, StatusSpec>,
}

/// How a request proves who it is. Exactly one form: `bearer-env`, `header`
/// with `value-env`, or `basic-user` with `password-env`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Credential {
    /// `Authorization: Bearer $VAR`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_env: Option<String>,
    /// A header of its own (`X-Api-Key`), valued from `value-env`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_env: Option<String>,
    /// HTTP basic authentication; the password comes from `password-env`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
}

/// `rate-limit`: a bounded burst must meet 429 with a usable `Retry-After`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RateLimitProbe {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default = "default_method")]
    pub method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<Credential>,
    /// The most requests sent; the first 429 must come before this many.
    #[serde(default = "default_burst")]
    pub requests: u32,
    /// Requests in flight at once.
    #[serde(default = "default_burst_concurrency")]
    pub concurrency: u32,
    /// The burst stops after this long even when requests remain.
    #[serde(default = "default_burst_within")]
    pub within: ProbeDuration,
    /// Whether the 429 must carry a valid `Retry-After`.
    #[serde(default = "yes")]
    pub require_retry_after: bool,
    /// The longest `Retry-After` accepted, and waited for: after it, the
    /// same request must no longer be refused with 429.
    #[serde(default = "default_max_retry_after")]
    pub max_retry_after: ProbeDuration,
    /// Wait for `Retry-After` and check the limit lifts.
    #[serde(default = "yes")]
    pub check_recovery: bool,
    #[serde(default = "default_timeout")]
    pub timeout: ProbeDuration,
}

/// `headers`: the security headers of one answer, scored.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct HeadersProbe {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<Credential>,
    /// The `Origin` sent to see how CORS answers a stranger.
    #[serde(default = "default_origin")]
    pub origin: String,
    /// The lowest acceptable score (see docs/probes.md for the weights).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_score: Option<i32>,
    /// Checks whose failure is reported and scored but does not fail the
    /// probe (`csp`, `hsts`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<String>,
    /// Cookies scripts must read, so they are not required to be HttpOnly.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub script_cookies: Vec<String>,
    #[serde(default = "default_timeout")]
    pub timeout: ProbeDuration,
}

/// `tls`: protocol versions, certificate chain, expiry and key.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TlsProbe {
    /// A target whose URL names the host and port (`https://host:8443`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The name the certificate must be valid for (default: the URL's host).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    /// Fewer days than this before the certificate expires is a failure.
    #[serde(default = "default_min_days")]
    pub min_days_left: i64,
    #[serde(default = "default_min_rsa_bits")]
    pub min_rsa_bits: u32,
    #[serde(default = "default_min_ec_bits")]
    pub min_ec_bits: u32,
    /// Accepted key types: `rsa`, `ec`, `ed25519`, `ed448`.
    #[serde(default = "default_key_types")]
    pub key_types: Vec<String>,
    /// Also require TLS 1.3.
    #[serde(default)]
    pub require_tls13: bool,
    #[serde(default = "default_timeout")]
    pub timeout: ProbeDuration,
}

/// `idempotency`: the same request twice with the same key changes nothing
/// the second time.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct IdempotencyProbe {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default = "default_post")]
    pub method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The body; `{key}` is replaced with the idempotency key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<Credential>,
    #[serde(default = "default_key_header")]
    pub key_header: String,
    /// JSON pointers left out when the two bodies are compared (a
    /// timestamp of the reply, say).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<String>,
    #[serde(default = "StatusSpec::success")]
    pub expect_status: StatusSpec,
    /// A request that counts the effect, asked before and after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<EffectCheck>,
    #[serde(default = "default_timeout")]
    pub timeout: ProbeDuration,
}

/// A follow-up request whose JSON shows how many times the effect
/// happened: a number, or an array whose length counts.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EffectCheck {
    #[serde(default = "default_method")]
    pub method: String,
    /// `{key}` is replaced with the idempotency key.
    pub path: String,
    /// Where the count is; the whole body when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<String>,
    /// How much the count must grow over both requests.
    #[serde(default = "one")]
    pub delta: i64,
}

/// `load`: an open-model constant arrival rate for a bounded duration.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LoadProbe {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default = "default_method")]
    pub method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<Credential>,
    /// Requests started per second, whatever the answers' pace.
    pub rate: f64,
    pub duration: ProbeDuration,
    /// A hard cap on requests, whatever `rate` x `duration` gives.
    #[serde(default = "default_max_requests")]
    pub max_requests: u64,
    /// Connections kept open; a request waits for a free one, and the wait
    /// counts in its latency.
    #[serde(default = "default_connections")]
    pub connections: u32,
    /// Any status outside this is an error.
    #[serde(default = "StatusSpec::success")]
    pub expect_status: StatusSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p50: Option<ProbeDuration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p95: Option<ProbeDuration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99: Option<ProbeDuration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<ProbeDuration>,
    /// The largest acceptable share of failed requests, from 0 to 1.
    #[serde(default)]
    pub max_error_rate: f64,
    /// How long requests still running after `duration` may take; those
    /// unfinished then are errors.
    #[serde(default = "default_timeout")]
    pub timeout: ProbeDuration,
}

/// `backup-drill`: a PostgreSQL dump restored into a scratch database and
/// compared table by table with its source.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct BackupDrillProbe {
    /// A target whose URL is a `postgres://` URL of the source database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The password of the URL's user, when the URL has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    /// A dump to restore (custom format, as `pg_dump -Fc` writes) instead of
    /// dumping the source now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dump: Option<String>,
    /// Schemas compared (default: every schema but the system ones).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<String>,
    /// The longest acceptable restore.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rto: Option<ProbeDuration>,
    /// The oldest client accepted, as a major version (`15`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_client_version: Option<u32>,
    /// Where `pg_dump`, `pg_restore` and `psql` are (default: PATH).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bin_dir: Option<String>,
    /// Keep the scratch database for inspection instead of dropping it.
    #[serde(default)]
    pub keep_scratch: bool,
    /// Bounds the whole drill.
    #[serde(default = "default_drill_timeout")]
    pub timeout: ProbeDuration,
}

fn default_method() -> String {
    "GET".into()
}
fn default_post() -> String {
    "POST".into()
}
fn default_timeout() -> ProbeDuration {
    ProbeDuration::from_secs(10)
}
fn default_drill_timeout() -> ProbeDuration {
    ProbeDuration::from_secs(3600)
}
fn default_burst() -> u32 {
    200
}
fn default_burst_concurrency() -> u32 {
    10
}
fn default_burst_within() -> ProbeDuration {
    ProbeDuration::from_secs(30)
}
fn default_max_retry_after() -> ProbeDuration {
    ProbeDuration::from_secs(60)
}
fn default_origin() -> String {
    "https://shipgate-probe.invalid".into()
}
fn default_min_days() -> i64 {
    21
}
fn default_min_rsa_bits() -> u32 {
    2048
}
fn default_min_ec_bits() -> u32 {
    256
}
fn default_key_types() -> Vec<String> {
    vec!["rsa".into(), "ec".into(), "ed25519".into()]
}
fn default_key_header() -> String {
    "Idempotency-Key".into()
}
fn default_max_requests() -> u64 {
    1_000_000
}
fn default_connections() -> u32 {
    64
}
fn yes() -> bool {
    true
}
fn one() -> i64 {
    1
}

/// A duration written with units: `250ms`, `2s`, `1m30s`, `1h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ProbeDuration(pub std::time::Duration);

impl ProbeDuration {
    pub const fn from_secs(secs: u64) -> Self {
        ProbeDuration(std::time::Duration::from_secs(secs))
    }

    pub fn get(self) -> std::time::Duration {
        self.0
    }
}

impl std::str::FromStr for ProbeDuration {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("`{text}` is not a duration such as 250ms, 2s, 1m30s or 1h");
        let mut rest = text.trim();
        if rest.is_empty() {
            return Err(bad());
        }
        let mut total = std::time::Duration::ZERO;
        while !rest.is_empty() {
            let digits = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .ok_or_else(bad)?;
            if digits == 0 {
                return Err(bad());
            }
            let number: f64 = rest[..digits].parse().map_err(|_| bad())?;
            rest = &rest[digits..];
            let unit_len = rest
                .find(|c: char| c.is_ascii_digit())
                .unwrap_or(rest.len());
            let scale = match &rest[..unit_len] {
                "us" | "µs" => 1e-6,
                "ms" => 1e-3,
                "s" => 1.0,
                "m" => 60.0,
                "h" => 3600.0,
                _ => return Err(bad()),
            };
            rest = &rest[unit_len..];
            total += std::time::Duration::try_from_secs_f64(number * scale).map_err(|_| bad())?;
        }
        Ok(ProbeDuration(total))
    }
}

impl fmt::Display for ProbeDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        if d.subsec_nanos() == 0 && d.as_secs() > 0 {
            let (h, m, s) = (d.as_secs() / 3600, d.as_secs() / 60 % 60, d.as_secs() % 60);
            let mut out = String::new();
            if h > 0 {
                out.push_str(&format!("{h}h"));
            }
            if m > 0 {
                out.push_str(&format!("{m}m"));
            }
            if s > 0 {
                out.push_str(&format!("{s}s"));
            }
            f.write_str(&out)
        } else if d.subsec_nanos().is_multiple_of(1_000_000) {
            write!(f, "{}ms", d.as_millis())
        } else {
            write!(f, "{}us", d.as_micros())
        }
    }
}

impl Serialize for ProbeDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ProbeDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(de::Error::custom)
    }
}

/// Statuses accepted: codes (`401`), classes (`"2xx"`), or a list of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusSpec(pub Vec<StatusPattern>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusPattern {
    Code(u16),
    /// The hundreds digit: `2` for `2xx`.
    Class(u16),
}

impl StatusSpec {
    pub fn success() -> Self {
        StatusSpec(vec![StatusPattern::Class(2)])
    }

    pub fn matches(&self, status: u16) -> bool {
        self.0.iter().any(|p| match *p {
            StatusPattern::Code(code) => code == status,
            StatusPattern::Class(class) => status / 100 == class,
        })
    }
}

impl fmt::Display for StatusPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatusPattern::Code(c) => write!(f, "{c}"),
            StatusPattern::Class(c) => write!(f, "{c}xx"),
        }
    }
}

impl fmt::Display for StatusSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&parts.join(" or "))
    }
}

impl std::str::FromStr for StatusPattern {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let bad = || format!("`{text}` is not a status such as 200, 401 or \"2xx\"");
        if let Some(class) = t.strip_suffix("xx").or_else(|| t.strip_suffix("XX")) {
            let class: u16 = class.parse().map_err(|_| bad())?;
            return if (1..=5).contains(&class) {
                Ok(StatusPattern::Class(class))
            } else {
                Err(bad())
            };
        }
        let code: u16 = t.parse().map_err(|_| bad())?;
        StatusPattern::code(code.into()).ok_or_else(bad)
    }
}

impl StatusPattern {
    fn code(code: i64) -> Option<Self> {
        (100..=599)
            .contains(&code)
            .then_some(StatusPattern::Code(code as u16))
    }
}

impl Serialize for StatusSpec {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let one = |p: &StatusPattern| match p {
            StatusPattern::Code(c) => serde_json::Value::from(*c),
            StatusPattern::Class(_) => serde_json::Value::from(p.to_string()),
        };
        if let [only] = self.0.as_slice() {
            one(only).serialize(serializer)
        } else {
            self.0
                .iter()
                .map(one)
                .collect::<Vec<_>>()
                .serialize(serializer)
        }
    }
}

impl<'de> Deserialize<'de> for StatusSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StatusVisitor;
        impl<'de> Visitor<'de> for StatusVisitor {
            type Value = StatusSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a status (401), a class (\"2xx\") or a list of them")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<StatusSpec, E> {
                StatusPattern::code(v)
                    .map(|p| StatusSpec(vec![p]))
                    .ok_or_else(|| E::custom(format!("{v} is not an HTTP status")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<StatusSpec, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StatusSpec, E> {
                v.parse().map(|p| StatusSpec(vec![p])).map_err(E::custom)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StatusSpec, A::Error> {
                let mut all = Vec::new();
                while let Some(one) = seq.next_element::<StatusSpec>()? {
                    all.extend(one.0);
                }
                if all.is_empty() {
                    return Err(de::Error::custom(
                        "an empty list of statuses accepts nothing",
                    ));
                }
                Ok(StatusSpec(all))
            }
        }
        deserializer.deserialize_any(StatusVisitor)
    }
}

/// A named place probes go: a URL, and optionally a CA to trust for it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Target {
    pub url: String,
    /// PEM certificates trusted besides the public roots, for services
    /// behind a private CA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct TargetTable {
    url: String,
    #[serde(default)]
    ca_file: Option<String>,
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TargetVisitor;
        impl<'de> Visitor<'de> for TargetVisitor {
            type Value = Target;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a URL, or a table with `url` and `ca-file`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Target, E> {
                Ok(Target {
                    url: v.to_owned(),
                    ca_file: None,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Target, A::Error> {
                let t = TargetTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Target {
                    url: t.url,
                    ca_file: t.ca_file,
                })
            }
        }
        deserializer.deserialize_any(TargetVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_and_print() {
        for (text, ms) in [
            ("250ms", 250),
            ("2s", 2000),
            ("1m30s", 90_000),
            ("1h", 3_600_000),
            ("1.5s", 1500),
        ] {
            let d: ProbeDuration = text.parse().unwrap();
            assert_eq!(d.0.as_millis(), ms, "{text}");
        }
        assert_eq!(ProbeDuration::from_secs(90).to_string(), "1m30s");
        assert!("10".parse::<ProbeDuration>().is_err());
        assert!("s".parse::<ProbeDuration>().is_err());
        assert!("5 parsecs".parse::<ProbeDuration>().is_err());
    }

    #[test]
    fn statuses_read_as_codes_classes_and_lists() {
        let t: toml::Table = toml::from_str("a = 401\nb = \"2xx\"\nc = [200, \"3xx\"]").unwrap();
        let a = StatusSpec::deserialize(t["a"].clone()).unwrap();
        assert!(a.matches(401) && !a.matches(403));
        let b = StatusSpec::deserialize(t["b"].clone()).unwrap();
        assert!(b.matches(204) && !b.matches(301));
        let c = StatusSpec::deserialize(t["c"].clone()).unwrap();
        assert!(c.matches(200) && c.matches(302) && !c.matches(201));
        assert_eq!(c.to_string(), "200 or 3xx");
        assert!(StatusSpec::deserialize(toml::Value::Integer(999)).is_err());
    }

    #[test]
    fn a_misspelt_option_is_an_error() {
        let table: toml::Table =
            toml::from_str("kind = \"http\"\ntarget = \"api\"\nmax-latancy = \"1s\"").unwrap();
        let err = ProbeSpec::from_table(table).unwrap_err();
        assert!(err.contains("max-latancy"), "{err}");
        let table: toml::Table = toml::from_str("kind = \"htp\"").unwrap();
        assert!(
            ProbeSpec::from_table(table)
                .unwrap_err()
                .contains("unknown probe kind")
        );
    }

    #[test]
    fn a_plan_table_becomes_a_typed_probe() {
        let options: toml::Table =
            toml::from_str("url = \"https://example.com/health\"\nmax-latency = \"300ms\"")
                .unwrap();
        let ProbeSpec::Http(http) = ProbeSpec::from_kind_and_options("http", &options).unwrap()
        else {
            panic!("not http")
        };
        assert_eq!(http.max_latency.unwrap().0.as_millis(), 300);
        assert_eq!(http.method, "GET");
        assert!(http.expect_status.matches(200));
    }
}
