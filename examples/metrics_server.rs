//! Live Prometheus metrics of a running pipeline, served on
//! `http://127.0.0.1:9898/metrics` (or the port given as the first argument;
//! 0 picks a free one).
//!
//! ```text
//! producer ──▶ jobs: Bounded<128>, (Counters, Latency) ──▶ 3 workers ──▶ results: Unbounded, (Counters, Latency) ──▶ sink
//! ```
//!
//! The pipeline runs in may coroutines for about five seconds while the
//! server answers scrapes (`curl -s http://127.0.0.1:9898/metrics`); the
//! program scrapes itself once a second over loopback to show the figures
//! moving, then shuts everything down and exits. It listens on loopback only.
//!
//! Run it with `cargo run --release --example metrics_server`.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use may_channel::backpressure::{Block, Unlimited};
use may_channel::export::{MetricsServer, PrometheusExporter};
use may_channel::metrics::{Counters, Latency};
use may_channel::queue::{Bounded, Unbounded};
use may_channel::wait::SpinThenPark;
use may_channel::{Channel, Receiver};

/// The work queue: bounded, so a fast producer is held back.
type Jobs = Channel<Bounded<128>, SpinThenPark, Block, (Counters, Latency)>;
/// The results: unbounded, drained by one collector.
type Results = Channel<Unbounded, SpinThenPark, Unlimited, (Counters, Latency)>;

const RUN_FOR: Duration = Duration::from_secs(5);
const WORKERS: usize = 3;

/// A little CPU per job, varying with the job.
fn work(job: u64) -> u64 {
    let mut h = job ^ 0x9e37_79b9_7f4a_7c15;
    for _ in 0..(100 + job % 400) {
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    }
    h
}

/// One GET over loopback with a plain std socket, as a scraper would.
fn scrape(addr: std::net::SocketAddr) -> std::io::Result<String> {
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n")?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer)
}

/// The lines of the answer about one family.
fn lines_of<'a>(answer: &'a str, family: &'a str) -> impl Iterator<Item = &'a str> {
    answer
        .lines()
        .filter(move |l| l.starts_with(family) && !l.contains("_bucket"))
}

fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .map(|p| p.parse().expect("the port must be a number"))
        .unwrap_or(9898);

    let exporter = Arc::new(PrometheusExporter::new());
    let (jobs_tx, jobs_rx) = Jobs::new::<u64>();
    let (results_tx, results_rx) = Results::new::<u64>();
    exporter
        .register_with_labels("jobs", &[("stage", "dispatch")], &jobs_tx)
        .expect("fresh labels");
    exporter
        .register_with_labels("results", &[("stage", "collect")], &results_rx)
        .expect("fresh labels");

    let server = MetricsServer::bind(("127.0.0.1", port), exporter.clone())?;
    let addr = server.local_addr();
    println!("serving http://{addr}/metrics for {RUN_FOR:?}");

    let deadline = Instant::now() + RUN_FOR;
    let producer = may::go!(move || {
        let mut sent = 0u64;
        while Instant::now() < deadline {
            // Jobs arrive in bursts of 200 every 10 ms: the bounded stage fills
            // and the producer blocks during a burst, then the pipeline
            // drains. (The idle moments matter: may polls its sockets when a
            // worker thread has no coroutine to run, so a pipeline that never
            // rests would starve the server coroutine.)
            for _ in 0..200 {
                jobs_tx.send(sent).expect("workers outlive the producer");
                sent += 1;
            }
            may::coroutine::sleep(Duration::from_millis(10));
        }
        sent // dropping jobs_tx lets the workers finish
    });
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (jobs, results): (Receiver<u64, Jobs>, _) = (jobs_rx.clone(), results_tx.clone());
            may::go!(move || {
                for job in jobs.iter() {
                    results
                        .send(work(job))
                        .expect("the collector outlives the workers");
                }
            })
        })
        .collect();
    drop((jobs_rx, results_tx));
    let collector = may::go!(move || results_rx.iter().fold(0u64, |n, _| n + 1));

    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_secs(1));
        let left = deadline.saturating_duration_since(Instant::now());
        let answer = match scrape(addr) {
            Ok(answer) => answer,
            Err(err) => {
                // An overloaded machine can starve the server; say so and
                // go on.
                println!("--- scrape failed ({err}), {left:?} left");
                continue;
            }
        };
        println!("--- scrape, {left:?} left");
        for family in [
            "may_channel_sent_total",
            "may_channel_queue_length",
            "may_channel_blocked_senders",
            "may_channel_queue_latency_seconds_count",
            "may_channel_queue_latency_seconds_sum",
        ] {
            for line in lines_of(&answer, family) {
                println!("{line}");
            }
        }
    }

    let sent = producer.join().expect("producer panicked");
    for worker in workers {
        worker.join().expect("worker panicked");
    }
    let received = collector.join().expect("collector panicked");
    assert_eq!(sent, received, "every job must come out exactly once");
    println!(
        "{sent} jobs through the pipeline; {} scrapes served",
        server.requests_served()
    );
    server.shutdown();
    Ok(())
}
