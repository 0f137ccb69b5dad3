//! Building one loop nest (a *group*): the fused expression a materialized node is
//! computed from, with every memory access reduced to an affine function of the
//! loop indices, known at compile time.
//!
//! A group iterates over a *domain* (the node's shape; for a reduction, its
//! argument's shape with the reduced axis last). Walking back from the root, each IR
//! node is met under an index map that gives each of its axes as `off + coef * i_d`
//! for one domain index `i_d` (or a constant): elementwise operations keep the map,
//! broadcasts pin axes of size 1 to 0, slices scale and shift, transposes permute,
//! and an unslice with steps ±1 shifts and adds a *guard* (an interval of `i_d`
//! outside of which the value is 0). A materialized node ends the walk as a load
//! `base + off + Σ stride_d * i_d`, a register or an immediate.
//!
//! Then the domain is simplified: axes of size 1 disappear, adjacent axes that every
//! access walks contiguously merge into one loop, and the axes with guards are cut
//! into segments at the guard bounds, so that each guard is statically true or false
//! in every segment and costs nothing at run time.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use optl_ir::{BinaryOp, NodeId, Op, UnaryOp};

use crate::JitError;
use crate::plan::{Facts, Mem, RedOp, Retry, row_major};

/// Index of an expression in [`Group::exprs`].
pub(crate) type EId = u32;

/// Most segments a loop nest is cut into by guards; beyond, an unslice is stored.
const MAX_SEGMENTS: usize = 32;

/// A strided walk of a buffer: element `off + Σ strides[d] * i_d` (missing strides
/// are 0).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Access {
    pub mem: Mem,
    pub off: i64,
    pub strides: Vec<i64>,
}

impl Access {
    /// The row-major walk of a buffer of `shape`, one domain index per axis.
    pub(crate) fn dense(mem: Mem, shape: &[usize]) -> Access {
        Access {
            mem,
            off: 0,
            strides: row_major(shape),
        }
    }

    pub(crate) fn stride(&self, d: usize) -> i64 {
        self.strides.get(d).copied().unwrap_or(0)
    }
}

/// `lo <= i_dim < hi`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Cond {
    pub dim: u32,
    pub lo: i64,
    pub hi: i64,
}

/// One element-level operation of a group.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum E {
    Load(Access),
    Reg(u32),
    Imm(f64),
    Un(UnaryOp, EId),
    Bin(BinaryOp, EId, EId),
    Where(EId, EId, EId),
    /// The value where all conditions hold, else 0.
    Guard(Vec<Cond>, EId),
}

/// A loop over domain axis `dim` (merged loops are named by their last axis), cut
/// into segments `cuts[j]..cuts[j + 1]`.
#[derive(Clone, Debug)]
pub(crate) struct LoopDim {
    pub dim: u32,
    pub cuts: Vec<i64>,
}

/// The reduced (innermost) loop of a reduction group.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Lane {
    pub op: RedOp,
    /// NumPy's pairwise order (contiguous lanes of sums) rather than left to right.
    pub pairwise: bool,
    pub len: usize,
    /// The domain axis of the lane, `None` when it has a single element.
    pub dim: Option<u32>,
}

/// A loop nest computing one materialized node (or one part of it).
#[derive(Clone, Debug)]
pub(crate) struct Group {
    pub exprs: Vec<E>,
    pub root: EId,
    pub ndims: usize,
    pub loops: Vec<LoopDim>,
    pub lane: Option<Lane>,
    pub store: Option<Access>,
    pub reg: Option<u32>,
    /// No calls and a short expression: the loops are unrolled and use SIMD.
    pub light: bool,
    /// The stored value is only read in registers (see `fuse.rs`): skip the store.
    pub dead_store: bool,
}

/// Longest expression of a light group.
const LIGHT_EXPRS: usize = 48;

const NONE: u32 = u32::MAX;

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<crate::fxhash::Fx>>;

/// One axis of an index map: `off + coef * i_dim`, or `off` when `dim` is `NONE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Ax {
    dim: u32,
    coef: i64,
    off: i64,
}

impl Ax {
    fn constant(off: i64) -> Ax {
        Ax {
            dim: NONE,
            coef: 0,
            off,
        }
    }
}

struct Walker<'a, 'f> {
    facts: &'a Facts<'f>,
    sizes: Vec<usize>,
    /// Domain axes from here on are reduced: guards there are not allowed.
    lane_from: usize,
    exprs: Vec<E>,
    memo: FxMap<(u32, Vec<Ax>), EId>,
    first_map: FxMap<u32, Vec<Ax>>,
    guard_nodes: Vec<NodeId>,
}

impl Walker<'_, '_> {
    fn push(&mut self, e: E) -> EId {
        self.exprs.push(e);
        self.exprs.len() as u32 - 1
    }

    /// The identity map of a domain, with axes of size 1 pinned to 0.
    fn identity(&self, order: &[usize]) -> Vec<Ax> {
        order
            .iter()
            .map(|&d| {
                if self.sizes[d] == 1 {
                    Ax::constant(0)
                } else {
                    Ax {
                        dim: d as u32,
                        coef: 1,
                        off: 0,
                    }
                }
            })
            .collect()
    }

    fn walk(&mut self, id: NodeId, map: Vec<Ax>) -> Result<EId, Retry> {
        let key = (id.0, map);
        if let Some(&e) = self.memo.get(&key) {
            return Ok(e);
        }
        let map = key.1.clone();
        let e = if self.facts.mat[id.index()] {
            self.leaf(id, &map)?
        } else {
            self.check(id, &map)?;
            stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.expand(id, &map))?
        };
        self.memo.insert(key, e);
        Ok(e)
    }

    /// A materialized node read at `map`.
    fn leaf(&mut self, id: NodeId, map: &[Ax]) -> Result<EId, Retry> {
        let v = self.facts.val[id.index()];
        if let Some(x) = v.imm {
            return Ok(self.push(E::Imm(x)));
        }
        if let Some(r) = v.reg {
            return Ok(self.push(E::Reg(r)));
        }
        let mem = v
            .mem
            .ok_or_else(|| JitError::Codegen(format!("node %{} has no value", id.0)))?;
        let rm = row_major(self.facts.f.graph.shape(id));
        let mut acc = Access {
            mem,
            off: 0,
            strides: vec![0; self.sizes.len()],
        };
        for (ax, &st) in map.iter().zip(&rm) {
            acc.off += st * ax.off;
            if ax.dim != NONE {
                acc.strides[ax.dim as usize] += st * ax.coef;
            }
        }
        Ok(self.push(E::Load(acc)))
    }

    /// An expensive node must not be recomputed for every step of a loop it does not
    /// depend on, nor at two different index maps: it is materialized instead.
    fn check(&mut self, id: NodeId, map: &[Ax]) -> Result<(), Retry> {
        if self.facts.cost[id.index()] <= crate::plan::CHEAP {
            return Ok(());
        }
        let expands = (0..self.sizes.len())
            .any(|d| self.sizes[d] > 1 && !map.iter().any(|a| a.dim == d as u32));
        if expands {
            return Err(Retry::Materialize(id));
        }
        match self.first_map.get(&id.0) {
            Some(m) if m.as_slice() != map => Err(Retry::Materialize(id)),
            Some(_) => Ok(()),
            None => {
                self.first_map.insert(id.0, map.to_vec());
                Ok(())
            }
        }
    }

    /// A node computed from its arguments at `map`.
    fn expand(&mut self, id: NodeId, map: &[Ax]) -> Result<EId, Retry> {
        let g = &self.facts.f.graph;
        let node = g.node(id);
        let args = &node.args;
        let e = match &node.op {
            Op::Unary(u) => E::Un(*u, self.walk(args[0], map.to_vec())?),
            Op::Binary(b) => {
                let x = self.walk(args[0], map.to_vec())?;
                let y = self.walk(args[1], map.to_vec())?;
                E::Bin(*b, x, y)
            }
            Op::Where => {
                let c = self.walk(args[0], map.to_vec())?;
                let x = self.walk(args[1], map.to_vec())?;
                let y = self.walk(args[2], map.to_vec())?;
                E::Where(c, x, y)
            }
            Op::Broadcast => {
                let s = g.shape(args[0]);
                let lead = map.len() - s.len();
                let m = s
                    .iter()
                    .enumerate()
                    .map(|(b, &d)| {
                        if d == 1 {
                            Ax::constant(0)
                        } else {
                            map[b + lead]
                        }
                    })
                    .collect();
                return self.walk(args[0], m);
            }
            Op::Transpose => {
                let m = map.iter().rev().copied().collect();
                return self.walk(args[0], m);
            }
            Op::Slice(sl) => {
                let m = map
                    .iter()
                    .zip(sl)
                    .map(|(a, s)| Ax {
                        dim: a.dim,
                        coef: a.coef * s.step,
                        off: s.start as i64 + s.step * a.off,
                    })
                    .collect();
                return self.walk(args[0], m);
            }
            Op::Unslice(sl) => {
                let mut conds = Vec::new();
                let mut m = Vec::with_capacity(map.len());
                for (a, s) in map.iter().zip(sl) {
                    let (start, len) = (s.start as i64, s.len as i64);
                    let lo = if s.step > 0 { start } else { start - len + 1 };
                    let hi = lo + len;
                    if a.dim == NONE {
                        if a.off < lo || a.off >= hi {
                            return Ok(self.push(E::Imm(0.0)));
                        }
                    } else {
                        let size = self.sizes[a.dim as usize] as i64;
                        let (ilo, ihi) = interval(a.off, a.coef, lo, hi);
                        let (ilo, ihi) = (ilo.max(0), ihi.min(size));
                        if ilo >= ihi {
                            return Ok(self.push(E::Imm(0.0)));
                        }
                        if ilo > 0 || ihi < size {
                            if a.dim as usize >= self.lane_from {
                                return Err(Retry::Materialize(id));
                            }
                            conds.push(Cond {
                                dim: a.dim,
                                lo: ilo,
                                hi: ihi,
                            });
                        }
                    }
                    m.push(Ax {
                        dim: a.dim,
                        coef: a.coef * s.step,
                        off: (a.off - start) * s.step,
                    });
                }
                let inner = self.walk(args[0], m)?;
                if conds.is_empty() {
                    return Ok(inner);
                }
                self.guard_nodes.push(id);
                E::Guard(conds, inner)
            }
            op => {
                return Err(Retry::Fail(JitError::Codegen(format!(
                    "`{op:?}` (node %{}) cannot be fused",
                    id.0
                ))));
            }
        };
        Ok(self.push(e))
    }
}

/// The `i` with `lo <= off + coef * i < hi` (`coef != 0`), as `[first, end)`.
fn interval(off: i64, coef: i64, lo: i64, hi: i64) -> (i64, i64) {
    let ceil = |a: i64, b: i64| -((-a).div_euclid(b));
    if coef > 0 {
        (ceil(lo - off, coef), ceil(hi - off, coef))
    } else {
        let c = -coef;
        ((off - hi).div_euclid(c) + 1, (off - lo).div_euclid(c) + 1)
    }
}

fn walker<'a, 'f>(facts: &'a Facts<'f>, sizes: Vec<usize>, lane_from: usize) -> Walker<'a, 'f> {
    Walker {
        facts,
        sizes,
        lane_from,
        exprs: Vec::new(),
        memo: FxMap::default(),
        first_map: FxMap::default(),
        guard_nodes: Vec::new(),
    }
}

/// The loop nest writing node `id` (computed from its arguments when `expand`, else
/// read) at every index of `shape` to `store` and/or register `reg`. `None` when the
/// shape is empty.
pub(crate) fn map(
    facts: &Facts<'_>,
    id: NodeId,
    expand: bool,
    shape: &[usize],
    store: Option<Access>,
    reg: Option<u32>,
) -> Result<Option<Group>, Retry> {
    if shape.contains(&0) {
        return Ok(None);
    }
    let mut w = walker(facts, shape.to_vec(), shape.len());
    let order: Vec<usize> = (0..shape.len()).collect();
    let m = w.identity(&order);
    let root = if expand {
        w.expand(id, &m)?
    } else {
        w.walk(id, m)?
    };
    finish(w, root, store, reg, None, id).map(Some)
}

/// The loop nest of reduction `op` of `arg` over `axis` (all axes for `None`),
/// written to `store` and/or register `reg`. `id` is the reduction node.
pub(crate) fn reduce(
    facts: &Facts<'_>,
    id: NodeId,
    arg: NodeId,
    op: RedOp,
    axis: Option<usize>,
    store: Option<Access>,
    reg: Option<u32>,
) -> Result<Option<Group>, Retry> {
    let s = facts.f.graph.shape(arg).to_vec();
    let r = s.len();
    // Domain axes: the kept axes in order, then the reduced one(s).
    let (sizes, order, lane_from) = match axis {
        None => (s.clone(), (0..r).collect::<Vec<_>>(), 0),
        Some(ax) => {
            let mut sizes: Vec<usize> = s.clone();
            let len = sizes.remove(ax);
            sizes.push(len);
            let order = (0..r)
                .map(|a| match a.cmp(&ax) {
                    std::cmp::Ordering::Less => a,
                    std::cmp::Ordering::Equal => r - 1,
                    std::cmp::Ordering::Greater => a - 1,
                })
                .collect();
            (sizes, order, r - 1)
        }
    };
    if sizes[..lane_from].contains(&0) {
        return Ok(None);
    }
    let len: usize = sizes[lane_from..].iter().product();
    let mut w = walker(facts, sizes, lane_from);
    if len == 0 {
        if op != RedOp::Sum {
            return Err(JitError::Unsupported(facts.f.graph.node(id).op.clone()).into());
        }
        // A sum over nothing is 0 everywhere; the lane axis has no loop.
        w.sizes[lane_from..].iter_mut().for_each(|d| *d = 1);
        let root = w.push(E::Imm(0.0));
        return finish(w, root, store, reg, None, arg).map(Some);
    }
    let m = w.identity(&order);
    let root = w.walk(arg, m)?;
    let pairwise =
        op == RedOp::Sum && axis.is_none_or(|ax| s[ax + 1..].iter().product::<usize>() == 1);
    let lane = Lane {
        op,
        pairwise,
        len,
        dim: None,
    };
    finish(w, root, store, reg, Some(lane), arg).map(Some)
}

/// Simplifies the domain into loops and cuts guarded loops into segments.
fn finish(
    w: Walker<'_, '_>,
    root: EId,
    store: Option<Access>,
    reg: Option<u32>,
    lane: Option<Lane>,
    arg: NodeId,
) -> Result<Group, Retry> {
    let nd = w.sizes.len();
    let mut guarded = vec![false; nd];
    let mut cuts: Vec<Vec<i64>> = w.sizes.iter().map(|&s| vec![0, s as i64]).collect();
    let mut accesses: Vec<&Access> = store.iter().collect();
    for e in &w.exprs {
        match e {
            E::Load(a) => accesses.push(a),
            E::Guard(conds, _) => {
                for c in conds {
                    guarded[c.dim as usize] = true;
                    cuts[c.dim as usize].extend([c.lo, c.hi]);
                }
            }
            _ => {}
        }
    }
    // Runs of adjacent axes (of size > 1) that merge into one loop.
    let runs = |range: std::ops::Range<usize>| -> Vec<Vec<usize>> {
        let mut runs: Vec<Vec<usize>> = Vec::new();
        for d in range.filter(|&d| w.sizes[d] > 1) {
            if let Some(run) = runs.last_mut() {
                let last = *run.last().unwrap_or(&d);
                let fits = !guarded[last]
                    && !guarded[d]
                    && accesses
                        .iter()
                        .all(|a| a.stride(last) == a.stride(d) * w.sizes[d] as i64);
                if fits {
                    run.push(d);
                    continue;
                }
            }
            runs.push(vec![d]);
        }
        runs
    };
    let mut loops = Vec::new();
    let mut segments = 1usize;
    for run in runs(0..w.lane_from) {
        let last = run[run.len() - 1];
        let size: i64 = run.iter().map(|&d| w.sizes[d] as i64).product();
        let mut c = if run.len() == 1 {
            cuts[last].clone()
        } else {
            vec![0, size]
        };
        c.retain(|&x| (0..=size).contains(&x));
        c.sort_unstable();
        c.dedup();
        segments = segments.saturating_mul(c.len() - 1);
        loops.push(LoopDim {
            dim: last as u32,
            cuts: c,
        });
    }
    if segments > MAX_SEGMENTS {
        // Store an inner unslice, or else compute the root one by a fill and a
        // scatter.
        return Err(
            match w.guard_nodes.iter().find(|n| !w.facts.mat[n.index()]) {
                Some(&n) => Retry::Materialize(n),
                None => Retry::Scatter(w.guard_nodes[0]),
            },
        );
    }
    let lane = match lane {
        None => None,
        Some(mut l) => {
            let lane_runs = runs(w.lane_from..nd);
            if lane_runs.len() > 1 {
                return Err(Retry::Materialize(arg));
            }
            l.dim = lane_runs.first().map(|r| r[r.len() - 1] as u32);
            Some(l)
        }
    };
    let light = w.exprs.len() <= LIGHT_EXPRS
        && w.exprs.iter().all(|e| match e {
            E::Un(op, _) => crate::runtime::unary_symbol(*op).is_none(),
            E::Bin(op, ..) => *op != BinaryOp::Pow,
            _ => true,
        });
    Ok(Group {
        root,
        light,
        dead_store: false,
        ndims: nd,
        loops,
        lane,
        store,
        reg,
        exprs: w.exprs,
    })
}

#[cfg(test)]
mod tests {
    use super::interval;

    #[test]
    fn intervals_match_brute_force() {
        for off in -6..6 {
            for coef in [-3, -2, -1, 1, 2, 3] {
                for lo in -4..4 {
                    for hi in lo..lo + 6 {
                        let (a, b) = interval(off, coef, lo, hi);
                        for i in -20..20 {
                            let j = off + coef * i;
                            let inside = lo <= j && j < hi;
                            assert_eq!(inside, a <= i && i < b, "{off} {coef} {lo} {hi} {i}");
                        }
                    }
                }
            }
        }
    }
}
