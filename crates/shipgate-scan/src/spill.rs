//! A scan's findings written to disk as files finish, so that peak memory
//! holds what the cross-object rules read and not every finding of the tree.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};

use serde::Serialize;
use serde::de::DeserializeOwned;
use shipgate_core::{Finding, Report, ReportView, SourceSpan, SuppressedFinding};
use shipgate_rules::{Assembled, Settled};

/// Values of one type appended as JSON lines to an unnamed temporary file
/// once there are enough of them to be worth one, or held in memory when no
/// temporary file can be made (a read-only `/tmp`): the scan then costs
/// memory, never its result.
enum Spill<T> {
    Disk {
        writer: BufWriter<File>,
        len: u64,
        /// The first write that failed (a full disk): reading the spill
        /// reports it, so a report never silently lacks findings.
        failed: Option<String>,
    },
    Memory {
        values: Vec<T>,
        /// Opens a file once it holds more values than this.
        hold: usize,
    },
}

/// A spill that takes no more values and can be read any number of times.
enum Sealed<T> {
    Disk { file: File, len: u64 },
    Memory(Vec<T>),
    Failed(String),
}

impl<T: Serialize + DeserializeOwned> Spill<T> {
    /// A spill that holds a few megabytes of values before it opens its file:
    /// a small scan never writes its findings out only to read them back.
    fn new() -> Self {
        Spill::Memory {
            values: Vec::new(),
            hold: VALUES_PER_RUN,
        }
    }

    /// A spill that writes every value to its file.
    fn on_disk() -> Self {
        Spill::Memory {
            values: Vec::new(),
            hold: 0,
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
            Spill::Memory { values, hold } => {
                values.push(value);
                if values.len() > *hold {
                    match tempfile::tempfile() {
                        Ok(file) => {
                            let values = std::mem::take(values);
                            *self = Spill::Disk {
                                writer: BufWriter::with_capacity(1 << 16, file),
                                len: 0,
                                failed: None,
                            };
                            for value in values {
                                self.push(value);
                            }
                        }
                        Err(_) => *hold = usize::MAX,
                    }
                }
            }
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
            Spill::Memory { values, .. } => Sealed::Memory(values),
        }
    }
}

impl<T: DeserializeOwned + Clone> Sealed<T> {
    /// The values in the order they were written.
    fn values(&self) -> io::Result<Values<'_, T>> {
        match self {
            Sealed::Memory(values) => Ok(Values::Memory(values.iter())),
            Sealed::Failed(err) => Err(io::Error::other(format!(
                "cannot keep the findings in a temporary file: {err}"
            ))),
            Sealed::Disk { file, len } => {
                let mut file = file;
                file.seek(SeekFrom::Start(0))?;
                Ok(Values::Disk {
                    reader: BufReader::with_capacity(READ_BUFFER, file),
                    left: *len,
                    line: String::new(),
                })
            }
        }
    }
}

/// Each sealed spill is read through a buffer of this size; a report is read
/// from a few of them at once.
const READ_BUFFER: usize = 1 << 15;

enum Values<'a, T> {
    Memory(std::slice::Iter<'a, T>),
    Disk {
        reader: BufReader<&'a File>,
        left: u64,
        line: String,
    },
}

impl<'a, T: DeserializeOwned + Clone> Iterator for Values<'a, T> {
    type Item = io::Result<Cow<'a, T>>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Values::Memory(values) => values.next().map(|v| Ok(Cow::Borrowed(v))),
            Values::Disk { left: 0, .. } => None,
            Values::Disk { reader, left, line } => {
                *left -= 1;
                line.clear();
                Some(match reader.read_line(line) {
                    Ok(0) => {
                        *left = 0;
                        Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "the temporary file of findings was cut short",
                        ))
                    }
                    Ok(_) => serde_json::from_str(line)
                        .map(Cow::Owned)
                        .map_err(io::Error::other),
                    Err(err) => Err(err),
                })
            }
        }
    }
}

/// Values that come in no useful order, held until enough have come and
/// then written out sorted as one run of several, merged when read.
struct Runs<T> {
    held: Vec<T>,
    runs: Vec<Sealed<T>>,
    order: fn(&T, &T) -> Ordering,
}

/// Values held before they are written out as a run: a few megabytes of
/// findings, and a few runs for a tree of a million files.
const VALUES_PER_RUN: usize = if cfg!(test) { 100 } else { 2048 };

impl<T: Serialize + DeserializeOwned> Runs<T> {
    fn new(order: fn(&T, &T) -> Ordering) -> Self {
        Runs {
            held: Vec::new(),
            runs: Vec::new(),
            order,
        }
    }

    fn push(&mut self, values: Vec<T>) {
        self.held.extend(values);
        if self.held.len() >= VALUES_PER_RUN {
            self.held.sort_unstable_by(self.order);
            let mut run = Spill::on_disk();
            for value in self.held.drain(..) {
                run.push(value);
            }
            self.runs.push(run.seal());
        }
    }

    /// The runs; the values of the last, short one stay in memory.
    fn seal(mut self) -> Vec<Sealed<T>> {
        if !self.held.is_empty() {
            self.held.sort_unstable_by(self.order);
            self.runs.push(Sealed::Memory(self.held));
        }
        self.runs
    }
}

/// Writes each file's settled findings as the scan goes.
pub(crate) struct FindingSpill {
    findings: Spill<Finding>,
    suppressed: Spill<SuppressedFinding>,
    /// The relation rules' findings, which come a few namespaces at a time.
    relations: Runs<Finding>,
    relations_suppressed: Runs<SuppressedFinding>,
}

impl FindingSpill {
    pub(crate) fn new() -> Self {
        FindingSpill {
            findings: Spill::new(),
            suppressed: Spill::new(),
            relations: Runs::new(finding_order),
            relations_suppressed: Runs::new(suppressed_order),
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

    /// `settled` may come in any order.
    pub(crate) fn push_unordered(&mut self, settled: Settled) {
        self.relations.push(settled.findings);
        self.relations_suppressed.push(settled.suppressed);
    }

    pub(crate) fn seal(self, assembled: Assembled) -> ScanReport {
        let mut findings = vec![self.findings.seal()];
        findings.extend(self.relations.seal());
        let mut suppressed = vec![self.suppressed.seal()];
        suppressed.extend(self.relations_suppressed.seal());
        ScanReport {
            head: assembled.report,
            redactions: assembled.redactions,
            findings,
            suppressed,
        }
    }
}

/// The report of a scan: counts, files and rules in memory, the findings on
/// disk (each file's in one sorted run, the relation rules' in a few more),
/// the findings of renderings and repository rules in memory. It is read in
/// canonical order through [`ReportView`].
pub struct ScanReport {
    head: Report,
    redactions: HashMap<String, Vec<SourceSpan>>,
    findings: Vec<Sealed<Finding>>,
    suppressed: Vec<Sealed<SuppressedFinding>>,
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
        merge(&self.findings, &self.head.findings, finding_order, visit)
    }

    fn each_suppressed(
        &self,
        visit: &mut dyn FnMut(&SuppressedFinding) -> io::Result<()>,
    ) -> io::Result<()> {
        merge(
            &self.suppressed,
            &self.head.suppressed,
            suppressed_order,
            visit,
        )
    }

    fn redactions(&self, path: &str) -> Vec<SourceSpan> {
        self.redactions.get(path).cloned().unwrap_or_default()
    }
}

/// The canonical order of findings, which every run and the held ones
/// follow.
fn finding_order(a: &Finding, b: &Finding) -> Ordering {
    a.sort_key().cmp(&b.sort_key())
}

fn suppressed_order(a: &SuppressedFinding, b: &SuppressedFinding) -> Ordering {
    finding_order(&a.finding, &b.finding)
}

/// Visits the values of the sorted runs and the held ones as one sequence
/// in `order`; each is in that order already.
fn merge<T: DeserializeOwned + Clone>(
    runs: &[Sealed<T>],
    held: &[T],
    order: fn(&T, &T) -> Ordering,
    visit: &mut dyn FnMut(&T) -> io::Result<()>,
) -> io::Result<()> {
    let mut streams = runs
        .iter()
        .map(Sealed::values)
        .collect::<io::Result<Vec<_>>>()?;
    let mut heads = Vec::with_capacity(streams.len());
    for stream in &mut streams {
        heads.push(stream.next().transpose()?);
    }
    let mut held = held.iter();
    let mut held_next = held.next();
    loop {
        // Ties go to the held values, then to earlier runs, as a stable
        // sort of everything would order them.
        let mut first = held_next;
        let mut from = None;
        for (i, head) in heads.iter().enumerate() {
            if let Some(value) = head.as_deref()
                && first.is_none_or(|f| order(f, value) == Ordering::Greater)
            {
                first = Some(value);
                from = Some(i);
            }
        }
        let Some(value) = first else {
            return Ok(());
        };
        visit(value)?;
        match from {
            None => held_next = held.next(),
            Some(i) => heads[i] = streams[i].next().transpose()?,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spill_opens_its_file_only_past_what_it_holds() {
        let read = |sealed: &Sealed<u32>| -> Vec<u32> {
            sealed
                .values()
                .unwrap()
                .map(|v| *v.unwrap())
                .collect::<Vec<u32>>()
        };
        for count in [0, VALUES_PER_RUN, VALUES_PER_RUN + 1, 3 * VALUES_PER_RUN] {
            let mut spill = Spill::new();
            let values: Vec<u32> = (0..count as u32).map(|i| i * 7 % 13).collect();
            for value in &values {
                spill.push(*value);
            }
            let sealed = spill.seal();
            assert_eq!(
                matches!(sealed, Sealed::Disk { .. }),
                count > VALUES_PER_RUN,
                "{count} values"
            );
            assert_eq!(read(&sealed), values);
        }
    }

    #[test]
    fn runs_and_held_values_read_back_as_one_sorted_sequence() {
        // Several runs on disk, a short one in memory, and held values.
        let mut runs = Runs::new(u32::cmp);
        let mut everything: Vec<u32> = Vec::new();
        for chunk in 0..7u32 {
            let values: Vec<u32> = (0..61)
                .map(|i| (i * 7919 + chunk * 104_729) % 1000)
                .collect();
            everything.extend(&values);
            runs.push(values);
        }
        let sealed = runs.seal();
        assert!(
            sealed
                .iter()
                .filter(|r| matches!(r, Sealed::Disk { .. }))
                .count()
                >= 3
        );
        assert!(matches!(sealed.last(), Some(Sealed::Memory(_))));
        let held: Vec<u32> = (0..50).map(|i| i * 20).collect();
        everything.extend(&held);
        everything.sort_unstable();

        let mut read = Vec::new();
        for _ in 0..2 {
            read.clear();
            merge(&sealed, &held, u32::cmp, &mut |v| {
                read.push(*v);
                Ok(())
            })
            .unwrap();
            assert_eq!(read, everything);
        }
    }
}
