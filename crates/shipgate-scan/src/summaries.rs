//! The object summaries of a scan kept on disk until the relation rules run,
//! and handed back a few namespaces at a time: peak memory then holds the
//! largest namespace, not every object of the tree.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};

use shipgate_rules::SummaryStore;
use shipgate_rules::k8s::{ObjectInfo, namespace_of};

/// Namespaces are handed back together until a group holds this many
/// objects: one namespace per group would run every relation rule once per
/// namespace of a tree with thousands of them, for no memory saved.
const OBJECTS_PER_GROUP: usize = 1024;

/// Summaries serialized one after another into an unnamed temporary file,
/// with the place of each kept per namespace.
pub(crate) struct SummarySpill {
    writer: Option<BufWriter<File>>,
    /// A write failed: what the file holds after it is unknown, so every
    /// later summary stays in memory.
    failed: bool,
    written: u64,
    /// Byte ranges of each namespace's summaries, in the order they came;
    /// neighbouring summaries of a namespace (a file's objects, a folder's
    /// files) share one range, so the index grows with the folders rather
    /// than the objects.
    places: HashMap<String, Vec<(u64, u32)>>,
    /// Summaries that could not be written (no temporary file, a full
    /// disk): they cost memory, never a finding.
    held: HashMap<String, Vec<ObjectInfo>>,
    buffer: Vec<u8>,
}

impl SummarySpill {
    pub(crate) fn new() -> Self {
        SummarySpill {
            writer: tempfile::tempfile()
                .ok()
                .map(|file| BufWriter::with_capacity(1 << 16, file)),
            failed: false,
            written: 0,
            places: HashMap::new(),
            held: HashMap::new(),
            buffer: Vec::new(),
        }
    }

    fn write(&mut self, object: &ObjectInfo) -> bool {
        let Some(writer) = self.writer.as_mut().filter(|_| !self.failed) else {
            return false;
        };
        self.buffer.clear();
        if serde_json::to_writer(&mut self.buffer, object).is_err() {
            return false;
        }
        let Ok(len) = u32::try_from(self.buffer.len()) else {
            return false;
        };
        if writer.write_all(&self.buffer).is_err() {
            self.failed = true;
            return false;
        }
        let namespace = namespace_of(object);
        let places = match self.places.get_mut(namespace) {
            Some(places) => places,
            None => self.places.entry(namespace.to_owned()).or_default(),
        };
        match places.last_mut() {
            Some((start, run))
                if *start + u64::from(*run) == self.written && run.checked_add(len).is_some() =>
            {
                *run += len;
            }
            _ => places.push((self.written, len)),
        }
        self.written += u64::from(len);
        true
    }
}

impl SummaryStore for SummarySpill {
    fn put(&mut self, object: ObjectInfo) {
        if !self.write(&object) {
            self.held
                .entry(namespace_of(&object).to_owned())
                .or_default()
                .push(object);
        }
    }

    fn drain(self: Box<Self>, visit: &mut dyn FnMut(Vec<ObjectInfo>)) -> Result<(), String> {
        let SummarySpill {
            writer,
            places,
            mut held,
            ..
        } = *self;
        let mut file = match writer.map(BufWriter::into_inner).transpose() {
            Ok(file) => file,
            Err(err) => return Err(err.error().to_string()),
        };
        let mut namespaces: BTreeMap<String, Vec<(u64, u32)>> = places.into_iter().collect();
        for namespace in held.keys() {
            namespaces.entry(namespace.clone()).or_default();
        }
        let mut group = Vec::new();
        for (namespace, places) in namespaces {
            if let Some(file) = file.as_mut() {
                read_places(file, &places, &mut group)?;
            }
            group.extend(held.remove(&namespace).unwrap_or_default());
            if group.len() >= OBJECTS_PER_GROUP {
                visit(std::mem::take(&mut group));
            }
        }
        if !group.is_empty() {
            visit(group);
        }
        Ok(())
    }
}

/// Reads the summaries at `places` into `out`, a range of neighbouring
/// records at a time through a small buffer.
fn read_places(
    file: &mut File,
    places: &[(u64, u32)],
    out: &mut Vec<ObjectInfo>,
) -> Result<(), String> {
    for &(offset, len) in places {
        file.seek(SeekFrom::Start(offset))
            .map_err(|err| err.to_string())?;
        let range = BufReader::with_capacity(1 << 16, Read::take(&mut *file, u64::from(len)));
        for object in serde_json::Deserializer::from_reader(range).into_iter::<ObjectInfo>() {
            out.push(object.map_err(|err| err.to_string())?);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use shipgate_core::SourceSpan;
    use shipgate_rules::k8s::ObjectInfo;

    use super::*;

    fn object(namespace: Option<&str>, name: &str) -> ObjectInfo {
        ObjectInfo {
            path: Arc::from(format!("{name}.yaml")),
            sources: None,
            kind: "Service".into(),
            name: Some(name.into()),
            namespace: namespace.map(str::to_owned),
            span: SourceSpan::line(1),
            workload: None,
            selector: None,
            references: Vec::new(),
            fields: vec![("type", "ClusterIP".into(), SourceSpan::line(3))],
            target_ports: Vec::new(),
        }
    }

    fn drained(store: SummarySpill) -> Vec<Vec<(String, String)>> {
        let mut groups = Vec::new();
        Box::new(store)
            .drain(&mut |objects| {
                groups.push(
                    objects
                        .iter()
                        .map(|o| {
                            (
                                namespace_of(o).to_owned(),
                                o.name.clone().unwrap_or_default(),
                            )
                        })
                        .collect(),
                );
            })
            .unwrap();
        groups
    }

    #[test]
    fn hands_back_every_summary_grouped_by_namespace_in_order() {
        let mut store = SummarySpill::new();
        assert!(store.writer.is_some(), "a temporary file can be made here");
        for (namespace, name) in [
            (Some("shop"), "a"),
            (None, "b"),
            (Some("default"), "c"),
            (Some("shop"), "d"),
            (Some("ops"), "e"),
        ] {
            store.put(object(namespace, name));
        }
        let groups = drained(store);
        let pairs = |items: &[(&str, &str)]| -> Vec<(String, String)> {
            items
                .iter()
                .map(|(n, o)| (n.to_string(), o.to_string()))
                .collect()
        };
        // Few objects: one group, namespaces in order, a namespace's objects
        // in the order they came, an unset namespace read as `default`.
        assert_eq!(
            groups,
            vec![pairs(&[
                ("default", "b"),
                ("default", "c"),
                ("ops", "e"),
                ("shop", "a"),
                ("shop", "d"),
            ])]
        );
    }

    #[test]
    fn a_summary_read_back_keeps_its_fields() {
        let mut store = SummarySpill::new();
        store.put(object(Some("shop"), "api"));
        let mut back = Vec::new();
        Box::new(store)
            .drain(&mut |objects| back = objects)
            .unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].field("type").map(|(v, _)| v), Some("ClusterIP"));
        assert_eq!(&*back[0].path, "api.yaml");
        assert_eq!(back[0].span, SourceSpan::line(1));
    }

    #[test]
    fn large_namespaces_come_in_groups_that_never_split_one() {
        let mut store = SummarySpill::new();
        for i in 0..OBJECTS_PER_GROUP + 10 {
            store.put(object(Some("big"), &format!("s{i}")));
        }
        for i in 0..20 {
            store.put(object(Some("small"), &format!("t{i}")));
        }
        // Neighbours share one range of the index.
        assert_eq!(store.places["big"].len(), 1);
        store.put(object(Some("big"), "last"));
        assert_eq!(store.places["big"].len(), 2);
        let groups = drained(store);
        assert_eq!(groups.len(), 2);
        assert!(groups[0].iter().all(|(n, _)| n == "big"));
        assert_eq!(groups[0].last().map(|(_, o)| o.as_str()), Some("last"));
        assert_eq!(groups[0].len(), OBJECTS_PER_GROUP + 11);
        assert!(groups[1].iter().all(|(n, _)| n == "small"));
    }

    #[test]
    fn without_a_temporary_file_summaries_stay_in_memory() {
        let mut store = SummarySpill::new();
        store.writer = None;
        store.put(object(Some("shop"), "a"));
        store.put(object(None, "b"));
        assert_eq!(
            drained(store),
            vec![vec![
                ("default".to_owned(), "b".to_owned()),
                ("shop".to_owned(), "a".to_owned())
            ]]
        );
    }
}
