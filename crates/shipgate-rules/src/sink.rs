//! Sinks for the file-level packs (Dockerfile, Compose, workflows) and the
//! repository pack: they fill in a rule's severity and category so a rule
//! only says where and what.

use shipgate_core::{Finding, Location, RuleMeta, SourceSpan};

use crate::registry::finding;

/// Collects one rule's findings in one file.
pub struct FileSink<'a> {
    pub(crate) meta: &'static RuleMeta,
    pub(crate) path: &'a str,
    pub(crate) findings: &'a mut Vec<Finding>,
}

impl<'a> FileSink<'a> {
    pub fn new(meta: &'static RuleMeta, path: &'a str, findings: &'a mut Vec<Finding>) -> Self {
        FileSink {
            meta,
            path,
            findings,
        }
    }

    pub fn meta(&self) -> &'static RuleMeta {
        self.meta
    }

    pub fn path(&self) -> &'a str {
        self.path
    }

    /// A finding at `span`. `logical` is a stable, line-independent address
    /// (`stage[build] > RUN[2]`, `services.api.image`) used for fingerprints.
    pub fn at(
        &mut self,
        span: SourceSpan,
        logical: impl Into<String>,
        message: impl Into<String>,
    ) -> &mut Finding {
        let location = Location::at(self.path, span).with_logical(logical);
        self.findings.push(finding(self.meta, message, location));
        let last = self.findings.len() - 1;
        &mut self.findings[last]
    }

    /// A finding about the file as a whole, with no position.
    pub fn file(&mut self, message: impl Into<String>) -> &mut Finding {
        let location = Location::file(self.path);
        self.findings.push(finding(self.meta, message, location));
        let last = self.findings.len() - 1;
        &mut self.findings[last]
    }
}

/// Collects one repository rule's findings, which may land in any file (or
/// in a file that should exist and does not).
pub struct RepoSink<'a> {
    pub(crate) meta: &'static RuleMeta,
    pub(crate) findings: &'a mut Vec<Finding>,
}

impl<'a> RepoSink<'a> {
    pub fn new(meta: &'static RuleMeta, findings: &'a mut Vec<Finding>) -> Self {
        RepoSink { meta, findings }
    }

    pub fn meta(&self) -> &'static RuleMeta {
        self.meta
    }

    /// A finding at `path` (a file, or the folder where a file is missing),
    /// at `span` when there is one.
    pub fn at(
        &mut self,
        path: &str,
        span: Option<SourceSpan>,
        logical: impl Into<String>,
        message: impl Into<String>,
    ) -> &mut Finding {
        let mut location = Location::file(path).with_logical(logical);
        location.span = span;
        self.findings.push(finding(self.meta, message, location));
        let last = self.findings.len() - 1;
        &mut self.findings[last]
    }
}
