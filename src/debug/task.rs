//! Who is running: a [`TaskId`] for the current coroutine or OS thread, and
//! the per-task state the [`History`](super::History) sink keeps.

use std::cell::Cell;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, OnceLock};

use crate::sync::Ordering;
use crate::sync::global::AtomicU64;

/// A may coroutine or an OS thread, as the debugger names it.
///
/// Ids are assigned lazily, the first time a task touches a channel with a
/// [`History`](super::History) sink (or calls [`name_task`]), from one
/// process-wide counter, so they are unique across coroutines and threads and
/// never reused. Displayed as `coroutine #7` or `thread #2`, followed by the
/// task's name when it has one (a named thread or coroutine, or
/// [`name_task`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(u64);

/// The bit of a raw task id that marks a coroutine.
const COROUTINE_BIT: u64 = 1 << 63;

impl TaskId {
    /// A task that could not be identified (a hook running while its thread's
    /// local storage is being torn down).
    pub const UNKNOWN: TaskId = TaskId(0);

    /// Whether the task is a may coroutine (rather than an OS thread).
    pub fn is_coroutine(self) -> bool {
        self.0 & COROUTINE_BIT != 0
    }

    /// The task's number, unique among all tasks of the process.
    pub fn number(self) -> u64 {
        self.0 & !COROUTINE_BIT
    }

    /// The id as one word (for the lock-free tables; 0 is "none").
    pub(crate) fn raw(self) -> u64 {
        self.0
    }

    pub(crate) fn from_raw(raw: u64) -> Self {
        Self(raw)
    }

    /// The name given to the task, if any.
    pub fn name(self) -> Option<String> {
        names()
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&self.0)
            .cloned()
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Self::UNKNOWN {
            return f.write_str("unknown task");
        }
        let kind = if self.is_coroutine() {
            "coroutine"
        } else {
            "thread"
        };
        write!(f, "{kind} #{}", self.number())?;
        if let Some(name) = self.name() {
            write!(f, " ({name})")?;
        }
        Ok(())
    }
}

impl fmt::Debug for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The next task number (0 is [`TaskId::UNKNOWN`]).
static NEXT_TASK: AtomicU64 = AtomicU64::new(1);

/// At most this many task names are kept (a program that names every one of
/// millions of short coroutines must not grow this table without end).
const MAX_NAMES: usize = 4096;

fn names() -> &'static Mutex<HashMap<u64, String>> {
    static NAMES: OnceLock<Mutex<HashMap<u64, String>>> = OnceLock::new();
    NAMES.get_or_init(|| Mutex::new(HashMap::new()))
}

fn set_name(id: TaskId, name: &str) {
    let mut names = names()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if names.len() < MAX_NAMES || names.contains_key(&id.0) {
        names.insert(id.0, name.to_owned());
    }
}

/// What the debugger keeps for the running task, in coroutine-local storage
/// inside a coroutine and thread-local storage otherwise.
pub(crate) struct TaskState {
    pub(crate) id: TaskId,
    /// The last message this task received on a History channel (0: none):
    /// the parent of the messages it sends next.
    pub(crate) current: Cell<u64>,
    /// The message this task stamped last, and on which channel: `on_send`
    /// reads it back (the hook itself gets no stamp).
    pub(crate) pending: Cell<(u64, u64)>,
    /// The channel whose senders' holder set last recorded this task (a
    /// one-entry cache that spares the set's scan on every send).
    pub(crate) holds_send: Cell<u64>,
    /// As `holds_send`, for receivers.
    pub(crate) holds_recv: Cell<u64>,
}

impl TaskState {
    fn new(coroutine: bool) -> Self {
        // Relaxed: a unique number is all that is needed; it publishes nothing.
        let number = NEXT_TASK.fetch_add(1, Ordering::Relaxed);
        let id = TaskId(if coroutine {
            number | COROUTINE_BIT
        } else {
            number
        });
        let name = if coroutine {
            may::coroutine::current().name().map(str::to_owned)
        } else {
            std::thread::current().name().map(str::to_owned)
        };
        if let Some(name) = name {
            set_name(id, &name);
        }
        Self::with_id(id)
    }

    fn with_id(id: TaskId) -> Self {
        Self {
            id,
            current: Cell::new(0),
            pending: Cell::new((0, 0)),
            holds_send: Cell::new(0),
            holds_recv: Cell::new(0),
        }
    }
}

thread_local! {
    static THREAD_TASK: TaskState = TaskState::new(false);
}

may::coroutine_local! {
    static COROUTINE_TASK: TaskState = TaskState::new(true)
}

/// Runs `f` with the current task's state.
///
/// Out of line: inlined into a function that parks, the thread-locals'
/// addresses (ours and may's) would be computed once and reused after a may
/// coroutine resumed on another worker, attributing its operations to
/// another task (see DESIGN.md, "Thread-local state").
#[inline(never)]
pub(crate) fn with_task<R>(f: impl FnOnce(&TaskState) -> R) -> R {
    if may::coroutine::is_coroutine() {
        return COROUTINE_TASK.with(f);
    }
    let mut f = Some(f);
    match THREAD_TASK.try_with(|task| (f.take().expect("called once"))(task)) {
        Ok(result) => result,
        // The thread's locals are being destroyed (a handle dropped by a
        // thread-local destructor): the task cannot be told.
        Err(_) => (f.take().expect("not called"))(&TaskState::with_id(TaskId::UNKNOWN)),
    }
}

/// The current coroutine's or thread's id.
pub fn current_task() -> TaskId {
    with_task(|task| task.id)
}

/// Names the current coroutine or thread in the debugger's reports (a named
/// thread or coroutine is already known by its name).
pub fn name_task(name: &str) {
    set_name(current_task(), name);
}
