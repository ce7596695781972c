//! The dashboard: pages rendered on the server, one embedded stylesheet, no
//! script. Open to anyone who can reach a loopback listener; otherwise a
//! viewer's token (`shipgate server token create --viewer`) opens a session.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use askama::Template;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;
use shipgate_core::{CheckVerdict, GateVerdict, Report};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::store::{FindingFilter, FindingRow, GateRow, Project, RunRow, StoreError};
use crate::{AppState, chart, diff, format_time};

const CSS: &str = include_str!("../assets/app.css");

/// No script, no inline style, nothing from elsewhere; forms post only
/// here; no page may frame these.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
    form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const SESSION_COOKIE: &str = "shipgate_session";
const SESSION_SECONDS: i64 = 12 * 3600;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(scorecard))
        .route("/projects/{name}", get(project))
        .route("/projects/{name}/findings", get(findings))
        .route("/runs/{id}", get(run))
        .route("/runs/{id}/changes", get(changes))
        .route("/login", get(login_form).post(login))
        .route("/logout", axum::routing::post(logout))
        .route("/assets/app.css", get(stylesheet))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
}

pub enum PageError {
    NotFound,
    Store(StoreError),
    Render(askama::Error),
    Login,
    Forbidden(&'static str),
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        PageError::Store(e)
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        PageError::Render(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::NotFound => {
                (StatusCode::NOT_FOUND, Html("<h1>Not found</h1>")).into_response()
            }
            PageError::Store(e) => {
                tracing::error!(error = %e, "storage");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    Html("<h1>Storage unavailable</h1>"),
                )
                    .into_response()
            }
            PageError::Render(e) => {
                tracing::error!(error = %e, "template");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Html("<h1>Cannot render</h1>"),
                )
                    .into_response()
            }
            PageError::Login => Redirect::to("/login").into_response(),
            PageError::Forbidden(why) => (StatusCode::FORBIDDEN, why).into_response(),
        }
    }
}

type PageResult = Result<Response, PageError>;

fn page(template: impl Template) -> PageResult {
    Ok(Html(template.render()?).into_response())
}

/// Dashboard sessions, kept in the database by the SHA-256 of their
/// cookie, so that every replica knows them and a restart keeps them.
struct Sessions;

impl Sessions {
    async fn open(state: &AppState) -> Result<String, PageError> {
        let id = crate::new_secret("").map_err(|_| PageError::Forbidden("no randomness"))?;
        state
            .store
            .add_session(&crate::hash_token(&id), crate::now() + SESSION_SECONDS)
            .await?;
        Ok(id)
    }

    async fn valid(state: &AppState, id: &str) -> Result<bool, PageError> {
        Ok(state
            .store
            .session_valid(&crate::hash_token(id), crate::now())
            .await?)
    }

    async fn close(state: &AppState, id: &str) -> Result<(), PageError> {
        Ok(state.store.end_session(&crate::hash_token(id)).await?)
    }
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Someone allowed to read the dashboard.
pub struct Viewer {
    /// Whether a login was needed (and so a logout makes sense).
    logged_in: bool,
}

impl FromRequestParts<Arc<AppState>> for Viewer {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        if !state.dashboard_login {
            return Ok(Viewer { logged_in: false });
        }
        match cookie(&parts.headers, SESSION_COOKIE) {
            Some(id) if Sessions::valid(state, id).await? => Ok(Viewer { logged_in: true }),
            _ => Err(PageError::Login),
        }
    }
}

/// A form post must come from a page of this server: browsers send
/// `Origin` (and `Sec-Fetch-Site`) with every POST, and the session cookie
/// is `SameSite=Strict` besides.
fn same_origin(headers: &HeaderMap) -> Result<(), PageError> {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && site != "same-origin"
        && site != "none"
    {
        return Err(PageError::Forbidden("cross-site form post refused"));
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let origin_host = origin.split_once("://").map_or(origin, |(_, h)| h);
        if origin_host != host {
            return Err(PageError::Forbidden("cross-origin form post refused"));
        }
    }
    Ok(())
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

#[derive(Clone, Deserialize)]
pub struct PhaseChip {
    pub id: String,
    pub title: String,
    pub verdict: String,
}

fn phases_of(run: &RunRow) -> Vec<PhaseChip> {
    serde_json::from_str(&run.phases).unwrap_or_default()
}

pub struct Card {
    pub run: RunRow,
    pub when: String,
    pub blocker_anchor: String,
    /// One per column of the scorecard, `None` where the plan has no such
    /// phase.
    pub cells: Vec<Option<PhaseChip>>,
}

#[derive(Template)]
#[template(path = "scorecard.html")]
struct ScorecardPage {
    logged_in: bool,
    columns: Vec<String>,
    /// Per column: services that passed, failed, and were blocked there.
    totals: Vec<(usize, usize, usize)>,
    cards: Vec<Card>,
    ready: usize,
    failing: usize,
}

async fn scorecard(viewer: Viewer, State(state): State<Arc<AppState>>) -> PageResult {
    let runs = state.store.latest_runs().await?;
    // The columns: every phase id, in the order plans state them.
    let mut columns: Vec<String> = Vec::new();
    let mut phases = Vec::with_capacity(runs.len());
    for run in &runs {
        let chips = phases_of(run);
        for chip in &chips {
            if !columns.contains(&chip.id) {
                columns.push(chip.id.clone());
            }
        }
        phases.push(chips);
    }
    let ready = runs.iter().filter(|r| r.verdict == "pass").count();
    let cards = runs
        .into_iter()
        .zip(phases)
        .map(|(run, chips)| {
            let by_id: BTreeMap<String, PhaseChip> =
                chips.into_iter().map(|c| (c.id.clone(), c)).collect();
            Card {
                when: format_time(run.received_at),
                blocker_anchor: run.blocker.as_deref().map(anchor).unwrap_or_default(),
                cells: columns.iter().map(|c| by_id.get(c).cloned()).collect(),
                run,
            }
        })
        .collect::<Vec<_>>();
    let totals = (0..columns.len())
        .map(|i| {
            let count = |verdict: &str| {
                cards
                    .iter()
                    .filter(|c| c.cells[i].as_ref().is_some_and(|p| p.verdict == verdict))
                    .count()
            };
            (count("pass"), count("fail"), count("blocked"))
        })
        .collect();
    page(ScorecardPage {
        logged_in: viewer.logged_in,
        totals,
        failing: cards.len() - ready,
        ready,
        columns,
        cards,
    })
}

pub struct RunLine {
    pub run: RunRow,
    pub when: String,
    pub commit: String,
}

impl RunLine {
    fn new(run: RunRow) -> Self {
        RunLine {
            when: format_time(run.received_at),
            commit: run
                .commit_sha
                .as_deref()
                .map(|c| c.chars().take(10).collect())
                .unwrap_or_default(),
            run,
        }
    }
}

/// One gate's verdicts over the runs of the history, oldest first; `None`
/// where a run had no such gate.
pub struct GateHistory {
    pub address: String,
    pub title: String,
    pub cells: Vec<(i64, Option<String>)>,
}

#[derive(Template)]
#[template(path = "project.html")]
struct ProjectPage {
    logged_in: bool,
    name: String,
    chart: String,
    gate_history: Vec<GateHistory>,
    runs: Vec<RunLine>,
    latest: Option<i64>,
}

async fn find_project(state: &AppState, name: &str) -> Result<Project, PageError> {
    state.store.project(name).await?.ok_or(PageError::NotFound)
}

async fn project(
    viewer: Viewer,
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> PageResult {
    let project = find_project(&state, &name).await?;
    let mut runs = state.store.runs(project.id, None, 60).await?;
    let latest = runs.first().map(|r| r.id);
    runs.reverse();
    let chart = chart::history(&runs);
    // The gates of the newest run, each with its verdicts over the last 30.
    let recent: Vec<i64> = runs.iter().rev().take(30).rev().map(|r| r.id).collect();
    let mut verdicts: HashMap<(i64, String), String> = HashMap::new();
    let mut order: Vec<(String, String)> = Vec::new();
    for (run_id, gate) in state.store.gates_of_runs(&recent).await? {
        if Some(run_id) == latest && !order.iter().any(|(a, _)| *a == gate.address) {
            order.push((gate.address.clone(), gate.title.clone()));
        }
        verdicts.insert((run_id, gate.address), gate.verdict);
    }
    let gate_history = order
        .into_iter()
        .map(|(address, title)| GateHistory {
            cells: recent
                .iter()
                .map(|id| (*id, verdicts.get(&(*id, address.clone())).cloned()))
                .collect(),
            address,
            title,
        })
        .collect();
    runs.reverse();
    page(ProjectPage {
        logged_in: viewer.logged_in,
        name: project.name,
        chart,
        gate_history,
        runs: runs.into_iter().map(RunLine::new).collect(),
        latest,
    })
}

pub struct CheckLine {
    pub check: CheckVerdict,
    pub definition: String,
    pub inputs: String,
}

pub struct GateBlock {
    pub gate: GateVerdict,
    pub anchor: String,
    pub checks: Vec<CheckLine>,
}

#[derive(Template)]
#[template(path = "run.html")]
struct RunPage {
    logged_in: bool,
    line: RunLine,
    plan: String,
    phases: Vec<PhaseChip>,
    gates: Vec<GateBlock>,
    findings: Vec<FindingRow>,
    total_findings: i64,
}

fn short(hash: &str) -> String {
    hash.chars().take(12).collect()
}

/// A gate's anchor on the run page: its address with `/` made `-`.
pub fn anchor(address: &str) -> String {
    format!("gate-{}", address.replace('/', "-"))
}

async fn run(
    viewer: Viewer,
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
) -> PageResult {
    let (_, row) = state.store.run(id).await?.ok_or(PageError::NotFound)?;
    let report = state.store.report(id).await?.unwrap_or_default();
    let report: Option<Report> = serde_json::from_str(&report).ok();
    let plan = report.as_ref().and_then(|r| r.plan.clone());
    let gates = plan
        .as_ref()
        .map(|p| {
            p.gates
                .iter()
                .map(|g| GateBlock {
                    anchor: anchor(&g.address),
                    checks: g
                        .checks
                        .iter()
                        .map(|c| CheckLine {
                            definition: short(&c.evidence.definition),
                            inputs: c.evidence.inputs.as_deref().map(short).unwrap_or_default(),
                            check: c.clone(),
                        })
                        .collect(),
                    gate: g.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    let filter = FindingFilter {
        limit: 100,
        ..Default::default()
    };
    let findings = state.store.findings(id, &filter).await?;
    page(RunPage {
        logged_in: viewer.logged_in,
        plan: plan.as_ref().map(|p| p.plan.clone()).unwrap_or_default(),
        phases: phases_of(&row),
        gates,
        findings,
        total_findings: row.errors + row.warnings + row.infos,
        line: RunLine::new(row),
    })
}

#[derive(Deserialize, Default)]
pub struct ExplorerQuery {
    run: Option<i64>,
    rule: Option<String>,
    severity: Option<String>,
    path: Option<String>,
    new: Option<String>,
}

pub struct FindingLine {
    pub finding: FindingRow,
    pub new: bool,
}

#[derive(Template)]
#[template(path = "findings.html")]
struct FindingsPage {
    logged_in: bool,
    name: String,
    run: Option<RunRow>,
    base: Option<i64>,
    rule: String,
    severity: String,
    path: String,
    only_new: bool,
    lines: Vec<FindingLine>,
    rules: Vec<String>,
}

async fn findings(
    viewer: Viewer,
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    Query(query): Query<ExplorerQuery>,
) -> PageResult {
    let project = find_project(&state, &name).await?;
    let run = match query.run {
        Some(id) => match state.store.run(id).await? {
            Some((owner, run)) if owner == project.id => Some(run),
            _ => return Err(PageError::NotFound),
        },
        None => state
            .store
            .runs(project.id, None, 1)
            .await?
            .into_iter()
            .next(),
    };
    let only_new = query.new.as_deref().is_some_and(|v| !v.is_empty());
    let nonempty = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
    let mut lines = Vec::new();
    let mut rules = Vec::new();
    let mut base = None;
    if let Some(run) = &run {
        let filter = FindingFilter {
            rule: nonempty(&query.rule),
            severity: nonempty(&query.severity),
            path: nonempty(&query.path),
            limit: 5000,
        };
        let green = state.store.last_green_before(project.id, run.id).await?;
        base = green.as_ref().map(|g| g.id);
        let known: HashSet<String> = match &green {
            Some(g) => state.store.fingerprints(g.id).await?.into_iter().collect(),
            None => HashSet::new(),
        };
        let all = state
            .store
            .findings(run.id, &FindingFilter::default())
            .await?;
        let mut seen = HashSet::new();
        for f in &all {
            if seen.insert(f.rule.clone()) {
                rules.push(f.rule.clone());
            }
        }
        rules.sort();
        for finding in state.store.findings(run.id, &filter).await? {
            let new = !known.contains(&finding.fingerprint);
            if only_new && !new {
                continue;
            }
            lines.push(FindingLine { finding, new });
        }
    }
    page(FindingsPage {
        logged_in: viewer.logged_in,
        name: project.name,
        run,
        base,
        rule: query.rule.unwrap_or_default(),
        severity: query.severity.unwrap_or_default(),
        path: query.path.unwrap_or_default(),
        only_new,
        lines,
        rules,
    })
}

#[derive(Template)]
#[template(path = "changes.html")]
struct ChangesPage {
    logged_in: bool,
    line: RunLine,
    base: Option<RunLine>,
    new: Vec<FindingRow>,
    fixed: Vec<FindingRow>,
    gates: Vec<diff::GateChange>,
}

async fn changes(
    viewer: Viewer,
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
) -> PageResult {
    let (project_id, row) = state.store.run(id).await?.ok_or(PageError::NotFound)?;
    let base = state.store.last_green_before(project_id, id).await?;
    let (new, fixed, gates) = match &base {
        Some(base) => {
            let d = diff::diff(state.store.as_ref(), base.id, id).await?;
            (d.new, d.fixed, d.gates)
        }
        // With no green run before it, everything in the run is a change.
        None => {
            let new = state.store.findings(id, &FindingFilter::default()).await?;
            let gates = state
                .store
                .gates(id)
                .await?
                .into_iter()
                .filter(|g: &GateRow| g.verdict != "pass")
                .map(|g| diff::GateChange {
                    address: g.address,
                    title: g.title,
                    before: None,
                    after: Some(g.verdict),
                })
                .collect();
            (new, Vec::new(), gates)
        }
    };
    page(ChangesPage {
        logged_in: viewer.logged_in,
        line: RunLine::new(row),
        base: base.map(RunLine::new),
        new,
        fixed,
        gates,
    })
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    logged_in: bool,
    failed: bool,
}

async fn login_form() -> PageResult {
    page(LoginPage {
        logged_in: false,
        failed: false,
    })
}

#[derive(Deserialize)]
struct LoginForm {
    token: String,
}

async fn login(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> PageResult {
    same_origin(&headers)?;
    let token = form.token.trim();
    if token.is_empty()
        || !state
            .store
            .is_viewer_token(&crate::hash_token(token))
            .await?
    {
        tracing::warn!("dashboard login refused");
        let mut response = page(LoginPage {
            logged_in: false,
            failed: true,
        })?;
        *response.status_mut() = StatusCode::UNAUTHORIZED;
        return Ok(response);
    }
    let session = Sessions::open(&state).await?;
    let secure = headers
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes() == b"https");
    let cookie = format!(
        "{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Strict; Max-Age={SESSION_SECONDS}{}",
        if secure { "; Secure" } else { "" }
    );
    let mut response = Redirect::to("/").into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

async fn logout(State(state): State<Arc<AppState>>, headers: HeaderMap) -> PageResult {
    same_origin(&headers)?;
    if let Some(id) = cookie(&headers, SESSION_COOKIE) {
        Sessions::close(&state, id).await?;
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("shipgate_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(response)
}
