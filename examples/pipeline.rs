//! A sensor pipeline with Rx-style operators, in may coroutines.
//!
//! Three sensors publish noisy temperature readings. The pipeline
//! - drops readings outside the plausible range (`filter`),
//! - converts them (`map`),
//! - lets a chattering door sensor settle before reporting it (`debounce`),
//! - groups readings for the database in batches of up to 16, or whatever
//!   arrived within 50 ms (`batch_timeout`),
//! - and merges the batches with a control channel (`merge`), so the writer
//!   reacts to commands while data flows.
//!
//! Run with `cargo run --release --example pipeline`.

use std::time::{Duration, Instant};

use may_channel::flavors::{BoundedBlocking, UnboundedMpmc};
use may_channel::ops::Source;

/// What the database writer receives: a batch of readings or a command.
#[derive(Debug)]
enum Event {
    Readings(Vec<(usize, f64)>),
    DoorSettled(bool),
    Command(&'static str),
}

fn main() {
    may::config().set_workers(2);
    let started = Instant::now();

    // Raw readings in tenths of a degree; the channel is bounded, so a slow
    // pipeline slows the sensors instead of piling up memory.
    let (readings_tx, readings_rx) = BoundedBlocking::<64>::new::<(usize, i32)>();
    let (door_tx, door_rx) = UnboundedMpmc::new::<bool>();
    let (control_tx, control_rx) = UnboundedMpmc::new::<&'static str>();

    let sensors: Vec<_> = (0..3)
        .map(|sensor| {
            let tx = readings_tx.clone();
            may::go!(move || {
                for step in 0..200 {
                    // Every 37th reading is a glitch far outside the range.
                    let tenths = if step % 37 == 5 {
                        9_999
                    } else {
                        200 + sensor as i32 * 10 + step % 7
                    };
                    tx.send((sensor, tenths)).unwrap();
                    if step % 20 == 0 {
                        may::coroutine::sleep(Duration::from_millis(2));
                    }
                }
            })
        })
        .collect();
    drop(readings_tx);

    // The door chatters: open/closed flips quickly, then settles twice.
    let door_sensor = may::go!(move || {
        for settle in [true, false] {
            for flip in 0..6 {
                door_tx.send(flip % 2 == 0).unwrap();
                may::coroutine::sleep(Duration::from_millis(1));
            }
            door_tx.send(settle).unwrap();
            may::coroutine::sleep(Duration::from_millis(60));
        }
    });

    let operator = may::go!(move || {
        may::coroutine::sleep(Duration::from_millis(30));
        control_tx.send("checkpoint").unwrap();
    });

    let readings = readings_rx
        .filter(|&(_, tenths)| (-400..=600).contains(&tenths))
        .map(|(sensor, tenths)| (sensor, f64::from(tenths) / 10.0))
        .batch_timeout(16, Duration::from_millis(50))
        .map(Event::Readings);
    let door = door_rx
        .debounce(Duration::from_millis(20))
        .map(Event::DoorSettled);
    let control = control_rx.map(Event::Command);
    let events = readings.merge(door).merge(control);

    let writer = may::go!(move || {
        let (mut batches, mut stored, mut door_reports, mut commands) =
            (0, 0, Vec::new(), Vec::new());
        for event in events {
            match event {
                Event::Readings(batch) => {
                    batches += 1;
                    stored += batch.len();
                }
                Event::DoorSettled(open) => door_reports.push(open),
                Event::Command(command) => commands.push(command),
            }
        }
        (batches, stored, door_reports, commands)
    });

    for sensor in sensors {
        sensor.join().unwrap();
    }
    door_sensor.join().unwrap();
    operator.join().unwrap();
    let (batches, stored, door_reports, commands) = writer.join().unwrap();

    let glitches = 3 * (0..200).filter(|step| step % 37 == 5).count();
    println!("sensor pipeline finished in {:?}", started.elapsed());
    println!("  readings stored: {stored} in {batches} batches ({glitches} glitches filtered out)");
    println!("  door settled:    {door_reports:?} (from 14 raw flips)");
    println!("  commands seen:   {commands:?}");
    assert_eq!(
        stored,
        3 * 200 - glitches,
        "every plausible reading reached the writer once"
    );
    // On an idle machine exactly [true, false]; a heavily loaded one may stall
    // the door coroutine mid-chatter long enough to report an extra state, but
    // the last report is always the final settled state.
    assert_eq!(
        door_reports.last(),
        Some(&false),
        "the door's final settled state is reported"
    );
    assert_eq!(commands, ["checkpoint"]);
    println!("all checks passed");
}
