//! Multi-producer, single-consumer channels with the API of `may::sync::mpsc`.
//!
//! `Sender` is `Clone`, `Receiver` is not; `Receiver::recv_timeout` exists.
//! See [the module above](super) for what is kept and what differs.
//!
//! ```
//! use may_channel::compat::mpsc; // was: use may::sync::mpsc;
//! use std::sync::mpsc::RecvError;
//!
//! let (tx, rx) = mpsc::channel();
//! let tx2 = tx.clone();
//! may::go!(move || tx.send("from a coroutine").unwrap());
//! std::thread::spawn(move || tx2.send("from a thread").unwrap());
//! let mut got: Vec<&str> = rx.iter().collect(); // ends when both senders are gone
//! got.sort();
//! assert_eq!(got, ["from a coroutine", "from a thread"]);
//! assert_eq!(rx.recv(), Err(RecvError));
//! ```

compat_channel! {
    may: "may::sync::mpsc",
    kind: "multi-producer, single-consumer",
    clone: [Sender],
    recv_timeout: yes,
}
