//! The machine's NUMA topology: its nodes, their CPUs, and how far apart
//! they are.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use crate::error::BuildError;

/// The largest CPU number a [`Topology`] accepts, plus one (Linux builds
/// for at most 8192 CPUs; placement keeps a table indexed by CPU).
pub const MAX_CPUS: usize = 1 << 16;

/// One NUMA node: its operating-system id and the CPUs it holds (empty for
/// a memory-only node).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumaNode {
    /// The node's id as the system numbers it (`nodeN` in sysfs).
    pub id: usize,
    /// The CPUs (logical processors) on this node, ascending.
    pub cpus: Vec<usize>,
}

impl NumaNode {
    /// A node with id `id` holding `cpus` (sorted and deduplicated here).
    pub fn new(id: usize, cpus: impl IntoIterator<Item = usize>) -> Self {
        let mut cpus: Vec<usize> = cpus.into_iter().collect();
        cpus.sort_unstable();
        cpus.dedup();
        NumaNode { id, cpus }
    }
}

/// Where a [`Topology`] came from, as [`Topology::source`] reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TopologySource {
    /// Read from a sysfs tree (`/sys/devices/system/node`, or the path
    /// given to [`Topology::from_sysfs`]).
    Sysfs(String),
    /// Read through hwloc (feature `hwloc`).
    Hwloc,
    /// Built by the caller ([`Topology::new`], [`Topology::single_node`]).
    Synthetic,
    /// Nothing was found (no sysfs node directory, or hwloc failed): one
    /// node holding every CPU the standard library reports. The string
    /// says why.
    Fallback(String),
}

/// A NUMA topology: nodes, their CPUs, and optionally the distance matrix
/// between nodes (as the firmware's SLIT reports it: 10 is local, larger is
/// farther).
///
/// Built by [`detect`](Self::detect) (sysfs), [`from_sysfs`](Self::from_sysfs)
/// (a sysfs tree at another path, for tests), `from_hwloc`
/// (feature `hwloc`) or [`new`](Self::new) (a synthetic topology):
///
/// ```
/// use may_channel::placement::{NumaNode, Topology};
///
/// let topology = Topology::new(
///     vec![NumaNode::new(0, 0..4), NumaNode::new(1, 4..8)],
///     Some(vec![vec![10, 21], vec![21, 10]]),
/// )
/// .unwrap();
/// assert_eq!(topology.node_of_cpu(5), Some(1));
/// assert_eq!(topology.distance(0, 1), Some(21));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Topology {
    nodes: Vec<NumaNode>,
    /// `distances[i][j]`: from `nodes[i]` to `nodes[j]` (positions, not ids).
    distances: Option<Vec<Vec<u32>>>,
    source: TopologySource,
}

impl Topology {
    /// A synthetic topology. Refuses an empty node list, two nodes with the
    /// same id, a CPU on two nodes, a CPU number of [`MAX_CPUS`] or more, and
    /// a distance matrix that is not square with one row per node (rows
    /// follow the order of `nodes`).
    pub fn new(
        nodes: Vec<NumaNode>,
        distances: Option<Vec<Vec<u32>>>,
    ) -> Result<Topology, BuildError> {
        Self::checked(nodes, distances, TopologySource::Synthetic)
    }

    /// One node (id 0) holding `cpus`.
    pub fn single_node(cpus: impl IntoIterator<Item = usize>) -> Topology {
        Topology {
            nodes: vec![NumaNode::new(0, cpus)],
            distances: None,
            source: TopologySource::Synthetic,
        }
    }

    fn checked(
        mut nodes: Vec<NumaNode>,
        distances: Option<Vec<Vec<u32>>>,
        source: TopologySource,
    ) -> Result<Topology, BuildError> {
        let invalid = |what: String| Err(BuildError::Invalid(what));
        if let Some(cpu) = nodes
            .iter()
            .filter_map(|node| node.cpus.iter().max())
            .find(|&&cpu| cpu >= MAX_CPUS)
        {
            return invalid(format!("CPU {cpu} is not below {MAX_CPUS}"));
        }
        if nodes.is_empty() {
            return invalid("a NUMA topology needs at least one node".into());
        }
        for node in &mut nodes {
            node.cpus.sort_unstable();
            node.cpus.dedup();
        }
        let mut ids: Vec<usize> = nodes.iter().map(|node| node.id).collect();
        ids.sort_unstable();
        if ids.windows(2).any(|pair| pair[0] == pair[1]) {
            return invalid("two NUMA nodes have the same id".into());
        }
        let mut cpus: Vec<usize> = nodes
            .iter()
            .flat_map(|node| node.cpus.iter().copied())
            .collect();
        cpus.sort_unstable();
        if let Some(pair) = cpus.windows(2).find(|pair| pair[0] == pair[1]) {
            return invalid(format!("CPU {} is on two NUMA nodes", pair[0]));
        }
        if let Some(matrix) = &distances {
            if matrix.len() != nodes.len() || matrix.iter().any(|row| row.len() != nodes.len()) {
                return invalid(format!(
                    "the NUMA distance matrix must be {0} x {0}, one row and column per node",
                    nodes.len()
                ));
            }
        }
        Ok(Topology {
            nodes,
            distances,
            source,
        })
    }

    /// The topology of this machine from sysfs (`/sys/devices/system/node`),
    /// read once per process and shared. Where that directory is missing or
    /// unreadable (another OS, a kernel without NUMA), one node holding every
    /// CPU, with [`TopologySource::Fallback`] saying why.
    pub fn detect() -> Arc<Topology> {
        static DETECTED: OnceLock<Arc<Topology>> = OnceLock::new();
        Arc::clone(DETECTED.get_or_init(|| {
            Arc::new(
                Self::from_sysfs("/sys/devices/system/node")
                    .unwrap_or_else(|why| Self::fallback(why.to_string())),
            )
        }))
    }

    /// Reads a sysfs node tree at `root`: every `nodeN` directory, its
    /// `cpulist` (ranges such as `0-3,8-11`) and its `distance` (one row of
    /// the matrix, in node-id order). The matrix is kept only when every node
    /// has a complete row.
    pub fn from_sysfs(root: impl AsRef<Path>) -> Result<Topology, BuildError> {
        let root = root.as_ref();
        let unreadable = |what: &Path, why: std::io::Error| {
            BuildError::Invalid(format!("{}: {why}", what.display()))
        };
        let mut nodes = Vec::new();
        for entry in std::fs::read_dir(root).map_err(|why| unreadable(root, why))? {
            let entry = entry.map_err(|why| unreadable(root, why))?;
            let name = entry.file_name();
            let Some(id) = name
                .to_str()
                .and_then(|name| name.strip_prefix("node"))
                .and_then(|id| id.parse::<usize>().ok())
            else {
                continue;
            };
            let cpulist = entry.path().join("cpulist");
            let text =
                std::fs::read_to_string(&cpulist).map_err(|why| unreadable(&cpulist, why))?;
            let cpus = parse_cpu_list(&text)
                .map_err(|why| BuildError::Invalid(format!("{}: {why}", cpulist.display())))?;
            nodes.push((NumaNode::new(id, cpus), entry.path().join("distance")));
        }
        if nodes.is_empty() {
            return Err(BuildError::Invalid(format!(
                "{}: no nodeN directory",
                root.display()
            )));
        }
        nodes.sort_by_key(|(node, _)| node.id);
        // The kernel writes each row in node-id order, one value per node.
        let rows: Option<Vec<Vec<u32>>> = nodes
            .iter()
            .map(|(_, path)| {
                let text = std::fs::read_to_string(path).ok()?;
                let row: Option<Vec<u32>> = text
                    .split_whitespace()
                    .map(|value| value.parse().ok())
                    .collect();
                row.filter(|row| row.len() == nodes.len())
            })
            .collect();
        let nodes = nodes.into_iter().map(|(node, _)| node).collect();
        Self::checked(
            nodes,
            rows,
            TopologySource::Sysfs(root.display().to_string()),
        )
    }

    /// The topology hwloc finds (its NUMA nodes, their CPU sets, and its
    /// distance matrix between NUMA nodes, when it
    /// has one), read once per process and shared. Where hwloc fails, one
    /// node holding every CPU, with [`TopologySource::Fallback`] saying why.
    #[cfg(feature = "hwloc")]
    pub fn from_hwloc() -> Arc<Topology> {
        static DETECTED: OnceLock<Arc<Topology>> = OnceLock::new();
        Arc::clone(DETECTED.get_or_init(|| {
            Arc::new(
                super::hwloc::read_topology()
                    .and_then(|(nodes, distances)| {
                        Self::checked(nodes, distances, TopologySource::Hwloc)
                            .map_err(|why| why.to_string())
                    })
                    .unwrap_or_else(|why| Self::fallback(format!("hwloc: {why}"))),
            )
        }))
    }

    /// One node with every CPU the standard library reports.
    fn fallback(why: String) -> Topology {
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        Topology {
            nodes: vec![NumaNode::new(0, 0..cpus)],
            distances: None,
            source: TopologySource::Fallback(why),
        }
    }

    /// The nodes, in ascending id order for detected topologies (in the
    /// given order for synthetic ones).
    pub fn nodes(&self) -> &[NumaNode] {
        &self.nodes
    }

    /// Where this topology came from.
    pub fn source(&self) -> &TopologySource {
        &self.source
    }

    /// Whether the topology has a distance matrix.
    pub fn has_distances(&self) -> bool {
        self.distances.is_some()
    }

    /// The distance from the node at position `from` of
    /// [`nodes`](Self::nodes) to the one at position `to`, when the topology
    /// has a matrix.
    pub fn distance(&self, from: usize, to: usize) -> Option<u32> {
        self.distances.as_ref()?.get(from)?.get(to).copied()
    }

    /// The position (in [`nodes`](Self::nodes)) of the node holding `cpu`.
    pub fn node_of_cpu(&self, cpu: usize) -> Option<usize> {
        self.nodes
            .iter()
            .position(|node| node.cpus.binary_search(&cpu).is_ok())
    }

    /// The position (in [`nodes`](Self::nodes)) of the node with id `id`.
    pub fn position_of_node(&self, id: usize) -> Option<usize> {
        self.nodes.iter().position(|node| node.id == id)
    }
}

impl fmt::Debug for Topology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Topology")
            .field("source", &self.source)
            .field("nodes", &self.nodes)
            .field("distances", &self.distances)
            .finish()
    }
}

/// Parses a Linux CPU list (`0-3,8-11`, `5`, or empty for a CPU-less node).
pub(crate) fn parse_cpu_list(text: &str) -> Result<Vec<usize>, String> {
    let text = text.trim();
    let mut cpus = Vec::new();
    if text.is_empty() {
        return Ok(cpus);
    }
    for part in text.split(',') {
        let number = |s: &str| {
            s.trim()
                .parse::<usize>()
                .map_err(|_| format!("`{s}` in CPU list `{text}` is not a CPU number"))
        };
        match part.split_once('-') {
            Some((first, last)) => {
                let (first, last) = (number(first)?, number(last)?);
                if first > last {
                    return Err(format!(
                        "range `{part}` in CPU list `{text}` runs backwards"
                    ));
                }
                cpus.extend(first..=last);
            }
            None => cpus.push(number(part)?),
        }
    }
    Ok(cpus)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists_parse() {
        assert_eq!(
            parse_cpu_list("0-3,8-11\n").unwrap(),
            vec![0, 1, 2, 3, 8, 9, 10, 11]
        );
        assert_eq!(parse_cpu_list("5").unwrap(), vec![5]);
        assert_eq!(parse_cpu_list("\n").unwrap(), Vec::<usize>::new());
        assert_eq!(parse_cpu_list("0,2-3").unwrap(), vec![0, 2, 3]);
        assert!(parse_cpu_list("3-1").is_err());
        assert!(parse_cpu_list("a-b").is_err());
    }

    #[test]
    fn invalid_synthetic_topologies_are_refused() {
        assert!(Topology::new(vec![], None).is_err());
        assert!(Topology::new(vec![NumaNode::new(0, [MAX_CPUS])], None).is_err());
        assert!(Topology::new(vec![NumaNode::new(0, [0]), NumaNode::new(0, [1])], None).is_err());
        assert!(Topology::new(vec![NumaNode::new(0, [0]), NumaNode::new(1, [0])], None).is_err());
        assert!(
            Topology::new(
                vec![NumaNode::new(0, [0]), NumaNode::new(1, [1])],
                Some(vec![vec![10, 20]])
            )
            .is_err()
        );
    }
}
