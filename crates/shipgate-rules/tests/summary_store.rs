//! A store that hands the object summaries back a namespace at a time gives
//! the report of one that holds them all: the relation rules are judged per
//! namespace, and their findings are put back in the order of one pass.

use std::collections::BTreeMap;

use shipgate_core::Report;
use shipgate_rules::k8s::{ObjectInfo, namespace_of};
use shipgate_rules::{
    ArtifactKind, Engine, EngineConfig, HeldSummaries, ReportBuilder, SummaryGroup, SummaryStore,
};

#[derive(Default)]
struct OneNamespaceAtATime(BTreeMap<String, Vec<ObjectInfo>>);

impl SummaryStore for OneNamespaceAtATime {
    fn put(&mut self, object: ObjectInfo) {
        self.0
            .entry(namespace_of(&object).to_owned())
            .or_default()
            .push(object);
    }

    fn drain(
        self: Box<Self>,
        visit: &mut dyn FnMut(&mut dyn SummaryGroup) -> Result<(), String>,
    ) -> Result<(), String> {
        for (_, objects) in self.0 {
            let mut group = HeldSummaries::default();
            objects.into_iter().for_each(|o| group.put(o));
            visit(&mut group)?;
        }
        Ok(())
    }
}

struct Lost;

impl SummaryStore for Lost {
    fn put(&mut self, _: ObjectInfo) {}

    fn drain(
        self: Box<Self>,
        _: &mut dyn FnMut(&mut dyn SummaryGroup) -> Result<(), String>,
    ) -> Result<(), String> {
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
    report_in_pieces(files, store, engine, None)
}

fn report_in_pieces(
    files: Vec<(String, String)>,
    store: Option<Box<dyn SummaryStore + '_>>,
    engine: &Engine,
    pieces_of: Option<usize>,
) -> Report {
    let mut builder = match store {
        Some(store) => ReportBuilder::with_store(engine, vec![".".into()], None, store),
        None => ReportBuilder::new(engine, vec![".".into()], None),
    };
    if let Some(objects) = pieces_of {
        builder = builder.with_pieces_of(objects);
    }
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

/// A namespace's objects related in every way the relation rules judge,
/// with names and labels shared between services so that related objects
/// lie in different files.
fn related_files() -> Vec<(String, String)> {
    let mut files = Vec::new();
    for i in 0..60 {
        let ns = match i % 3 {
            0 => "  namespace: shop\n",
            1 => "  namespace: ops\n",
            _ => "",
        };
        let app = format!("app{}", i % 9);
        let replicas = i % 4;
        files.push((
            format!("k8s/{i:02}/deploy.yaml"),
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web{i}\n{ns}spec:\n  replicas: {replicas}\n  selector:\n    matchLabels: {{app: {app}}}\n  template:\n    metadata:\n      labels: {{app: {app}, tier: t{}}}\n    spec:\n      containers:\n        - name: app\n          image: app:1.0\n          ports:\n            - {{name: http, containerPort: 8080}}\n",
                i % 2
            ),
        ));
        let target = if i % 5 == 0 { "metrics" } else { "http" };
        let selector = if i % 7 == 0 {
            "nobody".to_owned()
        } else {
            app.clone()
        };
        files.push((
            format!("k8s/{i:02}/service.yaml"),
            format!(
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc{i}\n{ns}spec:\n  selector: {{app: {selector}}}\n  ports: [{{port: 80, targetPort: {target}}}]\n"
            ),
        ));
        if i % 4 == 1 && i < 30 {
            let budget = if i % 8 == 1 {
                "maxUnavailable: 0"
            } else {
                "minAvailable: 100%"
            };
            let values = if i % 12 == 5 {
                "nobody".to_owned()
            } else {
                format!("{app}, other")
            };
            files.push((
                format!("k8s/{i:02}/pdb.yaml"),
                format!(
                    "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: pdb{i}\n{ns}spec:\n  {budget}\n  selector:\n    matchExpressions:\n      - {{key: app, operator: In, values: [{values}]}}\n"
                ),
            ));
        }
        if i % 5 == 2 {
            let (kind, name) = match i % 4 {
                0 => ("Deployment", format!("web{}", i + 3)),
                1 => ("StatefulSet", format!("web{i}")),
                _ => ("Deployment", format!("web{i}")),
            };
            files.push((
                format!("k8s/{i:02}/hpa.yaml"),
                format!(
                    "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: hpa{i}\n{ns}spec:\n  scaleTargetRef: {{apiVersion: apps/v1, kind: {kind}, name: {name}}}\n  minReplicas: 2\n  maxReplicas: 5\n"
                ),
            ));
        }
        if i % 5 == 3 {
            let backend = if i % 10 == 3 {
                format!("svc{}", i + 1)
            } else {
                "gone".into()
            };
            files.push((
                format!("k8s/{i:02}/ingress.yaml"),
                format!(
                    "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: in{i}\n{ns}spec:\n  defaultBackend: {{service: {{name: {backend}, port: {{number: 80}}}}}}\n"
                ),
            ));
        }
        if i % 9 == 4 {
            files.push((
                format!("k8s/{i:02}/policy.yaml"),
                format!(
                    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: np{i}\n{ns}spec:\n  podSelector: {{matchLabels: {{app: {app}}}}}\n"
                ),
            ));
        }
    }
    // A policy that may select any pod joins a namespace's workloads.
    files.push((
        "k8s/ops-policy.yaml".into(),
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: not-batch\n  namespace: ops\nspec:\n  podSelector:\n    matchExpressions:\n      - {key: tier, operator: NotIn, values: [t1]}\n".into(),
    ));
    files
}

#[test]
fn a_group_judged_in_pieces_gives_the_report_of_one_judged_whole() {
    let engine = Engine::new(EngineConfig::default()).expect("defaults");
    let whole = report_in_pieces(related_files(), None, &engine, None);
    let count = |rule: &str| whole.findings.iter().filter(|f| f.rule == rule).count();
    for rule in [
        "k8s/pdb-selects-nothing",
        "k8s/pdb-missing",
        "k8s/pdb-blocks-drain",
        "k8s/networkpolicy-missing",
        "k8s/service-selects-nothing",
        "k8s/service-target-port-unknown",
        "k8s/ingress-service-missing",
        "k8s/hpa-target-missing",
        "k8s/single-replica",
    ] {
        assert!(count(rule) > 0, "{rule} has findings to compare");
    }
    for objects in [1, 5, 40] {
        let pieces = report_in_pieces(related_files(), None, &engine, Some(objects));
        assert_eq!(
            serde_json::to_value(&whole).expect("json"),
            serde_json::to_value(&pieces).expect("json"),
            "pieces of {objects}"
        );
    }
}

/// A namespace that fits in a piece is judged whole in it, with what only a
/// whole namespace gives: the closest match of a selector that selects
/// nothing.
#[test]
fn a_namespace_that_fits_in_a_piece_keeps_its_suggestions() {
    let engine = Engine::new(EngineConfig {
        select: vec!["k8s/service-selects-nothing".into()],
        ..EngineConfig::default()
    })
    .expect("selection");
    let mut files = vec![
        ("a/api.yaml".to_owned(), workload("api", Some("a"), 2)),
        (
            "a/svc.yaml".to_owned(),
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: api\n  namespace: a\nspec:\n  selector: {app: apj}\n".to_owned(),
        ),
    ];
    for i in 0..3 {
        files.push((
            format!("b/{i}.yaml"),
            workload(&format!("w{i}"), Some("b"), 2),
        ));
    }
    let closest = |pieces_of: Option<usize>| {
        let report = report_in_pieces(files.clone(), None, &engine, pieces_of);
        assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
        report.findings[0]
            .related
            .iter()
            .map(|r| r.message.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(closest(None), vec!["closest match: Deployment `api`"]);
    assert_eq!(closest(Some(2)), closest(None));
}
