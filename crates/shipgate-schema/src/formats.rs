//! String formats the API server enforces while decoding, which JSON Schema
//! validators do not know.

/// A resource quantity as `resource.ParseQuantity` accepts it: an optional
/// sign, a decimal number, then nothing, a binary suffix (`Ki` .. `Ei`), a
/// decimal suffix (`n` `u` `m` `k` `M` `G` `T` `P` `E`) or an exponent
/// (`e3`, `E-2`). Surrounding spaces are trimmed first, as the decoder does.
pub fn is_quantity(text: &str) -> bool {
    let bytes = text.trim().as_bytes();
    let mut i = 0;
    if matches!(bytes.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let integer = digits(bytes, &mut i);
    let mut fraction = 0;
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        fraction = digits(bytes, &mut i);
    }
    if integer == 0 && fraction == 0 {
        return false;
    }
    match &bytes[i..] {
        b"" | b"n" | b"u" | b"m" | b"k" | b"M" | b"G" | b"T" | b"P" | b"E" => true,
        b"Ki" | b"Mi" | b"Gi" | b"Ti" | b"Pi" | b"Ei" => true,
        [b'e' | b'E', rest @ ..] => {
            let rest = rest
                .strip_prefix(b"+")
                .or(rest.strip_prefix(b"-"))
                .unwrap_or(rest);
            !rest.is_empty() && rest.iter().all(u8::is_ascii_digit)
        }
        _ => false,
    }
}

fn digits(bytes: &[u8], i: &mut usize) -> usize {
    let start = *i;
    while bytes.get(*i).is_some_and(u8::is_ascii_digit) {
        *i += 1;
    }
    *i - start
}

/// Standard base64 with padding, as Go's `encoding/json` decodes `[]byte`
/// (Secret `data`, ConfigMap `binaryData`); line breaks are ignored.
pub fn is_base64(text: &str) -> bool {
    let mut count = 0usize;
    let mut padding = 0usize;
    for byte in text.bytes() {
        match byte {
            b'\r' | b'\n' => continue,
            b'=' => padding += 1,
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' if padding == 0 => {}
            _ => return false,
        }
        count += 1;
    }
    count.is_multiple_of(4) && padding <= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_follow_the_api_server_grammar() {
        for ok in [
            "1", "500m", "1.5Gi", "0.5", ".5", "5.", "+1", "-1", "1e3", "1E-2", "2Ki", "100n",
            " 128Mi ", "1Ei", "3u",
        ] {
            assert!(is_quantity(ok), "{ok}");
        }
        for bad in [
            "", "1GB", "512mb", "1.5.5", "Mi", ".", "-", "1e", "1e+", "1Mi ki", "1 Mi", "1ki",
            "one", "1K", "0x10",
        ] {
            assert!(!is_quantity(bad), "{bad}");
        }
    }

    #[test]
    fn base64_is_padded_standard_base64() {
        for ok in ["", "aGVsbG8=", "aGVsbG8h", "aGk=\n", "YQ==", "a+/b"] {
            assert!(is_base64(ok), "{ok}");
        }
        for bad in [
            "hello",
            "aGVsbG8",
            "aGVsbG8=x",
            "a===",
            "aGk-",
            "aGk_",
            "plain text",
        ] {
            assert!(!is_base64(bad), "{bad}");
        }
    }
}
