use std::collections::{HashMap, HashSet};

use shipgate_core::{
    Finding, Fingerprint, Location, Report, RuleSummary, Severity, SourceSpan, SuppressedFinding,
};
use shipgate_syntax::yaml::{self, ErrorKind, Limits, NodeRef, Schema, YamlStream};
use shipgate_syntax::{LazyLineIndex, LineIndex};

use crate::artifact::ArtifactKind;
use crate::k8s::{Cluster, ClusterSink, KubeVersion, Object, ObjectInfo, SetFacts, Sink, pieces};
use crate::meta;
use crate::registry::{Check, Selection, finding, registry};
use crate::suppress::{self, Collector, Scope, Suppression};

/// What a run is told by its caller.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    /// Files larger than this are skipped with `io/file-too-large`.
    pub max_file_size: u64,
    pub yaml_limits: Limits,
    /// Roots (as shown in paths) that are whole repositories: only these are
    /// judged by the repository pack, so checking `k8s/` alone does not
    /// complain about a missing LICENSE.
    pub repository_roots: Vec<String>,
    /// The Kubernetes release manifests are judged against.
    pub kube_version: KubeVersion,
    /// Schemas objects are validated against: the bundled ones and any
    /// added for the run (CRDs of the tree, `--schema-dir`).
    pub schemas: std::sync::Arc<shipgate_schema::SchemaSet>,
    /// Severities the user sets instead of the rules' defaults, as
    /// `RULES=LEVEL` where RULES takes the forms of `select`.
    pub severities: Vec<String>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            select: Vec::new(),
            ignore: Vec::new(),
            max_file_size: 10 * 1024 * 1024,
            yaml_limits: Limits::default(),
            repository_roots: Vec::new(),
            kube_version: KubeVersion::DEFAULT,
            schemas: Default::default(),
            severities: Vec::new(),
        }
    }
}

/// Runs the enabled rules over files, one at a time and in any order, and
/// the cross-object rules once every file has been seen.
pub struct Engine {
    pub(crate) config: EngineConfig,
    pub(crate) selection: Selection,
    pub(crate) enabled: Vec<&'static crate::RuleDef>,
    severities: HashMap<&'static str, Severity>,
}

/// What one file yielded. The file's tree is gone by now: only findings and
/// the compact summaries the cross-object rules need are kept.
#[derive(Debug, Default)]
pub struct FileOutcome {
    pub path: String,
    /// `None` when the file was skipped.
    pub kind: Option<ArtifactKind>,
    pub bytes: u64,
    pub findings: Vec<Finding>,
    pub suppressed: Vec<SuppressedFinding>,
    pub objects: Vec<ObjectInfo>,
    /// Kept so that cross-object findings in this file honour its suppressions.
    pub suppressions: Vec<Suppression>,
    /// The text of the few files the repository pack reads.
    pub repo_text: Option<String>,
    /// The outcome of a rendering, whose findings lie in other files.
    pub rendered: bool,
}

impl Engine {
    pub fn new(config: EngineConfig) -> Result<Self, String> {
        let selection = Selection::new(&config.select, &config.ignore)?;
        let enabled = selection.enabled_rules().collect();
        let severities = severity_overrides(&config.severities)?;
        Ok(Engine {
            config,
            selection,
            enabled,
            severities,
        })
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    pub fn is_enabled(&self, id: &str) -> bool {
        self.selection.is_enabled(id)
    }

    /// What the first files of a run would otherwise wait for, as a job for
    /// another thread while the tree is walked: the credentials automaton
    /// (every text file is searched, if only to redact) and, when `schemas`,
    /// the parsed schema bundle. Small trees are dominated by such
    /// fixed costs. (Compiling the Deployment validator here as well was
    /// measured and gained nothing: a file needs it as soon as the walk ends.)
    pub fn warm_up(schemas: bool) -> impl FnOnce() + Send + 'static {
        move || {
            crate::secrets::warm_up();
            if schemas {
                let _ = shipgate_schema::SchemaSet::bundled_releases();
            }
        }
    }

    /// Tells schema validation which workload kinds the run will meet, so
    /// that their schemas are compiled together (see
    /// [`SchemaSet::expect_workloads`](shipgate_schema::SchemaSet::expect_workloads)).
    pub fn expect_workloads(&self, kinds: shipgate_schema::WorkloadKinds) {
        let version = self.config.kube_version;
        shipgate_schema::SchemaSet::expect_workloads(kinds, (version.major, version.minor));
    }

    /// A file the caller could not read, or chose not to.
    pub fn skipped(&self, path: &str, rule: &str, message: impl Into<String>) -> FileOutcome {
        let mut outcome = FileOutcome {
            path: path.to_owned(),
            ..FileOutcome::default()
        };
        self.engine_finding(
            &mut outcome.findings,
            rule,
            message.into(),
            Location::file(path),
        );
        outcome
    }

    /// A problem with a rendering (an overlay that failed to render, or
    /// rendered only in part), at the file and place it names.
    pub fn rendering_problem(
        &self,
        rule: &str,
        location: Location,
        message: impl Into<String>,
    ) -> FileOutcome {
        let mut outcome = FileOutcome {
            path: location.path.clone(),
            rendered: true,
            ..FileOutcome::default()
        };
        self.engine_finding(&mut outcome.findings, rule, message.into(), location);
        for finding in &mut outcome.findings {
            // The message names the problem; a line would move with edits.
            let anchor = finding.message.clone();
            fingerprint(finding, anchor, &mut HashMap::new());
        }
        outcome
    }

    /// A file whose size is over the limit; callers check the size before reading.
    pub fn too_large(&self, path: &str, size: u64) -> FileOutcome {
        self.skipped(
            path,
            meta::FILE_TOO_LARGE,
            format!(
                "skipped: {size} bytes is over the {} byte limit (--max-file-size)",
                self.config.max_file_size
            ),
        )
    }

    /// Checks a file's raw bytes: binary and non-UTF-8 content is diagnosed here.
    pub fn check_bytes(&self, path: &str, bytes: &[u8], kind: ArtifactKind) -> FileOutcome {
        self.check_bytes_as(path, bytes, kind, Role::Standalone)
    }

    /// Checks a file that a rendering (a Kustomize overlay) consumes: its
    /// objects are judged as rendered, where a base gets the namespace, tags
    /// and patches it is deployed with, so here only the file itself is
    /// checked (syntax, suppression comments), never its objects alone.
    pub fn check_consumed_bytes(
        &self,
        path: &str,
        bytes: &[u8],
        kind: ArtifactKind,
    ) -> FileOutcome {
        self.check_bytes_as(path, bytes, kind, Role::Consumed)
    }

    fn check_bytes_as(
        &self,
        path: &str,
        bytes: &[u8],
        kind: ArtifactKind,
        role: Role,
    ) -> FileOutcome {
        if bytes.len() as u64 > self.config.max_file_size {
            return self.too_large(path, bytes.len() as u64);
        }
        let head = &bytes[..bytes.len().min(8192)];
        if head.contains(&0) {
            let mut outcome = self.skipped(path, meta::BINARY_FILE, "skipped: binary file");
            outcome.bytes = bytes.len() as u64;
            return outcome;
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => self.check_text_as(path, text, kind, role),
            // Plain text in another encoding is not an artifact we judge.
            Err(_) if kind == ArtifactKind::Text => FileOutcome {
                path: path.to_owned(),
                kind: Some(kind),
                bytes: bytes.len() as u64,
                ..FileOutcome::default()
            },
            Err(err) => {
                let valid = err.valid_up_to();
                let prefix = std::str::from_utf8(&bytes[..valid]).unwrap_or("");
                let lines = LineIndex::new(prefix);
                let span = lines.span(prefix, valid as u32, valid as u32);
                let mut outcome = FileOutcome {
                    path: path.to_owned(),
                    bytes: bytes.len() as u64,
                    ..FileOutcome::default()
                };
                self.engine_finding(
                    &mut outcome.findings,
                    meta::INVALID_UTF8,
                    format!("not valid UTF-8 at byte {valid}; the file was not checked"),
                    Location::at(path, span),
                );
                outcome
            }
        }
    }

    /// Checks a file's text. `kind` comes from its path; YAML is promoted to
    /// Kubernetes when its documents say so.
    pub fn check_text(&self, path: &str, text: &str, kind: ArtifactKind) -> FileOutcome {
        self.check_text_as(path, text, kind, Role::Standalone)
    }

    fn check_text_as(&self, path: &str, text: &str, kind: ArtifactKind, role: Role) -> FileOutcome {
        let kind = crate::helm::classify(path, text, kind);
        let mut outcome = FileOutcome {
            path: path.to_owned(),
            kind: Some(kind),
            bytes: text.len() as u64,
            ..FileOutcome::default()
        };
        if crate::repo::wants_text(path) {
            outcome.repo_text = Some(text.to_owned());
        }
        let mut collector = Collector::default();
        let lines = if kind == ArtifactKind::Dockerfile {
            let lines = LineIndex::new(text);
            let instructions = crate::docker::instruction_lines(text, &lines);
            suppress::scan_comments(path, text, &lines, &instructions, &mut collector);
            crate::docker::run(&self.enabled, path, text, &lines, &mut outcome.findings);
            LazyLineIndex::built(text, lines)
        } else if kind.is_yaml() {
            let stream = self.check_yaml(path, text, kind, role, &mut collector, &mut outcome);
            LazyLineIndex::built(text, stream.lines)
        } else {
            let lines = LazyLineIndex::new(text);
            suppress::scan_text_comments(path, text, &lines, &mut collector);
            lines
        };
        // Every text file, whatever else it is, is searched for credentials.
        crate::secrets::run(&self.enabled, path, text, &lines, &mut outcome.findings);
        suppress::scan_secret_pragmas(path, text, &lines, &mut collector);

        outcome.findings.extend(
            collector
                .problems
                .into_iter()
                .filter(|f| self.selection.is_enabled(&f.rule)),
        );
        self.assign_fingerprints(&mut outcome.findings, text, &lines);
        apply_suppressions(
            &collector.suppressions,
            &mut outcome.findings,
            &mut outcome.suppressed,
        );
        // Findings placed after every file is seen (cross-object and chart
        // rules, renderings of overlays and Helm templates) may land in any
        // file: its suppressions are kept for them. They are few.
        outcome.suppressions = collector.suppressions;
        // Outcomes live until the end of the run: spare capacity, times a
        // hundred thousand files, is most of the memory a run would hold.
        outcome.findings.shrink_to_fit();
        outcome.suppressed.shrink_to_fit();
        outcome
    }

    fn check_yaml(
        &self,
        path: &str,
        text: &str,
        kind: ArtifactKind,
        role: Role,
        collector: &mut Collector,
        outcome: &mut FileOutcome,
    ) -> YamlStream {
        let schema = match kind {
            ArtifactKind::Compose | ArtifactKind::Workflow => Schema::Yaml12,
            _ => Schema::Yaml11,
        };
        let stream = yaml::parse(text, schema, self.config.yaml_limits);
        self.yaml_errors(path, &stream, &mut outcome.findings);

        let ranges = document_ranges(&stream);
        suppress::scan_comments(path, text, &stream.lines, &ranges, collector);

        match kind {
            ArtifactKind::Compose => {
                crate::compose::run(&self.enabled, path, &stream, &mut outcome.findings);
                return stream;
            }
            ArtifactKind::Workflow => {
                crate::workflows::run(&self.enabled, path, &stream, &mut outcome.findings);
                return stream;
            }
            ArtifactKind::Yaml
                if crate::workflows::is_action_file(path)
                    && crate::workflows::run_action(
                        &self.enabled,
                        path,
                        &stream,
                        &mut outcome.findings,
                    ) =>
            {
                outcome.kind = Some(ArtifactKind::Workflow);
                return stream;
            }
            ArtifactKind::Yaml | ArtifactKind::Kubernetes => {}
            _ => return stream,
        }
        let mut objects = Vec::new();
        for (index, _) in stream.documents.iter().enumerate() {
            if let Some(root) = stream.root(index) {
                collect_objects(root, path, &mut objects);
            }
        }
        if !objects.is_empty() {
            outcome.kind = Some(ArtifactKind::Kubernetes);
        }
        if role == Role::Consumed {
            return stream;
        }
        let shared_path: std::sync::Arc<str> = path.into();
        outcome.objects.reserve_exact(objects.len());
        for object in &objects {
            if let Some(annotations) = object.metadata().and_then(|m| m.get("annotations")) {
                let span = object.node.span();
                let scope = Scope::Lines(span.start.line, span.end.line.max(span.start.line));
                suppress::scan_annotations(path, annotations, scope, collector);
            }
            self.run_object_rules(object, &mut outcome.findings);
            outcome
                .objects
                .push(ObjectInfo::from_object(object, &shared_path, None));
        }
        drop(objects);
        stream
    }

    /// Checks the objects of a rendering (a Kustomize overlay, a Helm
    /// release): `stream` is built from several files, so every finding
    /// points at the file and line that produced the offending node, and
    /// names `root`, the rendering, in its logical place so that the same
    /// base judged through two overlays yields two findings.
    pub fn check_rendered(&self, root: &str, stream: &YamlStream) -> FileOutcome {
        let mut outcome = FileOutcome {
            path: root.to_owned(),
            kind: Some(ArtifactKind::Kubernetes),
            rendered: true,
            ..FileOutcome::default()
        };
        let mut objects = Vec::new();
        for (index, _) in stream.documents.iter().enumerate() {
            if let Some(root_node) = stream.root(index) {
                collect_objects(root_node, root, &mut objects);
            }
        }
        let shared_path: std::sync::Arc<str> = root.into();
        let sources: std::sync::Arc<[yaml::Source]> = stream.sources.clone().into();
        for object in &objects {
            let first = outcome.findings.len();
            self.run_object_rules(object, &mut outcome.findings);
            // Annotations travel with the rendered object, wherever its
            // fields came from: they cover every finding on it.
            if let Some(annotations) = object.metadata().and_then(|m| m.get("annotations")) {
                let mut collector = Collector::default();
                suppress::scan_annotations(root, annotations, Scope::All, &mut collector);
                for mut problem in collector.problems.drain(..) {
                    if let Some((path, span)) =
                        problem.location.span.and_then(|span| stream.origin(span))
                    {
                        problem.location.path = path.to_owned();
                        problem.location.span = Some(span);
                    }
                    if self.selection.is_enabled(&problem.rule) {
                        outcome.findings.push(problem);
                    }
                }
                let mut on_object = outcome.findings.split_off(first);
                apply_suppressions(
                    &collector.suppressions,
                    &mut on_object,
                    &mut outcome.suppressed,
                );
                outcome.findings.append(&mut on_object);
            }
            outcome.objects.push(ObjectInfo::from_object(
                object,
                &shared_path,
                Some(&sources),
            ));
        }
        for finding in &mut outcome.findings {
            finding.location.logical = format!("{root}: {}", finding.location.logical);
        }
        let mut seen = HashMap::new();
        for finding in &mut outcome.findings {
            let anchor = finding.location.logical.clone();
            fingerprint(finding, anchor, &mut seen);
        }
        outcome
    }

    fn run_object_rules(&self, object: &Object<'_>, findings: &mut Vec<Finding>) {
        let first = findings.len();
        for rule in &self.enabled {
            if let Check::Object(check) = rule.check {
                let mut sink = Sink {
                    meta: &rule.meta,
                    config: &self.config,
                    findings,
                };
                check(object, &mut sink);
            }
        }
        fold_generic_schema_findings(findings, first);
    }

    fn yaml_errors(&self, path: &str, stream: &YamlStream, findings: &mut Vec<Finding>) {
        for error in &stream.errors {
            let rule = match error.kind {
                ErrorKind::Syntax => meta::YAML_SYNTAX,
                ErrorKind::DuplicateKey => meta::YAML_DUPLICATE_KEY,
                ErrorKind::AliasExpansion => meta::YAML_ALIAS_BOMB,
                ErrorKind::TooDeep => meta::YAML_TOO_DEEP,
                ErrorKind::InvalidMerge => meta::YAML_INVALID_MERGE,
            };
            let before = findings.len();
            self.engine_finding(
                findings,
                rule,
                error.message.clone(),
                Location::at(path, error.span),
            );
            if let (Some(related), Some(finding)) = (error.related, findings.get_mut(before)) {
                finding.related.push(shipgate_core::Related {
                    location: Location::at(path, related),
                    message: "first defined here".into(),
                });
            }
        }
    }

    fn engine_finding(
        &self,
        findings: &mut Vec<Finding>,
        rule: &str,
        message: String,
        location: Location,
    ) {
        if !self.selection.is_enabled(rule) {
            return;
        }
        if let Some(def) = registry().get(rule) {
            findings.push(finding(&def.meta, message, location));
        }
    }

    /// Fingerprints name the rule, the file and the logical place (or, for
    /// findings without one, the text of the offending line), never the line
    /// number: baselines survive lines moving around them.
    fn assign_fingerprints(&self, findings: &mut [Finding], text: &str, lines: &LazyLineIndex) {
        let mut seen: HashMap<(String, String), u32> = HashMap::new();
        for finding in findings.iter_mut() {
            let anchor = if finding.location.logical.is_empty() {
                finding
                    .location
                    .line()
                    .and_then(|l| lines.get().line_text(text, l))
                    .map(|t| t.trim().to_owned())
                    .unwrap_or_default()
            } else {
                finding.location.logical.clone()
            };
            fingerprint(finding, anchor, &mut seen);
        }
    }

    /// Runs the cross-object rules, applies the baseline, and assembles the
    /// report, held whole. [`ReportBuilder`] does the same for a caller that
    /// writes each file's findings out as they come.
    pub fn finish(
        &self,
        roots: Vec<String>,
        outcomes: Vec<FileOutcome>,
        baseline: Option<&HashSet<String>>,
    ) -> Report {
        let mut builder = ReportBuilder::new(self, roots, baseline);
        for outcome in outcomes {
            let settled = builder.add(outcome);
            builder.keep(settled);
        }
        builder.finish().report
    }
}

/// A file's findings ready for output: ordered, with severities set and the
/// baseline applied.
#[derive(Debug, Default)]
pub struct Settled {
    pub findings: Vec<Finding>,
    pub suppressed: Vec<SuppressedFinding>,
}

/// What [`ReportBuilder::finish`] returns.
#[derive(Debug)]
pub struct Assembled {
    /// Counts, files and rules cover every finding; the findings held here
    /// are those kept with [`ReportBuilder::keep`], of renderings and of the
    /// cross-object rules.
    pub report: Report,
    /// Regions that hold a secret, per path, from every finding seen: a
    /// renderer showing a snippet masks all of them even when the findings
    /// themselves were written out long before.
    pub redactions: HashMap<String, Vec<SourceSpan>>,
}

/// Assembles a report from file outcomes as they arrive. Each file's
/// findings are settled at once and handed back, so a large scan can write
/// them out and keep only what the cross-object and repository rules read.
pub struct ReportBuilder<'e> {
    engine: &'e Engine,
    baseline: Option<&'e HashSet<String>>,
    report: Report,
    /// Summaries of the objects read from files, which form one unit of
    /// relations; kept where the caller chose, until `finish` drains them.
    standalone: Option<Box<dyn SummaryStore + 'e>>,
    /// Facts of the whole unit of files, for the groups it is judged in.
    standalone_facts: SetFacts,
    /// A group of more objects than this is judged in pieces.
    piece_objects: usize,
    /// Summaries of rendered objects, each rendering a unit of its own.
    rendered_objects: Vec<ObjectInfo>,
    suppressions_by_path: HashMap<String, Vec<Suppression>>,
    repo_files: Vec<crate::repo::RepoFile>,
    /// Findings of renderings, placed once every file's suppressions are known.
    rendered: Vec<Finding>,
    rendered_suppressed: Vec<SuppressedFinding>,
    rule_ids: HashSet<String>,
    redactions: HashMap<String, Vec<SourceSpan>>,
}

impl<'e> ReportBuilder<'e> {
    pub fn new(
        engine: &'e Engine,
        roots: Vec<String>,
        baseline: Option<&'e HashSet<String>>,
    ) -> Self {
        Self::with_store(engine, roots, baseline, Box::<HeldSummaries>::default())
    }

    /// A builder that keeps the summaries of objects read from files in
    /// `standalone`, such as a store on disk for a large tree.
    pub fn with_store(
        engine: &'e Engine,
        roots: Vec<String>,
        baseline: Option<&'e HashSet<String>>,
        standalone: Box<dyn SummaryStore + 'e>,
    ) -> Self {
        ReportBuilder {
            engine,
            baseline,
            report: Report::new(roots),
            standalone: Some(standalone),
            standalone_facts: SetFacts::default(),
            piece_objects: OBJECTS_PER_PIECE,
            rendered_objects: Vec::new(),
            suppressions_by_path: HashMap::new(),
            repo_files: Vec::new(),
            rendered: Vec::new(),
            rendered_suppressed: Vec::new(),
            rule_ids: HashSet::new(),
            redactions: HashMap::new(),
        }
    }

    /// Judges a group of summaries of more than `objects` objects in pieces
    /// of about that many (4,096 unless set): fewer holds less in memory
    /// and reads the store more often.
    pub fn with_pieces_of(mut self, objects: usize) -> Self {
        self.piece_objects = objects.max(1);
        self
    }

    /// Takes one outcome. A file's findings come back settled; a rendering's
    /// are held until [`finish`](Self::finish), since they may land in any file.
    pub fn add(&mut self, mut outcome: FileOutcome) -> Settled {
        let files = &mut self.report.files;
        files.objects += outcome.objects.len() as u64;
        // Taken, not appended: an emptied vector keeps its buffer until the
        // outcome is dropped.
        for object in std::mem::take(&mut outcome.objects) {
            if object.sources.is_some() {
                self.rendered_objects.push(object);
            } else if let Some(standalone) = self.standalone.as_mut() {
                self.standalone_facts.note(&object);
                standalone.put(object);
            }
        }
        if outcome.rendered {
            // A rendering is not a file: its objects count, its findings are
            // placed at the end.
            self.rendered.append(&mut outcome.findings);
            self.rendered_suppressed.append(&mut outcome.suppressed);
            return Settled::default();
        }
        match outcome.kind {
            Some(kind) => {
                files.scanned += 1;
                *files.by_kind.entry(kind.as_str().to_owned()).or_default() += 1;
            }
            None => files.skipped += 1,
        }
        files.bytes += outcome.bytes;
        if !outcome.suppressions.is_empty() {
            self.suppressions_by_path.insert(
                outcome.path.clone(),
                std::mem::take(&mut outcome.suppressions),
            );
        }
        let mut settled = Settled {
            findings: std::mem::take(&mut outcome.findings),
            suppressed: std::mem::take(&mut outcome.suppressed),
        };
        if crate::repo::lists(&outcome.path, outcome.kind) {
            self.repo_files.push(crate::repo::RepoFile {
                path: outcome.path,
                kind: outcome.kind,
                text: outcome.repo_text,
            });
        }
        self.settle(&mut settled);
        settled
    }

    /// Holds a file's settled findings in the report itself.
    pub fn keep(&mut self, mut settled: Settled) {
        self.report.findings.append(&mut settled.findings);
        self.report.suppressed.append(&mut settled.suppressed);
    }

    /// Sets severities, applies the baseline, orders, and counts.
    fn settle(&mut self, settled: &mut Settled) {
        let severities = &self.engine.severities;
        if !severities.is_empty() {
            let findings = settled
                .findings
                .iter_mut()
                .chain(settled.suppressed.iter_mut().map(|s| &mut s.finding));
            for finding in findings {
                if let Some(severity) = severities.get(finding.rule.as_str()) {
                    finding.severity = *severity;
                }
            }
        }
        if let Some(baseline) = self.baseline
            && settled
                .findings
                .iter()
                .any(|f| baseline.contains(&f.fingerprint.0))
        {
            let (new, known): (Vec<_>, Vec<_>) = std::mem::take(&mut settled.findings)
                .into_iter()
                .partition(|f| !baseline.contains(&f.fingerprint.0));
            settled.findings = new;
            settled
                .suppressed
                .extend(known.into_iter().map(|finding| SuppressedFinding {
                    finding,
                    by: "baseline".into(),
                    reason: None,
                }));
        }
        settled
            .findings
            .sort_unstable_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        settled
            .suppressed
            .sort_unstable_by(|a, b| a.finding.sort_key().cmp(&b.finding.sort_key()));
        let summary = &mut self.report.summary;
        for finding in &settled.findings {
            match finding.severity {
                Severity::Error => summary.errors += 1,
                Severity::Warning => summary.warnings += 1,
                Severity::Info => summary.infos += 1,
            }
        }
        for suppressed in &settled.suppressed {
            if suppressed.by == "baseline" {
                summary.baselined += 1;
            } else {
                summary.suppressed += 1;
            }
        }
        let all = settled
            .findings
            .iter()
            .chain(settled.suppressed.iter().map(|s| &s.finding));
        for finding in all {
            if !self.rule_ids.contains(finding.rule.as_str()) {
                self.rule_ids.insert(finding.rule.clone());
            }
            if !finding.redact.is_empty() {
                self.redactions
                    .entry(finding.location.path.clone())
                    .or_default()
                    .extend(finding.redact.iter().copied());
            }
        }
    }

    /// Runs the cross-object and repository rules over everything added,
    /// places their findings and the renderings', and completes the counts.
    pub fn finish(self) -> Assembled {
        self.finish_with(None)
    }

    /// [`finish`](Self::finish), handing the settled findings of the
    /// relations between files to `relations` as each group of namespaces is
    /// judged, in no path order, instead of holding them in the report.
    pub fn finish_with(mut self, mut relations: Option<&mut dyn FnMut(Settled)>) -> Assembled {
        let engine = self.engine;
        // The files that no rendering consumes form one unit of relations.
        // Their store hands them back a few namespaces at a time, and every
        // relation rule stays within a namespace but for what it must know
        // of the whole unit (`SetFacts`, noted as summaries arrive), so the
        // findings are those of one pass over the whole unit once put in
        // rule order.
        // Each group's findings are settled as soon as its rules ran: an
        // object lies in one group, and with it every finding anchored on
        // it, so fingerprints and duplicates are those of one pass over the
        // whole unit, without holding its findings twice.
        let rank: HashMap<&str, usize> = engine
            .enabled
            .iter()
            .enumerate()
            .map(|(i, rule)| (rule.meta.id, i))
            .collect();
        let facts = self.standalone_facts;
        let piece_objects = self.piece_objects;
        let drained = match self.standalone.take() {
            Some(standalone) => standalone.drain(&mut |group| {
                pieces::judge_group(group, facts, piece_objects, &mut |cluster| {
                    let mut found = Vec::new();
                    run_relation_rules(engine, cluster, &mut found);
                    found.sort_by_key(|f| rank.get(f.rule.as_str()).copied().unwrap_or(usize::MAX));
                    let settled = self.settle_relations(Vec::new(), Vec::new(), found);
                    match relations.as_mut() {
                        Some(relations) => relations(settled),
                        None => self.keep(settled),
                    }
                })
            }),
            None => Ok(()),
        };
        let mut cross = Vec::new();
        // Reported whatever the selection: a run that lost summaries must
        // not read as one that checked them.
        if let Err(message) = drained
            && let Some(def) = registry().get(meta::UNREADABLE_FILE)
        {
            let root = self.report.roots.first().cloned().unwrap_or_default();
            cross.push(finding(
                &def.meta,
                format!(
                    "the object summaries kept for the relation rules could not be read back \
                     ({message}); relations between files were not checked"
                ),
                Location::file(&root),
            ));
        }
        // Each rendering is deployed as a unit of its own (an overlay per
        // environment), so relations are judged within it.
        let mut units: Vec<Vec<ObjectInfo>> = Vec::new();
        let mut unit_of_root: HashMap<std::sync::Arc<str>, usize> = HashMap::new();
        for object in std::mem::take(&mut self.rendered_objects) {
            let next = units.len();
            let unit = *unit_of_root.entry(object.path.clone()).or_insert(next);
            if unit == next {
                units.push(Vec::new());
            }
            units[unit].push(object);
        }
        for unit in units {
            run_relation_rules(engine, Cluster::new(unit), &mut cross);
        }
        let view = crate::repo::RepoView {
            repository_roots: engine.config.repository_roots.clone(),
            files: std::mem::take(&mut self.repo_files),
        };
        crate::repo::run(&engine.enabled, &view, &mut cross);
        crate::helm::run(&engine.enabled, &self.report.roots, &view.files, &mut cross);
        drop(view);
        let rendered = std::mem::take(&mut self.rendered);
        let rendered_suppressed = std::mem::take(&mut self.rendered_suppressed);
        let settled = self.settle_relations(rendered, rendered_suppressed, cross);
        self.keep(settled);

        let report = &mut self.report;
        report
            .findings
            .sort_unstable_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        report
            .suppressed
            .sort_unstable_by(|a, b| a.finding.sort_key().cmp(&b.finding.sort_key()));
        let registry = registry();
        let mut ids: Vec<&str> = self.rule_ids.iter().map(String::as_str).collect();
        ids.sort_unstable();
        report.rules = ids
            .into_iter()
            .filter_map(|id| registry.get(id))
            .map(|r| RuleSummary::from(&r.meta))
            .collect();
        Assembled {
            report: self.report,
            redactions: self.redactions,
        }
    }

    /// Fingerprints the findings of whole-set rules (`cross`, anchored on
    /// their objects' logical addresses), places them after the renderings'
    /// findings, suppresses, and settles them.
    fn settle_relations(
        &mut self,
        rendered: Vec<Finding>,
        rendered_suppressed: Vec<SuppressedFinding>,
        mut cross: Vec<Finding>,
    ) -> Settled {
        let mut seen = HashMap::new();
        for finding in &mut cross {
            let anchor = finding.location.logical.clone();
            fingerprint(finding, anchor, &mut seen);
        }
        // A base deployed by two overlays yields the same finding twice at
        // the same place: it is reported once, naming the other renderings.
        let mut placed = Placed::default();
        let mut settled = Settled {
            findings: Vec::new(),
            suppressed: rendered_suppressed,
        };
        for finding in rendered.into_iter().chain(cross) {
            placed.place(finding, &self.suppressions_by_path, &mut settled);
        }
        self.settle(&mut settled);
        settled
    }
}

fn run_relation_rules(engine: &Engine, cluster: Cluster, findings: &mut Vec<Finding>) {
    for rule in &engine.enabled {
        if let Check::Cluster(check) = rule.check {
            let mut sink = ClusterSink {
                meta: &rule.meta,
                config: &engine.config,
                findings,
            };
            check(&cluster, &mut sink);
        }
    }
}

/// Where a [`ReportBuilder`] keeps the summaries of the objects read from
/// files until the relation rules run. Those rules judge each namespace on
/// its own, so a store may hand the summaries back in groups, provided a
/// namespace (as [`namespace_of`](crate::k8s::namespace_of) names it) is never split between two
/// groups and the groups come in namespace order.
pub trait SummaryStore {
    fn put(&mut self, object: ObjectInfo);
    /// Calls `visit` with every group and stops at its first error; an
    /// error means summaries were lost.
    fn drain(
        self: Box<Self>,
        visit: &mut dyn FnMut(&mut dyn SummaryGroup) -> Result<(), String>,
    ) -> Result<(), String>;
}

/// One group of a [`SummaryStore`]. A large group is read once whole, then
/// a piece at a time (see [`pieces`](crate::k8s::pieces)).
pub trait SummaryGroup {
    /// How many summaries the group holds.
    fn count(&self) -> usize;
    /// Hands over every summary with its place, in the order they were put.
    fn replay(&mut self, each: &mut dyn FnMut(SummaryPlace, ObjectInfo)) -> Result<(), String>;
    /// Hands over the summaries at `places`, given by `replay`, in that order.
    fn fetch(
        &mut self,
        places: &[SummaryPlace],
        each: &mut dyn FnMut(ObjectInfo),
    ) -> Result<(), String>;
    /// Every summary at once; the group may be empty afterwards.
    fn collect(&mut self) -> Result<Vec<ObjectInfo>, String> {
        let mut objects = Vec::with_capacity(self.count());
        self.replay(&mut |_, object| objects.push(object))?;
        Ok(objects)
    }
}

/// Where a store keeps one summary: what the numbers mean is the store's
/// (a byte range of a file, a position in memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SummaryPlace {
    pub at: u64,
    pub len: u32,
}

impl SummaryPlace {
    /// The place of a summary a store holds in memory, at `position`: it has
    /// no length, since a record on disk is never empty.
    pub fn held(position: usize) -> Self {
        SummaryPlace {
            at: position as u64,
            len: 0,
        }
    }

    pub fn is_held(self) -> bool {
        self.len == 0
    }

    /// The summary this place names among those `held` in memory.
    pub fn held_in(self, held: &[ObjectInfo]) -> Result<&ObjectInfo, String> {
        usize::try_from(self.at)
            .ok()
            .filter(|_| self.is_held())
            .and_then(|at| held.get(at))
            .ok_or_else(|| "a summary was asked for at a place the store never gave".to_owned())
    }
}

/// The store of a small run: every summary in memory, handed back as one group.
#[derive(Default)]
pub struct HeldSummaries(Vec<ObjectInfo>);

impl SummaryStore for HeldSummaries {
    fn put(&mut self, object: ObjectInfo) {
        self.0.push(object);
    }

    fn drain(
        mut self: Box<Self>,
        visit: &mut dyn FnMut(&mut dyn SummaryGroup) -> Result<(), String>,
    ) -> Result<(), String> {
        if self.0.is_empty() {
            return Ok(());
        }
        visit(&mut *self)
    }
}

impl SummaryGroup for HeldSummaries {
    fn count(&self) -> usize {
        self.0.len()
    }

    fn replay(&mut self, each: &mut dyn FnMut(SummaryPlace, ObjectInfo)) -> Result<(), String> {
        for (at, object) in self.0.iter().enumerate() {
            each(SummaryPlace::held(at), object.clone());
        }
        Ok(())
    }

    fn fetch(
        &mut self,
        places: &[SummaryPlace],
        each: &mut dyn FnMut(ObjectInfo),
    ) -> Result<(), String> {
        for place in places {
            each(place.held_in(&self.0)?.clone());
        }
        Ok(())
    }

    fn collect(&mut self) -> Result<Vec<ObjectInfo>, String> {
        Ok(std::mem::take(&mut self.0))
    }
}

/// Resolves `RULES=LEVEL` settings to a severity per rule id; later settings win.
fn severity_overrides(settings: &[String]) -> Result<HashMap<&'static str, Severity>, String> {
    let mut severities = HashMap::new();
    for setting in settings {
        let (rules, level) = setting.rsplit_once('=').ok_or_else(|| {
            format!("`{setting}` is not RULES=LEVEL, such as k8s/unknown-kind=error")
        })?;
        let severity: Severity = level.trim().parse()?;
        for rule in crate::registry::matching(&[rules.to_owned()])? {
            severities.insert(rule.meta.id, severity);
        }
    }
    Ok(severities)
}

/// The most objects of a group judged at once: about 1.5 KB each with the
/// rules' indexes, so a namespace of any size is judged in about 6 MB.
/// Smaller pieces save little more, cost a second reading of more groups,
/// and judge more namespaces in parts, which then go without suggestions.
pub const OBJECTS_PER_PIECE: usize = 4096;

const RENDERED_BY: &str = "deployed with this finding by this rendering";

/// Findings placed into the report after the files' own: those of
/// renderings and cross-object rules, which may land in any file, so they
/// meet that file's suppressions here, and repeats are folded.
#[derive(Default)]
struct Placed {
    /// Where each finding went: its index among the findings, or `None`
    /// when it was suppressed.
    seen: HashMap<PlacedKey, Option<usize>>,
}

/// Rule, path, byte range and message: what makes two findings the same.
type PlacedKey = (String, String, Option<(u32, u32)>, String);

impl Placed {
    fn place(
        &mut self,
        finding: Finding,
        suppressions_by_path: &HashMap<String, Vec<Suppression>>,
        report: &mut Settled,
    ) {
        let key = (
            finding.rule.clone(),
            finding.location.path.clone(),
            finding.location.span.map(|s| (s.start_byte, s.end_byte)),
            finding.message.clone(),
        );
        if let Some(first) = self.seen.get(&key) {
            if let (Some(index), Some((rendering, _))) =
                (first, finding.location.logical.split_once(": "))
                && let Some(kept) = report.findings.get_mut(*index)
            {
                kept.add_related(Location::file(rendering), RENDERED_BY);
            }
            return;
        }
        let mut finding = finding;
        // Say which rendering deployed it: the base line alone does not.
        if let Some((rendering, _)) = finding.location.logical.split_once(": ") {
            let rendering = rendering.to_owned();
            finding.add_related(Location::file(rendering), RENDERED_BY);
        }
        let suppressions = suppressions_by_path.get(&finding.location.path);
        match suppressions.and_then(|s| s.iter().find(|s| s.applies_to(&finding))) {
            Some(s) => {
                report.suppressed.push(suppressed(finding, s));
                self.seen.insert(key, None);
            }
            None => {
                report.findings.push(finding);
                self.seen.insert(key, Some(report.findings.len() - 1));
            }
        }
    }
}

/// A value the schema refuses is often refused by a rule that knows why
/// (a port name too long, a label value that is not a string): one finding
/// per node, the specific one, is enough.
///
/// Likewise an API removed from the target release has no schema there:
/// `k8s/removed-api`, which names the replacement, says all
/// `k8s/unknown-kind` would.
fn fold_generic_schema_findings(findings: &mut Vec<Finding>, first: usize) {
    const GENERIC: &str = "k8s/schema-invalid";
    if findings[first..]
        .iter()
        .any(|f| f.rule == "k8s/removed-api")
    {
        let mut index = 0;
        findings.retain(|f| {
            index += 1;
            index <= first || f.rule != "k8s/unknown-kind"
        });
    }
    let place = |f: &Finding| f.location.span.map(|s| (s.start_byte, s.end_byte));
    let specific: HashSet<(u32, u32)> = findings[first..]
        .iter()
        .filter(|f| f.rule != GENERIC)
        .filter_map(place)
        .collect();
    if specific.is_empty() {
        return;
    }
    let mut index = 0;
    findings.retain(|f| {
        index += 1;
        index <= first || f.rule != GENERIC || place(f).is_none_or(|p| !specific.contains(&p))
    });
}

/// Whether a file's objects are judged on their own or through a rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Standalone,
    Consumed,
}

fn fingerprint(finding: &mut Finding, anchor: String, seen: &mut HashMap<(String, String), u32>) {
    let key = (finding.rule.clone(), anchor);
    let occurrence = seen.entry(key.clone()).or_insert(0);
    finding.fingerprint = Fingerprint::compute(&key.0, &finding.location.path, &key.1, *occurrence);
    *occurrence += 1;
}

fn suppressed(finding: Finding, by: &Suppression) -> SuppressedFinding {
    SuppressedFinding {
        finding,
        by: by.by.to_owned(),
        reason: by.reason.clone(),
    }
}

fn apply_suppressions(
    suppressions: &[Suppression],
    findings: &mut Vec<Finding>,
    out: &mut Vec<SuppressedFinding>,
) {
    if suppressions.is_empty() {
        return;
    }
    let mut kept = Vec::with_capacity(findings.len());
    for finding in findings.drain(..) {
        // Problems with suppressions themselves cannot be suppressed.
        let meta_rule = finding.rule.starts_with("meta/");
        match suppressions
            .iter()
            .find(|s| !meta_rule && s.applies_to(&finding))
        {
            Some(s) => out.push(suppressed(finding, s)),
            None => kept.push(finding),
        }
    }
    *findings = kept;
}

/// Each document's first and last line, for document-wide suppressions.
fn document_ranges(stream: &YamlStream) -> Vec<(u32, u32)> {
    let starts: Vec<u32> = stream.documents.iter().map(|d| d.span.start.line).collect();
    let last_line = stream.lines.line_count() as u32;
    starts
        .iter()
        .enumerate()
        .map(|(i, start)| {
            let end = starts
                .get(i + 1)
                .map_or(last_line, |next| next.saturating_sub(1).max(*start));
            (*start, end)
        })
        .collect()
}

/// Finds the Kubernetes objects in a document: the root itself, or the items
/// of a `List` (`v1/List`, `DeploymentList`, ...).
fn collect_objects<'a>(root: NodeRef<'a>, path: &'a str, out: &mut Vec<Object<'a>>) {
    let Some(object) = Object::from_node(root, path) else {
        return;
    };
    if object.api_version.starts_with("kustomize.config.k8s.io/") {
        return;
    }
    if object.kind.ends_with("List")
        && let Some(items) = root.get("items")
    {
        for item in items.items() {
            if let Some(object) = Object::from_node(item, path) {
                out.push(object);
            }
        }
        return;
    }
    out.push(object);
}
