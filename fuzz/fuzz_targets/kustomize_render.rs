//! Arbitrary kustomizations, resources and patches through the native
//! renderer and every rule: the input is split at NUL bytes into a
//! kustomization, two resources and a patch. Nothing may panic, and every
//! finding must point inside the file it names.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shipgate_kustomize::{MemoryLoader, render};
use shipgate_rules::{Engine, EngineConfig};

const NAMES: [&str; 4] = [
    "app/kustomization.yaml",
    "app/a.yaml",
    "app/b.yaml",
    "app/patch.yaml",
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let files: Vec<(&str, &str)> = NAMES.iter().copied().zip(text.split('\0')).collect();
    let loader = MemoryLoader::new(files.iter().copied());
    let rendering = render("app", &loader);
    let engine = Engine::new(EngineConfig::default()).expect("the default config is valid");
    let outcome = engine.check_rendered("app/kustomization.yaml", &rendering.stream);
    let report = engine.finish(vec![], vec![outcome], None);
    for finding in &report.findings {
        let Some(span) = finding.location.span else {
            continue;
        };
        let size = files
            .iter()
            .find(|(name, _)| *name == finding.location.path)
            .map_or(usize::MAX, |(_, text)| text.len());
        assert!(span.start_byte <= span.end_byte, "{finding:?}");
        assert!(span.end_byte as usize <= size, "{finding:?}");
    }
});
