//! Splitting a program over the rows of its data (batch splitting).
//!
//! An objective over a data set, `mean(loss(X @ w, y)) + r(w)` and its gradient
//! `(ĝᵀX)ᵀ + r'(w)`, reads the big constants `X` and `y` row by row: every node that
//! depends on them either works row-wise or sums over the rows. [`split_rows`] finds
//! that structure and rewrites the program into
//!
//! - a **block** program: the same computation on a block of rows (the rows of every
//!   batched constant become inputs) giving the *partial sums* of the row reductions,
//!   and
//! - a **post** program: from the original inputs and the summed partials to the
//!   original outputs.
//!
//! Run block by block, each block's data are read once while they sit in cache
//! (`X @ w` and `ĝᵀX` in one pass instead of two), and blocks can run on all cores.
//! The partial sums are added in block order with a block size fixed by the program,
//! so the result does not depend on the number of threads. The summation order does
//! differ from the unsplit program's (each block is summed on its own), which is why
//! both engines must run the split form.
//!
//! Rows are the leading axis of the largest constant; a constant is batched when its
//! leading axis has that length. A program is split only when every use of batched
//! values is row-wise or a sum over the rows and no output is itself row-wise;
//! anything else (a maximum over rows, a slice along them, a batched value mixed
//! with a row sum) leaves it whole.

use crate::graph::{Function, Graph, NodeId, Op};
use crate::simplify::rebuild;
use optl_tensor::Tensor;
use std::rc::Rc;

/// A program split over the rows of its data.
#[derive(Debug)]
pub struct RowSplit {
    /// The number of rows.
    pub rows: usize,
    /// Rows per block (the last block may be shorter).
    pub block_rows: usize,
    /// Original inputs, then each batched constant's rows of one full block →
    /// the partial sums.
    pub block: Function,
    /// The same for the shorter last block, when `block_rows` does not divide `rows`.
    pub tail: Option<Function>,
    /// The batched constants, in the order the block programs take their rows.
    pub batched: Vec<Rc<Tensor>>,
    /// Original inputs, then the summed partials → the original outputs.
    pub post: Function,
}

impl RowSplit {
    /// The blocks, as row ranges in order.
    pub fn blocks(&self) -> Vec<std::ops::Range<usize>> {
        row_blocks(self.rows, self.block_rows)
    }
}

/// `rows` rows in blocks of `block_rows` (the last one shorter), in order.
pub fn row_blocks(rows: usize, block_rows: usize) -> Vec<std::ops::Range<usize>> {
    (0..rows)
        .step_by(block_rows.max(1))
        .map(|start| start..(start + block_rows).min(rows))
        .collect()
}

/// How a node relates to the rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// Does not depend on the batched data.
    Invariant,
    /// Row-wise, with the rows along this axis.
    Rows(usize),
    /// A sum over the rows of a row-wise node: the sum of per-block partial sums.
    Reduced,
    /// Depends on reductions (computed after the blocks are combined).
    Post,
}

/// Splits `f` over the rows of its largest constant when that constant has at least
/// `min_elements` elements and the program has the structure described above. Blocks
/// hold about `block_elements` elements of batched data.
pub fn split_rows(f: &Function, min_elements: usize, block_elements: usize) -> Option<RowSplit> {
    let g = &f.graph;
    // Most programs have no big constant at all: answer them without a pass over the
    // nodes.
    let any_big = (0..g.constant_count() as u32)
        .filter_map(|c| g.get_constant(c))
        .any(|t| t.len() >= min_elements);
    if !any_big {
        return None;
    }
    let live = g.reachable(&f.outputs);
    let consts = |i: usize| match g.nodes()[i].op {
        Op::Const(c) => g.get_constant(c),
        _ => None,
    };
    let biggest = (0..g.len())
        .filter(|&i| live[i])
        .filter_map(consts)
        .filter(|t| t.ndim() >= 1)
        .max_by_key(|t| t.len())?;
    if biggest.len() < min_elements || biggest.shape()[0] < 2 {
        return None;
    }
    let rows = biggest.shape()[0];
    let classes = classify(g, &live, rows)?;
    let reduced: Vec<usize> = (0..g.len())
        .filter(|&i| live[i] && classes[i] == Some(Class::Reduced))
        .collect();
    let outputs_ok = f.outputs.iter().all(|o| {
        matches!(
            classes[o.index()],
            Some(Class::Invariant | Class::Reduced | Class::Post)
        )
    });
    if reduced.is_empty() || !outputs_ok {
        return None;
    }
    let batched_nodes: Vec<usize> = (0..g.len())
        .filter(|&i| live[i] && matches!(g.nodes()[i].op, Op::Const(_)))
        .filter(|&i| classes[i] == Some(Class::Rows(0)))
        .collect();
    let row_elements: usize = batched_nodes
        .iter()
        .map(|&i| g.nodes()[i].shape.iter().skip(1).product::<usize>())
        .sum();
    let block_rows = (block_elements / row_elements.max(1)).clamp(1, rows);
    let block = block_program(f, &classes, &reduced, &batched_nodes, block_rows)?;
    let tail = match rows % block_rows {
        0 => None,
        last => Some(block_program(f, &classes, &reduced, &batched_nodes, last)?),
    };
    Some(RowSplit {
        rows,
        block_rows,
        block,
        tail,
        batched: batched_nodes
            .iter()
            .filter_map(|&i| consts(i).cloned())
            .collect(),
        post: post_program(f, &classes, &reduced)?,
    })
}

/// The class of every live node, or `None` when the program cannot be split.
fn classify(g: &Graph, live: &[bool], rows: usize) -> Option<Vec<Option<Class>>> {
    use Class::*;
    let mut classes: Vec<Option<Class>> = vec![None; g.len()];
    for (i, node) in g.nodes().iter().enumerate() {
        if !live[i] {
            continue;
        }
        let arg = |k: usize| node.args.get(k).and_then(|a| classes[a.index()]);
        let args: Vec<Class> = (0..node.args.len()).map(arg).collect::<Option<_>>()?;
        let has_rows = args.iter().any(|c| matches!(c, Rows(_)));
        let after = args.iter().any(|c| matches!(c, Reduced | Post));
        // Operations without batched arguments.
        let plain = if after { Post } else { Invariant };
        let class = match &node.op {
            Op::Input(_) => Invariant,
            Op::Const(_) => match node.shape.first() {
                Some(&r) if r == rows => Rows(0),
                _ => Invariant,
            },
            Op::Unary(_) | Op::Binary(_) | Op::Where if has_rows => {
                // Arguments have the node's shape: all must be row-wise alike.
                let first = args[0];
                args.iter().all(|c| *c == first).then_some(first)?
            }
            Op::Sum(axis) if has_rows => match (args[0], axis) {
                (Rows(_), None) => Reduced,
                (Rows(a), Some(x)) if *x == a => Reduced,
                (Rows(a), Some(x)) => Rows(if *x < a { a - 1 } else { a }),
                _ => return None,
            },
            Op::MatMul if has_rows => match (args[0], args[1]) {
                (Rows(0), Invariant) => Rows(0),
                (Invariant, Rows(1)) => Rows(1),
                (Rows(1), Rows(0)) => Reduced,
                _ => return None,
            },
            Op::Transpose if has_rows => match args[0] {
                Rows(a) => Rows(node.shape.len() - 1 - a),
                _ => return None,
            },
            Op::Broadcast if has_rows => {
                let Rows(a) = args[0] else { return None };
                let from = g.shape(node.args[0]).len();
                Rows(a + node.shape.len() - from)
            }
            // A broadcast of an invariant value to the rows is row-wise (its rows are
            // all alike) when the value does not itself run along the row axis.
            Op::Broadcast if !after && node.shape.first() == Some(&rows) => {
                let from = g.shape(node.args[0]);
                if from.len() < node.shape.len() || from.first() == Some(&1) {
                    Rows(0)
                } else {
                    Invariant
                }
            }
            Op::Reshape if has_rows => {
                let Rows(a) = args[0] else { return None };
                let from = g.shape(node.args[0]);
                let leading_ones = |s: &[usize], k: usize| s[..k].iter().all(|&d| d == 1);
                if !leading_ones(from, a) {
                    return None;
                }
                let to = (0..node.shape.len())
                    .find(|&k| node.shape[k] == rows && leading_ones(&node.shape, k))?;
                Rows(to)
            }
            // Maxima, minima, slices and joins of batched values are not split, nor
            // are `solve`, `logdet` and `cholesky`, which need their whole matrices,
            // nor `sparse_matvec` of a batched vector or of a sparse matrix whose
            // constants run along the rows (its structure is read whole).
            _ if has_rows => return None,
            _ => plain,
        };
        if has_rows && after {
            return None;
        }
        classes[i] = Some(class);
    }
    Some(classes)
}

/// The program of one block of `block_rows` rows: original inputs, then the rows of
/// each batched constant → the partial value of each reduction.
fn block_program(
    f: &Function,
    classes: &[Option<Class>],
    reduced: &[usize],
    batched: &[usize],
    block_rows: usize,
) -> Option<Function> {
    let extra = batched.iter().map(|&b| {
        let mut shape = f.graph.nodes()[b].shape.to_vec();
        shape[0] = block_rows;
        (b, shape)
    });
    let roots: Vec<NodeId> = reduced.iter().map(|&i| NodeId(i as u32)).collect();
    program(f, extra, &roots, |i, shape| {
        if let Some(Class::Rows(a)) = classes[i] {
            shape[a] = block_rows;
        }
        true
    })
}

/// The program after the blocks: original inputs, then the summed partials → the
/// original outputs.
fn post_program(f: &Function, classes: &[Option<Class>], reduced: &[usize]) -> Option<Function> {
    let extra = reduced
        .iter()
        .map(|&r| (r, f.graph.nodes()[r].shape.to_vec()));
    // Row-wise nodes only feed reductions, which are inputs here.
    program(f, extra, &f.outputs, |i, _| {
        matches!(classes[i], Some(Class::Invariant | Class::Post))
    })
}

/// A new function of `f`'s inputs and, after them, one input per `(node, shape)` of
/// `extra` standing for that node; its outputs are `roots`, rebuilt from `f` with the
/// shape `node` lets each node have (`node(i, &mut shape)` may change the shape, and
/// returns false for nodes the function must not contain).
fn program(
    f: &Function,
    extra: impl Iterator<Item = (usize, Vec<usize>)>,
    roots: &[NodeId],
    mut node: impl FnMut(usize, &mut Vec<usize>) -> bool,
) -> Option<Function> {
    let src = &f.graph;
    let mut dst = Graph::new();
    let inputs = dst.inputs(src.input_shapes());
    let mut map: Vec<Option<NodeId>> = vec![None; src.len()];
    for (i, shape) in extra {
        map[i] = Some(dst.input(shape));
    }
    let needed = src.reachable(roots);
    for (i, n) in src.nodes().iter().enumerate() {
        if !needed[i] || map[i].is_some() {
            continue;
        }
        let mut shape = n.shape.to_vec();
        if !node(i, &mut shape) {
            continue;
        }
        let args: Vec<NodeId> = n
            .args
            .iter()
            .map(|a| map[a.index()])
            .collect::<Option<_>>()?;
        map[i] = Some(rebuild(&mut dst, src, n, &args, &inputs, &shape).ok()?);
    }
    let outputs = roots
        .iter()
        .map(|r| map[r.index()])
        .collect::<Option<_>>()?;
    Some(crate::prune(&Function {
        graph: dst,
        outputs,
    }))
}

#[cfg(test)]
#[path = "split_tests.rs"]
mod tests;
