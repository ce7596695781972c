//! pip requirements files. Only exact pins (`name==version`, `===`) say
//! what gets installed; any other requirement is reported as a note and
//! left out rather than guessed.

use crate::model::{Ecosystem, Note, Package, Parsed, single_file_hash};

use super::Failure;

pub(crate) fn parse(text: &str) -> Result<Parsed, Failure> {
    let mut out = Parsed::default();
    for (line_no, logical) in logical_lines(text) {
        let line = strip_comment(&logical).trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('-') {
            // `-r other.txt`, `-c`, `--index-url`, `-e .`: options, not
            // packages. An editable install is the repository itself or a
            // checkout, neither pinned to a release.
            if line.starts_with("-e") || line.starts_with("--editable") {
                out.notes.push(Note {
                    line: Some(line_no),
                    message: format!(
                        "editable requirement `{line}` is not a pinned release; left out"
                    ),
                });
            }
            continue;
        }
        let (requirement, options) = split_options(line);
        let spec = requirement.split(';').next().unwrap_or("").trim();
        match pinned(spec) {
            Some((name, version)) => {
                let mut pkg = Package::new(Ecosystem::PyPI, name, version);
                pkg.hashes = single_file_hash(hash_options(options));
                pkg.deps = None;
                out.packages.push(pkg);
            }
            None => out.notes.push(Note {
                line: Some(line_no),
                message: format!("`{}` is not pinned with `==`; left out", requirement.trim()),
            }),
        }
    }
    Ok(out)
}

/// Lines joined where one ends in `\`, each with the number of its first line.
fn logical_lines(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut current: Option<(u32, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let (start, mut buf) = current.take().unwrap_or((n, String::new()));
        // A comment ends the logical line even after a continuation, as in
        // `pkg==1 \` followed by `    # via other`.
        let raw_trimmed = raw.trim_start();
        if !buf.is_empty() && raw_trimmed.starts_with('#') {
            out.push((start, buf));
            continue;
        }
        match raw.strip_suffix('\\') {
            Some(head) => {
                buf.push_str(head);
                buf.push(' ');
                current = Some((start, buf));
            }
            None => {
                buf.push_str(raw);
                out.push((start, buf));
            }
        }
    }
    if let Some(last) = current {
        out.push(last);
    }
    out
}

/// A `#` starts a comment at the start of a line or after whitespace; inside
/// a URL fragment (`...#egg=x`) it does not.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}

/// The requirement, and the per-requirement options after it (`--hash=...`).
fn split_options(line: &str) -> (&str, &str) {
    let bytes = line.as_bytes();
    for i in 1..bytes.len() {
        if bytes[i - 1].is_ascii_whitespace() && bytes[i] == b'-' && bytes.get(i + 1) == Some(&b'-')
        {
            return (&line[..i], &line[i..]);
        }
    }
    (line, "")
}

fn hash_options(options: &str) -> impl Iterator<Item = &str> {
    let mut tokens = options.split_whitespace().peekable();
    std::iter::from_fn(move || {
        while let Some(token) = tokens.next() {
            if let Some(value) = token.strip_prefix("--hash=") {
                return Some(value);
            }
            if token == "--hash" {
                return tokens.next();
            }
        }
        None
    })
}

/// `name[extras] == version`, with the version exact (no wildcard, no
/// second clause).
fn pinned(spec: &str) -> Option<(&str, &str)> {
    let name_end = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(spec.len());
    let name = &spec[..name_end];
    if name.is_empty() {
        return None;
    }
    let mut rest = spec[name_end..].trim_start();
    if rest.starts_with('[') {
        rest = rest[rest.find(']')? + 1..].trim_start();
    }
    let version = rest
        .strip_prefix("===")
        .or_else(|| rest.strip_prefix("=="))?
        .trim();
    let exact = !version.is_empty() && !version.contains(['*', ',', ' ', '<', '>', '!', '~', '=']);
    exact.then_some((name, version))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::test_support::fixture;

    #[test]
    fn exported_by_uv_with_hashes_and_markers() {
        let parsed = parse(&fixture("requirements/requirements.txt")).unwrap();
        let pins: Vec<String> = parsed
            .packages
            .iter()
            .map(|p| format!("{}=={}", p.name, p.version))
            .collect();
        assert_eq!(
            pins,
            [
                "certifi==2026.10.18",
                "charset-normalizer==3.5.2",
                "idna==3.20",
                "iniconfig==2.0.0",
                "pywin32==306",
                "requests==2.32.3",
                "typing-extensions==4.16.0",
                "urllib3==2.8.0"
            ]
        );
        assert!(parsed.notes.is_empty(), "{:?}", parsed.notes);
        // Each pins several files (sdist and wheels): no single hash.
        assert!(parsed.packages.iter().all(|p| p.hashes.is_empty()));
    }

    #[test]
    fn hand_written_with_extras_unpinned_lines_and_options() {
        let parsed = parse(&fixture("requirements/requirements/dev.txt")).unwrap();
        let pins: Vec<String> = parsed
            .packages
            .iter()
            .map(|p| format!("{}=={} {}", p.name, p.version, p.hashes.len()))
            .collect();
        assert_eq!(
            pins,
            [
                "uvicorn==0.30.1 0",
                "pytest==7.4.4 1",
                "Django==4.2.11 0",
                "zope.interface===6.4 0",
            ]
            .map(|s| s.replace("===", "=="))
        );
        let notes: Vec<(Option<u32>, &str)> = parsed
            .notes
            .iter()
            .map(|n| (n.line, n.message.as_str()))
            .collect();
        assert_eq!(notes.len(), 4, "{notes:#?}");
        assert_eq!(notes[0].0, Some(5));
        assert!(notes[0].1.contains("flask>=2.3"), "{notes:#?}");
        assert!(notes.iter().any(|n| n.1.contains("editable")));
        assert!(notes.iter().any(|n| n.1.contains("attrs==23.*")));
        assert!(notes.iter().any(|n| n.1.contains("@ https://")));
    }

    #[test]
    fn pins() {
        assert_eq!(pinned("a==1.0"), Some(("a", "1.0")));
        assert_eq!(pinned("a [x,y] == 1.0"), Some(("a", "1.0")));
        assert_eq!(pinned("a===1.0-custom"), Some(("a", "1.0-custom")));
        assert_eq!(pinned("a==1.*"), None);
        assert_eq!(pinned("a>=1,==1.2"), None);
        assert_eq!(pinned("a"), None);
        assert_eq!(pinned("==1"), None);
        assert_eq!(pinned("a[x==1"), None);
    }
}
