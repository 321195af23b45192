//! The select macros. One muncher (`__select_parse!`) serves all four: it
//! turns each branch into four fragments (set-up statements, an engine entry,
//! the operation to perform once the branch is chosen, and the body to run
//! with its result), using macro hygiene to give every branch its own
//! variables, then emits one loop around the engine.

/// Waits on several channel operations and completes exactly one, chosen
/// uniformly at random among the ready ones (so no branch starves).
///
/// Branches, separated by commas (optional after a block body):
/// - `recv(receiver) -> result => body`: `result` is
///   `Result<T, RecvError>`, `Err` once the channel is empty and
///   disconnected;
/// - `send(sender, value) -> result => body`: `result` is
///   `Result<(), SendError<T>>`;
/// - last, optionally: `default => body` (run when no branch is ready now)
///   or `default(timeout) => body` (run when none becomes ready in time).
///
/// Only the chosen branch takes a message; every other message stays in its
/// channel. The receiver and sender expressions are evaluated once, in order,
/// when the select starts. A send's `value` expression is evaluated only when
/// its branch is chosen and committed: on a rendezvous channel to a waiting
/// receiver, on a bounded channel over the crate's ring (`bounded(n)`,
/// `Bounded<N>`, `DynBounded`) or a bounded priority queue to room it
/// reserved, so an evaluated value is always sent (or handed back in `Err`
/// when the receivers are gone). On bounded queues that cannot reserve
/// (zero-copy `Slots`, work stealing over bounded queues, custom ones), in
/// the rare case that another sender takes the room
/// between the readiness check and the send, the value is kept for the next
/// round, and dropped unsent if the select then ends through another branch.
///
/// ```
/// use may_channel::{select, unbounded, bounded};
///
/// let (tx_a, rx_a) = unbounded::<u32>();
/// let (tx_b, rx_b) = bounded::<u32>(1);
/// tx_a.send(1).unwrap();
/// select! {
///     recv(rx_a) -> msg => assert_eq!(msg, Ok(1)),
///     send(tx_b, 2) -> res => assert_eq!(res, Ok(())),
/// }
/// // Whichever branch won, the other operation did not happen: either the
/// // message left `rx_a` and nothing reached `rx_b`, or the reverse.
/// assert!((rx_a.len(), rx_b.len()) == (0, 0) || (rx_a.len(), rx_b.len()) == (1, 1));
/// ```
///
/// Malformed input is a compile error that shows the expected syntax:
///
/// ```compile_fail
/// let (tx, rx) = may_channel::unbounded::<u32>();
/// may_channel::select! { recv(rx) => {} }
/// ```
#[macro_export]
macro_rules! select {
    ($($tokens:tt)*) => {
        $crate::__select_parse!(@start (Random, plain, "select!") $($tokens)*)
    };
}

/// Like [`select!`], but a ready branch is chosen with probability
/// proportional to its weight (a `u32`; 0 disables the branch):
/// `recv(receiver, weight) -> result => body`,
/// `send(sender, value, weight) -> result => body`.
///
/// ```
/// use may_channel::{select_weighted, unbounded};
///
/// let (urgent_tx, urgent) = unbounded::<&str>();
/// let (bulk_tx, bulk) = unbounded::<&str>();
/// for _ in 0..100 {
///     urgent_tx.send("urgent").unwrap();
///     bulk_tx.send("bulk").unwrap();
/// }
/// let mut urgent_first = 0;
/// for _ in 0..100 {
///     select_weighted! {
///         recv(urgent, 9) -> _ => urgent_first += 1,
///         recv(bulk, 1) -> _ => {},
///     }
/// }
/// assert!(urgent_first > 50); // about 90 expected
/// ```
///
/// Every branch needs a weight:
///
/// ```compile_fail
/// let (tx, rx) = may_channel::unbounded::<u32>();
/// may_channel::select_weighted! { recv(rx) -> _ => {} }
/// ```
#[macro_export]
macro_rules! select_weighted {
    ($($tokens:tt)*) => {
        $crate::__select_parse!(@start (Weighted, weighted, "select_weighted!") $($tokens)*)
    };
}

/// Like [`select!`], but the first ready branch in written order wins.
///
/// ```
/// use may_channel::{select_priority, unbounded};
///
/// let (control_tx, control) = unbounded::<&str>();
/// let (data_tx, data) = unbounded::<u32>();
/// data_tx.send(1).unwrap();
/// control_tx.send("stop").unwrap();
/// select_priority! {
///     recv(control) -> cmd => assert_eq!(cmd, Ok("stop")),
///     recv(data) -> _ => unreachable!("control is ready and comes first"),
/// }
/// ```
#[macro_export]
macro_rules! select_priority {
    ($($tokens:tt)*) => {
        $crate::__select_parse!(@start (Priority, plain, "select_priority!") $($tokens)*)
    };
}

/// Like [`select!`], with a guard on each branch, written after the pattern:
/// `recv(receiver) -> result if guard => body`,
/// `send(sender, value) -> result if guard => body`. Guards are evaluated
/// once when the select starts (they cannot see `result`); a false guard
/// removes its branch for this call.
///
/// ```
/// use may_channel::{select_if, unbounded};
///
/// let (tx, rx) = unbounded::<u32>();
/// let (spare_tx, spare) = unbounded::<u32>();
/// tx.send(1).unwrap();
/// spare_tx.send(2).unwrap();
/// let accept_main = false;
/// select_if! {
///     recv(rx) -> _ if accept_main => unreachable!("guard is false"),
///     recv(spare) -> msg if true => assert_eq!(msg, Ok(2)),
/// }
/// assert_eq!(rx.len(), 1, "the guarded-off channel kept its message");
/// ```
///
/// Every branch needs a guard:
///
/// ```compile_fail
/// let (tx, rx) = may_channel::unbounded::<u32>();
/// may_channel::select_if! { recv(rx) -> _ => {} }
/// ```
#[macro_export]
macro_rules! select_if {
    ($($tokens:tt)*) => {
        $crate::__select_parse!(@start (Random, guarded, "select_if!") $($tokens)*)
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __select_parse {
    // ------------------------------------------------------------- start
    (@start ($rule:ident, $syntax:ident, $name:literal) $($tokens:tt)*) => {
        $crate::__select_parse!(
            @branches ($rule, $syntax, $name, __chosen) (0) {} {} {} {}
            {::core::option::Option::None} {}
            $($tokens)*
        )
    };

    // ------------------------------------------------------------- finish
    (@branches ($rule:ident, $syntax:ident, $name:literal, $chosen:ident) (0) {} {} {} {}
        {::core::option::Option::None} {}
    ) => {
        ::core::compile_error!(::core::concat!(
            $name, " needs at least one `recv(..)` or `send(..)` branch"
        ))
    };
    (@branches ($rule:ident, $syntax:ident, $name:literal, $chosen:ident) ($($idx:tt)*)
        {$($lets:tt)*} {$($entries:tt)*} {$($dispatch:tt)*} {$($bodies:tt)*}
        {$deadline:expr} {$($default:tt)*}
    ) => {{
        $($lets)*
        let __branches: &[$crate::select::__private::Branch<'_>] = &[$($entries)*];
        let __deadline: ::core::option::Option<$crate::select::__private::Instant> = $deadline;
        loop {
            match $crate::select::__private::ready_index(
                __branches,
                $crate::select::__private::Rule::$rule,
                __deadline,
            ) {
                ::core::option::Option::None => break,
                ::core::option::Option::Some($chosen) => { $($dispatch)* }
            }
        }
        $($bodies)* {
            $crate::__select_parse!(@default_body $($default)*)
        }
    }};
    (@default_body) => {
        ::core::unreachable!("a select without a default branch only ends through a branch")
    };
    (@default_body $body:expr) => {
        $body
    };

    // ---------------------------------------------------- branch heads
    (@branches ($rule:ident, plain, $name:literal, $chosen:ident) $idx:tt $lets:tt $entries:tt
        $dispatch:tt $bodies:tt $deadline:tt $default:tt
        recv($rx:expr) -> $res:pat => $($rest:tt)*
    ) => {
        $crate::__select_parse!(@body ($rule, plain, $name, $chosen) $idx $lets $entries $dispatch
            $bodies $deadline $default [recv ($rx) (1u32) (true) ($res)] $($rest)*)
    };
    (@branches ($rule:ident, plain, $name:literal, $chosen:ident) $idx:tt $lets:tt $entries:tt
        $dispatch:tt $bodies:tt $deadline:tt $default:tt
        send($tx:expr, $value:expr) -> $res:pat => $($rest:tt)*
    ) => {
        $crate::__select_parse!(@body ($rule, plain, $name, $chosen) $idx $lets $entries $dispatch
            $bodies $deadline $default [send ($tx) ($value) (1u32) (true) ($res)] $($rest)*)
    };
    (@branches ($rule:ident, weighted, $name:literal, $chosen:ident) $idx:tt $lets:tt $entries:tt
        $dispatch:tt $bodies:tt $deadline:tt $default:tt
        recv($rx:expr, $weight:expr) -> $res:pat => $($rest:tt)*
    ) => {
        $crate::__select_parse!(@body ($rule, weighted, $name, $chosen) $idx $lets $entries
            $dispatch $bodies $deadline $default [recv ($rx) ($weight) (true) ($res)] $($rest)*)
    };
    (@branches ($rule:ident, weighted, $name:literal, $chosen:ident) $idx:tt $lets:tt $entries:tt
        $dispatch:tt $bodies:tt $deadline:tt $default:tt
        send($tx:expr, $value:expr, $weight:expr) -> $res:pat => $($rest:tt)*
    ) => {
        $crate::__select_parse!(@body ($rule, weighted, $name, $chosen) $idx $lets $entries
            $dispatch $bodies $deadline $default [send ($tx) ($value) ($weight) (true) ($res)]
            $($rest)*)
    };
    (@branches ($rule:ident, guarded, $name:literal, $chosen:ident) $idx:tt $lets:tt $entries:tt
        $dispatch:tt $bodies:tt $deadline:tt $default:tt
        recv($rx:expr) -> $res:pat if $guard:expr => $($rest:tt)*
    ) => {
        $crate::__select_parse!(@body ($rule, guarded, $name, $chosen) $idx $lets $entries
            $dispatch $bodies $deadline $default [recv ($rx) (1u32) ($guard) ($res)] $($rest)*)
    };
    (@branches ($rule:ident, guarded, $name:literal, $chosen:ident) $idx:tt $lets:tt $entries:tt
        $dispatch:tt $bodies:tt $deadline:tt $default:tt
        send($tx:expr, $value:expr) -> $res:pat if $guard:expr => $($rest:tt)*
    ) => {
        $crate::__select_parse!(@body ($rule, guarded, $name, $chosen) $idx $lets $entries
            $dispatch $bodies $deadline $default [send ($tx) ($value) (1u32) ($guard) ($res)]
            $($rest)*)
    };
    (@branches $cfg:tt $idx:tt $lets:tt $entries:tt $dispatch:tt $bodies:tt
        {::core::option::Option::None} {} default => $($rest:tt)*
    ) => {
        $crate::__select_parse!(@body $cfg $idx $lets $entries $dispatch $bodies
            {::core::option::Option::None} {} [default (::core::time::Duration::ZERO)] $($rest)*)
    };
    (@branches $cfg:tt $idx:tt $lets:tt $entries:tt $dispatch:tt $bodies:tt
        {::core::option::Option::None} {} default($timeout:expr) => $($rest:tt)*
    ) => {
        $crate::__select_parse!(@body $cfg $idx $lets $entries $dispatch $bodies
            {::core::option::Option::None} {} [default ($timeout)] $($rest)*)
    };
    (@branches ($rule:ident, $syntax:ident, $name:literal, $chosen:ident) $idx:tt $lets:tt
        $entries:tt $dispatch:tt $bodies:tt $deadline:tt {$($default:tt)+} $($rest:tt)+
    ) => {
        ::core::compile_error!(::core::concat!(
            $name, ": `default` must be the last branch, and there can be only one"
        ))
    };

    // ------------------------------------------------------ bad branches
    (@branches ($rule:ident, plain, $name:literal, $chosen:ident) $($rest:tt)*) => {
        ::core::compile_error!(::core::concat!(
            $name, ": expected `recv(receiver) -> pattern => body`, ",
            "`send(sender, value) -> pattern => body`, `default => body` ",
            "or `default(timeout) => body`, separated by commas"
        ))
    };
    (@branches ($rule:ident, weighted, $name:literal, $chosen:ident) $($rest:tt)*) => {
        ::core::compile_error!(::core::concat!(
            $name, ": expected `recv(receiver, weight) -> pattern => body`, ",
            "`send(sender, value, weight) -> pattern => body`, `default => body` ",
            "or `default(timeout) => body`, separated by commas; every branch needs a weight"
        ))
    };
    (@branches ($rule:ident, guarded, $name:literal, $chosen:ident) $($rest:tt)*) => {
        ::core::compile_error!(::core::concat!(
            $name, ": expected `recv(receiver) -> pattern if guard => body`, ",
            "`send(sender, value) -> pattern if guard => body`, `default => body` ",
            "or `default(timeout) => body`, separated by commas; every branch needs a guard"
        ))
    };

    // ------------------------------------------------------------- bodies
    (@body $cfg:tt $idx:tt $lets:tt $entries:tt $dispatch:tt $bodies:tt $deadline:tt $default:tt
        $branch:tt $body:block , $($rest:tt)*
    ) => {
        $crate::__select_parse!(@push $cfg $idx $lets $entries $dispatch $bodies $deadline
            $default $branch ($body) $($rest)*)
    };
    (@body $cfg:tt $idx:tt $lets:tt $entries:tt $dispatch:tt $bodies:tt $deadline:tt $default:tt
        $branch:tt $body:block $($rest:tt)*
    ) => {
        $crate::__select_parse!(@push $cfg $idx $lets $entries $dispatch $bodies $deadline
            $default $branch ($body) $($rest)*)
    };
    (@body $cfg:tt $idx:tt $lets:tt $entries:tt $dispatch:tt $bodies:tt $deadline:tt $default:tt
        $branch:tt $body:expr , $($rest:tt)*
    ) => {
        $crate::__select_parse!(@push $cfg $idx $lets $entries $dispatch $bodies $deadline
            $default $branch ($body) $($rest)*)
    };
    (@body $cfg:tt $idx:tt $lets:tt $entries:tt $dispatch:tt $bodies:tt $deadline:tt $default:tt
        $branch:tt $body:expr
    ) => {
        $crate::__select_parse!(@push $cfg $idx $lets $entries $dispatch $bodies $deadline
            $default $branch ($body))
    };
    (@body ($rule:ident, $syntax:ident, $name:literal, $chosen:ident) $($rest:tt)*) => {
        ::core::compile_error!(::core::concat!($name, ": expected a body after `=>`"))
    };

    // ----------------------------------------------------- one branch
    (@push ($rule:ident, $syntax:ident, $name:literal, $chosen:ident) ($($idx:tt)*)
        {$($lets:tt)*} {$($entries:tt)*} {$($dispatch:tt)*} {$($bodies:tt)*} $deadline:tt
        $default:tt [recv ($rx:expr) ($weight:expr) ($guard:expr) ($res:pat)] ($body:expr)
        $($rest:tt)*
    ) => {
        $crate::__select_parse!(@branches ($rule, $syntax, $name, $chosen) ($($idx)* + 1)
            {
                $($lets)*
                let __handle = &$rx;
                let __op = $crate::select::__private::SelectHandle::__op(__handle);
                let mut __out = ::core::option::Option::None;
            }
            {
                $($entries)*
                $crate::select::__private::Branch::new(&__op, $weight, $guard),
            }
            {
                $($dispatch)*
                if $chosen == $($idx)* {
                    match __op.try_recv() {
                        ::core::result::Result::Ok(msg) => {
                            __out = ::core::option::Option::Some(::core::result::Result::Ok(msg));
                            break;
                        }
                        ::core::result::Result::Err($crate::TryRecvError::Disconnected) => {
                            __out = ::core::option::Option::Some(
                                ::core::result::Result::Err($crate::RecvError),
                            );
                            break;
                        }
                        // Taken by a competitor since the readiness check:
                        // nothing was received here; wait again.
                        ::core::result::Result::Err($crate::TryRecvError::Empty) => {}
                    }
                }
            }
            {
                $($bodies)*
                if let ::core::option::Option::Some(__result) = __out {
                    let $res = __result;
                    $body
                } else
            }
            $deadline $default $($rest)*)
    };
    (@push ($rule:ident, $syntax:ident, $name:literal, $chosen:ident) ($($idx:tt)*)
        {$($lets:tt)*} {$($entries:tt)*} {$($dispatch:tt)*} {$($bodies:tt)*} $deadline:tt
        $default:tt [send ($tx:expr) ($value:expr) ($weight:expr) ($guard:expr) ($res:pat)]
        ($body:expr) $($rest:tt)*
    ) => {
        $crate::__select_parse!(@branches ($rule, $syntax, $name, $chosen) ($($idx)* + 1)
            {
                $($lets)*
                let __handle = &$tx;
                let __op = $crate::select::__private::SelectHandle::__op(__handle);
                let mut __value = ::core::option::Option::None;
                let mut __out = ::core::option::Option::None;
            }
            {
                $($entries)*
                $crate::select::__private::Branch::new(&__op, $weight, $guard),
            }
            {
                $($dispatch)*
                if $chosen == $($idx)* {
                    // Committed first (a rendezvous receiver met), then the
                    // value is evaluated; `None`: the receiver went to a
                    // competitor, nothing evaluated, wait again.
                    if let ::core::option::Option::Some(__commit) = __op.commit() {
                        let msg = match __value.take() {
                            ::core::option::Option::Some(msg) => msg,
                            ::core::option::Option::None => $value,
                        };
                        match __commit.send(msg) {
                            ::core::result::Result::Ok(::core::result::Result::Ok(())) => {
                                __out = ::core::option::Option::Some(::core::result::Result::Ok(()));
                                break;
                            }
                            ::core::result::Result::Ok(::core::result::Result::Err(msg)) => {
                                __out = ::core::option::Option::Some(
                                    ::core::result::Result::Err($crate::SendError(msg)),
                                );
                                break;
                            }
                            // A buffered channel's room went to a
                            // competitor: keep the value for the next round.
                            ::core::result::Result::Err(msg) => {
                                __value = ::core::option::Option::Some(msg);
                            }
                        }
                    }
                }
            }
            {
                $($bodies)*
                if let ::core::option::Option::Some(__result) = __out {
                    let $res = __result;
                    $body
                } else
            }
            $deadline $default $($rest)*)
    };
    (@push $cfg:tt $idx:tt $lets:tt $entries:tt $dispatch:tt $bodies:tt
        {::core::option::Option::None} {} [default ($timeout:expr)] ($body:expr) $($rest:tt)*
    ) => {
        $crate::__select_parse!(@branches $cfg $idx $lets $entries $dispatch $bodies
            {$crate::select::__private::Instant::now().checked_add($timeout)}
            {$body} $($rest)*)
    };
}
