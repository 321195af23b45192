//! Reading the topology and binding threads through hwloc (feature `hwloc`).

use std::fmt;

use hwlocality::Topology as HwlocTopology;
use hwlocality::cpu::binding::CpuBindingFlags;
use hwlocality::cpu::cpuset::CpuSet;
use hwlocality::object::types::ObjectType;

use super::topology::NumaNode;

/// hwloc refused to bind a thread ([`Numa::pin_current_thread`](super::Numa::pin_current_thread)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinError(String);

impl fmt::Display for PinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "could not pin the thread: {}", self.0)
    }
}

impl std::error::Error for PinError {}

/// A distance matrix, rows and columns in node order.
type Matrix = Vec<Vec<u32>>;

/// The NUMA nodes hwloc reports (by OS index, with the OS indices of their
/// CPUs) and, when hwloc has one for NUMA nodes, the distance matrix in the
/// same node order.
pub(crate) fn read_topology() -> Result<(Vec<NumaNode>, Option<Matrix>), String> {
    let topology = HwlocTopology::new().map_err(|why| why.to_string())?;
    let objects: Vec<_> = topology.objects_with_type(ObjectType::NUMANode).collect();
    let mut nodes = Vec::with_capacity(objects.len());
    for (position, object) in objects.iter().enumerate() {
        let id = object.os_index().unwrap_or(position);
        let cpus = object
            .cpuset()
            .map(|set| set.iter_set().map(usize::from).collect::<Vec<_>>())
            .unwrap_or_default();
        nodes.push(NumaNode::new(id, cpus));
    }
    // Sort by id, keeping each node's place in the hwloc object list so that
    // the matrix can be read in the same order.
    let mut order: Vec<usize> = (0..nodes.len()).collect();
    order.sort_by_key(|&i| nodes[i].id);
    let distances = topology
        .distances_with_type(None, ObjectType::NUMANode)
        .ok()
        .and_then(|matrices| {
            let matrix = matrices.into_iter().next()?;
            // The matrix lists its own objects; find each node's row.
            let rows: Vec<usize> = order
                .iter()
                .map(|&i| {
                    matrix.objects().position(|object| {
                        object.is_some_and(|object| {
                            object.global_persistent_index() == objects[i].global_persistent_index()
                        })
                    })
                })
                .collect::<Option<_>>()?;
            let n = matrix.num_objects();
            let values = matrix.distances();
            rows.iter()
                .map(|&from| {
                    rows.iter()
                        .map(|&to| u32::try_from(values[from * n + to]).ok())
                        .collect::<Option<Vec<u32>>>()
                })
                .collect::<Option<Vec<_>>>()
        });
    let nodes = order.into_iter().map(|i| nodes[i].clone()).collect();
    Ok((nodes, distances))
}

/// Binds the calling OS thread to `cpus` (OS indices).
pub(crate) fn bind_current_thread(cpus: &[usize]) -> Result<(), PinError> {
    if cpus.is_empty() {
        return Err(PinError("no CPU to bind to".into()));
    }
    let topology = HwlocTopology::new().map_err(|why| PinError(why.to_string()))?;
    let mut set = CpuSet::new();
    for &cpu in cpus {
        let index = hwlocality::bitmap::BitmapIndex::try_from(cpu)
            .map_err(|_| PinError(format!("CPU {cpu} is out of hwloc's range")))?;
        set.set(index);
    }
    topology
        .bind_cpu(&set, CpuBindingFlags::THREAD)
        .map_err(|why| PinError(why.to_string()))
}
