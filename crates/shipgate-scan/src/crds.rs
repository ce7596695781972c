//! CustomResourceDefinitions of the tree, read before anything is checked,
//! so that a custom resource is validated against its CRD whichever file
//! holds either and whichever order the files are checked in.

use rayon::prelude::*;
use shipgate_rules::{ArtifactKind, Engine};
use shipgate_schema::WorkloadKinds;

use crate::Discovered;

/// The rules that validate objects against schemas; without one of them
/// the tree is not read twice.
const SCHEMA_RULES: &[&str] = &[
    "k8s/schema-unknown-field",
    "k8s/schema-invalid",
    "k8s/unknown-kind",
];

/// Whether the run validates objects against schemas.
pub(crate) fn validated(engine: &Engine) -> bool {
    SCHEMA_RULES.iter().any(|rule| engine.is_enabled(rule))
}

/// Adds every CRD of the discovered YAML files to the engine's schemas, and
/// returns the workload kinds the files name, whose schemas the check will
/// need. Unreadable or malformed files are left to the check itself to report.
pub(crate) fn register(engine: &Engine, files: &[Discovered]) -> WorkloadKinds {
    if !validated(engine) {
        return WorkloadKinds::default();
    }
    let max = engine.config().max_file_size;
    let schemas = &engine.config().schemas;
    files
        .par_iter()
        .filter(|f| {
            f.size <= max && matches!(f.kind, ArtifactKind::Kubernetes | ArtifactKind::Yaml)
        })
        .map(|file| {
            let Ok(bytes) = std::fs::read(file.path()) else {
                return WorkloadKinds::default();
            };
            match std::str::from_utf8(&bytes) {
                Ok(text) => {
                    schemas.add_crds_from_text(&file.display, text);
                    WorkloadKinds::named_in(text)
                }
                Err(_) => WorkloadKinds::default(),
            }
        })
        .reduce(WorkloadKinds::default, |a, b| a | b)
}

#[cfg(test)]
mod tests {
    use shipgate_rules::{Engine, EngineConfig};

    const CRD: &str = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: integer}
";

    #[test]
    fn a_crd_anywhere_in_the_tree_validates_its_resources() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Checked before the file that defines its kind.
        std::fs::write(
            dir.path().join("a-widget.yaml"),
            "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 3, colour: red}\n",
        )
        .expect("write");
        std::fs::write(dir.path().join("z-crd.yaml"), CRD).expect("write");
        let engine = Engine::new(EngineConfig {
            select: vec!["k8s/schema-*".into(), "k8s/unknown-kind".into()],
            ..EngineConfig::default()
        })
        .expect("engine");
        let report = crate::scan(&engine, &[dir.path().to_path_buf()], None).unwrap();
        let rules: Vec<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
        assert_eq!(
            rules,
            vec!["k8s/schema-unknown-field"],
            "{:#?}",
            report.findings
        );
        assert!(report.findings[0].message.contains("spec.colour"));
    }
}
