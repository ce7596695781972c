//! Rules the engine raises itself: input it could not read or parse, and
//! suppressions that do not say why. They are rules like any other, so they
//! can be listed, explained, selected and documented.

use shipgate_core::{Category, Example, RuleMeta, Severity};

use crate::{Check, RuleDef};

pub const BINARY_FILE: &str = "io/binary-file";
pub const FILE_TOO_LARGE: &str = "io/file-too-large";
pub const INVALID_UTF8: &str = "io/invalid-utf8";
pub const UNREADABLE_FILE: &str = "io/unreadable-file";
pub const YAML_SYNTAX: &str = "yaml/syntax-error";
pub const YAML_DUPLICATE_KEY: &str = "yaml/duplicate-key";
pub const YAML_ALIAS_BOMB: &str = "yaml/alias-bomb";
pub const YAML_TOO_DEEP: &str = "yaml/too-deep";
pub const YAML_INVALID_MERGE: &str = "yaml/invalid-merge";
pub const SUPPRESSION_REASON: &str = "meta/suppression-missing-reason";
pub const SUPPRESSION_UNKNOWN: &str = "meta/suppression-unknown-rule";

const NO_ALIASES: &[shipgate_core::Alias] = &[];

const fn engine_rule(meta: RuleMeta) -> RuleDef {
    RuleDef {
        meta,
        check: Check::Engine,
    }
}

const VALID_YAML: Example = Example {
    file: "config.yaml",
    content: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: shop\ndata:\n  mode: production\n",
};

pub const RULES: &[RuleDef] = &[
    engine_rule(RuleMeta {
        id: BINARY_FILE,
        title: "Binary files are skipped",
        severity: Severity::Info,
        category: Category::Correctness,
        rationale: "Binary files cannot hold deployment configuration that shipgate can judge, \
            so they are skipped by rule rather than by accident. The diagnostic makes the \
            skip visible, so nothing is silently assumed to have passed.",
        remediation: "Nothing to do unless the file should be text; if it should, check its \
            encoding (UTF-16 files contain NUL bytes).",
        references: &[],
        aliases: NO_ALIASES,
        enabled_by_default: true,
        failing: Example {
            file: "logo.yaml",
            content: "\u{0}\u{1}PNG\u{0}",
        },
        passing: VALID_YAML,
    }),
    engine_rule(RuleMeta {
        id: FILE_TOO_LARGE,
        title: "Files over the size limit are skipped",
        severity: Severity::Info,
        category: Category::Correctness,
        rationale: "Generated dumps and data files can be gigabytes; reading them would cost \
            memory and time without judging any real artifact. They are skipped, and the \
            skip is reported so that an oversized manifest is never silently ignored.",
        remediation: "Raise the limit with `--max-file-size` if the file is a real artifact, \
            or exclude it with `.gitignore`.",
        references: &[],
        aliases: NO_ALIASES,
        enabled_by_default: true,
        failing: Example {
            file: "huge.yaml",
            content: "# This example is checked with a limit of 64 bytes.\ndata: 0123456789012345678901234567890123456789\n",
        },
        passing: Example {
            file: "small.yaml",
            content: "data: 1\n",
        },
    }),
    engine_rule(RuleMeta {
        id: INVALID_UTF8,
        title: "Artifacts are valid UTF-8",
        severity: Severity::Warning,
        category: Category::Correctness,
        rationale: "YAML and Dockerfiles are read as UTF-8 by the tools that apply them; a file \
            with invalid bytes is either rejected at deploy time or read differently from \
            what its author sees. shipgate cannot check it, so it says so.",
        remediation: "Re-encode the file as UTF-8 (`iconv -f LATIN1 -t UTF-8`).",
        references: &["https://yaml.org/spec/1.2.2/#52-character-encodings"],
        aliases: NO_ALIASES,
        enabled_by_default: true,
        failing: Example {
            file: "config.yaml",
            content: "name: caf\u{fffd}\n",
        },
        passing: VALID_YAML,
    }),
    engine_rule(RuleMeta {
        id: UNREADABLE_FILE,
        title: "Every file can be read",
        severity: Severity::Warning,
        category: Category::Correctness,
        rationale: "A file that cannot be read (permissions, a broken or looping symbolic link) \
            is a file whose contents were not checked. Reporting it keeps an unchecked \
            artifact from passing as a checked one.",
        remediation: "Fix the permissions or the link, or exclude the path with `.gitignore`.",
        references: &[],
        aliases: NO_ALIASES,
        enabled_by_default: true,
        failing: Example {
            file: "unreadable.yaml",
            content: "",
        },
        passing: VALID_YAML,
    }),
    engine_rule(RuleMeta {
        id: YAML_SYNTAX,
        title: "YAML is well-formed",
        severity: Severity::Error,
        category: Category::Correctness,
        rationale: "A malformed document is rejected by `kubectl apply`, Compose and CI \
            runners alike, usually at the worst moment. Each malformed document is reported \
            once at the position where parsing failed; the other documents of the file are \
            still checked.",
        remediation: "Fix the syntax at the reported position; `yamllint` helps with layout.",
        references: &["https://yaml.org/spec/1.2.2/"],
        aliases: NO_ALIASES,
        enabled_by_default: true,
        failing: Example {
            file: "config.yaml",
            content: "apiVersion: v1\nkind: ConfigMap\ndata: [unclosed\n",
        },
        passing: VALID_YAML,
    }),
    engine_rule(RuleMeta {
        id: YAML_DUPLICATE_KEY,
        title: "Mappings do not repeat a key",
        severity: Severity::Error,
        category: Category::Correctness,
        rationale: "The YAML specification forbids duplicate keys; Kubernetes' strict decoding \
            rejects them, and lenient decoders silently keep the last value, so the setting \
            a reviewer reads may not be the one applied.",
        remediation: "Remove one of the keys, keeping the value you mean.",
        references: &["https://yaml.org/spec/1.2.2/#3211-nodes"],
        aliases: NO_ALIASES,
        enabled_by_default: true,
        failing: Example {
            file: "config.yaml",
            content: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n",
        },
        passing: VALID_YAML,
    }),
    engine_rule(RuleMeta {
        id: YAML_ALIAS_BOMB,
        title: "Aliases do not expand without bound",
        severity: Severity::Error,
        category: Category::Security,
        rationale: "Nested aliases can make a few hundred bytes expand to billions of nodes \
            (the \"billion laughs\" attack) and exhaust any tool that expands them. Such a \
            document is refused, not expanded; the rest of the file is still checked.",
        remediation: "Remove the recursive aliases; real configuration never needs them.",
        references: &["https://en.wikipedia.org/wiki/Billion_laughs_attack"],
        aliases: NO_ALIASES,
        enabled_by_default: true,
        failing: Example {
            file: "bomb.yaml",
            content: "a: &a [x, x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
",
        },
        passing: Example {
            file: "anchors.yaml",
            content: "defaults: &defaults\n  memory: 256Mi\napi:\n  <<: *defaults\n",
        },
    }),
    engine_rule(RuleMeta {
        id: YAML_TOO_DEEP,
        title: "Nesting stays within sane depth",
        severity: Severity::Error,
        category: Category::Security,
        rationale: "Deeply nested input exhausts recursive parsers and is never real \
            configuration. Documents nested deeper than 512 levels are refused; the rest \
            of the file is still checked.",
        remediation: "Flatten the document.",
        references: &[],
        aliases: NO_ALIASES,
        enabled_by_default: true,
        failing: Example {
            file: "deep.yaml",
            content: "# This example is checked with a depth limit of 8.\na: [[[[[[[[[[1]]]]]]]]]]\n",
        },
        passing: VALID_YAML,
    }),
    engine_rule(RuleMeta {
        id: YAML_INVALID_MERGE,
        title: "Merge keys merge mappings",
        severity: Severity::Error,
        category: Category::Correctness,
        rationale: "A merge key (`<<`) takes a mapping or a list of mappings. Anything else is \
            rejected by strict decoders and ignored by lenient ones, so the intended \
            defaults silently do not apply.",
        remediation: "Point `<<` at an anchored mapping: `<<: *defaults`.",
        references: &["https://yaml.org/type/merge.html"],
        aliases: NO_ALIASES,
        enabled_by_default: true,
        failing: Example {
            file: "merge.yaml",
            content: "base: &base 3\napi:\n  <<: *base\n",
        },
        passing: Example {
            file: "merge.yaml",
            content: "base: &base\n  replicas: 3\napi:\n  <<: *base\n",
        },
    }),
    engine_rule(RuleMeta {
        id: SUPPRESSION_REASON,
        title: "Suppressions say why",
        severity: Severity::Warning,
        category: Category::Compliance,
        rationale: "A suppression without a reason cannot be reviewed or revisited: nobody \
            knows whether the risk was accepted, mitigated elsewhere, or just silenced. \
            The suppression still applies; this finding asks for its reason.",
        remediation: "Add the reason after ` -- `: `# shipgate:ignore k8s/host-network -- \
            the CNI agent needs the host network`; for annotations, set \
            `shipgate.dev/ignore-reason`.",
        references: &[],
        aliases: NO_ALIASES,
        enabled_by_default: true,
        failing: Example {
            file: "config.yaml",
            content: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: default # shipgate:ignore k8s/default-namespace\n",
        },
        passing: Example {
            file: "config.yaml",
            content: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: default # shipgate:ignore k8s/default-namespace -- sandbox cluster\n",
        },
    }),
    engine_rule(RuleMeta {
        id: SUPPRESSION_UNKNOWN,
        title: "Suppressions name existing rules",
        severity: Severity::Warning,
        category: Category::Compliance,
        rationale: "A suppression naming a rule that does not exist (a typo, a renamed id) \
            silences nothing, while its reader believes a finding was reviewed.",
        remediation: "Use an id from `shipgate rules`, or a peer's id that shipgate maps \
            (`CKV_K8S_20`, `hostPIDSet`).",
        references: &[],
        aliases: NO_ALIASES,
        enabled_by_default: true,
        failing: Example {
            file: "config.yaml",
            content: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings # shipgate:ignore k8s/no-such-rule -- typo\n  namespace: shop\n",
        },
        passing: VALID_YAML,
    }),
];
