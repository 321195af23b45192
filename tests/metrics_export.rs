//! Latency sink, histogram accuracy and the Prometheus exporter: known
//! inputs against exact answers, real channels in threads and coroutines
//! (plausibility only, never timings), the text format parsed back and
//! checked by `promtool` when available, and `/metrics` over loopback.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use may_channel::backpressure::{Block, DropOldest, Unlimited};
use may_channel::export::{MetricsExporter, MetricsServer, PrometheusExporter, RegisterError};
use may_channel::metrics::{Counters, Histogram, Latency, LatencySnapshot, NoMetrics};
use may_channel::queue::{Bounded, Unbounded};
use may_channel::wait::SpinThenPark;
use may_channel::{Channel, Receiver, Sender};

// `Latency<1>` times every message, so these tests can count them exactly;
// the default rate (one in 16) has its own test below.
type Timed<const N: usize> = Channel<Bounded<N>, SpinThenPark, Block, (Counters, Latency<1>)>;
type LatencyOnly = Channel<Unbounded, SpinThenPark, Unlimited, Latency<1>>;
type Plain = Channel<Bounded<4>, SpinThenPark, Block, NoMetrics>;

/// The exact nearest-rank quantile of sorted values.
fn exact_quantile(sorted: &[u64], q: f64) -> u64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn check_accuracy(values: &mut [u64]) {
    let h = Histogram::new();
    for &v in values.iter() {
        h.record(v);
    }
    values.sort_unstable();
    let s = h.snapshot();
    assert_eq!(s.count(), values.len() as u64);
    assert_eq!(s.sum(), values.iter().sum::<u64>());
    assert_eq!(s.min(), values.first().copied());
    assert_eq!(s.max(), values.last().copied());
    for q in [
        0.0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999, 1.0,
    ] {
        let exact = exact_quantile(values, q) as f64;
        let estimate = s.quantile(q) as f64;
        assert!(
            (estimate - exact).abs() <= exact / 32.0,
            "q={q}: estimate {estimate} vs exact {exact}"
        );
    }
}

#[test]
fn percentiles_within_documented_error_uniform() {
    // 1 µs .. 10 ms, evenly.
    let mut values: Vec<u64> = (1..=10_000u64).map(|i| i * 1_000).collect();
    check_accuracy(&mut values);
}

#[test]
fn percentiles_within_documented_error_log_spread() {
    // 100 ns .. 100 s, spread over nine decades by a fixed pseudo-random walk.
    let mut x = 0x2545_f491_4f6c_dd1d_u64;
    let mut values: Vec<u64> = (0..50_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let exponent = 2.0 + 9.0 * (x % 1_000_000) as f64 / 1_000_000.0;
            10f64.powf(exponent) as u64
        })
        .collect();
    check_accuracy(&mut values);
}

#[test]
fn percentiles_of_a_known_distribution() {
    // 90 fast (1 µs), 9 medium (1 ms), 1 slow (1 s).
    let h = Histogram::new();
    for _ in 0..90 {
        h.record(1_000);
    }
    for _ in 0..9 {
        h.record(1_000_000);
    }
    h.record(1_000_000_000);
    let s = LatencySnapshot::from_histogram(&h.snapshot());
    let close = |d: Duration, ns: f64| (d.as_nanos() as f64 - ns).abs() <= ns / 32.0;
    assert_eq!(s.count, 100);
    assert_eq!(
        s.sum,
        Duration::from_nanos(90 * 1_000 + 9 * 1_000_000 + 1_000_000_000)
    );
    assert_eq!(
        (s.min, s.max),
        (Duration::from_micros(1), Duration::from_secs(1))
    );
    assert!(close(s.p50, 1e3), "{s:?}");
    assert!(close(s.p90, 1e3), "{s:?}");
    assert!(close(s.p99, 1e6), "{s:?}");
    assert_eq!(s.p999, Duration::from_secs(1)); // the max, exactly
}

#[test]
fn concurrent_recording_counts_everything() {
    let h = Arc::new(Histogram::new());
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let h = Arc::clone(&h);
            std::thread::spawn(move || {
                for i in 0..10_000u64 {
                    h.record(t * 1_000_000 + i);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let s = h.snapshot();
    assert_eq!(s.count(), 40_000);
    assert_eq!(s.min(), Some(0));
    assert_eq!(s.max(), Some(3_000_000 + 9_999));
}

fn assert_plausible(s: &LatencySnapshot, n: u64) {
    assert_eq!(s.count, n);
    assert!(s.min <= s.p50, "{s:?}");
    assert!(
        s.p50 <= s.p90 && s.p90 <= s.p99 && s.p99 <= s.p999 && s.p999 <= s.max,
        "{s:?}"
    );
    assert!(s.sum >= s.max, "{s:?}");
}

const N: u64 = 20_000;

#[test]
fn latency_through_a_channel_in_threads() {
    let (tx, rx) = Timed::<64>::new();
    let producer = std::thread::spawn(move || {
        for i in 0..N {
            tx.send(i).unwrap();
        }
    });
    for (expected, i) in (0..).zip(rx.iter()) {
        assert_eq!(i, expected);
    }
    producer.join().unwrap();
    let (counters, latency) = rx.metrics();
    assert_eq!(counters.received, N);
    assert_plausible(&latency, N);
    rx.reset_metrics();
    assert_eq!(rx.metrics().1, LatencySnapshot::default());
}

#[test]
fn latency_through_a_channel_in_coroutines() {
    let (tx, rx) = LatencyOnly::new();
    let (done_tx, done_rx) = Timed::<1>::new();
    let consumer = may::go!(move || {
        let mut sum = 0;
        for i in rx.iter() {
            sum += i;
        }
        done_tx.send(rx.metrics().count).unwrap();
        sum
    });
    let producer = may::go!(move || {
        for i in 0..N {
            tx.send(i).unwrap();
            if i % 1000 == 0 {
                may::coroutine::yield_now();
            }
        }
        tx.metrics()
    });
    let at_sender = producer.join().unwrap();
    assert_eq!(consumer.join().unwrap(), N * (N - 1) / 2);
    assert_eq!(done_rx.recv().unwrap(), N);
    // Read through the sender after the consumer finished: all N timed.
    assert!(at_sender.count <= N);
}

#[test]
fn the_default_latency_times_one_message_in_sixteen() {
    type Sampled = Channel<Bounded<64>, SpinThenPark, Block, (Counters, Latency)>;
    const SENT: u64 = 32_000;
    let (tx, rx) = Sampled::new();
    let producer = std::thread::spawn(move || {
        for i in 0..SENT {
            tx.send(i).unwrap();
        }
    });
    assert_eq!(rx.iter().count() as u64, SENT);
    producer.join().unwrap();
    let (counters, latency) = rx.metrics();
    // Counters stay exact; the histogram holds the timed messages: one
    // sender, so the sampler's fixed sequence gives the same count on
    // every run, within 10 % of SENT / 16 (the unit tests bound it tighter).
    assert_eq!(counters.received, SENT);
    let expected = SENT / u64::from(Latency::<16>::SAMPLE);
    assert!(
        latency.count.abs_diff(expected) <= expected / 10,
        "{} timed of {SENT}",
        latency.count
    );
    assert_plausible(&latency, latency.count);
}

#[test]
fn evicted_messages_are_not_timed() {
    type Lossy = Channel<Bounded<4>, SpinThenPark, DropOldest, (Counters, Latency<1>)>;
    let (tx, rx) = Lossy::new();
    for i in 0..10u32 {
        tx.send(i).unwrap();
    }
    assert_eq!(rx.try_iter().count(), 4);
    let (counters, latency) = rx.metrics();
    assert_eq!((counters.dropped, counters.received), (6, 4));
    assert_plausible(&latency, 4);
}

// ---------------------------------------------------------------------------
// The exposition format, parsed back.

#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

#[derive(Debug)]
struct Family {
    kind: String,
    help: bool,
    samples: Vec<Sample>,
}

fn is_name(s: &str, first: impl Fn(char) -> bool, rest: impl Fn(char) -> bool) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(first) && c.all(rest)
}

fn metric_name(s: &str) -> bool {
    is_name(
        s,
        |c| c.is_ascii_alphabetic() || c == '_' || c == ':',
        |c| c.is_ascii_alphanumeric() || c == '_' || c == ':',
    )
}

fn parse_value(s: &str) -> f64 {
    match s {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        _ => s.parse().unwrap_or_else(|_| panic!("bad value {s:?}")),
    }
}

/// Parses `name{k="v",...} value`, undoing label escapes.
fn parse_sample(line: &str) -> Sample {
    let name_end = line.find(['{', ' ']).expect("sample without value");
    let name = line[..name_end].to_owned();
    assert!(metric_name(&name), "bad metric name in {line:?}");
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(body) = rest.strip_prefix('{') {
        let mut body = body;
        loop {
            if let Some(after) = body.strip_prefix('}') {
                rest = after;
                break;
            }
            let eq = body
                .find('=')
                .unwrap_or_else(|| panic!("label without = in {line:?}"));
            let key = &body[..eq];
            assert!(
                is_name(
                    key,
                    |c| c.is_ascii_alphabetic() || c == '_',
                    |c| c.is_ascii_alphanumeric() || c == '_'
                ),
                "bad label name {key:?} in {line:?}"
            );
            let quoted = body[eq + 1..]
                .strip_prefix('"')
                .unwrap_or_else(|| panic!("unquoted label value in {line:?}"));
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let close = loop {
                match chars.next() {
                    Some((i, '"')) => break i,
                    Some((_, '\\')) => match chars.next() {
                        Some((_, '\\')) => value.push('\\'),
                        Some((_, '"')) => value.push('"'),
                        Some((_, 'n')) => value.push('\n'),
                        other => panic!("bad escape {other:?} in {line:?}"),
                    },
                    Some((_, '\n')) => panic!("raw newline in {line:?}"),
                    Some((_, c)) => value.push(c),
                    None => panic!("unterminated label value in {line:?}"),
                }
            };
            assert!(
                labels.insert(key.to_owned(), value).is_none(),
                "label {key:?} twice in {line:?}"
            );
            body = &quoted[close + 1..];
            body = body.strip_prefix(',').unwrap_or(body);
        }
    }
    let value = rest
        .strip_prefix(' ')
        .unwrap_or_else(|| panic!("no space before the value in {line:?}"));
    assert!(
        !value.contains(' '),
        "timestamp or junk after the value in {line:?}"
    );
    Sample {
        name,
        labels,
        value: parse_value(value),
    }
}

/// The family a sample belongs to (histograms: strip the suffix).
fn family_of<'a>(sample: &'a str, families: &HashMap<String, Family>) -> &'a str {
    for suffix in ["_bucket", "_sum", "_count"] {
        if let Some(base) = sample.strip_suffix(suffix) {
            if families.get(base).is_some_and(|f| f.kind == "histogram") {
                return base;
            }
        }
    }
    sample
}

/// Parses and checks a whole exposition; returns the families by name.
fn parse_exposition(text: &str) -> HashMap<String, Family> {
    assert!(text.is_empty() || text.ends_with('\n'), "no final newline");
    let mut families: HashMap<String, Family> = HashMap::new();
    let mut current: Option<String> = None;
    let mut finished: Vec<String> = Vec::new();
    for line in text.lines() {
        if let Some(help) = line.strip_prefix("# HELP ") {
            let (name, _) = help.split_once(' ').expect("HELP without text");
            assert!(!families.contains_key(name), "second HELP for {name}");
            if let Some(prev) = current.replace(name.to_owned()) {
                finished.push(prev);
            }
            families.insert(
                name.to_owned(),
                Family {
                    kind: String::new(),
                    help: true,
                    samples: Vec::new(),
                },
            );
        } else if let Some(ty) = line.strip_prefix("# TYPE ") {
            let (name, kind) = ty.split_once(' ').expect("TYPE without type");
            assert_eq!(current.as_deref(), Some(name), "TYPE not after its HELP");
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "bad type {kind}"
            );
            let family = families.get_mut(name).unwrap();
            assert!(family.kind.is_empty() && family.samples.is_empty());
            family.kind = kind.to_owned();
        } else {
            assert!(!line.starts_with('#'), "unexpected comment {line:?}");
            assert!(!line.trim().is_empty(), "empty line");
            let sample = parse_sample(line);
            let family = family_of(&sample.name, &families).to_owned();
            assert_eq!(
                current.as_deref(),
                Some(family.as_str()),
                "sample {line:?} outside its family's block"
            );
            assert!(!finished.contains(&family), "family {family} split");
            families.get_mut(&family).unwrap().samples.push(sample);
        }
    }
    for (name, family) in &families {
        assert!(family.help && !family.kind.is_empty(), "{name}");
        assert!(name.starts_with("may_channel_"), "{name} lacks the prefix");
        match family.kind.as_str() {
            "counter" => assert!(name.ends_with("_total"), "counter {name} without _total"),
            _ => assert!(
                !name.ends_with("_total"),
                "non-counter {name} ends in _total"
            ),
        }
        if family.kind == "histogram" {
            check_histogram(name, family);
        }
        for s in &family.samples {
            if family.kind == "counter" || family.kind == "histogram" {
                assert!(s.value >= 0.0, "{s:?}");
            }
        }
    }
    families
}

fn check_histogram(name: &str, family: &Family) {
    assert!(
        name.ends_with("_seconds"),
        "time histogram {name} not in seconds"
    );
    // Group the samples by their labels without `le`.
    /// Per label set: `(le, cumulative count)` buckets, `_sum`, `_count`.
    type Series = (Vec<(f64, f64)>, Option<f64>, Option<f64>);
    let mut series: BTreeMap<Vec<(String, String)>, Series> = BTreeMap::new();
    for s in &family.samples {
        let mut key: Vec<_> = s.labels.clone().into_iter().collect();
        key.retain(|(k, _)| k != "le");
        let entry = series.entry(key).or_default();
        if s.name.ends_with("_bucket") {
            let le = parse_value(s.labels.get("le").expect("bucket without le"));
            entry.0.push((le, s.value));
        } else if s.name.ends_with("_sum") {
            entry.1 = Some(s.value);
        } else {
            assert!(s.name.ends_with("_count"));
            entry.2 = Some(s.value);
        }
    }
    for (labels, (buckets, sum, count)) in series {
        assert!(!buckets.is_empty(), "{name}{labels:?} has no buckets");
        for pair in buckets.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{name}{labels:?}: le not increasing");
            assert!(
                pair[0].1 <= pair[1].1,
                "{name}{labels:?}: buckets not cumulative"
            );
        }
        let (last_le, inf) = *buckets.last().unwrap();
        assert!(
            last_le.is_infinite(),
            "{name}{labels:?}: last bucket is not +Inf"
        );
        assert_eq!(count, Some(inf), "{name}{labels:?}: _count != +Inf bucket");
        assert!(sum.is_some_and(|s| s >= 0.0), "{name}{labels:?}: no _sum");
    }
}

fn send_some<F: may_channel::Flavor>(tx: &Sender<u32, F>, rx: &Receiver<u32, F>, n: u32, take: u32)
where
    F::Backpressure: may_channel::backpressure::HasSend,
{
    for i in 0..n {
        tx.send(i).unwrap();
    }
    for _ in 0..take {
        rx.recv().unwrap();
    }
}

/// An exporter over a few channels of different sinks and tricky labels.
fn sample_registry() -> (PrometheusExporter, Vec<Box<dyn std::any::Any>>) {
    let exporter = PrometheusExporter::new();
    let (a_tx, a_rx) = Timed::<16>::new();
    send_some(&a_tx, &a_rx, 10, 7);
    exporter
        .register_with_labels("orders", &[("stage", "ingest")], &a_tx)
        .unwrap();
    let (b_tx, b_rx) = Timed::<16>::new();
    send_some(&b_tx, &b_rx, 3, 3);
    exporter
        .register_with_labels("odd \"name\"\\\n", &[("stage", "a\\b")], &b_rx)
        .unwrap();
    let (c_tx, c_rx) = may_channel::flavors::InstrumentedUnbounded::new();
    send_some(&c_tx, &c_rx, 5, 0);
    exporter.register("invoices", &c_rx).unwrap();
    let (d_tx, d_rx) = Plain::new();
    send_some(&d_tx, &d_rx, 2, 1);
    exporter.register("plain", &d_tx).unwrap();
    let (e_tx, e_rx) = LatencyOnly::new();
    send_some(&e_tx, &e_rx, 4, 4);
    exporter.register("latency_only", &e_tx).unwrap();
    let keep: Vec<Box<dyn std::any::Any>> = vec![
        Box::new((a_tx, a_rx)),
        Box::new((b_tx, b_rx)),
        Box::new((c_tx, c_rx)),
        Box::new((d_tx, d_rx)),
        Box::new((e_tx, e_rx)),
    ];
    (exporter, keep)
}

fn value_of(families: &HashMap<String, Family>, name: &str, channel: &str) -> f64 {
    let family = families
        .get(family_of(name, families))
        .unwrap_or_else(|| panic!("no {name}"));
    family
        .samples
        .iter()
        .find(|s| s.name == name && s.labels["channel"] == channel && !s.labels.contains_key("le"))
        .unwrap_or_else(|| panic!("no {name} for {channel}"))
        .value
}

#[test]
fn prometheus_output_parses_back() {
    let (exporter, _keep) = sample_registry();
    assert_eq!(exporter.len(), 5);
    let text = exporter.render();
    let families = parse_exposition(&text);
    for (name, kind) in [
        ("may_channel_sent_total", "counter"),
        ("may_channel_received_total", "counter"),
        ("may_channel_dropped_total", "counter"),
        ("may_channel_blocked_seconds_total", "counter"),
        ("may_channel_queue_length", "gauge"),
        ("may_channel_capacity", "gauge"),
        ("may_channel_allocated_bytes", "gauge"),
        ("may_channel_queue_peak_length", "gauge"),
        ("may_channel_blocked_senders", "gauge"),
        ("may_channel_blocked_receivers", "gauge"),
        ("may_channel_queue_latency_seconds", "histogram"),
    ] {
        assert_eq!(families[name].kind, kind, "{name}");
    }
    assert_eq!(
        value_of(&families, "may_channel_sent_total", "orders"),
        10.0
    );
    assert_eq!(
        value_of(&families, "may_channel_received_total", "orders"),
        7.0
    );
    assert_eq!(
        value_of(&families, "may_channel_queue_length", "orders"),
        3.0
    );
    assert_eq!(value_of(&families, "may_channel_capacity", "orders"), 16.0);
    assert!(value_of(&families, "may_channel_allocated_bytes", "orders") >= 16.0 * 8.0);
    assert_eq!(
        value_of(&families, "may_channel_queue_length", "plain"),
        1.0
    );
    assert_eq!(
        value_of(&families, "may_channel_queue_length", "invoices"),
        5.0
    );
    assert_eq!(
        value_of(
            &families,
            "may_channel_queue_latency_seconds_count",
            "orders"
        ),
        7.0
    );
    assert_eq!(
        value_of(
            &families,
            "may_channel_queue_latency_seconds_count",
            "latency_only"
        ),
        4.0
    );
    // The escaped channel name reads back as written, with its other label.
    let odd = families["may_channel_sent_total"]
        .samples
        .iter()
        .find(|s| s.labels["channel"] == "odd \"name\"\\\n")
        .expect("escaped label value lost");
    assert_eq!(odd.labels["stage"], "a\\b");
    assert_eq!(odd.value, 3.0);
    // Unbounded channels have no capacity, NoMetrics ones no counters.
    let has = |family: &str, channel: &str| {
        families[family]
            .samples
            .iter()
            .any(|s| s.labels["channel"] == channel)
    };
    assert!(!has("may_channel_capacity", "invoices"));
    assert!(!has("may_channel_sent_total", "plain"));
    assert!(!has("may_channel_queue_latency_seconds", "invoices"));
}

#[test]
fn promtool_accepts_the_output() {
    let (exporter, _keep) = sample_registry();
    let text = exporter.render();
    let required = std::env::var("MAY_CHANNEL_REQUIRE_PROMTOOL").is_ok_and(|v| v == "1");
    let child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(err) if !required => {
            eprintln!(
                "promtool not runnable ({err}); skipped (set MAY_CHANNEL_REQUIRE_PROMTOOL=1 to require it)"
            );
            return;
        }
        Err(err) => panic!("promtool required but not runnable: {err}"),
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool rejected the output:\n{}{}\n---\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // promtool prints lint findings but still exits 0 for some of them.
    let findings = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        findings.trim().is_empty(),
        "promtool lint findings:\n{findings}"
    );
}

#[test]
fn dropped_channels_disappear() {
    let exporter = PrometheusExporter::new();
    let (tx, rx) = Timed::<4>::new::<u8>();
    exporter.register("gone", &tx).unwrap();
    assert_eq!(
        exporter.register("gone", &rx),
        Err(RegisterError::AlreadyRegistered("channel=\"gone\"".into()))
    );
    assert!(exporter.render().contains("channel=\"gone\""));
    drop((tx, rx));
    assert_eq!(exporter.render(), "");
    assert!(exporter.is_empty());
    // Its labels are free again.
    let (tx, _rx) = Timed::<4>::new::<u8>();
    exporter.register("gone", &tx).unwrap();
    assert_eq!(exporter.unregister("gone"), 1);
    assert_eq!(exporter.render(), "");
}

#[test]
fn bad_labels_are_refused() {
    let exporter = PrometheusExporter::new();
    let (tx, _rx) = Timed::<4>::new::<u8>();
    for bad in ["le", "channel", "__x", "a-b", "1a", ""] {
        assert_eq!(
            exporter.register_with_labels("c", &[(bad, "v")], &tx),
            Err(RegisterError::InvalidLabelName(bad.into()))
        );
    }
    assert_eq!(
        exporter.register_with_labels("c", &[("k", "1"), ("k", "2")], &tx),
        Err(RegisterError::DuplicateLabel("k".into()))
    );
    assert!(exporter.is_empty());
}

// ---------------------------------------------------------------------------
// /metrics over loopback.

fn http_get(addr: std::net::SocketAddr, request: &str) -> (String, String) {
    let mut client = std::net::TcpStream::connect(addr).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    client.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    client.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").expect("no header end");
    (head.to_owned(), body.to_owned())
}

#[test]
fn serves_metrics_over_loopback() {
    let (exporter, _keep) = sample_registry();
    let exporter = Arc::new(exporter);
    let server = MetricsServer::bind("127.0.0.1:0", exporter.clone()).unwrap();
    let addr = server.local_addr();
    assert!(addr.ip().is_loopback());

    let (head, body) = http_get(addr, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.contains(&format!("Content-Type: {}", exporter.content_type())));
    assert!(head.contains(&format!("Content-Length: {}", body.len())));
    parse_exposition(&body);
    assert!(body.contains("may_channel_sent_total{channel=\"orders\",stage=\"ingest\"} 10\n"));

    let (head, _) = http_get(addr, "GET /metrics?x=1 HTTP/1.0\r\n\r\n");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    let (head, _) = http_get(addr, "GET / HTTP/1.1\r\n\r\n");
    assert!(head.starts_with("HTTP/1.1 404 "), "{head}");
    let (head, _) = http_get(addr, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    assert!(head.starts_with("HTTP/1.1 405 "), "{head}");

    // A client that connects and says nothing does not take the server
    // down; the next one is served.
    drop(std::net::TcpStream::connect(addr).unwrap());
    let (head, _) = http_get(addr, "GET /metrics HTTP/1.1\r\n\r\n");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");

    assert_eq!(server.requests_served(), 5);
    server.shutdown();
}

#[test]
fn serves_from_a_coroutine_client() {
    let exporter = Arc::new(PrometheusExporter::new());
    let (tx, _rx) = Timed::<4>::new();
    tx.send(1u8).unwrap();
    exporter.register("co", &tx).unwrap();
    let server = MetricsServer::bind("127.0.0.1:0", exporter).unwrap();
    let addr = server.local_addr();
    let client = may::go!(move || {
        let mut stream = may::net::TcpStream::connect(addr).unwrap();
        stream.write_all(b"GET /metrics HTTP/1.1\r\n\r\n").unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    });
    let answer = client.join().unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.contains("may_channel_sent_total{channel=\"co\"} 1\n"));
    drop(server);
}
