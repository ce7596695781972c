//! `tls`: which protocol versions a server accepts, whether its chain is
//! valid for the name, when the certificate expires, and its key.
//!
//! rustls speaks only TLS 1.2 and 1.3, so the older versions are asked for
//! with a hand-written ClientHello whose ServerHello alone tells whether the
//! server would go on with them; no legacy handshake is ever completed.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};
use x509_parser::public_key::PublicKey;

use crate::config::TlsProbe;
use crate::context::Resolved;
use crate::http::{crypto, roots};
use crate::observation::Recorder;

pub(crate) async fn run(
    probe: &TlsProbe,
    resolved: &Resolved,
    rec: &mut Recorder,
) -> Result<(), String> {
    let url = &resolved.url;
    let host = url
        .host_str()
        .ok_or_else(|| format!("`{url}` names no host"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let name = probe.server_name.clone().unwrap_or_else(|| host.clone());
    let server_name = ServerName::try_from(name.clone())
        .map_err(|_| format!("`{name}` is not a host name or an address"))?;
    let addrs = url
        .socket_addrs(|| Some(443))
        .map_err(|e| format!("cannot resolve {host}: {e}"))?;
    let addr = *addrs
        .first()
        .ok_or_else(|| format!("{host} has no address"))?;
    let timeout = probe.timeout.get();
    rec.measure("address", addr.to_string());
    rec.evidence("server_name", name.clone());

    let verifier = Recording::new(roots(resolved.ca_file.as_deref())?)?;
    let all = [&rustls::version::TLS13, &rustls::version::TLS12];
    let main = handshake(addr, &server_name, &verifier, &all, timeout).await;
    let verdict = verifier.take();
    let (version, suite, chain) = match main {
        Ok(ok) => ok,
        Err(e) => {
            rec.check("handshake", false, "a TLS 1.2 or 1.3 handshake", e);
            legacy_checks(addr, &name, timeout, rec).await;
            return Ok(());
        }
    };
    rec.check(
        "handshake",
        true,
        "a TLS 1.2 or 1.3 handshake",
        format!("{version} {suite}"),
    );
    rec.measure("protocol", version.clone());
    rec.measure("cipher_suite", suite);

    let mut supported = Vec::new();
    for (label, v) in [
        ("TLSv1.3", &rustls::version::TLS13),
        ("TLSv1.2", &rustls::version::TLS12),
    ] {
        let probe_verifier = Recording::new(roots(resolved.ca_file.as_deref())?)?;
        if handshake(addr, &server_name, &probe_verifier, &[v], timeout)
            .await
            .is_ok()
        {
            supported.push(label);
        }
    }
    if probe.require_tls13 {
        rec.check(
            "TLS 1.3",
            supported.contains(&"TLSv1.3"),
            "TLS 1.3 offered",
            supported.join(", "),
        );
    }

    match &verdict {
        Some(Ok(())) => rec.check(
            "chain",
            true,
            format!("a trusted chain valid for {name}"),
            "valid",
        ),
        Some(Err(e)) => rec.check(
            "chain",
            false,
            format!("a trusted chain valid for {name}"),
            e.clone(),
        ),
        None => rec.check(
            "chain",
            false,
            format!("a trusted chain valid for {name}"),
            "not verified",
        ),
    };

    let mut chain_evidence = Vec::new();
    for (i, der) in chain.iter().enumerate() {
        let Ok((_, cert)) = X509Certificate::from_der(der.as_ref()) else {
            chain_evidence
                .push(json!({"position": i, "error": "not a parsable X.509 certificate"}));
            continue;
        };
        chain_evidence.push(describe(&cert));
        if i == 0 {
            leaf_checks(probe, &cert, rec);
        }
    }
    if chain.is_empty() {
        rec.check(
            "certificate",
            false,
            "a certificate",
            "the server sent none",
        );
    }
    rec.evidence("chain", chain_evidence);
    let mut versions = legacy_checks(addr, &name, timeout, rec).await;
    versions.extend(supported.iter().map(|s| s.to_string()));
    rec.measure("versions_accepted", versions);
    Ok(())
}

/// SSL 3.0, TLS 1.0 and TLS 1.1 must each be refused. Returns those
/// accepted.
async fn legacy_checks(
    addr: SocketAddr,
    name: &str,
    timeout: Duration,
    rec: &mut Recorder,
) -> Vec<String> {
    let sni = name.parse::<std::net::IpAddr>().is_err().then_some(name);
    let mut accepted = Vec::new();
    let mut evidence = Vec::new();
    for (label, version) in [
        ("SSLv3", 0x0300u16),
        ("TLSv1.0", 0x0301),
        ("TLSv1.1", 0x0302),
    ] {
        let answer = legacy_probe(addr, version, sni, timeout).await;
        let (passed, actual) = match &answer {
            Legacy::Accepted { version: v, cipher } => {
                accepted.push(label.to_owned());
                (
                    false,
                    format!(
                        "accepted: ServerHello {} with suite 0x{cipher:04x}",
                        version_name(*v)
                    ),
                )
            }
            Legacy::Refused(why) => (true, format!("refused: {why}")),
        };
        evidence.push(json!({"offered": label, "answer": actual}));
        rec.check(
            format!("{label} refused"),
            passed,
            "refused (anything below TLS 1.2 fails)",
            actual,
        );
    }
    rec.evidence("legacy_versions", evidence);
    accepted
}

fn leaf_checks(probe: &TlsProbe, cert: &X509Certificate<'_>, rec: &mut Recorder) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs() as i64;
    let not_after = cert.validity().not_after.timestamp();
    let days_left = (not_after - now).div_euclid(86_400);
    rec.measure("days_left", days_left);
    rec.check(
        "expiry",
        days_left >= probe.min_days_left,
        format!("at least {} days left", probe.min_days_left),
        if days_left < 0 {
            format!(
                "expired {} days ago ({})",
                -days_left,
                cert.validity().not_after
            )
        } else {
            format!(
                "{days_left} days left (until {})",
                cert.validity().not_after
            )
        },
    );
    let (kind, bits) = key_of(cert);
    rec.measure("key_type", kind.clone());
    if let Some(bits) = bits {
        rec.measure("key_bits", bits);
    }
    let allowed = probe
        .key_types
        .iter()
        .any(|k| k.eq_ignore_ascii_case(key_family(&kind)));
    let minimum = match key_family(&kind) {
        "rsa" => Some(probe.min_rsa_bits),
        "ec" => Some(probe.min_ec_bits),
        _ => None,
    };
    let big_enough = match (minimum, bits) {
        (Some(min), Some(bits)) => bits >= min,
        (Some(_), None) => false,
        (None, _) => true,
    };
    let expected = format!(
        "one of {} (RSA at least {} bits, EC at least {})",
        probe.key_types.join(", "),
        probe.min_rsa_bits,
        probe.min_ec_bits
    );
    let actual = match bits {
        Some(b) => format!("{kind} {b} bits"),
        None => kind.clone(),
    };
    rec.check("key", allowed && big_enough, expected, actual);
}

fn key_family(kind: &str) -> &str {
    match kind.split_once(' ') {
        Some((family, _)) => family,
        None => kind,
    }
}

/// The key's family (`rsa`, `ec P-256`, `ed25519`) and size.
fn key_of(cert: &X509Certificate<'_>) -> (String, Option<u32>) {
    let spki = cert.public_key();
    let oid = spki.algorithm.algorithm.to_id_string();
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => ("rsa".into(), Some(rsa.key_size() as u32)),
        Ok(PublicKey::EC(ec)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| match o.to_id_string().as_str() {
                    "1.2.840.10045.3.1.7" => "P-256".to_owned(),
                    "1.3.132.0.34" => "P-384".to_owned(),
                    "1.3.132.0.35" => "P-521".to_owned(),
                    other => other.to_owned(),
                })
                .unwrap_or_else(|| "unknown curve".into());
            (format!("ec {curve}"), Some(ec.key_size() as u32))
        }
        Ok(PublicKey::DSA(_)) => ("dsa".into(), None),
        _ => match oid.as_str() {
            "1.3.101.112" => ("ed25519".into(), Some(256)),
            "1.3.101.113" => ("ed448".into(), Some(456)),
            _ => (format!("unknown ({oid})"), None),
        },
    }
}

fn describe(cert: &X509Certificate<'_>) -> serde_json::Value {
    let names: Vec<String> = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|san| {
            san.value
                .general_names
                .iter()
                .filter_map(|n| match n {
                    GeneralName::DNSName(d) => Some(d.to_string()),
                    GeneralName::IPAddress(ip) => match ip.len() {
                        4 => Some(std::net::Ipv4Addr::new(ip[0], ip[1], ip[2], ip[3]).to_string()),
                        16 => <[u8; 16]>::try_from(*ip)
                            .ok()
                            .map(|b| std::net::Ipv6Addr::from(b).to_string()),
                        _ => None,
                    },
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let (key, bits) = key_of(cert);
    json!({
        "subject": cert.subject().to_string(),
        "issuer": cert.issuer().to_string(),
        "serial": cert.raw_serial_as_string(),
        "not_before": cert.validity().not_before.to_string(),
        "not_after": cert.validity().not_after.to_string(),
        "names": names,
        "key": key,
        "key_bits": bits,
        "signature": signature_name(&cert.signature_algorithm.algorithm.to_id_string()),
    })
}

fn signature_name(oid: &str) -> String {
    match oid {
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption".into(),
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption".into(),
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption".into(),
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption".into(),
        "1.2.840.113549.1.1.10" => "rsassaPss".into(),
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256".into(),
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384".into(),
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512".into(),
        "1.3.101.112" => "ed25519".into(),
        other => other.into(),
    }
}

type Handshake = (String, String, Vec<CertificateDer<'static>>);

/// A rustls handshake limited to `versions`; the certificate is judged by
/// the verifier, which records and does not refuse, so a bad chain can
/// still be examined.
async fn handshake(
    addr: SocketAddr,
    name: &ServerName<'static>,
    verifier: &Arc<Recording>,
    versions: &[&'static rustls::SupportedProtocolVersion],
    timeout: Duration,
) -> Result<Handshake, String> {
    let config = rustls::ClientConfig::builder_with_provider(crypto())
        .with_protocol_versions(versions)
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let attempt = async {
        let tcp = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
        let stream = connector
            .connect(name.clone(), tcp)
            .await
            .map_err(|e| format!("handshake failed: {e}"))?;
        let (_, session) = stream.get_ref();
        let version = session
            .protocol_version()
            .map(|v| match v {
                rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".to_owned(),
                rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".to_owned(),
                other => format!("{other:?}"),
            })
            .unwrap_or_default();
        let suite = session
            .negotiated_cipher_suite()
            .map(|s| format!("{:?}", s.suite()))
            .unwrap_or_default();
        let chain = session
            .peer_certificates()
            .map(|c| c.iter().map(|d| d.clone().into_owned()).collect())
            .unwrap_or_default();
        Ok((version, suite, chain))
    };
    tokio::time::timeout(timeout, attempt)
        .await
        .map_err(|_| format!("no handshake within {} ms", timeout.as_millis()))?
}

/// Verifies as a browser would, keeps the verdict, and lets the handshake
/// go on whatever it is.
#[derive(Debug)]
struct Recording {
    inner: Arc<WebPkiServerVerifier>,
    verdict: Mutex<Option<Result<(), String>>>,
}

impl Recording {
    fn new(roots: rustls::RootCertStore) -> Result<Arc<Self>, String> {
        let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), crypto())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Arc::new(Recording {
            inner,
            verdict: Mutex::new(None),
        }))
    }

    fn take(&self) -> Option<Result<(), String>> {
        self.verdict
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map(|_| ())
            .map_err(|e| e.to_string());
        *self.verdict.lock().unwrap_or_else(|e| e.into_inner()) = Some(verdict);
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// How a server answered a legacy ClientHello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Legacy {
    /// A ServerHello choosing a version below TLS 1.2.
    Accepted {
        version: u16,
        cipher: u16,
    },
    Refused(String),
}

pub fn version_name(version: u16) -> String {
    match version {
        0x0300 => "SSLv3".into(),
        0x0301 => "TLSv1.0".into(),
        0x0302 => "TLSv1.1".into(),
        0x0303 => "TLSv1.2".into(),
        0x0304 => "TLSv1.3".into(),
        other => format!("0x{other:04x}"),
    }
}

/// Offers `version` as the highest the client speaks and reads the first
/// answer.
pub async fn legacy_probe(
    addr: SocketAddr,
    version: u16,
    sni: Option<&str>,
    timeout: Duration,
) -> Legacy {
    let attempt = async {
        let mut tcp = match TcpStream::connect(addr).await {
            Ok(s) => s,
            Err(e) => return Legacy::Refused(format!("cannot connect: {e}")),
        };
        if let Err(e) = tcp.write_all(&client_hello(version, sni)).await {
            return Legacy::Refused(format!("the connection closed: {e}"));
        }
        read_server_hello(&mut tcp, version).await
    };
    tokio::time::timeout(timeout, attempt)
        .await
        .unwrap_or_else(|_| Legacy::Refused(format!("no answer within {} ms", timeout.as_millis())))
}

async fn read_server_hello(tcp: &mut TcpStream, offered: u16) -> Legacy {
    let mut header = [0u8; 5];
    if let Err(e) = tcp.read_exact(&mut header).await {
        return Legacy::Refused(if e.kind() == std::io::ErrorKind::UnexpectedEof {
            "the connection was closed".into()
        } else {
            format!("the connection failed: {e}")
        });
    }
    let length = u16::from_be_bytes([header[3], header[4]]) as usize;
    let mut body = vec![0u8; length.min(1 << 14)];
    if tcp.read_exact(&mut body).await.is_err() {
        return Legacy::Refused("a truncated record".into());
    }
    match header[0] {
        // Alert: level, description.
        21 if body.len() >= 2 => {
            Legacy::Refused(format!("alert {} ({})", alert_name(body[1]), body[1]))
        }
        22 => parse_server_hello(&body, offered),
        other => Legacy::Refused(format!("an unexpected record of type {other}")),
    }
}

/// Reads a ServerHello's version and cipher suite from a handshake record.
/// Only a version at or below the one offered counts as accepting it: a
/// server answering with a higher one broke the protocol, and what it does
/// speak is judged when that version is offered.
pub fn parse_server_hello(body: &[u8], offered: u16) -> Legacy {
    // type(1) length(3) version(2) random(32) session_id_len(1)
    if body.len() < 39 || body[0] != 2 {
        return Legacy::Refused("a handshake message that is not a ServerHello".into());
    }
    let version = u16::from_be_bytes([body[4], body[5]]);
    let session_len = body[38] as usize;
    let cipher = body
        .get(39 + session_len..41 + session_len)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .unwrap_or(0);
    if version <= offered && version < 0x0303 {
        Legacy::Accepted { version, cipher }
    } else {
        Legacy::Refused(format!(
            "a ServerHello for {}, not what was offered",
            version_name(version)
        ))
    }
}

fn alert_name(code: u8) -> &'static str {
    match code {
        0 => "close_notify",
        10 => "unexpected_message",
        40 => "handshake_failure",
        47 => "illegal_parameter",
        50 => "decode_error",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        112 => "unrecognized_name",
        _ => "alert",
    }
}

/// A ClientHello whose highest version is `version`, offering the suites
/// servers of that era chose from, so a server that still speaks it has
/// something to accept.
pub fn client_hello(version: u16, sni: Option<&str>) -> Vec<u8> {
    const SUITES: [u16; 13] = [
        0xc02b, 0xc02f, // ECDHE AES-GCM, which a TLS 1.0 server ignores
        0xc009, 0xc013, 0xc00a, 0xc014, // ECDHE with AES-CBC-SHA
        0x0033, 0x0039, // DHE with AES-CBC-SHA
        0x002f, 0x0035, // RSA with AES-CBC-SHA
        0x000a, // RSA with 3DES
        0x0005, // RSA with RC4
        0x00ff, // the renegotiation SCSV
    ];
    let mut hello = Vec::with_capacity(256);
    hello.extend_from_slice(&version.to_be_bytes());
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let mut random = [0u8; 32];
    for (i, byte) in random.iter_mut().enumerate() {
        *byte = (nanos.rotate_left(i as u32 * 5) as u8) ^ (i as u8).wrapping_mul(151);
    }
    hello.extend_from_slice(&random);
    hello.push(0); // no session id
    hello.extend_from_slice(&((SUITES.len() * 2) as u16).to_be_bytes());
    for suite in SUITES {
        hello.extend_from_slice(&suite.to_be_bytes());
    }
    hello.extend_from_slice(&[1, 0]); // null compression only

    let mut extensions = Vec::new();
    if version > 0x0300 {
        if let Some(host) = sni {
            let name = host.as_bytes();
            let mut list = Vec::new();
            list.push(0); // host_name
            list.extend_from_slice(&(name.len() as u16).to_be_bytes());
            list.extend_from_slice(name);
            push_extension(
                &mut extensions,
                0x0000,
                &[&(list.len() as u16).to_be_bytes()[..], &list].concat(),
            );
        }
        // supported_groups: x25519, P-256, P-384.
        push_extension(&mut extensions, 0x000a, &[0, 6, 0, 0x1d, 0, 0x17, 0, 0x18]);
        // ec_point_formats: uncompressed.
        push_extension(&mut extensions, 0x000b, &[1, 0]);
    }
    if !extensions.is_empty() {
        hello.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
        hello.extend_from_slice(&extensions);
    }

    let mut handshake = vec![1]; // ClientHello
    handshake.extend_from_slice(&(hello.len() as u32).to_be_bytes()[1..]);
    handshake.extend_from_slice(&hello);

    // Records of this era carry TLS 1.0 (SSL 3.0 for SSL 3.0) whatever is offered.
    let record_version: u16 = if version == 0x0300 { 0x0300 } else { 0x0301 };
    let mut record = vec![22];
    record.extend_from_slice(&record_version.to_be_bytes());
    record.extend_from_slice(&(handshake.len() as u16).to_be_bytes());
    record.extend_from_slice(&handshake);
    record
}

fn push_extension(out: &mut Vec<u8>, kind: u16, data: &[u8]) {
    out.extend_from_slice(&kind.to_be_bytes());
    out.extend_from_slice(&(data.len() as u16).to_be_bytes());
    out.extend_from_slice(data);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_hello_is_well_formed() {
        let record = client_hello(0x0302, Some("example.com"));
        assert_eq!(record[0], 22);
        let length = u16::from_be_bytes([record[3], record[4]]) as usize;
        assert_eq!(record.len(), 5 + length);
        assert_eq!(record[5], 1, "a ClientHello");
        let hs_len = u32::from_be_bytes([0, record[6], record[7], record[8]]) as usize;
        assert_eq!(hs_len + 4, length);
        assert_eq!(&record[9..11], &[0x03, 0x02]);
        let text = String::from_utf8_lossy(&record);
        assert!(text.contains("example.com"));
    }

    #[test]
    fn server_hellos_are_read() {
        let mut hello = vec![2, 0, 0, 42, 0x03, 0x01];
        hello.extend_from_slice(&[7u8; 32]);
        hello.extend_from_slice(&[0, 0xc0, 0x13, 0]);
        assert_eq!(
            parse_server_hello(&hello, 0x0302),
            Legacy::Accepted {
                version: 0x0301,
                cipher: 0xc013
            }
        );
        assert!(matches!(
            parse_server_hello(&hello, 0x0300),
            Legacy::Refused(_)
        ));
        hello[5] = 0x03;
        assert!(matches!(
            parse_server_hello(&hello, 0x0302),
            Legacy::Refused(_)
        ));
    }
}
