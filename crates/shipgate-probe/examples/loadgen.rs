//! The probe's load generator from the command line, for the benchmark in
//! bench/load.sh: prints one JSON line of what it measured.
//!
//! `loadgen URL RATE|max DURATION_S CONNECTIONS THREADS`: `max` sends as
//! fast as the connections allow (closed loop), for saturation throughput.

use std::time::Duration;

use shipgate_probe::StatusSpec;
use shipgate_probe::load::{LoadPlan, generate};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, rate, secs, connections, threads] = args.as_slice() else {
        eprintln!("usage: loadgen URL RATE|max DURATION_S CONNECTIONS THREADS");
        std::process::exit(2);
    };
    let plan = LoadPlan {
        method: "GET".into(),
        url: url::Url::parse(url).expect("a URL"),
        headers: Vec::new(),
        body: None,
        ca_file: None,
        rate: (rate != "max").then(|| rate.parse().expect("a rate")),
        duration: Duration::from_secs_f64(secs.parse().expect("seconds")),
        max_requests: u64::MAX,
        connections: connections.parse().expect("connections"),
        grace: Duration::from_secs(5),
        expect_status: StatusSpec::success(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.parse().expect("threads"))
        .enable_all()
        .build()
        .unwrap();
    let r = runtime.block_on(generate(&plan)).expect("the load runs");
    println!(
        "{}",
        serde_json::json!({
            "requests": r.completed,
            "errors": r.errors,
            "throughput_rps": r.throughput().round(),
            "p50_ms": r.percentile_ms(0.5),
            "p90_ms": r.percentile_ms(0.9),
            "p99_ms": r.percentile_ms(0.99),
            "max_ms": r.latency_us.max() as f64 / 1000.0,
            "schedule_lag_p99_ms": r.lag_us.value_at_quantile(0.99) as f64 / 1000.0,
        })
    );
}
