//! The example repository, copied into a temporary folder so that tests can
//! change it, and the edits that fix its deliberate defects.

use std::fs;
use std::path::Path;

pub fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// The example, copied so that fixing it leaves the repository alone.
pub fn example() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/shop");
    copy_tree(&source, dir.path());
    dir
}

pub fn edit(root: &Path, file: &str, from: &str, to: &str) {
    let path = root.join(file);
    let text = fs::read_to_string(&path).expect("read");
    assert!(text.contains(from), "{file} has no `{from}`");
    fs::write(&path, text.replacen(from, to, 1)).expect("write");
}

pub fn fix_every_defect(root: &Path) {
    edit(
        root,
        "k8s/postgres-statefulset.yaml",
        "value: \"Sh0p-0rders-2024!\"",
        "valueFrom:\n                secretKeyRef:\n                  name: orders-db\n                  key: password",
    );
    edit(
        root,
        "Dockerfile",
        "ADD https://github.com/krallin/tini/releases/download/v0.19.0/tini-amd64 /usr/local/bin/tini",
        "COPY --from=tini /tini /usr/local/bin/tini",
    );
    edit(
        root,
        "Dockerfile",
        "FROM python:3.12",
        "FROM ghcr.io/krallin/tini:v0.19.0 AS tini\nFROM python:3.12",
    );
    edit(
        root,
        "k8s/redis-deployment.yaml",
        "redis:latest",
        "redis:7.4.1",
    );
    edit(
        root,
        "k8s/api-ingress.yaml",
        "  ingressClassName: nginx\n",
        "  ingressClassName: nginx\n  tls:\n    - hosts: [orders.shop.example.com]\n      secretName: orders-tls\n",
    );
    edit(
        root,
        "k8s/worker-deployment.yaml",
        "            limits:\n              cpu: 500m\n",
        "            limits:\n              cpu: 500m\n              memory: 256Mi\n",
    );
    edit(
        root,
        "k8s/worker-deployment.yaml",
        "          imagePullPolicy: IfNotPresent\n",
        "          imagePullPolicy: IfNotPresent\n          livenessProbe:\n            exec:\n              command: [\"python\", \"-m\", \"app.worker\", \"--check\"]\n          readinessProbe:\n            exec:\n              command: [\"python\", \"-m\", \"app.worker\", \"--check\"]\n",
    );
    edit(
        root,
        "k8s/api-hpa.yaml",
        "name: orders-api-v2",
        "name: orders-api",
    );
    edit(
        root,
        "k8s/redis-service.yaml",
        "app.kubernetes.io/name: reddis",
        "app.kubernetes.io/name: redis",
    );
}
