//! Horizontal fusion: consecutive elementwise loop nests over the same domain (same
//! loops, same segments) become one loop nest computing several nodes per
//! iteration, when each reads what the others write only at the index being
//! computed. The value just computed is then forwarded in a register, and a scratch
//! buffer read only that way is never stored at all.
//!
//! Gradient programs are full of such nests: the forward values that the backward
//! pass reads several times are materialized (each in its own loop by `plan.rs`),
//! and fusing them turns hundreds of small loops into a few, with fewer passes over
//! memory and less code.

use crate::group::{Access, E, Group};
use crate::plan::{MatMulOp, Mem, Step};

/// Whether `b` can join a loop nest computing `set`.
fn joins(set: &[Group], b: &Group) -> bool {
    let a = &set[0];
    if b.lane.is_some() || b.loops.is_empty() || b.ndims != a.ndims {
        return false;
    }
    let same_loops = a.loops.len() == b.loops.len()
        && a.loops
            .iter()
            .zip(&b.loops)
            .all(|(x, y)| x.dim == y.dim && x.cuts == y.cuts);
    if !same_loops {
        return false;
    }
    // Every read of a buffer the set writes must be of the element just written.
    let written: Vec<&Access> = set.iter().filter_map(|g| g.store.as_ref()).collect();
    b.exprs.iter().all(|e| match e {
        E::Load(acc) => written.iter().all(|w| w.mem != acc.mem || *w == acc),
        _ => true,
    })
}

/// Merges runs of consecutive fusable loop nests, then drops stores nobody reads
/// from memory. (Looking further ahead, past steps a nest does not depend on, was
/// tried: on gradient programs it found few more merges for much planning time,
/// because reductions order the phases anyway.)
pub(crate) fn fuse(steps: Vec<Step>, matmuls: &[MatMulOp]) -> Vec<Step> {
    let mut out: Vec<Step> = Vec::with_capacity(steps.len());
    for step in steps {
        match (out.last_mut(), step) {
            (Some(Step::Loop(set)), Step::Loop(mut gs))
                if gs.len() == 1 && set[0].lane.is_none() && joins(set, &gs[0]) =>
            {
                // SIMD only when every member can use it.
                let light = set[0].light && gs[0].light;
                set.append(&mut gs);
                set.iter_mut().for_each(|g| g.light = light);
            }
            (_, step) => out.push(step),
        }
    }
    drop_dead_stores(&mut out, matmuls);
    out
}

/// A scratch buffer whose every read is a forwarded one (in the loop nest that
/// writes it, at the index written) needs no store.
fn drop_dead_stores(steps: &mut [Step], matmuls: &[MatMulOp]) {
    // Reads of each scratch buffer, and how many of them are forwarded.
    let mut reads: Vec<(usize, usize, usize)> = Vec::new();
    let mut count = |mem: Mem, forwarded: bool| {
        if let Mem::Scratch(o) = mem {
            match reads.iter_mut().find(|r| r.0 == o) {
                Some(r) => {
                    r.1 += 1;
                    r.2 += usize::from(forwarded);
                }
                None => reads.push((o, 1, usize::from(forwarded))),
            }
        }
    };
    for step in steps.iter() {
        match step {
            Step::Loop(set) => {
                let written: Vec<&Access> = set.iter().filter_map(|g| g.store.as_ref()).collect();
                for g in set {
                    for e in &g.exprs {
                        if let E::Load(acc) = e {
                            count(acc.mem, set.len() > 1 && written.contains(&acc));
                        }
                    }
                }
            }
            Step::Fill { mem, .. } => count(*mem, false),
            Step::MatMul(id) => {
                if let Some(m) = matmuls.get(*id as usize) {
                    count(m.a, false);
                    count(m.b, false);
                }
            }
        }
    }
    let dead = |mem: Mem| match mem {
        Mem::Scratch(o) => reads.iter().any(|r| r.0 == o && r.1 == r.2),
        _ => false,
    };
    for step in steps.iter_mut() {
        if let Step::Loop(set) = step
            && set.len() > 1
        {
            for g in set.iter_mut() {
                if g.store.as_ref().is_some_and(|s| dead(s.mem)) {
                    g.dead_store = true;
                }
            }
        }
    }
}
