//! The search itself: one Aho-Corasick pass for every detector's keywords,
//! then each triggered detector's regex over the lines (or the file) its
//! keywords were found in, then the filters, then one winner per region.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{LazyLock, OnceLock};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::bytes::{CaptureLocations, Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use sha2::{Digest, Sha256};
use shipgate_core::{Finding, Location};
use shipgate_syntax::LineIndex;

use super::filters;
use super::{Capture, Reach, Shape, Spec};
use crate::RuleDef;

/// Limits on each compiled pattern and its lazy DFA: generous for the
/// patterns the pack holds, and a bound on what any one of them may cost.
const REGEX_SIZE_LIMIT: usize = 1 << 20;
const DFA_SIZE_LIMIT: usize = 1 << 21;

/// How a pattern names the group that captures what a value is assigned to.
const NAME_GROUP: &str = "(?P<name>";

/// The most bytes of context the filters look at around a secret.
const CONTEXT: usize = 200;

pub(crate) struct Scanner {
    detectors: Vec<Compiled>,
    keywords: AhoCorasick,
    /// For each keyword, the detectors it triggers.
    owners: Vec<Vec<u16>>,
    /// Detectors without keywords, tried over every file.
    always: Vec<u16>,
    by_id: HashMap<&'static str, usize>,
    allowed_paths: GlobSet,
    allowed_lines: RegexSet,
    examples: Vec<&'static [u8]>,
}

pub(crate) struct Compiled {
    pub spec: &'static Spec,
    /// Whether the pattern captures the name a value is assigned to.
    named: bool,
    /// Compiled when the detector's keywords first turn up: most runs meet
    /// a fraction of the formats, and compiling all of them would cost a
    /// small run more than its search.
    matcher: OnceLock<Matcher>,
    paths: Option<GlobSet>,
}

struct Matcher {
    regex: Regex,
    secret: usize,
    name: Option<usize>,
    user: Option<usize>,
    allow: Option<RegexSet>,
}

impl Compiled {
    fn matcher(&self) -> &Matcher {
        self.matcher.get_or_init(|| {
            let spec = self.spec;
            let detect = &spec.detect;
            // The patterns are the pack's own and tested: one that fails to
            // compile is a defect caught by the test that compiles them all.
            let regex = RegexBuilder::new(&format!("(?-u)(?m){}", detect.pattern))
                .size_limit(REGEX_SIZE_LIMIT)
                .dfa_size_limit(DFA_SIZE_LIMIT)
                .build()
                .unwrap_or_else(|err| panic!("{}: {err}", spec.rule.meta.id));
            let names: Vec<Option<&str>> = regex.capture_names().collect();
            let group = |wanted: &str| names.iter().position(|n| *n == Some(wanted));
            let secret = group("secret").unwrap_or(1);
            assert!(
                secret < names.len(),
                "{}: the pattern has no group for the secret",
                spec.rule.meta.id
            );
            Matcher {
                secret,
                name: group("name"),
                user: group("user"),
                regex,
                allow: (!detect.allow.is_empty()).then(|| regex_set(detect.allow)),
            }
        })
    }
}

/// A credential found, before it becomes a finding.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub detector: usize,
    /// The bytes of the credential: what is masked.
    pub secret: Range<usize>,
    /// Where the finding points: the credential, or a key block from its
    /// `BEGIN` line.
    pub at: Range<usize>,
    pub digest: [u8; 32],
    /// The few leading characters a message may show.
    pub prefix: String,
}

static SCANNER: LazyLock<Scanner> = LazyLock::new(Scanner::build);

pub(crate) fn scanner() -> &'static Scanner {
    &SCANNER
}

fn glob_set(globs: &[&str]) -> GlobSet {
    let mut builder = GlobSetBuilder::new();
    for glob in globs {
        match Glob::new(glob) {
            Ok(glob) => {
                builder.add(glob);
            }
            Err(err) => panic!("secrets: invalid glob `{glob}`: {err}"),
        }
    }
    builder
        .build()
        .unwrap_or_else(|err| panic!("secrets: glob set: {err}"))
}

fn regex_set(patterns: &[&str]) -> RegexSet {
    RegexSetBuilder::new(patterns.iter().map(|p| format!("(?-u){p}")))
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(DFA_SIZE_LIMIT)
        .build()
        .unwrap_or_else(|err| panic!("secrets: allowlist: {err}"))
}

impl Scanner {
    fn build() -> Scanner {
        let mut detectors = Vec::new();
        let mut keyword_index: HashMap<&'static str, usize> = HashMap::new();
        let mut keywords: Vec<&'static str> = Vec::new();
        let mut owners: Vec<Vec<u16>> = Vec::new();
        let mut by_id = HashMap::new();
        for (index, spec) in super::specs().enumerate() {
            let detect = &spec.detect;
            detectors.push(Compiled {
                spec,
                named: detect.pattern.contains(NAME_GROUP),
                matcher: OnceLock::new(),
                paths: (!detect.paths.is_empty()).then(|| glob_set(detect.paths)),
            });
            by_id.insert(spec.rule.meta.id, index);
            for keyword in detect.keywords {
                let slot = *keyword_index.entry(keyword).or_insert_with(|| {
                    keywords.push(keyword);
                    owners.push(Vec::new());
                    keywords.len() - 1
                });
                owners[slot].push(index as u16);
            }
        }
        let always = super::specs()
            .enumerate()
            .filter(|(_, spec)| spec.detect.keywords.is_empty())
            .map(|(index, _)| index as u16)
            .collect();
        let keywords = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&keywords)
            .unwrap_or_else(|err| panic!("secrets: keywords: {err}"));
        Scanner {
            detectors,
            keywords,
            owners,
            always,
            by_id,
            allowed_paths: glob_set(filters::ALLOWED_PATHS),
            allowed_lines: regex_set(filters::ALLOWED_LINES),
            examples: filters::DOCUMENTATION_EXAMPLES
                .iter()
                .map(|e| e.as_bytes())
                .collect(),
        }
    }

    pub(crate) fn detector(&self, index: usize) -> &Compiled {
        &self.detectors[index]
    }

    /// Which detectors a run has enabled, or `None` when it enabled none.
    /// A run asks once per file with the same rules: the answer is kept per
    /// thread for the last list asked about.
    pub(crate) fn enabled(&self, rules: &[&'static RuleDef]) -> Option<Vec<bool>> {
        /// The rules last asked about, by address, and the answer.
        type Answer = Option<(Vec<usize>, Option<Vec<bool>>)>;
        thread_local! {
            static LAST: std::cell::RefCell<Answer> = const { std::cell::RefCell::new(None) };
        }
        let key: Vec<usize> = rules
            .iter()
            .map(|r| std::ptr::from_ref(*r) as usize)
            .collect();
        if let Some(answer) = LAST.with_borrow(|last| {
            last.as_ref()
                .filter(|(k, _)| *k == key)
                .map(|(_, answer)| answer.clone())
        }) {
            return answer;
        }
        let answer = self.enabled_uncached(rules);
        LAST.with_borrow_mut(|last| *last = Some((key, answer.clone())));
        answer
    }

    fn enabled_uncached(&self, rules: &[&'static RuleDef]) -> Option<Vec<bool>> {
        let mut on = vec![false; self.detectors.len()];
        let mut any = false;
        for rule in rules {
            if let Some(&index) = self.by_id.get(rule.meta.id) {
                on[index] = true;
                any = true;
            }
        }
        any.then_some(on)
    }

    /// Every credential in `bytes`, one per region, in file order.
    pub(crate) fn scan(&self, path: &str, bytes: &[u8], on: &[bool]) -> Vec<Hit> {
        if self.allowed_paths.is_match(path) {
            return Vec::new();
        }
        let code = filters::is_code(path);
        // Per detector: the end of its last window, or `usize::MAX` once it
        // is to search the whole file.
        let mut reach: Vec<usize> = Vec::new();
        let mut windows: Vec<(u16, Range<usize>)> = Vec::new();
        let mut path_ok: Vec<Option<bool>> = Vec::new();
        for &index in &self.always {
            let d = index as usize;
            if !on[d] {
                continue;
            }
            if reach.is_empty() {
                reach = vec![0; self.detectors.len()];
                path_ok = vec![None; self.detectors.len()];
            }
            if self.detectors[d]
                .paths
                .as_ref()
                .is_none_or(|p| p.is_match(path))
            {
                reach[d] = usize::MAX;
                windows.push((index, 0..bytes.len()));
            }
        }
        for found in self.keywords.find_overlapping_iter(bytes) {
            for &index in &self.owners[found.pattern().as_usize()] {
                let d = index as usize;
                if !on[d] {
                    continue;
                }
                if reach.is_empty() {
                    reach = vec![0; self.detectors.len()];
                    path_ok = vec![None; self.detectors.len()];
                }
                if reach[d] == usize::MAX {
                    continue;
                }
                let detector = &self.detectors[d];
                let allowed = *path_ok[d].get_or_insert_with(|| {
                    detector.paths.as_ref().is_none_or(|p| p.is_match(path))
                });
                if !allowed {
                    continue;
                }
                match detector.spec.detect.reach {
                    Reach::File => {
                        reach[d] = usize::MAX;
                        windows.push((index, 0..bytes.len()));
                    }
                    Reach::Line => {
                        if found.start() < reach[d] {
                            continue;
                        }
                        let start = line_start(bytes, found.start());
                        let end = line_end(bytes, found.end());
                        // In code a named value counts only when quoted: a
                        // line without quotes holds none.
                        if code
                            && detector.named
                            && memchr::memchr3(b'"', b'\'', b'`', &bytes[start..end]).is_none()
                        {
                            reach[d] = end;
                            continue;
                        }
                        reach[d] = end;
                        windows.push((index, start..end));
                    }
                }
            }
        }
        if windows.is_empty() {
            return Vec::new();
        }
        windows.sort_by_key(|(d, w)| (*d, w.start));
        let mut hits = Vec::new();
        let mut locations: Option<(usize, CaptureLocations)> = None;
        let mut i = 0;
        while i < windows.len() {
            let d = windows[i].0 as usize;
            if reach[d] == usize::MAX {
                // A file-wide search supersedes the windows found before it.
                while i < windows.len() && windows[i].0 as usize == d {
                    i += 1;
                }
                self.search(d, bytes, 0..bytes.len(), code, &mut locations, &mut hits);
                continue;
            }
            let mut window = windows[i].1.clone();
            i += 1;
            while i < windows.len() && windows[i].0 as usize == d {
                let next = &windows[i].1;
                if next.start <= window.end + 1 {
                    window.end = window.end.max(next.end);
                } else {
                    self.search(d, bytes, window.clone(), code, &mut locations, &mut hits);
                    window = next.clone();
                }
                i += 1;
            }
            self.search(d, bytes, window, code, &mut locations, &mut hits);
        }
        resolve(&self.detectors, hits)
    }

    fn search(
        &self,
        d: usize,
        bytes: &[u8],
        window: Range<usize>,
        code: bool,
        locations: &mut Option<(usize, CaptureLocations)>,
        hits: &mut Vec<Hit>,
    ) {
        let detector = self.detectors[d].matcher();
        if locations.as_ref().is_none_or(|(owner, _)| *owner != d) {
            *locations = Some((d, detector.regex.capture_locations()));
        }
        let Some((_, locs)) = locations.as_mut() else {
            return;
        };
        let haystack = &bytes[..window.end];
        let mut at = window.start;
        while at <= haystack.len() {
            let Some(found) = detector.regex.captures_read_at(locs, haystack, at) else {
                break;
            };
            at = if found.end() > found.start() {
                found.end()
            } else {
                found.end() + 1
            };
            let Some((start, end)) = locs.get(detector.secret) else {
                continue;
            };
            let group = |g: Option<usize>| g.and_then(|g| locs.get(g)).map(|(s, e)| &bytes[s..e]);
            if let Some(hit) = self.judge(
                d,
                bytes,
                start..end,
                found.range(),
                group(detector.name),
                group(detector.user),
                code,
            ) {
                hits.push(hit);
            }
        }
    }

    /// Whether a match is a credential, and the hit when it is.
    #[allow(clippy::too_many_arguments)]
    fn judge(
        &self,
        d: usize,
        bytes: &[u8],
        secret: Range<usize>,
        whole: Range<usize>,
        name: Option<&[u8]>,
        user: Option<&[u8]>,
        code: bool,
    ) -> Option<Hit> {
        let detector = &self.detectors[d];
        let detect = &detector.spec.detect;
        let value = &bytes[secret.clone()];
        let line = line_start(bytes, secret.start)..line_end(bytes, secret.end);
        let before = &bytes[line.start.max(secret.start.saturating_sub(CONTEXT))..secret.start];
        let after = &bytes[secret.end..line.end.min(secret.end + CONTEXT)];
        let normalized;
        let core: &[u8] = if detect.shape == Shape::Key {
            normalized = filters::normalize(value);
            &normalized
        } else {
            value
        };
        if core.len() < detect.min_len || filters::entropy(core) < detect.min_entropy {
            return None;
        }
        if self.examples.contains(&value) {
            return None;
        }
        if detect.shape != Shape::Key && filters::is_placeholder(value) {
            return None;
        }
        if matches!(detect.shape, Shape::Named | Shape::Password) {
            let expressions = detect.shape == Shape::Named;
            if filters::is_reference(value, before, after, expressions) {
                return None;
            }
            // In code, an unquoted value is an expression, not a literal.
            let quoted = matches!(before.last(), Some(b'"' | b'\'' | b'`'));
            if code && detect.shape == Shape::Named && name.is_some() && !quoted {
                return None;
            }
        }
        if detect.shape == Shape::Password && user.is_some_and(|u| u.eq_ignore_ascii_case(value)) {
            return None;
        }
        if filters::in_data_uri(before) {
            return None;
        }
        if self.allowed_lines.is_match(&bytes[line.clone()]) {
            return None;
        }
        if detector
            .matcher()
            .allow
            .as_ref()
            .is_some_and(|a| a.is_match(value))
        {
            return None;
        }
        let capture = Capture {
            secret: value,
            name,
        };
        if detect.validate.is_some_and(|validate| !validate(&capture)) {
            return None;
        }
        let digest: [u8; 32] = Sha256::digest(core).into();
        let at = if detect.shape == Shape::Key {
            whole
        } else {
            secret.clone()
        };
        Some(Hit {
            detector: d,
            secret,
            at,
            digest,
            prefix: prefix(core),
        })
    }
}

/// Keeps one hit per region: where hits overlap, the detector with the
/// higher priority wins (a provider's format before a generic assignment),
/// then the longer match.
fn resolve(detectors: &[Compiled], mut hits: Vec<Hit>) -> Vec<Hit> {
    if hits.len() < 2 {
        return hits;
    }
    hits.sort_by(|a, b| {
        let pa = detectors[a.detector].spec.detect.priority;
        let pb = detectors[b.detector].spec.detect.priority;
        pb.cmp(&pa)
            .then((b.secret.end - b.secret.start).cmp(&(a.secret.end - a.secret.start)))
            .then(a.secret.start.cmp(&b.secret.start))
    });
    let mut kept: Vec<Hit> = Vec::with_capacity(hits.len());
    for hit in hits {
        if !kept
            .iter()
            .any(|k| hit.secret.start < k.secret.end && k.secret.start < hit.secret.end)
        {
            kept.push(hit);
        }
    }
    kept.sort_by_key(|h| (h.secret.start, h.detector));
    kept
}

fn line_start(bytes: &[u8], at: usize) -> usize {
    memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |i| i + 1)
}

fn line_end(bytes: &[u8], at: usize) -> usize {
    memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i)
}

/// At most four leading characters, and fewer for short secrets, so that a
/// prefix is never most of a secret (the renderers mask by the same rule).
pub(crate) fn prefix(secret: &[u8]) -> String {
    let text = String::from_utf8_lossy(secret);
    let keep = (text.chars().count() / 4).min(4);
    text.chars().take(keep).collect()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// How a credential is named in messages: what it is, a prefix and a
/// digest, never the value.
pub(crate) fn describe(what: &str, prefix: &str, digest: &[u8; 32]) -> String {
    format!("{what} `{prefix}…` (sha256:{})", hex(&digest[..4]))
}

/// The finding for a hit in a file.
pub(crate) fn finding(path: &str, text: &str, lines: &LineIndex, hit: &Hit) -> Finding {
    let detector = scanner().detector(hit.detector);
    let meta = &detector.spec.rule.meta;
    let span = lines.span(text, hit.at.start as u32, hit.at.end as u32);
    let secret = lines.span(text, hit.secret.start as u32, hit.secret.end as u32);
    // Named by the secret's digest, not its line: a baseline keeps
    // matching when lines move, and the fingerprint is a hash of a hash.
    let location =
        Location::at(path, span).with_logical(format!("sha256:{}", hex(&hit.digest[..8])));
    let message = format!(
        "{} in plain text",
        describe(detector.spec.detect.what, &hit.prefix, &hit.digest)
    );
    let mut finding = crate::registry::finding(meta, message, location);
    finding
        .add_redaction(secret)
        .set_help("rotate it first, then load it from the environment or a secret store");
    finding
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Patterns compile on first use: every one must, and the name group
    /// read from the pattern's text must be the one the regex has, since
    /// windows are skipped on it before anything is compiled.
    #[test]
    fn every_pattern_compiles_and_names_its_groups_as_read() {
        for detector in &scanner().detectors {
            let matcher = detector.matcher();
            assert_eq!(
                detector.named,
                matcher.name.is_some(),
                "{}",
                detector.spec.rule.meta.id
            );
        }
    }
}
