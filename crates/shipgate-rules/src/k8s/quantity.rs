//! Kubernetes resource quantities (`500m`, `1.5Gi`, `2e3`), compared exactly
//! enough to tell a request from a limit.

use shipgate_syntax::yaml::{NodeRef, Resolved};

/// Parses a quantity into its value in base units (cores, bytes). `None`
/// when Kubernetes would reject it.
pub fn parse(text: &str) -> Option<f64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    if number.is_empty() || number == "+" || number == "-" || number.matches('.').count() > 1 {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    let multiplier = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        exp if exp.starts_with(['e', 'E']) => {
            let power: i32 = exp[1..].parse().ok()?;
            10f64.powi(power)
        }
        _ => return None,
    };
    Some(value * multiplier)
}

/// Reads a quantity field as Kubernetes does. The API server decodes YAML
/// into JSON first, so a plain number such as `0x10` or `1_000` arrives as
/// the number it resolves to, not as the text written; only strings go
/// through the quantity grammar. `None` when Kubernetes would reject the
/// value (callers skip null fields before asking).
pub fn of_node(node: NodeRef<'_>) -> Option<f64> {
    match node.resolve()? {
        Resolved::Int(i) => Some(i as f64),
        Resolved::Float(f) => f.is_finite().then_some(f),
        Resolved::Str(s) => parse(s),
        _ => None,
    }
}

/// Whether `a` is greater than `b` by more than floating-point noise: `1.1`
/// and `1100m` reach `parse` through different roundings yet are the same
/// quantity, and a request equal to its limit is the common, valid case.
pub fn exceeds(a: f64, b: f64) -> bool {
    a - b > a.abs().max(b.abs()) * 1e-12
}

#[cfg(test)]
mod tests {
    use super::{exceeds, parse};

    #[test]
    fn parses_the_suffixes_kubernetes_accepts() {
        assert_eq!(parse("500m"), Some(0.5));
        assert_eq!(parse("2"), Some(2.0));
        assert_eq!(parse("1Gi"), Some(1024.0 * 1024.0 * 1024.0));
        assert_eq!(parse("128M"), Some(128e6));
        assert_eq!(parse("1.5Gi"), Some(1.5 * 1024.0 * 1024.0 * 1024.0));
        assert_eq!(parse("2e3"), Some(2000.0));
    }

    #[test]
    fn rejects_what_kubernetes_rejects() {
        for bad in ["", "512mb", "1GB", "abc", "1..2", "Mi", "-"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn equal_quantities_written_differently_do_not_exceed_each_other() {
        let pairs = [
            ("1.1", "1100m"),
            ("0.3", "300m"),
            ("1Gi", "1073741824"),
            ("1k", "1e3"),
            ("0.1", "100m"),
        ];
        for (a, b) in pairs {
            let (Some(x), Some(y)) = (parse(a), parse(b)) else {
                panic!("{a} or {b} did not parse");
            };
            assert!(!exceeds(x, y) && !exceeds(y, x), "{a} vs {b}");
        }
    }

    #[test]
    fn a_real_difference_exceeds() {
        let (Some(request), Some(limit)) = (parse("501m"), parse("500m")) else {
            panic!("quantities did not parse");
        };
        assert!(exceeds(request, limit));
        assert!(!exceeds(limit, request));
        assert!(exceeds(1e-9, 0.0));
    }
}
