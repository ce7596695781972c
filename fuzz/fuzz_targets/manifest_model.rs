//! Arbitrary bytes through the whole engine as a Kubernetes file: UTF-8 and
//! binary detection, YAML loading, the object model, every per-object rule,
//! then the cross-object rules and report assembly. Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shipgate_rules::{ArtifactKind, Engine, EngineConfig};

fuzz_target!(|data: &[u8]| {
    let engine = Engine::new(EngineConfig::default()).expect("the default config is valid");
    let outcome = engine.check_bytes("fuzz.yaml", data, ArtifactKind::Kubernetes);
    let report = engine.finish(vec![], vec![outcome], None);
    for finding in &report.findings {
        if let Some(span) = finding.location.span {
            assert!(span.start_byte <= span.end_byte, "{finding:?}");
            assert!(span.end_byte as usize <= data.len(), "{finding:?}");
        }
    }
});
