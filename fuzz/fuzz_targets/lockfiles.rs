//! Arbitrary bytes through every lockfile parser, then the SBOM built from
//! what they accepted. No panic, and the document stays consistent: unique
//! bom-refs, every dependency reference naming one of them, valid JSON.
#![no_main]

use std::collections::BTreeSet;

use libfuzzer_sys::fuzz_target;
use shipgate_sbom::{LockfileKind, Subject, build, scan_sources, to_json};

fuzz_target!(|data: &[u8]| {
    for kind in LockfileKind::ALL {
        let scan = scan_sources([("fuzz", kind, data)]);
        assert_eq!(scan.lockfiles.len(), 1);
        let subject = Subject {
            name: "fuzz".into(),
            version: "0".into(),
            timestamp: time::OffsetDateTime::UNIX_EPOCH,
            tool_name: "shipgate".into(),
            tool_version: "0".into(),
        };
        let bom = build(&scan, &subject);
        let mut refs = BTreeSet::new();
        refs.insert(bom.metadata.component.bom_ref.clone().expect("root ref"));
        for c in &bom.components {
            let r = c.bom_ref.clone().expect("component ref");
            assert!(r.starts_with("pkg:"), "{r}");
            assert!(refs.insert(r), "duplicate bom-ref");
        }
        for d in &bom.dependencies {
            assert!(refs.contains(&d.reference), "{}", d.reference);
            for t in &d.depends_on {
                assert!(refs.contains(t), "{t}");
            }
        }
        let text = to_json(&bom);
        let _: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    }
});
