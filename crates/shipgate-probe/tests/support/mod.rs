//! An in-process service on loopback whose behaviour each test chooses:
//! well-behaved, or wrong in one way per probe kind. Served over HTTP, or
//! over HTTPS with certificates made for the test (valid, expired, for
//! another name), or as a server that still answers TLS 1.0.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use rcgen::{CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

pub const ADMIN_TOKEN: &str = "admin-token-5b1e";
pub const VIEWER_TOKEN: &str = "viewer-token-93ac";

/// How the service behaves; `Behaviour::good()` does everything right.
#[derive(Debug, Clone)]
pub struct Behaviour {
    /// `/admin` answers a viewer with 200 instead of 403.
    pub weak_authorization: bool,
    /// `/admin` answers 200 without any credential.
    pub no_authentication: bool,
    /// `/limited` refuses after this many requests per window; `None` never.
    pub limit: Option<u32>,
    /// The 429 carries `Retry-After`.
    pub retry_after: bool,
    /// The security headers are weak.
    pub weak_headers: bool,
    /// `POST /orders` honours the idempotency key.
    pub idempotent: bool,
    /// Every request to `/fast` waits this long.
    pub stall: Duration,
    /// `/fast` fails every n-th request with 500.
    pub fail_every: Option<u64>,
    /// `/health` reports this status.
    pub health: StatusCode,
}

impl Behaviour {
    pub fn good() -> Self {
        Behaviour {
            weak_authorization: false,
            no_authentication: false,
            limit: Some(20),
            retry_after: true,
            weak_headers: false,
            idempotent: true,
            stall: Duration::ZERO,
            fail_every: None,
            health: StatusCode::OK,
        }
    }

    /// Wrong in every way a probe can see.
    pub fn bad() -> Self {
        Behaviour {
            weak_authorization: true,
            no_authentication: true,
            limit: None,
            retry_after: false,
            weak_headers: true,
            idempotent: false,
            stall: Duration::from_millis(120),
            fail_every: Some(4),
            health: StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

struct Shared {
    behaviour: Behaviour,
    window: Mutex<(Instant, u32)>,
    orders: Mutex<Vec<(String, u64)>>,
    replies: Mutex<HashMap<String, String>>,
    next_order: AtomicU64,
    hits: AtomicU64,
}

fn router(behaviour: Behaviour) -> Router {
    let shared = Arc::new(Shared {
        behaviour,
        window: Mutex::new((Instant::now(), 0)),
        orders: Mutex::new(Vec::new()),
        replies: Mutex::new(HashMap::new()),
        next_order: AtomicU64::new(1),
        hits: AtomicU64::new(0),
    });
    Router::new()
        .route("/health", get(health))
        .route("/admin", get(admin))
        .route("/me", get(me))
        .route("/limited", get(limited))
        .route("/page", get(page))
        .route("/orders", post(create_order).get(count_orders))
        .route("/fast", get(fast))
        .with_state(shared)
}

async fn health(State(s): State<Arc<Shared>>) -> Response {
    let status = s.behaviour.health;
    let body = if status.is_success() {
        r#"{"status":"ok","version":"1.4.2"}"#
    } else {
        r#"{"status":"degraded"}"#
    };
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

async fn admin(State(s): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    match bearer(&headers) {
        None if s.behaviour.no_authentication => (StatusCode::OK, "admin area").into_response(),
        None => StatusCode::UNAUTHORIZED.into_response(),
        Some(ADMIN_TOKEN) => (StatusCode::OK, "admin area").into_response(),
        Some(VIEWER_TOKEN) if s.behaviour.weak_authorization => {
            (StatusCode::OK, "admin area").into_response()
        }
        Some(VIEWER_TOKEN) => StatusCode::FORBIDDEN.into_response(),
        Some(_) => StatusCode::UNAUTHORIZED.into_response(),
    }
}

async fn me(headers: HeaderMap) -> Response {
    match bearer(&headers) {
        Some(ADMIN_TOKEN | VIEWER_TOKEN) => (StatusCode::OK, "you").into_response(),
        _ => StatusCode::UNAUTHORIZED.into_response(),
    }
}

async fn limited(State(s): State<Arc<Shared>>) -> Response {
    let Some(limit) = s.behaviour.limit else {
        return (StatusCode::OK, "fine").into_response();
    };
    let mut window = s.window.lock().unwrap();
    if window.0.elapsed() >= Duration::from_secs(1) {
        *window = (Instant::now(), 0);
    }
    window.1 += 1;
    if window.1 > limit {
        let mut response = StatusCode::TOO_MANY_REQUESTS.into_response();
        if s.behaviour.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        return response;
    }
    (StatusCode::OK, "fine").into_response()
}

async fn page(State(s): State<Arc<Shared>>) -> Response {
    let mut response = (StatusCode::OK, "<html><body>hello</body></html>").into_response();
    let h = response.headers_mut();
    let set = |h: &mut HeaderMap, k: &'static str, v: &'static str| {
        h.append(k, HeaderValue::from_static(v));
    };
    if s.behaviour.weak_headers {
        set(h, "strict-transport-security", "max-age=3600");
        set(
            h,
            "content-security-policy",
            "default-src * 'unsafe-inline' 'unsafe-eval'",
        );
        set(h, "set-cookie", "session=abc123; Path=/");
        set(h, "access-control-allow-origin", "*");
        set(h, "access-control-allow-credentials", "true");
        set(h, "server", "nginx/1.18.0");
        set(h, "x-powered-by", "Express 4.17.1");
    } else {
        set(
            h,
            "strict-transport-security",
            "max-age=63072000; includeSubDomains; preload",
        );
        set(
            h,
            "content-security-policy",
            "default-src 'self'; object-src 'none'; frame-ancestors 'none'",
        );
        set(h, "x-content-type-options", "nosniff");
        set(h, "referrer-policy", "strict-origin-when-cross-origin");
        set(
            h,
            "set-cookie",
            "__Host-session=abc123; Path=/; Secure; HttpOnly; SameSite=Lax",
        );
        set(h, "server", "edge");
    }
    response
}

async fn create_order(State(s): State<Arc<Shared>>, headers: HeaderMap, body: String) -> Response {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    if s.behaviour.idempotent
        && let Some(reply) = s.replies.lock().unwrap().get(&key)
    {
        return (
            StatusCode::CREATED,
            [(header::CONTENT_TYPE, "application/json")],
            reply.clone(),
        )
            .into_response();
    }
    let id = s.next_order.fetch_add(1, Ordering::Relaxed);
    s.orders.lock().unwrap().push((key.clone(), id));
    let reply = format!(r#"{{"id":{id},"item":{body:?}}}"#);
    s.replies.lock().unwrap().insert(key, reply.clone());
    (
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/json")],
        reply,
    )
        .into_response()
}

async fn count_orders(
    State(s): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let key = q.get("key").cloned().unwrap_or_default();
    let count = s
        .orders
        .lock()
        .unwrap()
        .iter()
        .filter(|(k, _)| *k == key)
        .count();
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        format!(r#"{{"count":{count}}}"#),
    )
        .into_response()
}

async fn fast(State(s): State<Arc<Shared>>) -> Response {
    let n = s.hits.fetch_add(1, Ordering::Relaxed) + 1;
    if !s.behaviour.stall.is_zero() {
        tokio::time::sleep(s.behaviour.stall).await;
    }
    if let Some(every) = s.behaviour.fail_every
        && n.is_multiple_of(every)
    {
        return (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response();
    }
    (StatusCode::OK, "ok").into_response()
}

/// Serves `behaviour` over plain HTTP on a free loopback port.
pub async fn serve_http(behaviour: Behaviour) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(behaviour);
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    addr
}

/// A private CA and the PEM of its certificate, for `ca-file`.
pub struct TestCa {
    pub pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl TestCa {
    pub fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "shipgate test CA");
        params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let cert = params.self_signed(&key).unwrap();
        TestCa {
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A leaf for `names` (host names or addresses), signed by the CA.
    pub fn leaf(
        &self,
        names: &[&str],
        expired: bool,
        algorithm: &'static rcgen::SignatureAlgorithm,
    ) -> Leaf {
        let mut params =
            CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap();
        params.distinguished_name.push(DnType::CommonName, names[0]);
        if expired {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        } else {
            params.not_before = rcgen::date_time_ymd(2024, 1, 1);
            params.not_after = rcgen::date_time_ymd(2099, 1, 1);
        }
        let key = KeyPair::generate_for(algorithm).unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Leaf {
            cert: cert.der().clone(),
            key: rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        }
    }
}

pub struct Leaf {
    cert: rustls::pki_types::CertificateDer<'static>,
    key: rustls::pki_types::PrivateKeyDer<'static>,
}

fn acceptor(leaf: Leaf) -> tokio_rustls::TlsAcceptor {
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![leaf.cert], leaf.key)
    .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

/// Serves `behaviour` over HTTPS with `leaf`. With `legacy`, a ClientHello
/// offering TLS 1.0 or 1.1 is answered with a ServerHello for it, as a
/// server that still speaks it would.
pub async fn serve_https(behaviour: Behaviour, leaf: Leaf, legacy: bool) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = acceptor(leaf);
    let app = router(behaviour);
    tokio::spawn(async move {
        loop {
            let Ok((mut tcp, _)) = listener.accept().await else {
                continue;
            };
            let (acceptor, app) = (acceptor.clone(), app.clone());
            tokio::spawn(async move {
                if legacy {
                    let mut head = [0u8; 11];
                    let Ok(n) = tcp.peek(&mut head).await else {
                        return;
                    };
                    let offered = u16::from_be_bytes([head[9], head[10]]);
                    if n == 11 && head[0] == 22 && offered < 0x0303 {
                        // It speaks TLS 1.0 and 1.1, not SSL 3.0.
                        if offered >= 0x0301 {
                            let _ = tcp.write_all(&legacy_server_hello(offered)).await;
                        }
                        return;
                    }
                }
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = TowerToHyperService::new(app);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    addr
}

/// The ServerHello of a server that picks the offered version and
/// TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA.
fn legacy_server_hello(version: u16) -> Vec<u8> {
    let mut body = version.to_be_bytes().to_vec();
    body.extend_from_slice(&[0x42; 32]);
    body.push(0); // no session id
    body.extend_from_slice(&[0xc0, 0x13, 0x00]);
    let mut handshake = vec![2];
    handshake.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    handshake.extend_from_slice(&body);
    let mut record = vec![22, 0x03, 0x01];
    record.extend_from_slice(&(handshake.len() as u16).to_be_bytes());
    record.extend_from_slice(&handshake);
    record
}

/// Secrets as the environment would hold them.
pub fn env(name: &str) -> Option<String> {
    match name {
        "ADMIN_TOKEN" => Some(ADMIN_TOKEN.into()),
        "VIEWER_TOKEN" => Some(VIEWER_TOKEN.into()),
        _ => None,
    }
}
