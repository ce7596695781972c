//! Words as plans write them, reduced to comparable stems: "Pinning image
//! tags", "pin the image tag" and "images pinned" all become `pin`, `imag`,
//! `tag`. Both the catalogue's vocabulary and the plan's items go through the
//! same reduction, so the stemmer needs to be consistent more than correct.

/// The stems of `text`, in order. Letters and digits make words; everything
/// else separates them, so `read-only` is `read`, `only` and `SECURITY.md` is
/// `secur`, `md`.
pub fn stems(text: &str) -> Vec<String> {
    words(text).map(|w| stem(&w)).collect()
}

/// Lowercase words of `text`, split at anything that is not a letter or a
/// digit, with a word of letters then digits (`p95`, `http2`) kept whole.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
}

fn is_vowel(c: u8) -> bool {
    matches!(c, b'a' | b'e' | b'i' | b'o' | b'u' | b'y')
}

fn has_vowel(s: &str) -> bool {
    s.bytes().any(is_vowel)
}

/// Words whose ending is not an inflection: `https` is not the plural of
/// `http`.
const KEPT: &[&str] = &[
    "https",
    "status",
    "always",
    "kubernetes",
    "canvas",
    "alias",
    "series",
];

/// A light suffix stripper: plurals, `-ing`, `-ed`, `-tion`/`-sion`,
/// `-ment`, `-ly`, then a final `e` and a doubled final consonant. Short
/// words and words with digits are left alone, so that `tls`, `p95` and
/// `k8s` survive.
pub fn stem(word: &str) -> String {
    let w = word.to_lowercase();
    if w.len() <= 3 || !w.bytes().all(|b| b.is_ascii_lowercase()) || KEPT.contains(&w.as_str()) {
        return w;
    }
    let mut s = w.as_str().to_owned();

    if let Some(base) = s.strip_suffix("ies").filter(|b| b.len() >= 2) {
        s = format!("{base}y");
    } else if s.ends_with("sses") {
        s.truncate(s.len() - 2);
    } else if s.ends_with('s')
        && !s.ends_with("ss")
        && !s.ends_with("us")
        && !s.ends_with("is")
        && s.len() > 3
    {
        s.truncate(s.len() - 1);
    }

    let mut stripped = false;
    for suffix in ["ing", "ed"] {
        if let Some(base) = s.strip_suffix(suffix)
            && base.len() >= 3
            && has_vowel(base)
        {
            s = base.to_owned();
            stripped = true;
            break;
        }
    }
    if !stripped {
        if let Some(base) = s.strip_suffix("ion")
            && base.len() >= 4
            && (base.ends_with('t') || base.ends_with('s'))
        {
            s = base.to_owned();
        } else if let Some(base) = s.strip_suffix("ment")
            && base.len() >= 4
        {
            s = base.to_owned();
        } else if let Some(base) = s.strip_suffix("ly")
            && base.len() >= 4
        {
            s = base.to_owned();
        }
    }

    if stripped {
        let b = s.as_bytes();
        let n = b.len();
        if n >= 2 && b[n - 1] == b[n - 2] && !is_vowel(b[n - 1]) && !b"lsz".contains(&b[n - 1]) {
            s.truncate(n - 1);
        }
    }
    if s.len() > 4 && s.ends_with('e') {
        s.truncate(s.len() - 1);
    }
    s
}

/// A lowercase, ASCII, dash-separated identifier made of the first words of
/// `text`, at most `max` characters long, cut at a word boundary.
pub fn slug(text: &str, max: usize) -> String {
    let mut out = String::new();
    for word in text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let word = word.to_ascii_lowercase();
        let extra = if out.is_empty() { 0 } else { 1 } + word.len();
        if !out.is_empty() && out.len() + extra > max {
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&word);
        if out.len() >= max {
            out.truncate(max);
            break;
        }
    }
    out
}

/// Whether the stems of `phrase` occur in `stems`, one after the other.
pub fn has_phrase(stems: &[String], phrase: &str) -> bool {
    contains(stems, &self::stems(phrase))
}

/// Whether `wanted` occurs in `stems`, one after the other.
pub fn contains(stems: &[String], wanted: &[String]) -> bool {
    !wanted.is_empty()
        && stems
            .windows(wanted.len())
            .any(|window| window.iter().zip(wanted).all(|(a, b)| a == b))
}

/// Whether any of `phrases` occurs in `stems`.
pub fn has_any(stems: &[String], phrases: &[&str]) -> bool {
    phrases.iter().any(|p| has_phrase(stems, p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflections_share_a_stem() {
        for group in [
            &["pin", "pins", "pinned", "pinning"][..],
            &["tag", "tags", "tagged", "tagging"],
            &["limit", "limits", "limited", "limiting"],
            &["scale", "scales", "scaled", "scaling"],
            &["image", "images"],
            &["policy", "policies"],
            &["rotate", "rotated", "rotation", "rotating"],
            &["validate", "validated", "validation"],
            &["encrypt", "encrypted", "encryption"],
            &["probe", "probes", "probing"],
            &["hardcode", "hardcoded", "hardcodes"],
            &["deploy", "deployed", "deployment", "deployments"],
            &["scan", "scans", "scanned", "scanning"],
        ] {
            let first = stem(group[0]);
            for word in group {
                assert_eq!(stem(word), first, "{word} vs {}", group[0]);
            }
        }
    }

    #[test]
    fn short_and_technical_words_are_kept() {
        for word in [
            "tls", "p95", "k8s", "401", "ssl", "pdb", "hpa", "string", "need", "https",
        ] {
            assert_eq!(stem(word), word);
        }
        assert_eq!(
            stems("Read-only SECURITY.md"),
            ["read", "only", "security", "md"]
        );
    }

    #[test]
    fn slugs_are_short_and_cut_between_words() {
        assert_eq!(
            slug("Phase 1: CI Green (P0 Blockers)", 40),
            "phase-1-ci-green-p0-blockers"
        );
        assert_eq!(
            slug("Pin all `latest` tags to specific versions", 20),
            "pin-all-latest-tags"
        );
        assert_eq!(
            slug("üîê Pre-Deployment Security", 40),
            "pre-deployment-security"
        );
        assert_eq!(slug("✅", 40), "");
    }
}
