//! YAML through shipgate-syntax's loader, which keeps positions for errors.

use shipgate_syntax::yaml::{self, Limits, NodeRef, Schema, YamlStream};

use super::Failure;

/// The stream of a lockfile, or the first problem in it. Lockfiles are
/// machine-written, so any error (a duplicate key included) means the file
/// was damaged and nothing in it is trusted.
pub(crate) fn load(text: &str) -> Result<YamlStream, Failure> {
    // YAML 1.2: both pnpm and Yarn read their lockfiles as 1.2, and the
    // parsers below only ever take scalars' raw text anyway.
    let stream = yaml::parse(text, Schema::Yaml12, Limits::default());
    if let Some(error) = stream.errors.first() {
        return Err(Failure::at(
            error.span.start.line,
            Some(error.span.start.column),
            error.message.clone(),
        ));
    }
    Ok(stream)
}

/// The first document's root mapping.
pub(crate) fn root(stream: &YamlStream) -> Result<NodeRef<'_>, Failure> {
    match stream.root(0) {
        Some(root) if root.is_map() => Ok(root),
        Some(root) => Err(Failure::at(
            root.span().start.line,
            Some(root.span().start.column),
            "expected a mapping at the top level",
        )),
        None => Err(Failure::msg("empty document")),
    }
}

/// A scalar's text as written, whatever it would resolve to: `1.10` is a
/// version, not the number 1.1.
pub(crate) fn text<'a>(node: Option<NodeRef<'a>>) -> Option<&'a str> {
    node.and_then(|n| n.scalar_text())
}
