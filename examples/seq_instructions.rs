//! The `seq` workload, for instruction counts: one thread sends a message
//! and then receives it, `messages` times, on one channel. Run it under
//! callgrind twice with different message counts and divide the difference
//! of the two totals by the difference of the counts: what is left is the
//! channel's cost per message, without start-up (`scripts/instructions.sh`
//! does exactly that for every contender).
//!
//! `cargo run --release --example seq_instructions -- <channel> <messages>`,
//! where `<channel>` is one of the names `CHANNELS` lists.

use std::hint::black_box;

/// The contenders, by name.
const CHANNELS: &[&str] = &[
    "unbounded",
    "bounded1024",
    "spsc",
    "spsc_bounded1024",
    "crossbeam_unbounded",
    "crossbeam_bounded1024",
    "kanal_unbounded",
    "kanal_bounded1024",
    "may_spsc",
    "may_mpmc",
];

/// Sends then receives `messages` times through `send` and `recv`.
fn seq(messages: usize, send: impl Fn(usize), recv: impl Fn() -> usize) {
    for i in 0..messages {
        send(i);
        black_box(recv());
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = || -> ! {
        eprintln!("usage: seq_instructions <channel> <messages>; channels: {CHANNELS:?}");
        std::process::exit(2)
    };
    let channel = args.next().unwrap_or_else(|| usage());
    let messages: usize = args
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| usage());
    match channel.as_str() {
        "unbounded" => {
            let (tx, rx) = may_channel::unbounded();
            seq(messages, |i| tx.send(i).unwrap(), || rx.recv().unwrap());
        }
        "bounded1024" => {
            let (tx, rx) = may_channel::bounded(1024);
            seq(messages, |i| tx.send(i).unwrap(), || rx.recv().unwrap());
        }
        "spsc" => {
            let (tx, rx) = may_channel::spsc::channel();
            seq(messages, |i| tx.send(i).unwrap(), || rx.recv().unwrap());
        }
        "spsc_bounded1024" => {
            let (tx, rx) = may_channel::spsc::bounded::<usize, 1024>();
            seq(messages, |i| tx.send(i).unwrap(), || rx.recv().unwrap());
        }
        "crossbeam_unbounded" => {
            let (tx, rx) = crossbeam_channel::unbounded();
            seq(messages, |i| tx.send(i).unwrap(), || rx.recv().unwrap());
        }
        "crossbeam_bounded1024" => {
            let (tx, rx) = crossbeam_channel::bounded(1024);
            seq(messages, |i| tx.send(i).unwrap(), || rx.recv().unwrap());
        }
        "kanal_unbounded" => {
            let (tx, rx) = kanal::unbounded();
            seq(messages, |i| tx.send(i).unwrap(), || rx.recv().unwrap());
        }
        "kanal_bounded1024" => {
            let (tx, rx) = kanal::bounded(1024);
            seq(messages, |i| tx.send(i).unwrap(), || rx.recv().unwrap());
        }
        "may_spsc" => {
            let (tx, rx) = may::sync::spsc::channel();
            seq(messages, |i| tx.send(i).unwrap(), || rx.recv().unwrap());
        }
        "may_mpmc" => {
            let (tx, rx) = may::sync::mpmc::channel();
            seq(messages, |i| tx.send(i).unwrap(), || rx.recv().unwrap());
        }
        _ => usage(),
    }
}
