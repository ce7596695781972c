//! The object summaries of a scan kept on disk until the relation rules run,
//! and handed back a few namespaces at a time: peak memory then holds the
//! largest namespace, not every object of the tree.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::ops::Range;

use shipgate_rules::k8s::{ObjectInfo, namespace_of};
use shipgate_rules::{SummaryGroup, SummaryPlace, SummaryStore};

/// Namespaces are handed back together until a group holds this many
/// objects: one namespace per group would run every relation rule once per
/// namespace of a tree with thousands of them, for no memory saved.
const OBJECTS_PER_GROUP: usize = 1024;

/// Summaries held in memory until they are more than one piece of the
/// relation rules holds (see `shipgate_rules::OBJECTS_PER_PIECE`): below
/// that, writing them out could not lower the peak, since judging them
/// reads them all back at once.
const HELD_BEFORE_SPILL: usize = shipgate_rules::OBJECTS_PER_PIECE;

/// Summaries serialized one after another into an unnamed temporary file,
/// with the place of each kept per namespace, once there are enough of them.
pub(crate) struct SummarySpill {
    /// Opened when more than `hold` summaries have come.
    writer: Option<BufWriter<File>>,
    hold: usize,
    /// No temporary file could be made, or a write failed: what the file
    /// holds after it is unknown, so every later summary stays in memory.
    failed: bool,
    written: u64,
    /// Byte ranges of each namespace's summaries, in the order they came;
    /// neighbouring summaries of a namespace (a file's objects, a folder's
    /// files) share one range, so the index grows with the folders rather
    /// than the objects.
    places: HashMap<String, Places>,
    /// Summaries not written: those that came before the file was opened,
    /// and those that could not be (no temporary file, a full disk). They
    /// cost memory, never a finding.
    held: HashMap<String, Vec<ObjectInfo>>,
    /// Summaries per namespace, written or held.
    counts: HashMap<String, usize>,
    total: usize,
    buffer: Vec<u8>,
}

impl SummarySpill {
    pub(crate) fn new() -> Self {
        SummarySpill::holding(HELD_BEFORE_SPILL)
    }

    /// A spill that keeps up to `hold` summaries in memory before it opens
    /// its file.
    pub(crate) fn holding(hold: usize) -> Self {
        SummarySpill {
            writer: None,
            hold,
            failed: false,
            written: 0,
            places: HashMap::new(),
            held: HashMap::new(),
            counts: HashMap::new(),
            total: 0,
            buffer: Vec::new(),
        }
    }

    /// Opens the file and writes the summaries held so far to it, each
    /// namespace's in the order they came, so that those on disk still come
    /// before those held.
    fn open(&mut self) {
        let Ok(file) = tempfile::tempfile() else {
            self.failed = true;
            return;
        };
        self.writer = Some(BufWriter::with_capacity(1 << 16, file));
        for (namespace, objects) in std::mem::take(&mut self.held) {
            for object in objects {
                if !self.write(&object) {
                    self.held.entry(namespace.clone()).or_default().push(object);
                }
            }
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
        match self.counts.get_mut(namespace_of(&object)) {
            Some(count) => *count += 1,
            None => {
                self.counts.insert(namespace_of(&object).to_owned(), 1);
            }
        }
        self.total += 1;
        if self.writer.is_none() && !self.failed && self.total > self.hold {
            self.open();
        }
        if !self.write(&object) {
            self.held
                .entry(namespace_of(&object).to_owned())
                .or_default()
                .push(object);
        }
    }

    fn drain(
        self: Box<Self>,
        visit: &mut dyn FnMut(&mut dyn SummaryGroup) -> Result<(), String>,
    ) -> Result<(), String> {
        let SummarySpill {
            writer,
            mut places,
            mut held,
            counts,
            ..
        } = *self;
        let mut file = match writer.map(BufWriter::into_inner).transpose() {
            Ok(file) => file,
            Err(err) => return Err(err.error().to_string()),
        };
        let namespaces: BTreeMap<String, usize> = counts.into_iter().collect();
        let mut group = SpillGroup {
            file: file.as_mut(),
            namespaces: Vec::new(),
            held: Vec::new(),
            count: 0,
        };
        for (namespace, count) in namespaces {
            let first_held = group.held.len();
            group
                .held
                .extend(held.remove(&namespace).unwrap_or_default());
            group.namespaces.push((
                places.remove(&namespace).unwrap_or_default(),
                first_held..group.held.len(),
            ));
            group.count += count;
            if group.count >= OBJECTS_PER_GROUP {
                visit(&mut group)?;
                group.namespaces.clear();
                group.held.clear();
                group.count = 0;
            }
        }
        if group.count > 0 {
            visit(&mut group)?;
        }
        Ok(())
    }
}

/// Whole namespaces of a spill: where each one's summaries are on disk, and
/// which of those held in memory are its own.
struct SpillGroup<'f> {
    file: Option<&'f mut File>,
    namespaces: Vec<(Places, Range<usize>)>,
    held: Vec<ObjectInfo>,
    count: usize,
}

/// Byte ranges of summaries in the spill file.
type Places = Vec<(u64, u32)>;

impl SummaryGroup for SpillGroup<'_> {
    fn count(&self) -> usize {
        self.count
    }

    fn replay(&mut self, each: &mut dyn FnMut(SummaryPlace, ObjectInfo)) -> Result<(), String> {
        for (places, held) in &self.namespaces {
            if let Some(file) = self.file.as_deref_mut() {
                for &(offset, len) in places {
                    read_range(file, offset, len, each)?;
                }
            }
            for at in held.clone() {
                each(SummaryPlace::held(at), self.held[at].clone());
            }
        }
        Ok(())
    }

    fn fetch(
        &mut self,
        places: &[SummaryPlace],
        each: &mut dyn FnMut(ObjectInfo),
    ) -> Result<(), String> {
        let mut at = 0;
        while at < places.len() {
            let place = places[at];
            if place.is_held() {
                each(place.held_in(&self.held)?.clone());
                at += 1;
                continue;
            }
            // Neighbouring records are read as one range.
            let (start, mut end) = (place.at, place.at + u64::from(place.len));
            at += 1;
            while let Some(next) = places.get(at).filter(|p| !p.is_held() && p.at == end) {
                end += u64::from(next.len);
                at += 1;
            }
            let file = self
                .file
                .as_deref_mut()
                .ok_or("a summary was asked for on disk, and the spill has no file")?;
            let len = u32::try_from(end - start).map_err(|err| err.to_string())?;
            read_range(file, start, len, &mut |_, object| each(object))?;
        }
        Ok(())
    }
}

/// Reads the summaries of one range of the file through a small buffer,
/// each with its own place.
fn read_range(
    file: &mut File,
    offset: u64,
    len: u32,
    each: &mut dyn FnMut(SummaryPlace, ObjectInfo),
) -> Result<(), String> {
    file.seek(SeekFrom::Start(offset))
        .map_err(|err| err.to_string())?;
    let range = BufReader::with_capacity(1 << 16, Read::take(&mut *file, u64::from(len)));
    let mut records = serde_json::Deserializer::from_reader(range).into_iter::<ObjectInfo>();
    let mut start = 0;
    while let Some(object) = records.next() {
        let object = object.map_err(|err| err.to_string())?;
        let end = records.byte_offset();
        let place = SummaryPlace {
            at: offset + start as u64,
            len: u32::try_from(end - start).map_err(|err| err.to_string())?,
        };
        start = end;
        each(place, object);
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
            .drain(&mut |group| {
                let objects = group.collect()?;
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
                Ok(())
            })
            .unwrap();
        groups
    }

    #[test]
    fn hands_back_every_summary_grouped_by_namespace_in_order() {
        let mut store = SummarySpill::holding(0);
        for (namespace, name) in [
            (Some("shop"), "a"),
            (None, "b"),
            (Some("default"), "c"),
            (Some("shop"), "d"),
            (Some("ops"), "e"),
        ] {
            store.put(object(namespace, name));
        }
        assert!(store.writer.is_some(), "a temporary file can be made here");
        assert!(store.held.is_empty());
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
        let mut store = SummarySpill::holding(0);
        store.put(object(Some("shop"), "api"));
        let mut back = Vec::new();
        Box::new(store)
            .drain(&mut |group| {
                back = group.collect()?;
                Ok(())
            })
            .unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].field("type").map(|(v, _)| v), Some("ClusterIP"));
        assert_eq!(&*back[0].path, "api.yaml");
        assert_eq!(back[0].span, SourceSpan::line(1));
    }

    #[test]
    fn large_namespaces_come_in_groups_that_never_split_one() {
        let mut store = SummarySpill::holding(0);
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
        let mut store = SummarySpill::holding(0);
        store.failed = true;
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

    /// Summaries held until the spill opens its file are written first, so
    /// that they still come first; a spill that never opens its file hands
    /// back the same.
    #[test]
    fn summaries_held_before_the_file_opens_keep_their_order() {
        let put = |store: &mut SummarySpill| {
            for i in 0..9 {
                let namespace = ["shop", "ops", "default"][i % 3];
                store.put(object(Some(namespace), &format!("o{i}")));
            }
        };
        let mut on_disk = SummarySpill::holding(0);
        put(&mut on_disk);
        let mut opened_late = SummarySpill::holding(4);
        put(&mut opened_late);
        assert!(opened_late.writer.is_some() && opened_late.held.is_empty());
        let mut held = SummarySpill::holding(100);
        put(&mut held);
        assert!(held.writer.is_none());
        let expected = drained(on_disk);
        assert_eq!(expected[0].len(), 9);
        assert_eq!(drained(opened_late), expected);
        assert_eq!(drained(held), expected);
    }

    /// A large group is read once with the places of its summaries, then
    /// piece by piece from those places, in any order and from disk and
    /// memory alike.
    #[test]
    fn summaries_are_fetched_again_from_their_places() {
        let mut store = SummarySpill::holding(0);
        for i in 0..6 {
            store.put(object(Some("shop"), &format!("s{i}")));
        }
        // A failed write keeps the later summaries in memory.
        store.failed = true;
        store.put(object(Some("shop"), "held"));
        let mut fetched = Vec::new();
        Box::new(store)
            .drain(&mut |group| {
                let mut places = Vec::new();
                group.replay(&mut |place, object| places.push((place, object.name)))?;
                assert_eq!(places.len(), 7);
                // Neighbours, a gap, a record before its predecessor, and a held one.
                let wanted = [1, 2, 4, 0, 6];
                let asked: Vec<SummaryPlace> = wanted.iter().map(|i| places[*i].0).collect();
                group.fetch(&asked, &mut |object| fetched.push(object.name))?;
                let expected: Vec<_> = wanted.iter().map(|i| places[*i].1.clone()).collect();
                assert_eq!(fetched, expected);
                Ok(())
            })
            .unwrap();
        assert_eq!(fetched.len(), 5);
    }

    /// Judged in pieces read back from the spill, a tree gives the report
    /// of one whose summaries are all held.
    #[test]
    fn pieces_read_from_the_spill_give_the_report_of_held_summaries() {
        use shipgate_rules::{ArtifactKind, Engine, EngineConfig, ReportBuilder};

        let engine = Engine::new(EngineConfig::default()).expect("defaults");
        let mut files = Vec::new();
        for i in 0..12 {
            let namespace = ["shop", "ops"][i % 2];
            let app = format!("app{}", i % 4);
            files.push((
                format!("k8s/{i}.yaml"),
                format!(
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web{i}, namespace: {namespace}}}\nspec:\n  replicas: {}\n  template:\n    metadata:\n      labels: {{app: {app}}}\n    spec:\n      containers: [{{name: app, image: app:1, ports: [{{name: http, containerPort: 80}}]}}]\n---\napiVersion: v1\nkind: Service\nmetadata: {{name: svc{i}, namespace: {namespace}}}\nspec:\n  selector: {{app: {app}}}\n  ports: [{{port: 80, targetPort: {}}}]\n---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: pdb{i}, namespace: {namespace}}}\nspec:\n  minAvailable: {}\n  selector: {{matchLabels: {{app: app{}}}}}\n",
                    i % 3,
                    ["http", "grpc"][i % 2],
                    i % 3,
                    (i + 2) % 4
                ),
            ));
        }
        let report = |spill: bool| {
            let roots = vec![".".to_owned()];
            let mut builder = if spill {
                ReportBuilder::with_store(&engine, roots, None, Box::new(SummarySpill::holding(0)))
                    .with_pieces_of(2)
            } else {
                ReportBuilder::new(&engine, roots, None)
            };
            for (path, text) in &files {
                let settled = builder.add(engine.check_text(path, text, ArtifactKind::Yaml));
                builder.keep(settled);
            }
            serde_json::to_value(builder.finish().report).expect("json")
        };
        let held = report(false);
        let relations = held["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| {
                let rule = f["rule"].as_str().unwrap_or_default();
                rule.starts_with("k8s/pdb-") || rule.starts_with("k8s/service-")
            })
            .count();
        assert!(relations >= 10, "relation findings to compare: {relations}");
        assert_eq!(report(true), held);
    }
}
