//! Parsers that keep exact positions, so that every finding can point at the
//! key or value that causes it. No rule lives here.

pub mod dockerfile;
pub mod lines;
pub mod yaml;

pub use lines::{LazyLineIndex, LineIndex};
