//! A GitHub Actions workflow as the rules see it: triggers, token
//! permissions, jobs and steps, each still pointing into the YAML tree so a
//! finding lands on the offending key or value.
//!
//! The model is forgiving: a workflow GitHub would reject still yields what
//! can be read from it, because a half-broken workflow can still be dangerous.

use shipgate_syntax::yaml::NodeRef;

/// A parsed workflow file.
pub struct Workflow<'a> {
    pub root: NodeRef<'a>,
    /// The events that start the workflow, whatever form `on:` takes.
    pub triggers: Vec<Trigger<'a>>,
    /// The `on` key itself, when present.
    pub on_key: Option<NodeRef<'a>>,
    /// Top-level `permissions`.
    pub permissions: Option<Permissions<'a>>,
    /// Top-level `env`.
    pub env: Option<NodeRef<'a>>,
    /// The `jobs` key, for findings about the workflow as a whole.
    pub jobs_key: Option<NodeRef<'a>>,
    pub jobs: Vec<Job<'a>>,
    /// A composite action (`action.yml`): its steps run inside the caller's
    /// job, so it has no triggers, token permissions or timeout of its own.
    pub action: bool,
}

/// One event under `on:`.
pub struct Trigger<'a> {
    pub event: &'a str,
    /// The node naming the event (a scalar, a list item or a map key).
    pub node: NodeRef<'a>,
    /// The event's configuration (`branches`, `types`, ...) in the map form.
    pub config: Option<NodeRef<'a>>,
}

/// A `permissions` block, top-level or job-level.
#[derive(Clone, Copy)]
pub struct Permissions<'a> {
    pub key: NodeRef<'a>,
    pub value: NodeRef<'a>,
}

/// What a `permissions` block grants, read from its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    ReadAll,
    WriteAll,
    /// A map of scopes (possibly empty: `{}` grants nothing).
    Scopes,
    /// An expression or a value GitHub would reject: nothing can be said.
    Unknown,
}

impl<'a> Permissions<'a> {
    pub fn grant(&self) -> Grant {
        if self.value.is_map() {
            return Grant::Scopes;
        }
        match self.value.as_text() {
            Some("read-all") => Grant::ReadAll,
            Some("write-all") => Grant::WriteAll,
            _ => Grant::Unknown,
        }
    }

    /// The scopes granted `write`, as (scope key, level value).
    pub fn writes(&self) -> impl Iterator<Item = (NodeRef<'a>, NodeRef<'a>)> + 'a {
        self.value
            .entries()
            .filter(|(_, level)| level.as_text() == Some("write"))
    }
}

/// One entry of `jobs:`.
pub struct Job<'a> {
    pub id: &'a str,
    pub key: NodeRef<'a>,
    pub node: NodeRef<'a>,
    pub runs_on: Option<NodeRef<'a>>,
    pub permissions: Option<Permissions<'a>>,
    pub env: Option<NodeRef<'a>>,
    pub container: Option<NodeRef<'a>>,
    pub services: Option<NodeRef<'a>>,
    pub timeout_minutes: Option<NodeRef<'a>>,
    /// A call to a reusable workflow (`uses:` at job level); such a job has no steps.
    pub uses: Option<NodeRef<'a>>,
    pub steps: Vec<Step<'a>>,
    /// The `runs:` block of a composite action, standing in for a job.
    pub action: bool,
}

impl Job<'_> {
    /// `jobs.<id>` (or `runs` for an action), the stable address used in
    /// fingerprints.
    pub fn logical(&self) -> String {
        if self.action {
            "runs".to_owned()
        } else {
            format!("jobs.{}", self.id)
        }
    }
}

/// One item of a job's `steps:`.
pub struct Step<'a> {
    pub index: usize,
    pub node: NodeRef<'a>,
    pub id: Option<&'a str>,
    pub name: Option<&'a str>,
    pub uses: Option<NodeRef<'a>>,
    pub run: Option<NodeRef<'a>>,
    pub with: Option<NodeRef<'a>>,
    pub env: Option<NodeRef<'a>>,
}

impl<'a> Step<'a> {
    /// `jobs.<job>.steps[<id or index>]`: a step's `id` survives reordering.
    pub fn logical(&self, job: &Job<'_>) -> String {
        match self.id {
            Some(id) => format!("{}.steps[{id}]", job.logical()),
            None => format!("{}.steps[{}]", job.logical(), self.index),
        }
    }

    /// A `with:` input, if the step sets it.
    pub fn input(&self, name: &str) -> Option<NodeRef<'a>> {
        self.with.and_then(|w| w.get(name))
    }

    /// The action the step runs, parsed from `uses:`.
    pub fn action(&self) -> Option<ActionRef<'a>> {
        self.uses.and_then(|u| u.as_text()).map(ActionRef::parse)
    }

    /// Whether the step runs `owner/repo` at any version (case-insensitive,
    /// as GitHub resolves it).
    pub fn uses_action(&self, repository: &str) -> bool {
        matches!(self.action(), Some(ActionRef::Remote { repository: r, .. })
            if r.eq_ignore_ascii_case(repository))
    }
}

/// What a `uses:` value refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionRef<'a> {
    /// `./path`: code from the repository being built, versioned with it.
    Local(&'a str),
    /// `docker://image[:tag][@digest]`.
    Docker {
        image: &'a str,
        digest: Option<&'a str>,
    },
    /// `owner/repo[/path]@ref`; `repository` is `owner/repo`.
    Remote {
        repository: &'a str,
        path: &'a str,
        reference: Option<&'a str>,
    },
}

impl<'a> ActionRef<'a> {
    pub fn parse(text: &'a str) -> ActionRef<'a> {
        let text = text.trim();
        if text.starts_with("./") || text.starts_with("../") {
            return ActionRef::Local(text);
        }
        if let Some(image) = text.strip_prefix("docker://") {
            let (image, digest) = match image.split_once('@') {
                Some((image, digest)) => (image, Some(digest)),
                None => (image, None),
            };
            return ActionRef::Docker { image, digest };
        }
        let (target, reference) = match text.rsplit_once('@') {
            Some((target, reference)) => (target, Some(reference)),
            None => (text, None),
        };
        let mut parts = target.splitn(3, '/');
        let owner = parts.next().unwrap_or("");
        let repo = parts.next().unwrap_or("");
        let repository = target.get(..owner.len() + 1 + repo.len()).unwrap_or(target);
        let path = parts.next().unwrap_or("");
        ActionRef::Remote {
            repository,
            path,
            reference,
        }
    }
}

/// Whether `reference` is a full commit SHA: the only reference that cannot
/// be moved after review.
pub fn is_full_sha(reference: &str) -> bool {
    reference.len() == 40 && reference.bytes().all(|b| b.is_ascii_hexdigit())
}

impl<'a> Workflow<'a> {
    /// Reads a workflow; `None` when the document is not a mapping.
    pub fn from_root(root: NodeRef<'a>) -> Option<Workflow<'a>> {
        if !root.is_map() {
            return None;
        }
        let on = root.entry("on");
        let triggers = on.map(|(_, value)| triggers(value)).unwrap_or_default();
        let jobs_entry = root.entry("jobs");
        let jobs = jobs_entry
            .map(|(_, value)| {
                value
                    .entries()
                    .filter_map(|(key, node)| Job::from_entry(key, node))
                    .collect()
            })
            .unwrap_or_default();
        Some(Workflow {
            root,
            triggers,
            on_key: on.map(|(key, _)| key),
            permissions: permissions(root),
            env: root.get("env"),
            jobs_key: jobs_entry.map(|(key, _)| key),
            jobs,
            action: false,
        })
    }

    /// Reads a composite action (`runs: using: composite`); `None` for any
    /// other document, a JavaScript or Docker action included.
    pub fn from_action(root: NodeRef<'a>) -> Option<Workflow<'a>> {
        let (key, runs) = root.entry("runs")?;
        if runs.get("using").and_then(|u| u.as_text()) != Some("composite") {
            return None;
        }
        let mut job = Job::from_entry(key, runs)?;
        job.action = true;
        Some(Workflow {
            root,
            triggers: Vec::new(),
            on_key: None,
            permissions: None,
            env: None,
            jobs_key: None,
            jobs: vec![job],
            action: true,
        })
    }

    pub fn trigger(&self, event: &str) -> Option<&Trigger<'a>> {
        self.triggers.iter().find(|t| t.event == event)
    }

    pub fn triggered_by(&self, event: &str) -> bool {
        self.trigger(event).is_some()
    }

    /// The first of `events` that starts this workflow, if any.
    pub fn first_trigger(&self, events: &[&str]) -> Option<&Trigger<'a>> {
        self.triggers.iter().find(|t| events.contains(&t.event))
    }
}

fn triggers(value: NodeRef<'_>) -> Vec<Trigger<'_>> {
    if let Some(event) = value.as_text() {
        return vec![Trigger {
            event,
            node: value,
            config: None,
        }];
    }
    if value.is_seq() {
        return value
            .items()
            .filter_map(|item| {
                item.as_text().map(|event| Trigger {
                    event,
                    node: item,
                    config: None,
                })
            })
            .collect();
    }
    value
        .entries()
        .filter_map(|(key, config)| {
            key.as_text().map(|event| Trigger {
                event,
                node: key,
                config: Some(config).filter(|c| !c.is_null()),
            })
        })
        .collect()
}

fn permissions(node: NodeRef<'_>) -> Option<Permissions<'_>> {
    node.entry("permissions")
        .map(|(key, value)| Permissions { key, value })
}

impl<'a> Job<'a> {
    fn from_entry(key: NodeRef<'a>, node: NodeRef<'a>) -> Option<Job<'a>> {
        let id = key.as_text()?;
        if !node.is_map() {
            return None;
        }
        let steps = node
            .get("steps")
            .map(|steps| {
                steps
                    .items()
                    .enumerate()
                    .filter(|(_, step)| step.is_map())
                    .map(|(index, step)| Step {
                        index,
                        node: step,
                        id: step.get("id").and_then(|n| n.as_text()),
                        name: step.get("name").and_then(|n| n.as_text()),
                        uses: step.get("uses"),
                        run: step.get("run"),
                        with: step.get("with"),
                        env: step.get("env"),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(Job {
            id,
            key,
            node,
            runs_on: node.get("runs-on"),
            permissions: permissions(node),
            env: node.get("env"),
            container: node.get("container"),
            services: node.get("services"),
            timeout_minutes: node.get("timeout-minutes"),
            uses: node.get("uses"),
            steps,
            action: false,
        })
    }

    /// The runner labels a job asks for, with the node of each, whatever form
    /// `runs-on` takes (a label, a list, or `{group, labels}`).
    pub fn runner_labels(&self) -> Vec<(&'a str, NodeRef<'a>)> {
        let Some(runs_on) = self.runs_on else {
            return Vec::new();
        };
        let labels = if runs_on.is_map() {
            runs_on.get("labels")
        } else {
            Some(runs_on)
        };
        let Some(labels) = labels else {
            return Vec::new();
        };
        if let Some(label) = labels.as_text() {
            return vec![(label, labels)];
        }
        labels
            .items()
            .filter_map(|item| item.as_text().map(|label| (label, item)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_uses_forms() {
        assert_eq!(
            ActionRef::parse("actions/checkout@v4"),
            ActionRef::Remote {
                repository: "actions/checkout",
                path: "",
                reference: Some("v4")
            }
        );
        assert_eq!(
            ActionRef::parse("github/codeql-action/init@abc"),
            ActionRef::Remote {
                repository: "github/codeql-action",
                path: "init",
                reference: Some("abc")
            }
        );
        assert_eq!(
            ActionRef::parse("./.github/actions/setup"),
            ActionRef::Local("./.github/actions/setup")
        );
        assert_eq!(
            ActionRef::parse("docker://alpine:3.20@sha256:beef"),
            ActionRef::Docker {
                image: "alpine:3.20",
                digest: Some("sha256:beef")
            }
        );
        assert!(is_full_sha("11bd71901bbe5b1630ceea73d27597364c9af683"));
        assert!(!is_full_sha("11bd719"));
    }
}
