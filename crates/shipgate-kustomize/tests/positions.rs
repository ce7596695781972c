//! Every node of a rendering leads back to the file and line that produced it.

mod common;

use shipgate_kustomize::{Rendering, render};
use shipgate_syntax::yaml::NodeRef;

use common::{Disk, fixtures};

fn rendered(dir: &str) -> Rendering {
    let rendering = render(dir, &Disk(fixtures()));
    assert!(
        rendering.diagnostics.is_empty(),
        "{:#?}",
        rendering.diagnostics
    );
    rendering
}

fn object<'a>(rendering: &'a Rendering, kind: &str) -> NodeRef<'a> {
    let stream = &rendering.stream;
    (0..stream.documents.len())
        .filter_map(|i| stream.root(i))
        .find(|r| r.get("kind").and_then(|k| k.as_str()) == Some(kind))
        .unwrap_or_else(|| panic!("no {kind}"))
}

fn container<'a>(deployment: NodeRef<'a>, name: &str) -> NodeRef<'a> {
    deployment
        .path(&["spec", "template", "spec", "containers"])
        .and_then(|c| {
            c.items()
                .find(|c| c.get("name").and_then(|n| n.as_str()) == Some(name))
        })
        .unwrap_or_else(|| panic!("no container {name}"))
}

/// The file, 1-based line and text of a node's origin.
fn origin(rendering: &Rendering, node: NodeRef<'_>) -> (String, u32, String) {
    let (path, span) = rendering
        .stream
        .origin(node.span())
        .expect("a rendered node has an origin");
    let text = std::fs::read_to_string(fixtures().join(path)).expect("origin file");
    let slice = text
        .get(span.start_byte as usize..span.end_byte as usize)
        .unwrap_or("<bad bytes>")
        .to_owned();
    (path.to_owned(), span.start.line, slice)
}

fn line_of(path: &str, needle: &str) -> u32 {
    let text = std::fs::read_to_string(fixtures().join(path)).expect("fixture");
    let index = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} in {path}"));
    text[..index].matches('\n').count() as u32 + 1
}

#[test]
fn a_privileged_patch_is_reported_at_the_patch_line() {
    let rendering = rendered("shop/overlays/dev");
    let web = container(object(&rendering, "Deployment"), "web");
    let privileged = web.path(&["securityContext", "privileged"]).unwrap();
    assert_eq!(privileged.as_bool(), Some(true));
    let patch = "shop/overlays/dev/patches/debug.yaml";
    assert_eq!(
        origin(&rendering, privileged),
        (
            patch.to_owned(),
            line_of(patch, "privileged: true"),
            "true".to_owned()
        )
    );
    // What the patch did not touch still points at the base.
    let image_line = line_of("shop/base/deployment.yaml", "ports:");
    let ports = web.get("ports").unwrap();
    assert_eq!(origin(&rendering, ports).0, "shop/base/deployment.yaml");
    assert_eq!(origin(&rendering, ports).1, image_line + 1);
}

#[test]
fn inline_patches_keep_their_lines_in_the_kustomization() {
    let rendering = rendered("shop/overlays/prod");
    let web = container(object(&rendering, "Deployment"), "web");
    let mount = web
        .get("volumeMounts")
        .and_then(|m| m.items().next())
        .unwrap();
    let read_only = mount.get("readOnly").unwrap();
    let kustomization = "shop/overlays/prod/kustomization.yaml";
    assert_eq!(
        origin(&rendering, read_only),
        (
            kustomization.to_owned(),
            line_of(kustomization, "readOnly: true"),
            "true".to_owned()
        )
    );
    // The container added by the component's inline patch.
    let exporter = container(object(&rendering, "Deployment"), "metrics-exporter");
    let component = "shop/components/monitoring/kustomization.yaml";
    let image = exporter.get("image").unwrap();
    assert_eq!(
        origin(&rendering, image),
        (
            component.to_owned(),
            line_of(component, "prom/statsd-exporter"),
            "prom/statsd-exporter:v0.26.0".to_owned()
        )
    );
}

#[test]
fn transformed_values_point_at_the_kustomization_entry() {
    let rendering = rendered("shop/overlays/dev");
    let deployment = object(&rendering, "Deployment");
    let dev = "shop/overlays/dev/kustomization.yaml";
    let name = deployment.path(&["metadata", "name"]).unwrap();
    assert_eq!(name.as_str(), Some("dev-shop"));
    assert_eq!(
        origin(&rendering, name),
        (dev.to_owned(), 4, "dev-".to_owned())
    );
    let label = deployment
        .path(&["spec", "template", "metadata", "labels", "env"])
        .unwrap();
    assert_eq!(origin(&rendering, label).1, line_of(dev, "env: dev"));
    let image = container(deployment, "web").get("image").unwrap();
    assert_eq!(image.as_str(), Some("ghcr.io/acme/shop:1.5.0-rc1"));
    assert_eq!(
        origin(&rendering, image).1,
        line_of(dev, "- name: ghcr.io/acme/shop")
    );
    let namespace = deployment.path(&["metadata", "namespace"]).unwrap();
    assert_eq!(origin(&rendering, namespace).2, "shop-dev");
}

#[test]
fn generated_data_points_at_its_source() {
    let rendering = rendered("shop/overlays/prod");
    let config = object(&rendering, "ConfigMap");
    let url = config.path(&["data", "CHECKOUT_URL"]).unwrap();
    let env = "shop/base/config/app.env";
    assert_eq!(
        origin(&rendering, url),
        (
            env.to_owned(),
            3,
            "CHECKOUT_URL=http://checkout:8080/api".to_owned()
        )
    );
    let level = config.path(&["data", "LOG_LEVEL"]).unwrap();
    assert_eq!(origin(&rendering, level).2, "LOG_LEVEL=info");
    let properties = config.path(&["data", "app.properties"]).unwrap();
    assert_eq!(
        origin(&rendering, properties).0,
        "shop/base/config/app.properties"
    );
}

#[test]
fn json_patch_values_point_at_the_patch_file() {
    let rendering = rendered("shop/overlays/prod");
    let deployment = object(&rendering, "Deployment");
    let strategy = deployment.path(&["spec", "strategy", "type"]).unwrap();
    let patch = "shop/overlays/prod/patches/strategy.json";
    assert_eq!(
        origin(&rendering, strategy),
        (patch.to_owned(), 2, "\"RollingUpdate\"".to_owned())
    );
    let mode = container(deployment, "web")
        .get("env")
        .and_then(|e| e.items().nth(1))
        .and_then(|e| e.get("value"))
        .unwrap();
    assert_eq!(origin(&rendering, mode).0, patch);
}

#[test]
fn replaced_values_point_at_their_source_field() {
    let rendering = rendered("replacements");
    let stream = &rendering.stream;
    let web = (0..stream.documents.len())
        .filter_map(|i| stream.root(i))
        .find(|r| r.path(&["metadata", "name"]).and_then(|n| n.as_str()) == Some("p-web"))
        .expect("p-web");
    let value = container(web, "app")
        .get("env")
        .and_then(|e| e.items().next())
        .and_then(|e| e.get("value"))
        .unwrap();
    assert_eq!(value.as_str(), Some("db.example.com"));
    let objects = "replacements/objects.yaml";
    let (path, line, _) = origin(&rendering, value);
    assert_eq!((path.as_str(), line), (objects, line_of(objects, "HOST")));
}
