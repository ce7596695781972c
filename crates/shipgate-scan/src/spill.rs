//! A scan's findings written to disk as files finish, so that peak memory
//! holds what the cross-object rules read and not every finding of the tree.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};

use serde::Serialize;
use serde::de::DeserializeOwned;
use shipgate_core::{Finding, Report, ReportView, SourceSpan, SuppressedFinding};
use shipgate_rules::{Assembled, Settled};

/// Values of one type appended as JSON lines to an unnamed temporary file,
/// or held in memory when no temporary file can be made (a read-only
/// `/tmp`): the scan then costs memory, never its result.
enum Spill<T> {
    Disk {
        writer: BufWriter<File>,
        len: u64,
        /// The first write that failed (a full disk): reading the spill
        /// reports it, so a report never silently lacks findings.
        failed: Option<String>,
    },
    Memory(Vec<T>),
}

/// A spill that takes no more values and can be read any number of times.
enum Sealed<T> {
    Disk { file: File, len: u64 },
    Memory(Vec<T>),
    Failed(String),
}

impl<T: Serialize + DeserializeOwned> Spill<T> {
    fn new() -> Self {
        match tempfile::tempfile() {
            Ok(file) => Spill::Disk {
                writer: BufWriter::with_capacity(1 << 16, file),
                len: 0,
                failed: None,
            },
            Err(_) => Spill::Memory(Vec::new()),
        }
    }

    fn push(&mut self, value: T) {
        match self {
            Spill::Disk {
                failed: Some(_), ..
            } => {}
            Spill::Disk {
                writer,
                len,
                failed,
            } => {
                let written = serde_json::to_writer(&mut *writer, &value)
                    .map_err(io::Error::other)
                    .and_then(|()| writer.write_all(b"\n"));
                match written {
                    Ok(()) => *len += 1,
                    Err(err) => *failed = Some(err.to_string()),
                }
            }
            Spill::Memory(values) => values.push(value),
        }
    }

    fn seal(self) -> Sealed<T> {
        match self {
            Spill::Disk {
                failed: Some(err), ..
            } => Sealed::Failed(err),
            Spill::Disk { writer, len, .. } => match writer.into_inner() {
                Ok(file) => Sealed::Disk { file, len },
                Err(err) => Sealed::Failed(err.error().to_string()),
            },
            Spill::Memory(values) => Sealed::Memory(values),
        }
    }
}

impl<T: DeserializeOwned> Sealed<T> {
    fn for_each(&self, visit: &mut dyn FnMut(&T) -> io::Result<()>) -> io::Result<()> {
        match self {
            Sealed::Memory(values) => values.iter().try_for_each(visit),
            Sealed::Failed(err) => Err(io::Error::other(format!(
                "cannot keep the findings in a temporary file: {err}"
            ))),
            Sealed::Disk { file, len } => {
                let mut file = file;
                file.seek(SeekFrom::Start(0))?;
                let mut reader = BufReader::with_capacity(1 << 16, file);
                let mut line = String::new();
                for _ in 0..*len {
                    line.clear();
                    if reader.read_line(&mut line)? == 0 {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "the temporary file of findings was cut short",
                        ));
                    }
                    let value: T = serde_json::from_str(&line).map_err(io::Error::other)?;
                    visit(&value)?;
                }
                Ok(())
            }
        }
    }
}

/// Writes each file's settled findings as the scan goes.
pub(crate) struct FindingSpill {
    findings: Spill<Finding>,
    suppressed: Spill<SuppressedFinding>,
}

impl FindingSpill {
    pub(crate) fn new() -> Self {
        FindingSpill {
            findings: Spill::new(),
            suppressed: Spill::new(),
        }
    }

    /// `settled` must come in path order, after every earlier path's.
    pub(crate) fn push(&mut self, settled: Settled) {
        for finding in settled.findings {
            self.findings.push(finding);
        }
        for suppressed in settled.suppressed {
            self.suppressed.push(suppressed);
        }
    }

    pub(crate) fn seal(self, assembled: Assembled) -> ScanReport {
        ScanReport {
            head: assembled.report,
            redactions: assembled.redactions,
            findings: self.findings.seal(),
            suppressed: self.suppressed.seal(),
        }
    }
}

/// The report of a scan: counts, files and rules in memory, the findings of
/// each file on disk, the findings of renderings and cross-object rules in
/// memory. It is read in canonical order through [`ReportView`].
pub struct ScanReport {
    head: Report,
    redactions: HashMap<String, Vec<SourceSpan>>,
    findings: Sealed<Finding>,
    suppressed: Sealed<SuppressedFinding>,
}

impl ScanReport {
    /// The whole report in memory, for callers that inspect it.
    pub fn into_report(self) -> io::Result<Report> {
        let mut findings = Vec::with_capacity(self.head.findings.len());
        self.each_finding(&mut |f| {
            findings.push(f.clone());
            Ok(())
        })?;
        let mut suppressed = Vec::with_capacity(self.head.suppressed.len());
        self.each_suppressed(&mut |s| {
            suppressed.push(s.clone());
            Ok(())
        })?;
        let mut report = self.head;
        report.findings = findings;
        report.suppressed = suppressed;
        Ok(report)
    }
}

impl ReportView for ScanReport {
    fn head(&self) -> &Report {
        &self.head
    }

    fn head_mut(&mut self) -> &mut Report {
        &mut self.head
    }

    fn each_finding(&self, visit: &mut dyn FnMut(&Finding) -> io::Result<()>) -> io::Result<()> {
        merge(
            &self.findings,
            &self.head.findings,
            |a, b| a.sort_key() <= b.sort_key(),
            visit,
        )
    }

    fn each_suppressed(
        &self,
        visit: &mut dyn FnMut(&SuppressedFinding) -> io::Result<()>,
    ) -> io::Result<()> {
        merge(
            &self.suppressed,
            &self.head.suppressed,
            |a, b| a.finding.sort_key() <= b.finding.sort_key(),
            visit,
        )
    }

    fn redactions(&self, path: &str) -> Vec<SourceSpan> {
        self.redactions.get(path).cloned().unwrap_or_default()
    }
}

/// Visits the spilled values and the held ones as one sequence in canonical
/// order (`not_after(a, b)`: `a` may come before `b`); both are in that order
/// already.
fn merge<T: DeserializeOwned>(
    spilled: &Sealed<T>,
    held: &[T],
    not_after: impl Fn(&T, &T) -> bool,
    visit: &mut dyn FnMut(&T) -> io::Result<()>,
) -> io::Result<()> {
    let mut held = held.iter().peekable();
    spilled.for_each(&mut |value| {
        while let Some(next) = held.next_if(|h| not_after(h, value)) {
            visit(next)?;
        }
        visit(value)
    })?;
    held.try_for_each(visit)
}
