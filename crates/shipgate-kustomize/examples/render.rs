//! Renders a kustomization folder and prints each object's kind, name and
//! where its nodes came from.

use std::io;
use std::path::PathBuf;

use shipgate_kustomize::{Loader, render};

struct Disk(PathBuf);

impl Loader for Disk {
    fn read(&self, path: &str) -> io::Result<String> {
        std::fs::read_to_string(self.0.join(path))
    }

    fn is_dir(&self, path: &str) -> bool {
        self.0.join(path).is_dir()
    }
}

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    // An optional repeat count times the rendering instead of listing it.
    if let Some(times) = std::env::args().nth(2).and_then(|n| n.parse::<u32>().ok()) {
        let started = std::time::Instant::now();
        let mut objects = 0;
        for _ in 0..times {
            objects = render(&dir, &Disk(PathBuf::from(".")))
                .stream
                .documents
                .len();
        }
        let each = started.elapsed() / times.max(1);
        println!("{dir}: {objects} objects, {each:?} per rendering");
        return;
    }
    let rendering = render(&dir, &Disk(PathBuf::from(".")));
    for d in &rendering.diagnostics {
        eprintln!("{d}");
    }
    let stream = &rendering.stream;
    for i in 0..stream.documents.len() {
        let Some(root) = stream.root(i) else { continue };
        let name = root.path(&["metadata", "name"]).and_then(|n| n.as_text());
        let origin = stream
            .origin(root.span())
            .map(|(p, s)| format!("{p}:{}", s.start.line));
        println!(
            "{} {} <- {}",
            root.get("kind").and_then(|k| k.as_text()).unwrap_or("?"),
            name.unwrap_or("?"),
            origin.unwrap_or_default()
        );
    }
    println!("inputs: {}", rendering.inputs.join(", "));
}
