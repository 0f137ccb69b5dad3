//! The hash-consing tables of [`crate::graph::Graph`]: content hashes of nodes and
//! constants (rustc's Fx hash) and tables of ids by hash (hashbrown's `HashTable`)
//! whose keys are the graph's own nodes, compared by the caller.

use crate::graph::{NodeId, Op, canonical_bits};
use hashbrown::HashTable;
use optl_tensor::Tensor;
use rustc_hash::FxHasher;
use std::hash::{Hash, Hasher};

/// The hasher of the hash-consing tables (rustc's Fx hash): their keys are short
/// lists of integers, for which SipHash dominated graph building in profiles. Not
/// DoS-resistant, which tables of a program's own nodes do not need.
#[derive(Default)]
pub(crate) struct Fx(FxHasher);

impl Fx {
    pub(crate) fn add(&mut self, x: u64) {
        self.0.write_u64(x);
    }

    pub(crate) fn finish32(&self) -> u32 {
        let h = self.0.finish();
        (h ^ (h >> 32)) as u32
    }
}

/// The hash of a node's content (operation, arguments, shape).
pub(crate) fn node_hash(op: &Op, args: &[NodeId], shape: &[usize]) -> u32 {
    let mut h = Fx::default();
    op.hash(&mut h.0);
    h.add(args.len() as u64);
    for a in args {
        h.add(u64::from(a.0));
    }
    h.add(shape.len() as u64);
    for &d in shape {
        h.add(d as u64);
    }
    h.finish32()
}

/// The hash of a constant's content (shape and [`canonical_bits`] of the elements).
pub(crate) fn const_hash(shape: &[usize], t: &Tensor) -> u32 {
    let mut h = Fx::default();
    h.add(shape.len() as u64);
    for &d in shape {
        h.add(d as u64);
    }
    for x in t.iter() {
        h.add(canonical_bits(*x));
    }
    h.finish32()
}

/// A 32-bit hash as the 64-bit hash hashbrown wants. hashbrown tags each slot with
/// the top 7 bits of the hash; a plain widening would leave them all zero, so every
/// slot of a probed group would match and be compared. A multiplication by an odd
/// constant moves entropy into the top bits and keeps the low ones (the bucket index).
fn spread(hash: u32) -> u64 {
    u64::from(hash).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// A table of ids by content hash (hashbrown's `HashTable`). The keys are not
/// stored: they are the nodes (or constants) themselves, compared through the
/// caller's `eq`, so adding a node neither clones nor re-hashes it, and growing
/// moves only the stored 32-bit hashes.
#[derive(Clone, Debug, Default)]
pub(crate) struct IdTable {
    pub(crate) table: HashTable<(u32, u32)>,
    pub(crate) len: usize,
}

impl IdTable {
    pub(crate) fn with_capacity(n: usize) -> IdTable {
        IdTable {
            table: HashTable::with_capacity(n),
            len: 0,
        }
    }

    /// The id with this hash for which `eq` holds.
    pub(crate) fn find(&self, hash: u32, mut eq: impl FnMut(u32) -> bool) -> Option<u32> {
        self.table
            .find(spread(hash), |&(h, id)| h == hash && eq(id))
            .map(|&(_, id)| id)
    }

    /// Adds an id (known not to be present).
    pub(crate) fn insert(&mut self, hash: u32, id: u32) {
        self.table
            .insert_unique(spread(hash), (hash, id), |&(h, _)| spread(h));
        self.len += 1;
    }
}
