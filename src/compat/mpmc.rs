//! Multi-producer, multi-consumer channels with the API of `may::sync::mpmc`.
//!
//! Both handles are `Clone`; each message goes to exactly one receiver.
//! `Receiver::recv_timeout` exists, and so does may's `Sender::pressure`.
//! See [the module above](super) for what is kept and what differs.
//!
//! ```
//! use may_channel::compat::mpmc; // was: use may::sync::mpmc;
//!
//! let (tx, rx) = mpmc::channel();
//! let workers: Vec<_> = (0..3)
//!     .map(|_| {
//!         let rx = rx.clone();
//!         may::go!(move || rx.iter().map(|job: u64| job * 2).sum::<u64>())
//!     })
//!     .collect();
//! drop(rx);
//! for job in 1..=100 {
//!     tx.send(job).unwrap();
//! }
//! drop(tx); // the workers' iterators end once the queue is drained
//! let total: u64 = workers.into_iter().map(|w| w.join().unwrap()).sum();
//! assert_eq!(total, 2 * 5050);
//! ```

compat_channel! {
    may: "may::sync::mpmc",
    kind: "multi-producer, multi-consumer",
    clone: [Sender, Receiver],
    recv_timeout: yes,
}

impl<T> Sender<T> {
    /// How many messages are queued and not yet taken by a receiver (may's
    /// name for [`len`](crate::Sender::len)).
    pub fn pressure(&self) -> usize {
        self.0.len()
    }
}
