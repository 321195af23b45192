//! Deadlock detection over the wait-for graph of the registered channels.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;

use super::history::{Blocked, HolderSet};
use super::task::TaskId;
use crate::metrics::Side;

/// One registered channel as the detector sees it at one moment.
#[derive(Clone, Debug)]
pub(crate) struct WaitView {
    pub(crate) name: String,
    pub(crate) empty: bool,
    pub(crate) full: bool,
    pub(crate) disconnected: bool,
    pub(crate) blocked: Vec<Blocked>,
    /// Holders of `[senders, receivers]`.
    pub(crate) holders: [HolderSet; 2],
}

/// What one deadlocked task waits for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wait {
    /// The channel it is parked on (its name in the debugger).
    pub channel: String,
    /// Parked in a send or in a receive.
    pub side: Side,
}

/// A task caught in a deadlock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StuckTask {
    /// The coroutine or thread.
    pub task: TaskId,
    /// Where it is parked.
    pub waits: Vec<Wait>,
    /// The tasks that could wake it (they hold the other side of the
    /// channel it waits on), all of them stuck too.
    pub wakers: Vec<TaskId>,
}

/// A set of tasks that wait for each other: each is parked on a channel
/// whose other side is held only by tasks of the set (or of sets it waits
/// for), so none can ever be woken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deadlock {
    /// The tasks of the cycle, each waiting for the next ones.
    pub cycle: Vec<StuckTask>,
    /// Tasks outside the cycle that wait (directly or not) only for it.
    pub stuck_behind: Vec<StuckTask>,
}

impl Deadlock {
    /// The channels the cycle's tasks are parked on.
    pub fn channels(&self) -> BTreeSet<&str> {
        self.cycle
            .iter()
            .flat_map(|task| task.waits.iter().map(|wait| wait.channel.as_str()))
            .collect()
    }

    /// The tasks of the cycle.
    pub fn tasks(&self) -> Vec<TaskId> {
        self.cycle.iter().map(|task| task.task).collect()
    }
}

impl fmt::Display for StuckTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} waits to ", self.task)?;
        for (i, wait) in self.waits.iter().enumerate() {
            if i > 0 {
                f.write_str(" or ")?;
            }
            let verb = match wait.side {
                Side::Send => "send on",
                Side::Recv => "receive from",
            };
            write!(f, "{verb} `{}`", wait.channel)?;
        }
        f.write_str(", which only ")?;
        for (i, waker) in self.wakers.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{waker}")?;
        }
        f.write_str(" could serve")
    }
}

impl fmt::Display for Deadlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "deadlock: {} task(s) on {:?}",
            self.cycle.len(),
            self.channels()
        )?;
        for task in &self.cycle {
            writeln!(f, "  {task}")?;
        }
        for task in &self.stuck_behind {
            writeln!(f, "  (stuck behind it) {task}")?;
        }
        Ok(())
    }
}

/// The parks seen in both `first` and `second` (same task, channel, side
/// and episode): those lasted the whole time between the two reads.
pub(crate) fn lasting(first: &[WaitView], second: &mut [WaitView]) {
    let seen: HashSet<(usize, Blocked)> = first
        .iter()
        .enumerate()
        .flat_map(|(c, view)| view.blocked.iter().map(move |b| (c, *b)))
        .collect();
    for (c, view) in second.iter_mut().enumerate() {
        view.blocked.retain(|b| seen.contains(&(c, *b)));
    }
}

/// Finds the deadlocks among `views`.
///
/// A parked task is *stuck* when its channel agrees that it cannot proceed
/// now (a receiver on an empty channel, a sender on a full one, neither
/// disconnected). Its *wakers* are the known holders of the other side of
/// the channel; a task whose wakers are not all known (a holder set that
/// overflowed, or none known) is never reported. The deadlocked tasks are
/// the largest set of stuck tasks whose wakers all lie in the set: any task
/// that could still run would be a way out. Its cycles (strongly connected
/// components of the wait-for graph) are reported, each with the tasks that
/// wait only for it.
pub(crate) fn find(views: &[WaitView]) -> Vec<Deadlock> {
    // Task -> (waits, wakers); `None` wakers: some waker is unknown.
    let mut tasks: BTreeMap<TaskId, (Vec<Wait>, Option<BTreeSet<TaskId>>)> = BTreeMap::new();
    for view in views {
        for blocked in &view.blocked {
            let stuck = !view.disconnected
                && match blocked.side {
                    Side::Recv => view.empty,
                    Side::Send => view.full,
                };
            let entry = tasks
                .entry(blocked.task)
                .or_insert_with(|| (Vec::new(), Some(BTreeSet::new())));
            if !stuck {
                // It is about to be woken (or was): not deadlocked.
                entry.1 = None;
                continue;
            }
            entry.0.push(Wait {
                channel: view.name.clone(),
                side: blocked.side,
            });
            let other = match blocked.side {
                Side::Send => &view.holders[1],
                Side::Recv => &view.holders[0],
            };
            if !other.complete || other.tasks.is_empty() {
                entry.1 = None;
            } else if let Some(wakers) = &mut entry.1 {
                wakers.extend(other.tasks.iter().copied());
            }
        }
    }
    // The greatest set closed under "all wakers inside".
    let mut set: BTreeSet<TaskId> = tasks
        .iter()
        .filter(|(task, (_, wakers))| task.raw() != 0 && wakers.is_some())
        .map(|(task, _)| *task)
        .collect();
    loop {
        let before = set.len();
        let snapshot = set.clone();
        set.retain(|task| {
            tasks[task]
                .1
                .as_ref()
                .is_some_and(|wakers| wakers.iter().all(|w| snapshot.contains(w)))
        });
        if set.len() == before {
            break;
        }
    }
    let edges = |task: &TaskId| -> Vec<TaskId> {
        tasks[task]
            .1
            .as_ref()
            .map(|w| w.iter().copied().collect())
            .unwrap_or_default()
    };
    let stuck = |task: TaskId| StuckTask {
        task,
        waits: tasks[&task].0.clone(),
        wakers: edges(&task),
    };
    let components = strongly_connected(&set, &edges);
    let mut deadlocks: Vec<(BTreeSet<TaskId>, Deadlock)> = components
        .into_iter()
        .filter(|c| c.len() > 1 || edges(&c[0]).contains(&c[0]))
        .map(|c| {
            let members: BTreeSet<TaskId> = c.iter().copied().collect();
            let deadlock = Deadlock {
                cycle: c.into_iter().map(stuck).collect(),
                stuck_behind: Vec::new(),
            };
            (members, deadlock)
        })
        .collect();
    // Every other task of the set reaches a cycle: attach it to the first.
    let in_cycle: BTreeSet<TaskId> = deadlocks.iter().flat_map(|(m, _)| m.clone()).collect();
    for &task in set.iter().filter(|t| !in_cycle.contains(t)) {
        let mut seen = BTreeSet::from([task]);
        let mut frontier = vec![task];
        'search: while let Some(next) = frontier.pop() {
            for waker in edges(&next) {
                if let Some((_, deadlock)) = deadlocks.iter_mut().find(|(m, _)| m.contains(&waker))
                {
                    deadlock.stuck_behind.push(stuck(task));
                    break 'search;
                }
                if seen.insert(waker) {
                    frontier.push(waker);
                }
            }
        }
    }
    deadlocks.into_iter().map(|(_, d)| d).collect()
}

/// Tarjan's algorithm over `nodes` (edges leaving the set are ignored).
fn strongly_connected(
    nodes: &BTreeSet<TaskId>,
    edges: &dyn Fn(&TaskId) -> Vec<TaskId>,
) -> Vec<Vec<TaskId>> {
    struct State<'a> {
        nodes: &'a BTreeSet<TaskId>,
        edges: &'a dyn Fn(&TaskId) -> Vec<TaskId>,
        index: BTreeMap<TaskId, usize>,
        low: BTreeMap<TaskId, usize>,
        stack: Vec<TaskId>,
        on_stack: BTreeSet<TaskId>,
        out: Vec<Vec<TaskId>>,
    }
    fn visit(s: &mut State<'_>, v: TaskId) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in (s.edges)(&v) {
            if !s.nodes.contains(&w) {
                continue;
            }
            if !s.index.contains_key(&w) {
                visit(s, w);
                let low = s.low[&v].min(s.low[&w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(&w) {
                let low = s.low[&v].min(s.index[&w]);
                s.low.insert(v, low);
            }
        }
        if s.low[&v] == s.index[&v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(&w);
                component.push(w);
                if w == v {
                    break;
                }
            }
            component.reverse();
            s.out.push(component);
        }
    }
    let mut state = State {
        nodes,
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for &v in nodes {
        if !state.index.contains_key(&v) {
            visit(&mut state, v);
        }
    }
    state.out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(n: u64) -> TaskId {
        TaskId::from_raw(n)
    }

    fn holders(tasks: &[u64]) -> HolderSet {
        HolderSet {
            tasks: tasks.iter().map(|&n| task(n)).collect(),
            complete: true,
        }
    }

    fn recv_view(name: &str, blocked: u64, senders: &[u64], receivers: &[u64]) -> WaitView {
        WaitView {
            name: name.into(),
            empty: true,
            full: false,
            disconnected: false,
            blocked: vec![Blocked {
                task: task(blocked),
                side: Side::Recv,
                episode: 10 + blocked,
            }],
            holders: [holders(senders), holders(receivers)],
        }
    }

    #[test]
    fn two_tasks_waiting_for_each_other() {
        let views = [recv_view("a", 1, &[2], &[1]), recv_view("b", 2, &[1], &[2])];
        let found = find(&views);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].tasks(), [task(1), task(2)]);
        assert_eq!(found[0].channels(), BTreeSet::from(["a", "b"]));
        assert!(found[0].stuck_behind.is_empty());
    }

    #[test]
    fn a_running_waker_is_a_way_out() {
        // Task 3 also holds a sender of "a" and is not parked.
        let views = [
            recv_view("a", 1, &[2, 3], &[1]),
            recv_view("b", 2, &[1], &[2]),
        ];
        assert!(find(&views).is_empty());
    }

    #[test]
    fn unknown_or_overflowed_holders_are_never_called_a_deadlock() {
        let views = [recv_view("a", 1, &[], &[1])];
        assert!(find(&views).is_empty());
        let mut views = [recv_view("a", 1, &[2], &[1]), recv_view("b", 2, &[1], &[2])];
        views[0].holders[0].complete = false;
        assert!(find(&views).is_empty());
    }

    #[test]
    fn a_receiver_on_a_non_empty_channel_is_not_stuck() {
        let mut views = [recv_view("a", 1, &[2], &[1]), recv_view("b", 2, &[1], &[2])];
        views[1].empty = false;
        assert!(find(&views).is_empty());
    }

    #[test]
    fn a_task_waiting_on_a_cycle_is_stuck_behind_it() {
        let views = [
            recv_view("a", 1, &[2], &[1]),
            recv_view("b", 2, &[1], &[2]),
            recv_view("c", 3, &[1], &[3]),
        ];
        let found = find(&views);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].stuck_behind.len(), 1);
        assert_eq!(found[0].stuck_behind[0].task, task(3));
    }

    #[test]
    fn lasting_keeps_only_parks_seen_twice() {
        let first = [recv_view("a", 1, &[2], &[1])];
        let mut second = [recv_view("a", 1, &[2], &[1])];
        lasting(&first, &mut second);
        assert_eq!(second[0].blocked.len(), 1);
        second[0].blocked[0].episode += 1;
        let again = second.clone();
        lasting(&first, &mut second);
        assert!(second[0].blocked.is_empty());
        drop(again);
    }
}
