//! Credentials recognised by the name they are assigned to, not by their
//! own format: `password = "…"`, `client_secret: …`, `API_KEY=…`. Only
//! values that look random are reported, and names that describe a
//! credential rather than hold one (`PASSWORD_FILE`, `token_url`) are not,
//! so these rules stay quiet on ordinary configuration.

use super::{Capture, Shape, Spec, secret_rule};
use crate::credentials::credential_name;

/// Whether a value assigned to a credential's name looks like one: mixed
/// kinds of characters, not a UUID, a path, a URL, a hash of content or a
/// number.
fn random_literal(capture: &Capture<'_>) -> bool {
    let Some(name) = capture.name else {
        return false;
    };
    if !credential_name(&String::from_utf8_lossy(name)) {
        return false;
    }
    let value = capture.secret;
    let text = String::from_utf8_lossy(value);
    let lower = text.to_ascii_lowercase();
    let kinds = [
        value.iter().any(u8::is_ascii_lowercase),
        value.iter().any(u8::is_ascii_uppercase),
        value.iter().any(u8::is_ascii_digit),
    ];
    if kinds.iter().filter(|k| **k).count() < 2 || !(kinds[0] || kinds[1]) {
        return false;
    }
    // `build-password`, `default-96`, `Session_Cache`: words and numbers
    // joined, which is how configuration names things, not how keys look.
    if text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|s| !s.is_empty())
        .all(word_like)
    {
        return false;
    }
    const NOT_CREDENTIALS: &[&str] = &[
        "sha1-", "sha256-", "sha384-", "sha512-", "sha256:", "sha512:", "md5-", "http://",
        "https://", "file://", "data:", "./", "../", "~/", "arn:",
    ];
    if NOT_CREDENTIALS.iter().any(|p| lower.starts_with(p)) || lower.contains("://") {
        return false;
    }
    !is_uuid(value)
}

/// A word or a number: all lower case, all upper case, capitalised, or all
/// digits.
fn word_like(segment: &str) -> bool {
    let rest = segment.get(1..).unwrap_or("");
    segment.bytes().all(|b| b.is_ascii_digit())
        || segment.bytes().all(|b| b.is_ascii_lowercase())
        || segment.bytes().all(|b| b.is_ascii_uppercase())
        || (segment.starts_with(|c: char| c.is_ascii_uppercase())
            && rest.bytes().all(|b| b.is_ascii_lowercase()))
}

/// `123e4567-e89b-12d3-a456-426614174000`: an identifier, whatever it is
/// called. Providers whose keys are UUIDs have rules of their own.
fn is_uuid(value: &[u8]) -> bool {
    value.len() == 36
        && value.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// The value after a credential's name: quoted or bare, stopping where a
/// value in any of the usual syntaxes ends.
macro_rules! assignment {
    ($words:literal) => {
        concat!(
            r#"(?i)(?:^|[^A-Za-z0-9_.-])(?P<name>[A-Za-z0-9_.-]*(?:"#,
            $words,
            r#")[A-Za-z0-9_.-]*)["']?(?:\s*:\s*[A-Za-z_][A-Za-z0-9_.]*(?:<[^>\n]*>)?(?:\[\])?\??)?\s*(?::=|=>|[:=])\s*[@]?["'`]?(?P<secret>[^\s"'`,;(){}\[\]<>]{10,200})"#
        )
    };
}

pub(super) const SPECS: &[Spec] = &[
    secret_rule! {
        id: "secrets/generic-password",
        title: "No random-looking password is assigned in plain text",
        what: "a password",
        grants: "A value that looks random, assigned to a name that says it is a password \
            (`DB_PASSWORD=`, `\"password\":`, `passphrase:`), is almost always a real \
            credential of a service no specific rule knows.",
        rotate: "change the password at the service it belongs to",
        references: ["https://cwe.mitre.org/data/definitions/798.html"],
        aliases: [],
        failing: ("config.toml", "[database]\npassword = \"0123456789abcdefGHIJ\"\n"),
        passing: ("config.toml", "[database]\npassword_file = \"/run/secrets/db-password\"\n"),
        detect: {
            keywords: &["pass", "pwd"],
            pattern: assignment!("password|passwd|passphrase|pwd|pass"),
            shape: Shape::Named,
            min_len: 10,
            min_entropy: 3.3,
            priority: 12,
            validate: Some(random_literal),
        },
    },
    secret_rule! {
        id: "secrets/generic-secret",
        title: "No random-looking secret is assigned in plain text",
        what: "a secret",
        grants: "A value that looks random, assigned to a name that says it is a secret \
            (`client_secret`, `SECRET_KEY`, `signing_key`, `credentials`), is a signing key \
            or a credential of a service no specific rule knows.",
        rotate: "regenerate the secret at the service or framework it belongs to (a new \
            `SECRET_KEY` invalidates the sessions and tokens signed with the old one)",
        references: ["https://cwe.mitre.org/data/definitions/798.html"],
        aliases: [],
        failing: ("settings.py", "SECRET_KEY = \"0123456789abcdefghijklmnopqrstuvwxyzABCDEF\"\n"),
        passing: ("settings.py", "SECRET_KEY = os.environ[\"SECRET_KEY\"]\n"),
        detect: {
            keywords: &["secret", "credential", "private_key", "privatekey", "private-key", "signing", "encryption", "master_key", "masterkey"],
            pattern: assignment!("secret|credentials?|creds|private[_.-]?key|signing[_.-]?key|encryption[_.-]?key|master[_.-]?key"),
            shape: Shape::Named,
            min_len: 10,
            min_entropy: 3.3,
            priority: 11,
            validate: Some(random_literal),
        },
    },
    secret_rule! {
        id: "secrets/generic-token",
        title: "No random-looking token is assigned in plain text",
        what: "a token",
        grants: "A value that looks random, assigned to a name that says it is a token \
            (`AUTH_TOKEN=`, `accessToken:`, `refresh_token`), is a bearer credential of a \
            service no specific rule knows.",
        rotate: "revoke the token at the service that issued it",
        references: ["https://cwe.mitre.org/data/definitions/798.html"],
        aliases: [],
        failing: ("app.json", "{\"auth_token\": \"0123456789abcdefghijklmnopqrstuv\"}\n"),
        passing: ("app.json", "{\"auth_token_url\": \"https://auth.example.org/token\"}\n"),
        detect: {
            keywords: &["token", "auth"],
            pattern: assignment!("token|auth"),
            shape: Shape::Named,
            min_len: 10,
            min_entropy: 3.3,
            priority: 13,
            validate: Some(random_literal),
        },
    },
    secret_rule! {
        id: "secrets/generic-api-key",
        title: "No random-looking API key is assigned in plain text",
        what: "an API key",
        grants: "A value that looks random, assigned to a name that says it is an API or \
            access key (`API_KEY=`, `apiKey:`, `access_key`), is a credential of a service \
            no specific rule knows.",
        rotate: "revoke the key at the service that issued it",
        references: ["https://cwe.mitre.org/data/definitions/798.html"],
        aliases: [],
        failing: ("deploy.sh", "export API_KEY=0123456789abcdefghijklmnopqrstuv\n"),
        passing: ("deploy.sh", "export API_KEY=\"$(vault kv get -field=api_key secret/shop)\"\n"),
        detect: {
            keywords: &["api_key", "apikey", "api-key", "api.key", "access_key", "accesskey", "access-key"],
            pattern: assignment!(r"api[_.-]?key|apikey|access[_.-]?key"),
            shape: Shape::Named,
            min_len: 10,
            min_entropy: 3.3,
            priority: 14,
            validate: Some(random_literal),
        },
    },
];
