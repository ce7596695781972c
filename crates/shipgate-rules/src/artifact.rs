use std::fmt;

/// What a file is, decided from its name first and its content second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ArtifactKind {
    /// YAML whose documents carry `apiVersion` and `kind`.
    Kubernetes,
    Kustomization,
    /// `Chart.yaml` of a Helm chart.
    HelmChart,
    /// A file under a chart's `templates/`: Go templates, not YAML until rendered.
    HelmTemplate,
    HelmValues,
    Dockerfile,
    Compose,
    Workflow,
    /// YAML that is none of the above.
    Yaml,
    /// Any other text.
    Text,
}

impl ArtifactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ArtifactKind::Kubernetes => "kubernetes",
            ArtifactKind::Kustomization => "kustomization",
            ArtifactKind::HelmChart => "helm-chart",
            ArtifactKind::HelmTemplate => "helm-template",
            ArtifactKind::HelmValues => "helm-values",
            ArtifactKind::Dockerfile => "dockerfile",
            ArtifactKind::Compose => "compose",
            ArtifactKind::Workflow => "workflow",
            ArtifactKind::Yaml => "yaml",
            ArtifactKind::Text => "text",
        }
    }

    /// Classifies by path alone. `Yaml` means "look at the content": the
    /// engine promotes it to `Kubernetes` when a document has `apiVersion` and `kind`.
    /// `in_helm_chart` tells whether the file lies under a chart's `templates/`.
    pub fn from_path(path: &str, in_helm_templates: bool) -> ArtifactKind {
        let name = path.rsplit('/').next().unwrap_or(path);
        let lower = name.to_ascii_lowercase();
        let is_yaml = lower.ends_with(".yaml") || lower.ends_with(".yml");
        if in_helm_templates {
            return ArtifactKind::HelmTemplate;
        }
        // `Dockerfile.prod` is a Dockerfile; `dockerfile.rs` or
        // `Dockerfile.md` is code or prose about one.
        let other_language = lower
            .rsplit_once('.')
            .is_some_and(|(_, ext)| OTHER_LANGUAGES.contains(&ext));
        if lower == "dockerfile"
            || lower == "containerfile"
            || ((lower.starts_with("dockerfile.") || lower.starts_with("containerfile."))
                && !other_language)
            || lower.ends_with(".dockerfile")
            || lower.ends_with(".containerfile")
        {
            return ArtifactKind::Dockerfile;
        }
        if !is_yaml {
            return ArtifactKind::Text;
        }
        let stem = lower.trim_end_matches(".yaml").trim_end_matches(".yml");
        if stem == "kustomization" {
            return ArtifactKind::Kustomization;
        }
        if name == "Chart.yaml" {
            return ArtifactKind::HelmChart;
        }
        if stem == "values" || stem.starts_with("values-") || stem.starts_with("values.") {
            // Only inside a chart; elsewhere a file called values.yaml is plain YAML.
            return ArtifactKind::Yaml;
        }
        if stem == "docker-compose"
            || stem == "compose"
            || stem.starts_with("docker-compose.")
            || stem.starts_with("docker-compose-")
            || stem.starts_with("compose.")
        {
            return ArtifactKind::Compose;
        }
        if path.contains(".github/workflows/") {
            return ArtifactKind::Workflow;
        }
        ArtifactKind::Yaml
    }

    /// Whether the engine parses this kind as YAML.
    pub fn is_yaml(self) -> bool {
        matches!(
            self,
            ArtifactKind::Kubernetes
                | ArtifactKind::Kustomization
                | ArtifactKind::HelmChart
                | ArtifactKind::HelmValues
                | ArtifactKind::Compose
                | ArtifactKind::Workflow
                | ArtifactKind::Yaml
        )
    }
}

/// Extensions that make `Dockerfile.<ext>` a file of another language.
const OTHER_LANGUAGES: &[&str] = &[
    "rs", "py", "go", "js", "mjs", "cjs", "ts", "tsx", "jsx", "java", "kt", "rb", "php", "c", "h",
    "cc", "cpp", "hpp", "cs", "swift", "scala", "md", "rst", "adoc", "txt", "json", "yaml", "yml",
    "toml", "xml", "html", "css", "sh", "bash", "ps1", "snap",
];

impl fmt::Display for ArtifactKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_name() {
        let cases = [
            ("Dockerfile", ArtifactKind::Dockerfile),
            ("build/Dockerfile.prod", ArtifactKind::Dockerfile),
            ("api.Dockerfile", ArtifactKind::Dockerfile),
            ("Containerfile", ArtifactKind::Dockerfile),
            ("Containerfile.ubi9", ArtifactKind::Dockerfile),
            ("tests/dockerfile.rs", ArtifactKind::Text),
            ("docs/Dockerfile.md", ArtifactKind::Text),
            ("docker-compose.yml", ArtifactKind::Compose),
            ("deploy/compose.prod.yaml", ArtifactKind::Compose),
            ("docker-compose.override.yaml", ArtifactKind::Compose),
            ("k8s/kustomization.yaml", ArtifactKind::Kustomization),
            (".github/workflows/ci.yml", ArtifactKind::Workflow),
            ("charts/web/Chart.yaml", ArtifactKind::HelmChart),
            ("k8s/deploy.yaml", ArtifactKind::Yaml),
            ("README.md", ArtifactKind::Text),
        ];
        for (path, kind) in cases {
            assert_eq!(ArtifactKind::from_path(path, false), kind, "{path}");
        }
        assert_eq!(
            ArtifactKind::from_path("charts/web/templates/deploy.yaml", true),
            ArtifactKind::HelmTemplate
        );
    }
}
