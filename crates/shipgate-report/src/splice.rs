//! Writing a pretty-printed JSON document whose large arrays are produced
//! one item at a time: the document is serialized with those arrays empty,
//! and each item is written into its place as it comes, indented exactly
//! as `serde_json`'s pretty printer would, so the output is the same bytes
//! as serializing everything at once, without holding everything at once.

use std::io;

use serde::Serialize;

/// Hands each item of an array, serialized, to the writer.
pub(crate) type Emit<'e> = &'e mut dyn FnMut(&dyn ErasedItem) -> io::Result<()>;

/// Produces the items of one array by calling `emit` once per item.
pub(crate) type Items<'a> = &'a mut dyn FnMut(Emit<'_>) -> io::Result<()>;

/// An item to serialize, without naming its type.
pub(crate) trait ErasedItem {
    fn pretty(&self) -> serde_json::Result<String>;
}

impl<T: Serialize> ErasedItem for T {
    fn pretty(&self) -> serde_json::Result<String> {
        serde_json::to_string_pretty(self)
    }
}

/// Writes `document` (pretty JSON) to `out`, filling each empty array
/// `"key": []` named in `arrays` with the items its producer emits.
pub(crate) fn write_arrays(
    out: &mut dyn io::Write,
    document: &str,
    arrays: &mut [(&str, Items<'_>)],
) -> io::Result<()> {
    let mut places = Vec::with_capacity(arrays.len());
    for (index, (key, _)) in arrays.iter().enumerate() {
        let (at, indent) = find_empty_array(document, key).ok_or_else(|| {
            io::Error::other(format!("no empty `{key}` array in the document to fill"))
        })?;
        places.push((at, indent, index));
    }
    places.sort_unstable();
    let mut written = 0;
    for (at, indent, index) in places {
        // `at` is where `[]` starts.
        out.write_all(&document.as_bytes()[written..at])?;
        out.write_all(b"[")?;
        let pad = " ".repeat(indent + 2);
        let mut count = 0u64;
        (arrays[index].1)(&mut |item| {
            let text = item.pretty().map_err(io::Error::other)?;
            out.write_all(if count == 0 { b"\n" } else { b",\n" })?;
            for (i, line) in text.split('\n').enumerate() {
                if i > 0 {
                    out.write_all(b"\n")?;
                }
                out.write_all(pad.as_bytes())?;
                out.write_all(line.as_bytes())?;
            }
            count += 1;
            Ok(())
        })?;
        if count > 0 {
            out.write_all(b"\n")?;
            out.write_all(" ".repeat(indent).as_bytes())?;
        }
        out.write_all(b"]")?;
        written = at + 2;
    }
    out.write_all(&document.as_bytes()[written..])
}

/// The byte offset of `[]` in the line `<indent>"key": []`, and the indent.
/// A key inside a string value cannot match: its quotes would be escaped,
/// and pretty JSON never breaks a line inside a string.
fn find_empty_array(document: &str, key: &str) -> Option<(usize, usize)> {
    let needle = format!("\"{key}\": []");
    let mut from = 0;
    while let Some(found) = document[from..].find(&needle) {
        let start = from + found;
        let line_start = document[..start].rfind('\n').map_or(0, |i| i + 1);
        let indent = &document[line_start..start];
        if indent.bytes().all(|b| b == b' ') {
            return Some((start + needle.len() - 2, indent.len()));
        }
        from = start + needle.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn filled(document: &serde_json::Value, key: &str, items: &[serde_json::Value]) -> String {
        let text = serde_json::to_string_pretty(document).unwrap();
        let mut out = Vec::new();
        write_arrays(
            &mut out,
            &text,
            &mut [(key, &mut |emit: Emit<'_>| {
                items.iter().try_for_each(|i| emit(i))
            })],
        )
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn filled_arrays_are_the_bytes_of_serializing_everything_at_once() {
        let items = vec![
            json!({"rule": "a", "n": [1, 2]}),
            json!("two\nlines"),
            json!({}),
        ];
        let empty = json!({"head": {"x": 1}, "findings": [], "tail": "t"});
        let whole = json!({"head": {"x": 1}, "findings": items, "tail": "t"});
        assert_eq!(
            filled(&empty, "findings", &items),
            serde_json::to_string_pretty(&whole).unwrap()
        );
        let nested = json!({"runs": [{"results": [], "tool": "x"}]});
        let nested_whole = json!({"runs": [{"results": items, "tool": "x"}]});
        assert_eq!(
            filled(&nested, "results", &items),
            serde_json::to_string_pretty(&nested_whole).unwrap()
        );
        assert_eq!(
            filled(&empty, "findings", &[]),
            serde_json::to_string_pretty(&empty).unwrap()
        );
    }

    #[test]
    fn a_key_inside_a_string_is_not_an_array() {
        let doc = json!({"message": "\"findings\": []", "findings": []});
        let out = filled(&doc, "findings", &[json!(1)]);
        let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed["message"], "\"findings\": []");
        assert_eq!(parsed["findings"], json!([1]));
    }
}
