//! Validates every object of the YAML files in a folder on one thread and
//! reports objects per second: `cargo run --release -p shipgate-schema
//! --example throughput -- DIR [RELEASE]`.

use std::time::Instant;

use shipgate_schema::{Release, SchemaSet, Validation};
use shipgate_syntax::yaml::{Limits, Schema, parse};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("usage: throughput DIR [RELEASE]");
    let release: Release = args
        .next()
        .unwrap_or_else(|| "1.35".into())
        .parse()
        .expect("a release such as 1.35");
    let mut texts = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("a folder") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            texts.push(std::fs::read_to_string(&path).expect("UTF-8 text"));
        }
    }
    let set = SchemaSet::new();
    let started = Instant::now();
    let streams: Vec<_> = texts
        .iter()
        .map(|t| parse(t, Schema::Yaml11, Limits::default()))
        .collect();
    let parsed = started.elapsed();

    let started = Instant::now();
    let (mut objects, mut errors, mut unknown) = (0usize, 0usize, 0usize);
    let mut first = None;
    for stream in &streams {
        for index in 0..stream.documents.len() {
            let Some(root) = stream.root(index) else {
                continue;
            };
            match set.validate(root, release) {
                Validation::Checked(found) => errors += found.len(),
                Validation::Unknown => unknown += 1,
            }
            objects += 1;
            first.get_or_insert_with(|| started.elapsed());
        }
    }
    let validated = started.elapsed();
    let first = first.unwrap_or_default();
    let steady = validated.saturating_sub(first);
    println!(
        "{objects} objects ({errors} errors, {unknown} unknown kinds) in {:.1} ms of validation \
         after {:.1} ms of parsing; the first object (bundle and compile) took {:.1} ms; \
         then {:.0} objects/s on one thread",
        validated.as_secs_f64() * 1e3,
        parsed.as_secs_f64() * 1e3,
        first.as_secs_f64() * 1e3,
        (objects.saturating_sub(1)) as f64 / steady.as_secs_f64().max(1e-9),
    );
}
