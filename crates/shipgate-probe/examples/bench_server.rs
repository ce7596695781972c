//! A minimal HTTP/1.1 server on loopback for the load benchmark, so that
//! both generators are measured against the same, cheap service.
//!
//! `bench_server PORT [STALL_EVERY_MS STALL_FOR_MS]`: with the stall
//! arguments, every request arriving during the first STALL_FOR_MS of each
//! STALL_EVERY_MS period is held until that stall ends, like a service
//! paused by a garbage collector.

use std::convert::Infallible;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| {
            a.parse()
                .expect("numbers: PORT [STALL_EVERY_MS STALL_FOR_MS]")
        })
        .collect();
    let port = *args
        .first()
        .expect("bench_server PORT [STALL_EVERY_MS STALL_FOR_MS]");
    let stall = match args.get(1..3) {
        Some([every, stall_for]) => Some((
            Duration::from_millis(*every),
            Duration::from_millis(*stall_for),
        )),
        _ => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let listener = TcpListener::bind(("127.0.0.1", port as u16)).await.unwrap();
        let epoch = Instant::now();
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let _ = tcp.set_nodelay(true);
            tokio::spawn(async move {
                let service = service_fn(move |_req: Request<hyper::body::Incoming>| async move {
                    if let Some((every, stall_for)) = stall {
                        let into = Duration::from_nanos(
                            (epoch.elapsed().as_nanos() % every.as_nanos()) as u64,
                        );
                        if into < stall_for {
                            tokio::time::sleep(stall_for - into).await;
                        }
                    }
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"ok"))))
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), service)
                    .await;
            });
        }
    });
}
