//! What changed between two runs of a project: findings by fingerprint
//! (which survives unrelated line shifts), gates by address.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use crate::store::{FindingFilter, FindingRow, Store, StoreResult};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GateChange {
    pub address: String,
    pub title: String,
    /// `None` when the gate is new.
    pub before: Option<String>,
    /// `None` when the gate is gone.
    pub after: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunDiff {
    pub base: i64,
    pub run: i64,
    /// In `run`, not in `base`.
    pub new: Vec<FindingRow>,
    /// In `base`, not in `run`.
    pub fixed: Vec<FindingRow>,
    pub gates: Vec<GateChange>,
}

pub async fn diff(store: &dyn Store, base: i64, run: i64) -> StoreResult<RunDiff> {
    let all = FindingFilter::default();
    let before = store.findings(base, &all).await?;
    let after = store.findings(run, &all).await?;
    let before_prints: HashSet<&str> = before.iter().map(|f| f.fingerprint.as_str()).collect();
    let after_prints: HashSet<&str> = after.iter().map(|f| f.fingerprint.as_str()).collect();
    let new = after
        .iter()
        .filter(|f| !before_prints.contains(f.fingerprint.as_str()))
        .cloned()
        .collect();
    let fixed = before
        .iter()
        .filter(|f| !after_prints.contains(f.fingerprint.as_str()))
        .cloned()
        .collect();

    let mut gates: BTreeMap<String, GateChange> = BTreeMap::new();
    for gate in store.gates(base).await? {
        gates.insert(
            gate.address.clone(),
            GateChange {
                address: gate.address,
                title: gate.title,
                before: Some(gate.verdict),
                after: None,
            },
        );
    }
    for gate in store.gates(run).await? {
        gates
            .entry(gate.address.clone())
            .or_insert_with(|| GateChange {
                address: gate.address.clone(),
                title: gate.title.clone(),
                before: None,
                after: None,
            })
            .after = Some(gate.verdict);
    }
    Ok(RunDiff {
        base,
        run,
        new,
        fixed,
        gates: gates
            .into_values()
            .filter(|g| g.before != g.after)
            .collect(),
    })
}
