//! The files people look for before they use, report on or change a
//! repository: its license, README, security policy, changelog and owners.

use shipgate_core::{Category, Example, RuleMeta, Severity};

use super::license::{identify, is_license_file};
use super::{COMMUNITY_FILES, Entry, RepoView, Repository, SCORECARD, first_line_span};
use crate::sink::RepoSink;
use crate::{Check, RuleDef};

/// Folders GitHub reads community health files from, besides the root.
const HEALTH_DIRS: &[&str] = &["", ".github", "docs"];

const CHANGELOG_NAMES: &[&str] = &[
    "CHANGELOG",
    "CHANGES",
    "HISTORY",
    "NEWS",
    "RELEASES",
    "RELEASE_NOTES",
    "RELEASE-NOTES",
];

/// Fragment folders of towncrier, scriv and changesets: a changelog in the making.
const CHANGELOG_FRAGMENT_DIRS: &[&str] =
    &["changelog.d/", "changes/", ".changeset/", "newsfragments/"];

/// Whether the rules of this module may look for the file at `path`.
pub(super) fn lists(path: &str, name: &str) -> bool {
    is_license_file(name)
        || name == "CODEOWNERS"
        || named(name, &["README", "SECURITY"])
        || named(name, CHANGELOG_NAMES)
        || path.rsplit('/').skip(1).any(|folder| {
            CHANGELOG_FRAGMENT_DIRS
                .iter()
                .any(|dir| dir.strip_suffix('/') == Some(folder))
        })
}

/// The first file in one of `dirs` whose name `matches`.
fn find_in<'a>(
    repository: &Repository<'a>,
    dirs: &[&str],
    matches: impl Fn(&str) -> bool,
) -> Option<Entry<'a>> {
    repository
        .files
        .iter()
        .copied()
        .find(|e| dirs.contains(&e.dir()) && matches(e.name()))
}

/// Whether `name` is `base` with a documentation extension (or none), in any case.
/// Asked of every file of the tree, so it allocates nothing.
fn named(name: &str, bases: &[&str]) -> bool {
    const EXTENSIONS: &[&str] = &[
        "", "MD", "MARKDOWN", "TXT", "RST", "ADOC", "ASCIIDOC", "ORG",
    ];
    let (stem, extension) = name.split_once('.').unwrap_or((name, ""));
    bases.iter().any(|base| base.eq_ignore_ascii_case(stem))
        && EXTENSIONS.iter().any(|e| e.eq_ignore_ascii_case(extension))
}

/// Reports at the repository root: the file that should be there is not.
fn report_missing(repository: &Repository<'_>, sink: &mut RepoSink<'_>, file: &str, message: &str) {
    sink.at(repository.root, None, file, message);
}

pub(super) const LICENSE_MISSING: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "repo/license-missing",
        title: "The repository has a LICENSE file",
        severity: Severity::Warning,
        category: Category::Compliance,
        rationale: "Without a license, copyright law reserves every right to the authors: nobody \
            may legally use, copy or change the code, and legal review blocks its adoption and \
            its deployment by other teams. Package registries, GitHub and SBOM tools read the \
            license from a LICENSE file at the repository root.",
        remediation: "Add the license text as `LICENSE` at the root (choosealicense.com helps \
            pick one). Proprietary code says so too:\n\n\
            ```text\nSPDX-License-Identifier: LicenseRef-Proprietary\nCopyright 2026 Example Corp. All rights reserved.\n```",
        references: &[
            "https://github.com/ossf/scorecard/blob/main/docs/checks.md#license",
            "https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/licensing-a-repository",
            "https://spdx.org/licenses/",
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "README.md",
            content: "# orders\n\nThe order service.\n",
        },
        passing: Example {
            file: "LICENSE",
            content: "SPDX-License-Identifier: Apache-2.0\n",
        },
    },
    check: Check::Repo(license_missing),
};

fn license_missing(view: &RepoView, sink: &mut RepoSink<'_>) {
    for repository in view.repositories() {
        if find_in(&repository, &[""], is_license_file).is_none() {
            report_missing(
                &repository,
                sink,
                "LICENSE",
                "no LICENSE file at the repository root: nobody may legally use the code",
            );
        }
    }
}

pub(super) const LICENSE_UNRECOGNISED: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "repo/license-unrecognised",
        title: "The LICENSE file holds a license that can be identified",
        severity: Severity::Info,
        category: Category::Compliance,
        rationale: "Compliance tooling, SBOMs and legal review work with SPDX identifiers. A \
            LICENSE file whose text matches no known license (edited, truncated, or a custom \
            text) has to be read by a lawyer every time the code is reused. shipgate recognises \
            the common licenses by their characteristic phrases, and any \
            `SPDX-License-Identifier:` line.",
        remediation: "Use the unmodified text of a standard license, or state the identifier \
            explicitly, including for custom terms:\n\n\
            ```text\nSPDX-License-Identifier: LicenseRef-Example-Commercial\n```",
        references: &[
            "https://spdx.org/licenses/",
            "https://spdx.github.io/spdx-spec/v2.3/using-SPDX-short-identifiers-in-source-files/",
            "https://reuse.software/spec/",
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "LICENSE",
            content: "You may use this software for good, not evil.\n",
        },
        passing: Example {
            file: "LICENSE",
            content: "MIT License\n\nCopyright (c) 2026 Example\n\nPermission is hereby granted, \
                free of charge, to any person obtaining a copy of this software and associated \
                documentation files (the \"Software\"), to deal in the Software without \
                restriction...\n\nThe above copyright notice and this permission notice shall be \
                included in all copies or substantial portions of the Software.\n",
        },
    },
    check: Check::Repo(license_unrecognised),
};

fn license_unrecognised(view: &RepoView, sink: &mut RepoSink<'_>) {
    for repository in view.repositories() {
        for entry in repository
            .files
            .iter()
            .filter(|e| e.dir().is_empty() && is_license_file(e.name()))
        {
            // A file we could not read says nothing either way.
            let Some(text) = entry.text() else {
                continue;
            };
            if identify(text).is_some() {
                continue;
            }
            sink.at(
                &entry.file.path,
                Some(first_line_span(Some(text))),
                entry.rel,
                format!(
                    "`{}` matches no license shipgate recognises and has no \
                     `SPDX-License-Identifier` line",
                    entry.rel
                ),
            )
            .set_help("use a standard license text, or add `SPDX-License-Identifier: <id>`");
        }
    }
}

pub(super) const README_MISSING: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "repo/readme-missing",
        title: "The repository has a README",
        severity: Severity::Warning,
        category: Category::Operability,
        rationale: "The README is where an on-call engineer, a new team member or an auditor \
            starts: what the service does, how to build, run and deploy it, and whom to ask. \
            Without one, that knowledge lives in people's heads and leaves with them.",
        remediation: "Add `README.md` at the root (or in `.github/` or `docs/`) saying what the \
            service is, how to run it locally, how it is deployed and who owns it:\n\n\
            ```markdown\n# orders\n\nTakes and tracks customer orders.\n\n## Run\n\n    \
            docker compose up\n\n## Deploy\n\nMerged to `main` → staging; tags → production.\n```",
        references: &[
            "https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/about-readmes",
            COMMUNITY_FILES,
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "LICENSE",
            content: "SPDX-License-Identifier: MIT\n",
        },
        passing: Example {
            file: "README.md",
            content: "# orders\n\nTakes and tracks customer orders.\n",
        },
    },
    check: Check::Repo(readme_missing),
};

fn readme_missing(view: &RepoView, sink: &mut RepoSink<'_>) {
    for repository in view.repositories() {
        if find_in(&repository, HEALTH_DIRS, |n| named(n, &["README"])).is_none() {
            report_missing(
                &repository,
                sink,
                "README",
                "no README at the root, in `.github/` or in `docs/`",
            );
        }
    }
}

pub(super) const SECURITY_POLICY_MISSING: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "repo/security-policy-missing",
        title: "The repository has a security policy (SECURITY.md)",
        severity: Severity::Warning,
        category: Category::Security,
        rationale: "Someone who finds a vulnerability needs to know how to report it privately. \
            Without a SECURITY.md they open a public issue, post it elsewhere, or give up, and \
            the first the team hears of it is the exploit. GitHub links the policy from the \
            repository's Security tab and from new issues.",
        remediation: "Add `SECURITY.md` at the root, in `.github/` or in `docs/`, saying how to \
            report (a private address or GitHub's private vulnerability reporting), what to \
            expect and which versions are supported:\n\n\
            ```markdown\n# Security policy\n\nReport vulnerabilities privately to security@example.com \
            or through GitHub's \"Report a vulnerability\". We answer within two working days.\n```",
        references: &[
            "https://github.com/ossf/scorecard/blob/main/docs/checks.md#security-policy",
            "https://docs.github.com/en/code-security/getting-started/adding-a-security-policy-to-your-repository",
            COMMUNITY_FILES,
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "README.md",
            content: "# orders\n",
        },
        passing: Example {
            file: ".github/SECURITY.md",
            content: "# Security policy\n\nReport vulnerabilities to security@example.com.\n",
        },
    },
    check: Check::Repo(security_policy_missing),
};

fn security_policy_missing(view: &RepoView, sink: &mut RepoSink<'_>) {
    for repository in view.repositories() {
        if find_in(&repository, HEALTH_DIRS, |n| named(n, &["SECURITY"])).is_none() {
            report_missing(
                &repository,
                sink,
                "SECURITY.md",
                "no SECURITY.md at the root, in `.github/` or in `docs/`: reporters do not \
                 know how to disclose a vulnerability privately",
            );
        }
    }
}

pub(super) const CHANGELOG_MISSING: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "repo/changelog-missing",
        title: "The repository keeps a changelog",
        severity: Severity::Info,
        category: Category::Operability,
        rationale: "When a release misbehaves, the first question is what changed. A changelog \
            answers it for operators and users without reading the commit history, and makes \
            rollbacks and upgrade notes deliberate. Teams that publish release notes elsewhere \
            can ignore this rule.",
        remediation: "Keep `CHANGELOG.md` at the root (the Keep a Changelog format, or one \
            generated from conventional commits by git-cliff or release-please):\n\n\
            ```markdown\n# Changelog\n\n## [1.4.0] - 2026-03-02\n### Fixed\n- Orders no longer \
            time out under load.\n```",
        references: &[
            "https://keepachangelog.com/en/1.1.0/",
            "https://docs.github.com/en/repositories/releasing-projects-on-github/automatically-generated-release-notes",
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "README.md",
            content: "# orders\n",
        },
        passing: Example {
            file: "CHANGELOG.md",
            content: "# Changelog\n\n## 1.0.0\n- First release.\n",
        },
    },
    check: Check::Repo(changelog_missing),
};

fn changelog_missing(view: &RepoView, sink: &mut RepoSink<'_>) {
    for repository in view.repositories() {
        let file = find_in(&repository, &["", "docs"], |n| named(n, CHANGELOG_NAMES));
        let fragments = repository.files.iter().any(|e| {
            CHANGELOG_FRAGMENT_DIRS
                .iter()
                .any(|dir| e.rel.starts_with(dir))
        });
        if file.is_none() && !fragments {
            report_missing(
                &repository,
                sink,
                "CHANGELOG.md",
                "no CHANGELOG, CHANGES or HISTORY file: operators cannot see what a release changed",
            );
        }
    }
}

pub(super) const CODEOWNERS_MISSING: RuleDef = RuleDef {
    meta: RuleMeta {
        id: "repo/codeowners-missing",
        title: "The repository names its code owners",
        severity: Severity::Info,
        category: Category::Operability,
        rationale: "A CODEOWNERS file tells GitHub whom to ask for review and, with branch \
            protection, makes their approval required for changes to what they own: \
            deployment manifests, workflows and infrastructure code then cannot change \
            without the people who run them. It also answers \"who owns this?\" during an \
            incident.",
        remediation: "Add `.github/CODEOWNERS` (or `CODEOWNERS`, `docs/CODEOWNERS`) and require \
            code owner review in branch protection:\n\n\
            ```text\n*                  @example/orders-team\n/k8s/              @example/platform\n\
            /.github/workflows/ @example/platform\n```",
        references: &[
            "https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/about-code-owners",
            "https://github.com/ossf/scorecard/blob/main/docs/checks.md#code-review",
            SCORECARD,
        ],
        aliases: &[],
        enabled_by_default: true,
        failing: Example {
            file: "README.md",
            content: "# orders\n",
        },
        passing: Example {
            file: ".github/CODEOWNERS",
            content: "* @example/orders-team\n",
        },
    },
    check: Check::Repo(codeowners_missing),
};

fn codeowners_missing(view: &RepoView, sink: &mut RepoSink<'_>) {
    for repository in view.repositories() {
        // GitHub reads exactly this name, in these three places.
        if find_in(&repository, HEALTH_DIRS, |n| n == "CODEOWNERS").is_none() {
            report_missing(
                &repository,
                sink,
                ".github/CODEOWNERS",
                "no CODEOWNERS file at the root, in `.github/` or in `docs/`",
            );
        }
    }
}
