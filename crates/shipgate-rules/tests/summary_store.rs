//! A store that hands the object summaries back a namespace at a time gives
//! the report of one that holds them all: the relation rules are judged per
//! namespace, and their findings are put back in the order of one pass.

use std::collections::BTreeMap;

use shipgate_core::Report;
use shipgate_rules::k8s::{ObjectInfo, namespace_of};
use shipgate_rules::{ArtifactKind, Engine, EngineConfig, ReportBuilder, SummaryStore};

#[derive(Default)]
struct OneNamespaceAtATime(BTreeMap<String, Vec<ObjectInfo>>);

impl SummaryStore for OneNamespaceAtATime {
    fn put(&mut self, object: ObjectInfo) {
        self.0
            .entry(namespace_of(&object).to_owned())
            .or_default()
            .push(object);
    }

    fn drain(self: Box<Self>, visit: &mut dyn FnMut(Vec<ObjectInfo>)) -> Result<(), String> {
        for (_, objects) in self.0 {
            visit(objects);
        }
        Ok(())
    }
}

struct Lost;

impl SummaryStore for Lost {
    fn put(&mut self, _: ObjectInfo) {}

    fn drain(self: Box<Self>, _: &mut dyn FnMut(Vec<ObjectInfo>)) -> Result<(), String> {
        Err("the disk is gone".into())
    }
}

fn workload(name: &str, namespace: Option<&str>, replicas: u32) -> String {
    let namespace = namespace.map_or(String::new(), |n| format!("  namespace: {n}\n"));
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n{namespace}spec:\n  replicas: {replicas}\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n      containers:\n        - name: app\n          image: app:1.0\n"
    )
}

fn files() -> Vec<(String, String)> {
    let mut files = Vec::new();
    for (i, namespace) in [
        Some("shop"),
        None,
        Some("ops"),
        Some("default"),
        Some("shop"),
    ]
    .into_iter()
    .enumerate()
    {
        files.push((
            format!("k8s/{i}-deploy.yaml"),
            workload(&format!("app{i}"), namespace, 2 + i as u32),
        ));
        // A Service that selects nothing and one that selects the workload.
        let namespace = namespace.map_or(String::new(), |n| format!("  namespace: {n}\n"));
        files.push((
            format!("k8s/{i}-svc.yaml"),
            format!(
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc{i}\n{namespace}spec:\n  selector: {{app: app{i}}}\n  ports: [{{port: 80}}]\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: stray{i}\n{namespace}spec:\n  selector: {{app: nobody}}\n  ports: [{{port: 80}}]\n"
            ),
        ));
    }
    files
}

fn report(store: Option<Box<dyn SummaryStore + '_>>, engine: &Engine) -> Report {
    report_of(files(), store, engine)
}

fn report_of(
    files: Vec<(String, String)>,
    store: Option<Box<dyn SummaryStore + '_>>,
    engine: &Engine,
) -> Report {
    let mut builder = match store {
        Some(store) => ReportBuilder::with_store(engine, vec![".".into()], None, store),
        None => ReportBuilder::new(engine, vec![".".into()], None),
    };
    for (path, text) in files {
        let settled = builder.add(engine.check_text(&path, &text, ArtifactKind::Yaml));
        builder.keep(settled);
    }
    builder.finish().report
}

#[test]
fn namespaces_handed_back_apart_give_the_same_report() {
    let engine = Engine::new(EngineConfig::default()).expect("defaults");
    let held = report(None, &engine);
    let apart = report(Some(Box::<OneNamespaceAtATime>::default()), &engine);
    let relation = |r: &Report| {
        r.findings
            .iter()
            .filter(|f| {
                f.rule.ends_with("pdb-missing")
                    || f.rule.ends_with("service-selects-nothing")
                    || f.rule.ends_with("networkpolicy-missing")
            })
            .count()
    };
    assert!(
        relation(&held) >= 10,
        "the set has relation findings in several namespaces"
    );
    assert_eq!(
        serde_json::to_value(&held).expect("json"),
        serde_json::to_value(&apart).expect("json")
    );
}

/// A cluster-scoped policy lies in one group, and isolates the pods of
/// every group.
#[test]
fn a_cluster_wide_policy_covers_namespaces_handed_back_apart() {
    let engine = Engine::new(EngineConfig {
        select: vec!["k8s/networkpolicy-missing".into()],
        ..EngineConfig::default()
    })
    .expect("selection");
    let report = |store: Option<Box<dyn SummaryStore + '_>>, with_policy: bool| {
        let mut files = files();
        if with_policy {
            files.push((
                "k8s/global.yaml".into(),
                "apiVersion: crd.projectcalico.org/v1\nkind: GlobalNetworkPolicy\n\
                 metadata:\n  name: default-deny\nspec:\n  selector: all()\n  types: [Ingress]\n"
                    .into(),
            ));
        }
        report_of(files, store, &engine).findings.len()
    };
    assert!(report(Some(Box::<OneNamespaceAtATime>::default()), false) >= 3);
    assert_eq!(report(None, true), 0);
    assert_eq!(report(Some(Box::<OneNamespaceAtATime>::default()), true), 0);
}

#[test]
fn summaries_that_cannot_be_read_back_are_reported_not_skipped() {
    let engine = Engine::new(EngineConfig {
        select: vec!["k8s/*".into()],
        ..EngineConfig::default()
    })
    .expect("selection");
    let report = report(Some(Box::new(Lost)), &engine);
    let lost: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule == "io/unreadable-file")
        .collect();
    assert_eq!(lost.len(), 1, "{:#?}", report.findings);
    assert!(lost[0].message.contains("the disk is gone"));
    assert!(
        !report
            .findings
            .iter()
            .any(|f| f.rule.ends_with("service-selects-nothing"))
    );
}
