//! The JSON API under `/api/v1`. Every call but the OpenAPI document needs
//! a project's token, and sees that project only: another project's runs
//! answer 404, as if they did not exist.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::store::{FindingFilter, Project, RunRow, StoreError};
use crate::{AppState, diff, ingest};

/// The OpenAPI document of this API.
pub const OPENAPI: &str = include_str!("openapi.json");

pub fn routes(max_body: usize) -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/api/v1/runs",
            post(upload).layer(DefaultBodyLimit::max(max_body)),
        )
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/projects", get(projects))
        .route("/api/v1/projects/{project}/runs", get(runs))
        .route("/api/v1/projects/{project}/trends", get(trends))
        .route("/api/v1/runs/{id}", get(run))
        .route("/api/v1/runs/{id}/gates", get(gates))
        .route("/api/v1/runs/{id}/findings", get(findings))
        .route("/api/v1/runs/{id}/diff/{base}", get(run_diff))
}

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    fn not_found() -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not found")
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "storage");
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "storage unavailable")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(json!({ "error": self.message }))).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"shipgate\""),
            );
        }
        response
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// The project a bearer token belongs to.
pub struct Caller {
    pub project: Project,
    token_hash: String,
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let unauthorized = || {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "a project token is needed: Authorization: Bearer TOKEN",
            )
        };
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(unauthorized)?;
        let token_hash = crate::hash_token(token);
        let project = state
            .store
            .project_for_token(&token_hash)
            .await?
            .ok_or_else(unauthorized)?;
        Ok(Caller {
            project,
            token_hash,
        })
    }
}

impl Caller {
    fn owns(&self, project: &str) -> ApiResult<()> {
        if self.project.name == project {
            Ok(())
        } else {
            Err(ApiError::not_found())
        }
    }

    /// The run, when it belongs to the caller's project.
    async fn run(&self, state: &AppState, id: i64) -> ApiResult<RunRow> {
        match state.store.run(id).await? {
            Some((project_id, run)) if project_id == self.project.id => Ok(run),
            _ => Err(ApiError::not_found()),
        }
    }
}

#[derive(Serialize)]
struct Accepted {
    id: i64,
    project: String,
    verdict: String,
    level: Option<String>,
    blocker: Option<String>,
    url: String,
}

async fn upload(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: Bytes,
) -> ApiResult<Response> {
    if let Err(wait) = state.limiter.take(&caller.token_hash) {
        let mut error = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too many uploads for this token; retry later",
        );
        error.retry_after = Some(wait.as_secs().max(1));
        return Err(error);
    }
    let report = ingest::parse(&body).map_err(|e| match e {
        ingest::Rejection::Invalid(_) => ApiError::new(StatusCode::BAD_REQUEST, e.to_string()),
        ingest::Rejection::Secret(_) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
        }
    })?;
    // Stored as it came: the bytes were checked above, and are the evidence.
    let raw = String::from_utf8(body.to_vec()).unwrap_or_default();
    let run = ingest::normalise(&report, raw, crate::now());
    let id = state.store.insert_run(caller.project.id, &run).await?;
    state.metrics.ingested(&caller.project.name);
    tracing::info!(
        project = %caller.project.name,
        run = id,
        verdict = %run.verdict,
        findings = run.findings.len(),
        "run stored"
    );
    let accepted = Accepted {
        id,
        project: caller.project.name.clone(),
        verdict: run.verdict,
        level: run.level,
        blocker: run.blocker,
        url: format!("/runs/{id}"),
    };
    let mut response = (StatusCode::CREATED, Json(accepted)).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/runs/{id}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

#[derive(Serialize)]
struct ProjectSummary {
    name: String,
    latest: Option<RunRow>,
}

async fn projects(State(state): State<Arc<AppState>>, caller: Caller) -> ApiResult<Json<Value>> {
    let latest = state
        .store
        .runs(caller.project.id, None, 1)
        .await?
        .into_iter()
        .next();
    Ok(Json(json!([ProjectSummary {
        name: caller.project.name.clone(),
        latest,
    }])))
}

#[derive(Deserialize)]
struct Page {
    before: Option<i64>,
    limit: Option<i64>,
}

fn limit(requested: Option<i64>, default: i64) -> ApiResult<i64> {
    match requested {
        None => Ok(default),
        Some(n @ 1..=1000) => Ok(n),
        Some(_) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "limit is from 1 to 1000",
        )),
    }
}

async fn runs(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(project): Path<String>,
    Query(page): Query<Page>,
) -> ApiResult<Json<Vec<RunRow>>> {
    caller.owns(&project)?;
    let rows = state
        .store
        .runs(caller.project.id, page.before, limit(page.limit, 50)?)
        .await?;
    Ok(Json(rows))
}

#[derive(Serialize)]
struct TrendPoint {
    id: i64,
    received_at: i64,
    verdict: String,
    level: Option<String>,
    gates_passed: i64,
    gates_total: i64,
    errors: i64,
    warnings: i64,
    infos: i64,
}

async fn trends(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(project): Path<String>,
    Query(page): Query<Page>,
) -> ApiResult<Json<Vec<TrendPoint>>> {
    caller.owns(&project)?;
    let mut rows = state
        .store
        .runs(caller.project.id, page.before, limit(page.limit, 100)?)
        .await?;
    rows.reverse();
    Ok(Json(
        rows.into_iter()
            .map(|r| TrendPoint {
                id: r.id,
                received_at: r.received_at,
                verdict: r.verdict,
                level: r.level,
                gates_passed: r.gates_passed,
                gates_total: r.gates_total,
                errors: r.errors,
                warnings: r.warnings,
                infos: r.infos,
            })
            .collect(),
    ))
}

async fn run(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let row = caller.run(&state, id).await?;
    let report = state.store.report(id).await?.unwrap_or_default();
    let report: Value = serde_json::from_str(&report).unwrap_or(Value::Null);
    let mut value = serde_json::to_value(&row).unwrap_or(Value::Null);
    value["report"] = report;
    Ok(Json(value))
}

/// The gates with their checks and evidence, as the report states them.
async fn gates(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    caller.run(&state, id).await?;
    let report = state.store.report(id).await?.unwrap_or_default();
    let report: Value = serde_json::from_str(&report).unwrap_or(Value::Null);
    let gates = report
        .get("plan")
        .and_then(|p| p.get("gates"))
        .cloned()
        .unwrap_or_else(|| json!([]));
    Ok(Json(gates))
}

#[derive(Deserialize)]
struct FindingQuery {
    rule: Option<String>,
    severity: Option<String>,
    path: Option<String>,
    limit: Option<i64>,
}

async fn findings(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(query): Query<FindingQuery>,
) -> ApiResult<Json<Value>> {
    caller.run(&state, id).await?;
    if let Some(severity) = query.severity.as_deref()
        && !["error", "warning", "info"].contains(&severity)
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "severity is error, warning or info",
        ));
    }
    let filter = FindingFilter {
        rule: query.rule.filter(|s| !s.is_empty()),
        severity: query.severity.filter(|s| !s.is_empty()),
        path: query.path.filter(|s| !s.is_empty()),
        limit: limit(query.limit, 1000)?,
    };
    Ok(Json(json!(state.store.findings(id, &filter).await?)))
}

async fn run_diff(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((id, base)): Path<(i64, i64)>,
) -> ApiResult<Json<diff::RunDiff>> {
    caller.run(&state, id).await?;
    caller.run(&state, base).await?;
    Ok(Json(diff::diff(state.store.as_ref(), base, id).await?))
}
