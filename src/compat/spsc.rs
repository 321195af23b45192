//! Single-producer, single-consumer channels with the API of `may::sync::spsc`.
//!
//! Neither handle is `Clone`, and there is no `recv_timeout` (may's `spsc`
//! has none; [`Receiver::as_inner`] reaches one).
//! See [the module above](super) for what is kept and what differs.
//!
//! ```
//! use may_channel::compat::spsc; // was: use may::sync::spsc;
//! use std::sync::mpsc::TryRecvError;
//!
//! let (tx, rx) = spsc::channel();
//! assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
//! let producer = may::go!(move || {
//!     for i in 1..=3u32 {
//!         tx.send(i).unwrap();
//!     }
//! });
//! assert_eq!(rx.into_iter().sum::<u32>(), 6);
//! producer.join().unwrap();
//! ```

compat_channel! {
    may: "may::sync::spsc",
    kind: "single-producer, single-consumer",
    clone: [],
    recv_timeout: no,
}
