//! What keeps a match from being a finding: placeholders, documentation
//! examples, references to values held elsewhere, and the files and lines
//! that hold no credential of their own.

/// Files that never hold a credential of the repository's own: lockfiles
/// (integrity hashes and resolved URLs), vendored and generated code.
/// Discovery already skips most dependency folders; these make the skip a
/// rule of the pack rather than an accident of the walk.
pub(crate) const ALLOWED_PATHS: &[&str] = &[
    "**/package-lock.json",
    "**/npm-shrinkwrap.json",
    "**/yarn.lock",
    "**/pnpm-lock.yaml",
    "**/bun.lock",
    "**/Cargo.lock",
    "**/go.sum",
    "**/poetry.lock",
    "**/Pipfile.lock",
    "**/uv.lock",
    "**/pdm.lock",
    "**/composer.lock",
    "**/Gemfile.lock",
    "**/Podfile.lock",
    "**/mix.lock",
    "**/flake.lock",
    "**/packages.lock.json",
    "**/gradle.lockfile",
    "**/.terraform.lock.hcl",
    "**/vendor/**",
    "**/node_modules/**",
    "**/third_party/**",
    "**/.yarn/releases/**",
    "**/*.min.js",
    "**/*.min.css",
    "**/*.js.map",
    "**/*.css.map",
];

/// Lines that describe a value rather than hold one: integrity and content
/// hashes, image digests and data URIs, whatever the file.
pub(crate) const ALLOWED_LINES: &[&str] = &[
    r#"(?i)"integrity"\s*:\s*"sha(?:1|256|384|512)-"#,
    r"(?i)\bintegrity\s*=\s*.?sha(?:256|384|512)-",
];

/// Values shown in providers' own documentation. They match the formats
/// exactly, are public, and are copied into READMEs and tests everywhere.
pub(crate) const DOCUMENTATION_EXAMPLES: &[&str] = &[
    // AWS IAM user guide.
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AKIAI44QH8DHBEXAMPLE",
    "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    // Azurite and the Azure storage emulator's well-known account key.
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
    // The Azure Cosmos DB emulator's well-known key.
    "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==",
    // Stripe's API reference.
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "sk_test_BQokikJOvBiI2HlWgH4olfQ2",
    // jwt.io's introduction.
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    // Mailgun's API documentation.
    "key-3ax6xnjp29jd6fds4gc373sgvjxteol0",
];

/// Words that mark a value as a stand-in, wherever they occur in it.
const STOP_WORDS: &[&[u8]] = &[
    b"example",
    b"sample",
    b"placeholder",
    b"dummy",
    b"redacted",
    b"changeme",
    b"change_me",
    b"change-me",
    b"replace_me",
    b"replace-me",
    b"replaceme",
    b"your_",
    b"your-",
    b"yourtoken",
    b"yourkey",
    b"yourpassword",
    b"insert_",
    b"insert-",
    b"xxxxx",
    b"*****",
    b".....",
    b"-----",
    b"_____",
    b"<",
    b">",
];

/// Whole values that stand for "a password goes here", and the defaults of
/// local development images (`postgres:postgres`, `guest:guest`).
const PLACEHOLDER_VALUES: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "secret",
    "token",
    "apikey",
    "api_key",
    "key",
    "changeit",
    "admin",
    "root",
    "guest",
    "user",
    "username",
    "test",
    "testing",
    "default",
    "none",
    "null",
    "nil",
    "undefined",
    "empty",
    "todo",
    "tbd",
    "fixme",
    "postgres",
    "mysql",
    "redis",
    "rabbitmq",
    "mongo",
    "mongodb",
    "sa",
    "letmein",
    "foobar",
    "foo",
    "bar",
    "baz",
    "qwerty",
    "dev",
    "local",
    "localhost",
    "docker",
    "example",
    "string",
    "str",
    "value",
    "required",
    "optional",
    "hidden",
    "masked",
    "unset",
    "true",
    "false",
];

/// Shannon entropy in bits per byte.
pub(crate) fn entropy(bytes: &[u8]) -> f32 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f32;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f32 / n;
            -p * p.log2()
        })
        .sum()
}

static STOP_WORD_SEARCH: std::sync::LazyLock<aho_corasick::AhoCorasick> =
    std::sync::LazyLock::new(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(STOP_WORDS)
            .unwrap_or_else(|err| panic!("secrets: stop words: {err}"))
    });

/// Whether a value is a stand-in for a credential rather than one.
pub(crate) fn is_placeholder(secret: &[u8]) -> bool {
    if STOP_WORD_SEARCH.is_match(secret) {
        return true;
    }
    let text = String::from_utf8_lossy(secret);
    let bare = text.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    PLACEHOLDER_VALUES
        .iter()
        .any(|p| bare.eq_ignore_ascii_case(p))
        // One character repeated, with perhaps a prefix: `ghp_0000…`.
        || longest_run(secret) * 2 > secret.len()
}

/// The length of the longest run of one repeated byte.
fn longest_run(bytes: &[u8]) -> usize {
    let mut best = 0;
    let mut run = 0;
    let mut previous = None;
    for &b in bytes {
        if Some(b) == previous {
            run += 1;
        } else {
            run = 1;
            previous = Some(b);
        }
        best = best.max(run);
    }
    best
}

/// Whether a value refers to one held elsewhere: interpolation of a shell,
/// a template engine or a CI system, a secret manager's address, a file
/// path, or an expression of a programming language.
/// `expressions` says whether the value sits where a language could put an
/// expression (after `=` or `:`), rather than inside a URL or a string.
pub(crate) fn is_reference(secret: &[u8], before: &[u8], after: &[u8], expressions: bool) -> bool {
    let text = String::from_utf8_lossy(secret);
    let value = text.as_ref();
    // Base64 keys may start with `/`: a path's parts are names, not noise.
    if value.starts_with('/') && !value.split('/').any(random_part) {
        return true;
    }
    if !value.starts_with('/') && crate::credentials::not_a_literal(value) {
        return true;
    }
    let quoted = matches!(before.last(), Some(b'"' | b'\'' | b'`'));
    // `$VAR`, `%VAR%`, `#{var}`, `@var@`, `%(name)s`, `__VAR__` and `{var}`.
    let first = value.as_bytes().first().copied();
    if matches!(first, Some(b'$' | b'%' | b'@' | b'!' | b'&' | b'*'))
        || value.contains("#{")
        || value.contains("%(")
        || (value.starts_with("__") && value.ends_with("__"))
        || (value.starts_with('{') && value.ends_with('}'))
    {
        return true;
    }
    // An unquoted value followed by a call or an index is an expression:
    // `os.environ["TOKEN"]`, `getenv("TOKEN")`, `config.get(...)`.
    if expressions && !quoted && matches!(after.first(), Some(b'(' | b'[' | b'.')) {
        return true;
    }
    if expressions && !quoted && is_identifier_path(value) {
        return true;
    }
    const CODE: &[&str] = &[
        "os.environ",
        "getenv",
        "process.env",
        "import.meta.env",
        "env(",
        "env[",
        "env.",
        "secrets.",
        "vars.",
        "settings.",
        "config.",
        "credentials.",
        "vault.",
        "context.",
    ];
    let lower = value.to_ascii_lowercase();
    CODE.iter().any(|c| lower.starts_with(c))
}

/// A long run mixing upper case, lower case and digits: no name looks so.
fn random_part(part: &str) -> bool {
    part.len() >= 16
        && part.bytes().any(|b| b.is_ascii_uppercase())
        && part.bytes().any(|b| b.is_ascii_lowercase())
        && part.bytes().any(|b| b.is_ascii_digit())
}

/// `settings.API_KEY`, `self.password`: a path of names, not a value. A
/// random password with a dot (`wiQt60cvd8TsUC.gIu`) is no path: names do
/// not mix both cases with digits scattered through them.
fn is_identifier_path(value: &str) -> bool {
    let mut segments = value.split('.');
    let identifier = |s: &str| {
        !s.is_empty()
            && s.len() < 24
            && s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !scrambled(s)
    };
    value.contains('.') && segments.all(identifier)
}

/// Both cases, and digits in two or more separate runs: how random text
/// looks, and how names rarely do (`user2`, `v1Api`, `utf8Name` have one run).
fn scrambled(part: &str) -> bool {
    let bytes = part.as_bytes();
    let digit_runs = bytes
        .iter()
        .enumerate()
        .filter(|(i, b)| b.is_ascii_digit() && (*i == 0 || !bytes[i - 1].is_ascii_digit()))
        .count();
    digit_runs >= 2
        && bytes.iter().any(u8::is_ascii_uppercase)
        && bytes.iter().any(u8::is_ascii_lowercase)
}

/// Files whose assignments are code: there an unquoted value is an
/// expression (a variable, a call), never a literal.
pub(crate) fn is_code(path: &str) -> bool {
    const EXTENSIONS: &[&str] = &[
        "py", "js", "mjs", "cjs", "jsx", "ts", "tsx", "go", "java", "kt", "kts", "scala", "rb",
        "php", "cs", "fs", "vb", "rs", "c", "cc", "cpp", "h", "hpp", "m", "mm", "swift", "dart",
        "lua", "pl", "pm", "r", "jl", "ex", "exs", "erl", "clj", "groovy", "gradle", "vue",
        "svelte",
    ];
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| EXTENSIONS.iter().any(|e| ext.eq_ignore_ascii_case(e)))
}

/// Whether the bytes before a value end inside a `data:` URI, whose
/// payload is a file, not a credential.
pub(crate) fn in_data_uri(before: &[u8]) -> bool {
    let start = before.len().saturating_sub(200);
    let window = &before[start..];
    let token_start = window
        .iter()
        .rposition(|b| matches!(b, b' ' | b'"' | b'\'' | b'(' | b'=' | b'\t'))
        .map_or(0, |i| i + 1);
    let token = &window[token_start..];
    token.len() >= 5 && token[..5].eq_ignore_ascii_case(b"data:")
}

/// Text with the line breaks, indentation, quotes and escapes of its
/// container removed: a key block as the key itself.
pub(crate) fn normalize(secret: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(secret.len());
    let mut i = 0;
    while i < secret.len() {
        let b = secret[i];
        if b == b'\\' && matches!(secret.get(i + 1), Some(b'n' | b'r' | b't')) {
            i += 2;
            continue;
        }
        if !(b.is_ascii_whitespace() || b == b'\\' || b == b'"' || b == b'\'') {
            out.push(b);
        }
        i += 1;
    }
    out
}

/// Decodes standard or URL-safe base64, with or without padding; blanks
/// (line breaks of a folded value) are skipped.
pub(crate) fn base64_decode(input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    let mut padding = false;
    for &b in input {
        let value = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => {
                padding = true;
                continue;
            }
            b' ' | b'\n' | b'\r' | b'\t' => continue,
            _ => return None,
        };
        if padding {
            return None;
        }
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    // A single leftover sextet cannot end valid base64.
    (bits < 6).then_some(out)
}
