//! Which license a LICENSE file holds, told by the phrases each license's
//! text is made of. Full matching as in the SPDX matching guidelines is not
//! needed: the question is only whether a reader can tell what the terms are.

/// Whether a file name is one GitHub and package registries read as the
/// license: `LICENSE`, `LICENCE.md`, `COPYING`, `LICENSE-MIT`, `UNLICENSE`...
pub(crate) fn is_license_file(name: &str) -> bool {
    // Called for every file of the tree: rule most names out before allocating.
    if !matches!(
        name.as_bytes().first(),
        Some(b'L' | b'l' | b'C' | b'c' | b'U' | b'u')
    ) {
        return false;
    }
    let upper = name.to_ascii_uppercase();
    let (stem, extension) = upper.split_once('.').unwrap_or((&upper, ""));
    let named = ["LICENSE", "LICENCE", "COPYING", "UNLICENSE"]
        .iter()
        .any(|base| {
            stem == *base
                || stem
                    .strip_prefix(base)
                    .is_some_and(|rest| rest.starts_with('-') || rest.starts_with('_'))
        });
    let text_extension = matches!(
        extension,
        "" | "MD" | "TXT" | "RST" | "MARKDOWN" | "ADOC" | "ORG" | "LESSER"
    );
    named && text_extension
}

/// The SPDX identifier of a license text, if it is one shipgate knows.
pub(crate) fn identify(text: &str) -> Option<String> {
    if let Some(id) = spdx_identifier(text) {
        return Some(id);
    }
    let text = normalise(text);
    let has = |phrase: &str| text.contains(phrase);
    if let Some(gnu) = gnu_family(&text) {
        return Some(gnu.to_owned());
    }
    let id = if has("apache license") && (has("version 2.0") || has("apache-2.0")) {
        "Apache-2.0"
    } else if has("permission is hereby granted, free of charge, to any person obtaining a copy") {
        if has("the above copyright notice and this permission notice shall be included") {
            "MIT"
        } else {
            "MIT-0"
        }
    } else if has("redistribution and use in source and binary forms") {
        if has("neither the name") || has("may be used to endorse or promote products") {
            "BSD-3-Clause"
        } else {
            "BSD-2-Clause"
        }
    } else if has("mozilla public license version 2.0") || has("mozilla public license, v. 2.0") {
        "MPL-2.0"
    } else if has(
        "permission to use, copy, modify, and/or distribute this software for any purpose",
    ) || has(
        "permission to use, copy, modify, and distribute this software for any purpose with or without fee",
    ) {
        "ISC"
    } else if has("this is free and unencumbered software released into the public domain") {
        "Unlicense"
    } else if has("boost software license - version 1.0") {
        "BSL-1.0"
    } else if has("cc0 1.0 universal") {
        "CC0-1.0"
    } else if has("eclipse public license - v 2.0") || has("eclipse public license v. 2.0") {
        "EPL-2.0"
    } else {
        return None;
    };
    Some(id.to_owned())
}

/// An `SPDX-License-Identifier:` line, as REUSE and many projects write it.
fn spdx_identifier(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let at = line.find("SPDX-License-Identifier:")?;
        let id = line[at + "SPDX-License-Identifier:".len()..]
            .trim()
            .trim_end_matches("*/")
            .trim_end_matches("-->")
            .trim();
        (!id.is_empty()).then(|| id.to_owned())
    })
}

/// The GNU licenses quote each other (the GPL recommends the LGPL, the
/// LGPL builds on the GPL), so the name that comes first decides, and the
/// version is read near it.
fn gnu_family(text: &str) -> Option<&'static str> {
    const NAMES: &[(&str, &str)] = &[
        ("gnu affero general public license", "AGPL"),
        ("gnu lesser general public license", "LGPL"),
        ("gnu library general public license", "LGPL-2.0"),
        ("gnu general public license", "GPL"),
    ];
    let (at, family) = NAMES
        .iter()
        .filter_map(|(name, family)| text.find(name).map(|at| (at, *family)))
        .min_by_key(|(at, _)| *at)?;
    let window: String = text[at..].chars().take(400).collect();
    let version = if window.contains("version 3") {
        "3.0"
    } else if window.contains("version 2.1") {
        "2.1"
    } else if window.contains("version 2") {
        "2.0"
    } else {
        return None;
    };
    Some(match (family, version) {
        ("LGPL-2.0", _) => "LGPL-2.0",
        ("AGPL", "3.0") => "AGPL-3.0",
        ("LGPL", "3.0") => "LGPL-3.0",
        ("LGPL", "2.1") => "LGPL-2.1",
        ("GPL", "3.0") => "GPL-3.0",
        ("GPL", "2.0") => "GPL-2.0",
        _ => return None,
    })
}

/// Lower case, Markdown emphasis dropped, runs of whitespace made one space:
/// license texts are rewrapped and reformatted freely.
fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if matches!(c, '*' | '_' | '#' | '>' | '`') {
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.extend(c.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_license_file_names() {
        for name in [
            "LICENSE",
            "LICENSE.md",
            "licence.txt",
            "COPYING",
            "COPYING.LESSER",
            "LICENSE-MIT",
            "UNLICENSE",
        ] {
            assert!(is_license_file(name), "{name}");
        }
        for name in ["license.py", "LicenseService.java", "LICENSES", "README.md"] {
            assert!(!is_license_file(name), "{name}");
        }
    }

    #[test]
    fn identifies_licenses_by_their_phrases() {
        let cases = [
            (
                "MIT License\n\nCopyright (c) 2024 Shop\n\nPermission is hereby granted, free of charge, to any person obtaining a copy\nof this software... The above copyright notice and this permission notice shall be\nincluded in all copies",
                "MIT",
            ),
            (
                "                                 Apache License\n                           Version 2.0, January 2004",
                "Apache-2.0",
            ),
            (
                "Redistribution and use in source and binary forms, with or without modification... Neither the name of the copyright holder",
                "BSD-3-Clause",
            ),
            (
                "Redistribution and use in source and binary forms, with or without modification, are permitted",
                "BSD-2-Clause",
            ),
            (
                "GNU GENERAL PUBLIC LICENSE\nVersion 3, 29 June 2007\n... use the GNU Lesser General Public License instead",
                "GPL-3.0",
            ),
            (
                "GNU GENERAL PUBLIC LICENSE\nVersion 2, June 1991",
                "GPL-2.0",
            ),
            (
                "GNU LESSER GENERAL PUBLIC LICENSE\nVersion 3, 29 June 2007\n... GNU General Public License",
                "LGPL-3.0",
            ),
            (
                "GNU LESSER GENERAL PUBLIC LICENSE\nVersion 2.1, February 1999",
                "LGPL-2.1",
            ),
            (
                "GNU AFFERO GENERAL PUBLIC LICENSE\nVersion 3, 19 November 2007",
                "AGPL-3.0",
            ),
            (
                "Mozilla Public License Version 2.0\n==================================",
                "MPL-2.0",
            ),
            (
                "ISC License\n\nPermission to use, copy, modify, and/or distribute this software for any\npurpose with or without fee is hereby granted",
                "ISC",
            ),
            (
                "This is free and unencumbered software released into the public domain.",
                "Unlicense",
            ),
            (
                "// SPDX-License-Identifier: MIT OR Apache-2.0\n",
                "MIT OR Apache-2.0",
            ),
        ];
        for (text, id) in cases {
            assert_eq!(identify(text).as_deref(), Some(id), "{text}");
        }
        assert_eq!(identify("Copyright 2024 Shop. All rights reserved."), None);
    }
}
