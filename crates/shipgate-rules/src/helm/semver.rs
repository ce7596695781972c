//! Semantic versions and the version constraints of Chart.yaml, read the way
//! Helm reads them: chart versions are checked against SemVer 2.0.0 as
//! `helm lint` does, and dependency constraints follow the syntax of the
//! semver library Helm resolves dependencies with (`^`, `~`, `x`, ranges,
//! `,` for and, `||` for or).

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Identifier {
    Number(u64),
    Text(String),
}

/// A version: three numbers and pre-release identifiers. Build metadata is
/// dropped, since SemVer ignores it when ordering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: Vec<Identifier>,
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                // A pre-release comes before its release.
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_pre(&self.pre, &other.pre),
            })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn compare_pre(a: &[Identifier], b: &[Identifier]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let order = match (x, y) {
            (Identifier::Number(x), Identifier::Number(y)) => x.cmp(y),
            (Identifier::Number(_), Identifier::Text(_)) => Ordering::Less,
            (Identifier::Text(_), Identifier::Number(_)) => Ordering::Greater,
            (Identifier::Text(x), Identifier::Text(y)) => x.cmp(y),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    a.len().cmp(&b.len())
}

impl Version {
    const fn new(major: u64, minor: u64, patch: u64) -> Self {
        Version {
            major,
            minor,
            patch,
            pre: Vec::new(),
        }
    }
}

/// Why `text` is not a SemVer 2.0.0 version, if it is not.
pub fn strict_problem(text: &str) -> Option<&'static str> {
    if text.starts_with(['v', 'V']) {
        return Some("starts with `v`, which SemVer does not allow");
    }
    let (rest, _build) = match text.split_once('+') {
        Some((rest, build)) => {
            if build.split('.').any(|i| !is_identifier(i)) {
                return Some("has malformed build metadata after `+`");
            }
            (rest, Some(build))
        }
        None => (text, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (rest, None),
    };
    let numbers: Vec<&str> = core.split('.').collect();
    if numbers.len() != 3 {
        return Some("must have three numbers, MAJOR.MINOR.PATCH");
    }
    for number in numbers {
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Some("must have three numbers, MAJOR.MINOR.PATCH");
        }
        if number.len() > 1 && number.starts_with('0') {
            return Some("has a number with a leading zero");
        }
    }
    if let Some(pre) = pre {
        for identifier in pre.split('.') {
            if !is_identifier(identifier) {
                return Some("has a malformed pre-release after `-`");
            }
            let numeric = identifier.bytes().all(|b| b.is_ascii_digit());
            if numeric && identifier.len() > 1 && identifier.starts_with('0') {
                return Some("has a numeric pre-release identifier with a leading zero");
            }
        }
    }
    None
}

fn is_identifier(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// A version as a constraint or a lock file may write it: an optional `v`,
/// and possibly missing numbers (`x`, `X` and `*` stand for any).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Partial {
    major: Option<u64>,
    minor: Option<u64>,
    patch: Option<u64>,
    pre: Vec<Identifier>,
}

fn parse_partial(text: &str) -> Option<Partial> {
    let text = text.strip_prefix(['v', 'V']).unwrap_or(text);
    let text = text.split_once('+').map_or(text, |(rest, _)| rest);
    let (core, pre) = match text.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (text, None),
    };
    let mut numbers = core.split('.');
    let mut next = || -> Option<Option<u64>> {
        match numbers.next() {
            None => Some(None),
            Some("x" | "X" | "*") => Some(None),
            Some(n) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
                n.parse().ok().map(Some)
            }
            Some(_) => None,
        }
    };
    let major = next()?;
    let minor = next()?;
    let patch = next()?;
    if numbers.next().is_some() {
        return None;
    }
    let pre = match pre {
        None => Vec::new(),
        Some(pre) => pre
            .split('.')
            .map(|i| {
                if !is_identifier(i) {
                    return None;
                }
                Some(match i.parse::<u64>() {
                    Ok(n) if i.bytes().all(|b| b.is_ascii_digit()) => Identifier::Number(n),
                    _ => Identifier::Text(i.to_owned()),
                })
            })
            .collect::<Option<Vec<_>>>()?,
    };
    // Nothing may be given after a wildcard.
    let given = [major, minor, patch];
    if given.windows(2).any(|w| w[0].is_none() && w[1].is_some()) {
        return None;
    }
    Some(Partial {
        major,
        minor,
        patch,
        pre,
    })
}

impl Partial {
    fn is_complete(&self) -> bool {
        self.patch.is_some()
    }

    /// The lowest version the partial stands for.
    fn floor(&self) -> Version {
        Version {
            major: self.major.unwrap_or(0),
            minor: self.minor.unwrap_or(0),
            patch: self.patch.unwrap_or(0),
            pre: self.pre.clone(),
        }
    }

    /// The first version past everything the partial stands for; `None`
    /// when it stands for everything.
    fn ceiling(&self) -> Option<Version> {
        match (self.major, self.minor, self.patch) {
            (None, _, _) => None,
            (Some(major), None, _) => Some(Version::new(major + 1, 0, 0)),
            (Some(major), Some(minor), None) => Some(Version::new(major, minor + 1, 0)),
            (Some(major), Some(minor), Some(patch)) => Some(Version::new(major, minor, patch + 1)),
        }
    }
}

/// A version a lock file records.
pub fn parse_version(text: &str) -> Option<Version> {
    let partial = parse_partial(text.trim())?;
    partial.is_complete().then(|| partial.floor())
}

#[derive(Debug, Clone)]
enum Bound {
    Any,
    Eq(Version),
    Ne(Version),
    Gt(Version),
    Ge(Version),
    Lt(Version),
    Le(Version),
    Outside(Version, Version),
}

impl Bound {
    fn admits(&self, v: &Version) -> bool {
        match self {
            Bound::Any => true,
            Bound::Eq(b) => v == b,
            Bound::Ne(b) => v != b,
            Bound::Gt(b) => v > b,
            Bound::Ge(b) => v >= b,
            Bound::Lt(b) => v < b,
            Bound::Le(b) => v <= b,
            Bound::Outside(low, high) => v < low || v >= high,
        }
    }

    fn has_pre(&self) -> bool {
        match self {
            Bound::Any => false,
            Bound::Eq(b)
            | Bound::Ne(b)
            | Bound::Gt(b)
            | Bound::Ge(b)
            | Bound::Lt(b)
            | Bound::Le(b) => !b.pre.is_empty(),
            Bound::Outside(low, high) => !low.pre.is_empty() || !high.pre.is_empty(),
        }
    }
}

/// A constraint: alternatives (`||`), each a conjunction of bounds.
#[derive(Debug, Clone)]
pub struct Constraint {
    alternatives: Vec<Vec<Bound>>,
}

impl Constraint {
    pub fn admits(&self, version: &Version) -> bool {
        self.alternatives.iter().any(|bounds| {
            // A pre-release is admitted only by a constraint that names one.
            (version.pre.is_empty() || bounds.iter().any(Bound::has_pre))
                && bounds.iter().all(|b| b.admits(version))
        })
    }
}

const OPERATORS: &[&str] = &["!=", ">=", "=>", "<=", "=<", "~>", ">", "<", "=", "~", "^"];

pub fn parse_constraint(text: &str) -> Option<Constraint> {
    let alternatives = text
        .split("||")
        .map(parse_conjunction)
        .collect::<Option<Vec<_>>>()?;
    Some(Constraint { alternatives })
}

fn parse_conjunction(text: &str) -> Option<Vec<Bound>> {
    // An operator may stand apart from its version (`>= 1.2`); join them.
    let mut terms: Vec<String> = Vec::new();
    let mut pending_operator = false;
    for token in text.split([',', ' ', '\t']).filter(|t| !t.is_empty()) {
        if pending_operator {
            if let Some(last) = terms.last_mut() {
                last.push_str(token);
            }
            pending_operator = false;
        } else {
            pending_operator = OPERATORS.contains(&token);
            terms.push(token.to_owned());
        }
    }
    if pending_operator {
        return None;
    }
    let mut bounds = Vec::new();
    let mut index = 0;
    while index < terms.len() {
        // `A - B` is an inclusive range.
        if terms.get(index + 1).map(String::as_str) == Some("-") {
            let low = parse_partial(&terms[index])?;
            let high = parse_partial(terms.get(index + 2)?)?;
            bounds.push(Bound::Ge(low.floor()));
            if high.is_complete() {
                bounds.push(Bound::Le(high.floor()));
            } else if let Some(ceiling) = high.ceiling() {
                bounds.push(Bound::Lt(ceiling));
            }
            index += 3;
            continue;
        }
        bounds.extend(parse_term(&terms[index])?);
        index += 1;
    }
    if bounds.is_empty() {
        return None;
    }
    Some(bounds)
}

fn parse_term(term: &str) -> Option<Vec<Bound>> {
    let operator = OPERATORS
        .iter()
        .find(|op| term.starts_with(**op))
        .copied()
        .unwrap_or("");
    let partial = parse_partial(&term[operator.len()..])?;
    let floor = partial.floor();
    let ceiling = partial.ceiling();
    let range = |low: Version, high: Option<Version>| -> Vec<Bound> {
        let mut bounds = vec![Bound::Ge(low)];
        bounds.extend(high.map(Bound::Lt));
        bounds
    };
    Some(match operator {
        "" | "=" if partial.is_complete() => vec![Bound::Eq(floor)],
        "" | "=" => match ceiling {
            None => vec![Bound::Any],
            Some(ceiling) => range(floor, Some(ceiling)),
        },
        "!=" if partial.is_complete() => vec![Bound::Ne(floor)],
        "!=" => match ceiling {
            None => return None,
            Some(ceiling) => vec![Bound::Outside(floor, ceiling)],
        },
        ">" if partial.is_complete() => vec![Bound::Gt(floor)],
        ">" => match ceiling {
            None => return None,
            Some(ceiling) => vec![Bound::Ge(ceiling)],
        },
        ">=" | "=>" => vec![Bound::Ge(floor)],
        "<" => vec![Bound::Lt(floor)],
        "<=" | "=<" if partial.is_complete() => vec![Bound::Le(floor)],
        "<=" | "=<" => match ceiling {
            None => vec![Bound::Any],
            Some(ceiling) => vec![Bound::Lt(ceiling)],
        },
        "~" | "~>" => {
            let major = partial.major?;
            let high = match partial.minor {
                Some(minor) => Version::new(major, minor + 1, 0),
                None => Version::new(major + 1, 0, 0),
            };
            range(floor, Some(high))
        }
        "^" => {
            let major = partial.major?;
            let high = match (major, partial.minor, partial.patch) {
                (0, None, _) => Version::new(1, 0, 0),
                (0, Some(0), None) => Version::new(0, 1, 0),
                (0, Some(0), Some(patch)) => Version::new(0, 0, patch + 1),
                (0, Some(minor), _) => Version::new(0, minor + 1, 0),
                (major, _, _) => Version::new(major + 1, 0, 0),
            };
            range(floor, Some(high))
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admits(constraint: &str, version: &str) -> bool {
        let constraint = parse_constraint(constraint).expect(constraint);
        constraint.admits(&parse_version(version).expect(version))
    }

    #[test]
    fn strict_semver_follows_the_specification() {
        for good in [
            "1.2.3",
            "0.0.1",
            "1.0.0-rc.1",
            "1.0.0-alpha-a.b.7",
            "2.1.0+build.5",
        ] {
            assert_eq!(strict_problem(good), None, "{good}");
        }
        for bad in [
            "1.0", "v1.2.3", "01.2.3", "1.2.3-01", "1.2.3-", "1.2.3+", "1.2.x", "",
        ] {
            assert!(strict_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn versions_order_with_pre_releases_first() {
        let v = |s: &str| parse_version(s).expect(s);
        assert!(v("1.0.0-alpha") < v("1.0.0-alpha.1"));
        assert!(v("1.0.0-alpha.1") < v("1.0.0-beta"));
        assert!(v("1.0.0-rc.1") < v("1.0.0"));
        assert!(v("1.0.0-2") < v("1.0.0-10"));
        assert!(v("v1.2.3") == v("1.2.3+build"));
        assert!(parse_version("1.2").is_none());
    }

    #[test]
    fn constraints_read_like_helms() {
        assert!(admits("^12.1.0", "12.5.3"));
        assert!(!admits("^12.1.0", "13.0.0"));
        assert!(!admits("^12.1.0", "12.0.9"));
        assert!(admits("^0.2.3", "0.2.9"));
        assert!(!admits("^0.2.3", "0.3.0"));
        assert!(!admits("^0.0.3", "0.0.4"));
        assert!(admits("~1.2.3", "1.2.9"));
        assert!(!admits("~1.2.3", "1.3.0"));
        assert!(admits("~1", "1.9.0"));
        assert!(admits("1.2.x", "1.2.7"));
        assert!(!admits("1.2.x", "1.3.0"));
        assert!(admits("1.2", "1.2.7"));
        assert!(admits("*", "4.5.6"));
        assert!(admits(">= 1.2, < 2", "1.9.0"));
        assert!(!admits(">=1.2 <2", "2.0.0"));
        assert!(admits("1.2 - 1.4.5", "1.4.5"));
        assert!(!admits("1.2 - 1.4", "1.5.0"));
        assert!(admits("1.2 - 1.4", "1.4.9"));
        assert!(admits("<1.0.0 || >=3.0.0", "3.1.0"));
        assert!(!admits("<1.0.0 || >=3.0.0", "2.0.0"));
        assert!(admits("!=1.2.3", "1.2.4"));
        assert!(!admits(">1.2", "1.2.9"));
        assert!(admits("<=1.2", "1.2.9"));
        assert!(admits("=12.1.0", "12.1.0"));
        assert!(!admits("12.1.0", "12.1.1"));
    }

    #[test]
    fn pre_releases_need_a_constraint_that_names_one() {
        assert!(!admits("^1.0.0", "1.2.0-beta.1"));
        assert!(admits("^1.2.0-0", "1.2.0-beta.1"));
        assert!(admits(">=1.2.0-alpha", "1.3.0"));
    }

    #[test]
    fn malformed_constraints_are_refused() {
        for bad in ["", ">=", "^x", "1.2.3.4", "latest", "1.x.3"] {
            assert!(parse_constraint(bad).is_none(), "{bad}");
        }
    }
}
