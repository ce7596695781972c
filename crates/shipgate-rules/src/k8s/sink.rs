use shipgate_core::{Finding, RuleMeta, SourceSpan};
use shipgate_syntax::yaml::NodeRef;

use super::{Container, Object, ObjectInfo};
use crate::EngineConfig;
use crate::registry::finding;

/// Collects one rule's findings on one object, filling in severity, category
/// and the logical location.
pub struct Sink<'a> {
    pub(crate) meta: &'static RuleMeta,
    pub(crate) config: &'a EngineConfig,
    pub(crate) findings: &'a mut Vec<Finding>,
}

impl Sink<'_> {
    pub fn meta(&self) -> &'static RuleMeta {
        self.meta
    }

    /// The run's configuration: the target Kubernetes release and the like.
    pub fn config(&self) -> &EngineConfig {
        self.config
    }

    /// A finding at an explicit span; `field` is the dotted path inside the
    /// object (empty for the object itself).
    pub fn at(
        &mut self,
        object: &Object<'_>,
        span: SourceSpan,
        field: &str,
        message: impl Into<String>,
    ) -> &mut Finding {
        let logical = if field.is_empty() {
            object.logical()
        } else {
            format!("{} > {field}", object.logical())
        };
        let location = object.location(span).with_logical(logical);
        self.findings.push(finding(self.meta, message, location));
        let last = self.findings.len() - 1;
        &mut self.findings[last]
    }

    /// A finding about the object as a whole (an absence): points at `kind:`.
    pub fn object(&mut self, object: &Object<'_>, message: impl Into<String>) -> &mut Finding {
        self.at(object, object.span(), "", message)
    }

    /// A finding about a container as a whole (an absence): points at its `name:`.
    pub fn container(
        &mut self,
        object: &Object<'_>,
        container: &Container<'_>,
        message: impl Into<String>,
    ) -> &mut Finding {
        self.at(object, container.span(), &container.logical(), message)
    }

    /// A finding about a present node: points at the node itself.
    pub fn node(
        &mut self,
        object: &Object<'_>,
        node: NodeRef<'_>,
        field: &str,
        message: impl Into<String>,
    ) -> &mut Finding {
        self.at(object, node.span(), field, message)
    }
}

/// Collects one cross-object rule's findings.
pub struct ClusterSink<'a> {
    pub(crate) meta: &'static RuleMeta,
    pub(crate) config: &'a EngineConfig,
    pub(crate) findings: &'a mut Vec<Finding>,
}

impl ClusterSink<'_> {
    pub fn meta(&self) -> &'static RuleMeta {
        self.meta
    }

    pub fn config(&self) -> &EngineConfig {
        self.config
    }

    /// A finding inside `object`, at `span` (use `object.span` for the object itself).
    pub fn at(
        &mut self,
        object: &ObjectInfo,
        span: SourceSpan,
        field: &str,
        message: impl Into<String>,
    ) -> &mut Finding {
        let logical = if field.is_empty() {
            object.logical()
        } else {
            format!("{} > {field}", object.logical())
        };
        let location = object.locate(span).with_logical(logical);
        self.findings.push(finding(self.meta, message, location));
        let last = self.findings.len() - 1;
        &mut self.findings[last]
    }

    pub fn object(&mut self, object: &ObjectInfo, message: impl Into<String>) -> &mut Finding {
        self.at(object, object.span, "", message)
    }
}
