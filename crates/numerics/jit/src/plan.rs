//! Planning: decides which IR nodes get a buffer (are *materialized*) and which are
//! fused into the loops of their consumers, then lists the steps a kernel runs.
//!
//! A node is materialized when it is an input, a constant, an output, a reduction, a
//! matrix product, a concatenation, an unslice with a step other than ±1, an operand
//! of a matrix product or a reshape, or when it is read by several loops and is not
//! cheap to recompute (see [`CHEAP`]). Everything else (elementwise arithmetic,
//! comparisons, `where`, broadcasts, slices, transposes, unslices with steps ±1) is
//! inlined into the loop of the materialized node that reads it: one loop per
//! materialized node, with no temporaries in between. A reduction's loop computes its
//! producer on the fly. Values with a single element live in registers, not memory.
//!
//! Building the loops (`group.rs`) can find that a node should have been
//! materialized after all (it is expensive and read at several index maps, or
//! broadcast across a loop, or an unslice guards a summed axis, or guards cut a
//! loop nest into too many segments); planning then restarts with all such nodes
//! materialized. Each round adds at least one node, so it ends. Finally `fuse.rs`
//! merges loop nests over the same domain.

use optl_ir::{BinaryOp, Function, NodeId, Op, UnaryOp};

use crate::JitError;
use crate::group::{self, Access, Group};

/// Largest closure cost (see [`own_cost`]) of a node that is recomputed in every loop
/// that reads it rather than stored: a few additions and multiplications cost less
/// than writing and re-reading 8 bytes per element.
pub(crate) const CHEAP: u32 = 8;

/// Cost of one call to a runtime function (`exp`, `pow`, ...): never recomputed.
const CALL: u32 = 64;

/// Largest tensor the kernel handles: the interpreter's default limit, so a kernel
/// never computes what the interpreter would refuse.
const LIMIT: usize = optl_ir::interp::DEFAULT_LIMIT;

/// A buffer: the base of a materialized value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mem {
    In(u32),
    Out(u32),
    /// Offset (in elements) into the per-call scratch area.
    Scratch(usize),
    /// Offset (in elements) into the kernel's constant table.
    Const(usize),
}

/// Where consumers find a materialized node's value (the first that is set wins).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Val {
    pub imm: Option<f64>,
    pub reg: Option<u32>,
    pub mem: Option<Mem>,
}

/// Reduction operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RedOp {
    Sum,
    Max,
    Min,
}

/// A matrix product run by the runtime: `out[m,n] = a[m,k] @ b[k,n]`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MatMulOp {
    pub a: Mem,
    pub b: Mem,
    pub out: Mem,
    pub m: usize,
    pub k: usize,
    pub n: usize,
}

/// One step of a kernel, run in order.
#[derive(Debug)]
pub(crate) enum Step {
    /// One loop nest computing one or more groups (several after `fuse.rs`).
    Loop(Vec<Group>),
    /// Zeros into `len` elements (the background of a strided unslice).
    Fill { mem: Mem, len: usize },
    /// Index into [`Plan::matmuls`].
    MatMul(u32),
}

/// Everything code generation needs; all sizes and indices are static.
#[derive(Debug)]
pub(crate) struct Plan {
    pub steps: Vec<Step>,
    pub matmuls: Vec<MatMulOp>,
    pub consts: Vec<f64>,
    pub scratch_len: usize,
    pub n_regs: u32,
    /// Single-element inputs loaded into registers on entry: `(register, input)`.
    pub reg_inputs: Vec<(u32, u32)>,
    pub input_shapes: Vec<Vec<usize>>,
    pub output_shapes: Vec<Vec<usize>>,
}

impl Plan {
    /// A rough size of the generated code: expression nodes, times the copies that
    /// unrolling and SIMD make of light loops.
    pub(crate) fn weight(&self) -> usize {
        self.steps
            .iter()
            .map(|s| match s {
                Step::Loop(gs) => gs
                    .iter()
                    .map(|g| {
                        let looped = !g.loops.is_empty() || g.lane.is_some();
                        g.exprs.len() * if g.light && looped { 6 } else { 1 }
                    })
                    .sum(),
                Step::Fill { .. } | Step::MatMul(_) => 4,
            })
            .sum()
    }
}

/// How a node takes part in loops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    /// Already in memory or a register: inputs, constants, reshapes (an alias).
    Leaf,
    /// Computed elementwise at any index: fused into its consumers.
    Fusible,
    /// Needs a loop (or call) of its own and a buffer.
    Root,
}

pub(crate) fn class(op: &Op) -> Class {
    match op {
        Op::Input(_) | Op::Const(_) | Op::Reshape => Class::Leaf,
        Op::Unary(_) | Op::Binary(_) | Op::Where | Op::Broadcast | Op::Slice(_) | Op::Transpose => {
            Class::Fusible
        }
        Op::Unslice(sl) if sl.iter().all(|s| s.step.abs() == 1) => Class::Fusible,
        Op::Unslice(_) | Op::Sum(_) | Op::Max(_) | Op::Min(_) | Op::MatMul | Op::Concat(_) => {
            Class::Root
        }
        // Never planned: `validate` refuses them (and `plan` too).
        Op::Solve
        | Op::LogDet
        | Op::NuclearNorm
        | Op::NuclearNormGrad
        | Op::Cholesky
        | Op::SparseMatVec { .. }
        | Op::EntropicOt { .. }
        | Op::EntropicOtGrad { .. } => Class::Root,
    }
}

/// The cost of computing one element of a node from its arguments' elements.
fn own_cost(op: &Op) -> u32 {
    match op {
        Op::Unary(u) => match u {
            UnaryOp::Neg | UnaryOp::Abs | UnaryOp::Floor | UnaryOp::Ceil => 1,
            UnaryOp::Sign => 3,
            UnaryOp::Sqrt => 4,
            _ => CALL,
        },
        Op::Binary(b) => match b {
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul => 1,
            BinaryOp::Div => 4,
            BinaryOp::Pow => CALL,
            _ => 2,
        },
        Op::Where => 2,
        _ => 0,
    }
}

pub(crate) fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Row-major strides of a shape, in elements.
pub(crate) fn row_major(shape: &[usize]) -> Vec<i64> {
    let mut s = vec![0i64; shape.len()];
    let mut acc = 1i64;
    for (st, &d) in s.iter_mut().zip(shape).rev() {
        *st = acc;
        acc *= d as i64;
    }
    s
}

/// Why building a loop failed: a node to materialize before trying again, or a
/// final error.
pub(crate) enum Retry {
    Materialize(NodeId),
    /// Compute this (materialized, ±1-step) unslice by a fill and a scatter.
    Scatter(NodeId),
    Fail(JitError),
}

impl From<JitError> for Retry {
    fn from(e: JitError) -> Retry {
        Retry::Fail(e)
    }
}

/// Per-node planning facts shared with the loop builder.
pub(crate) struct Facts<'a> {
    pub f: &'a Function,
    pub mat: Vec<bool>,
    pub val: Vec<Val>,
    pub cost: Vec<u32>,
}

/// Plans `f`, which must have passed [`crate::validate::validate`].
pub(crate) fn plan(f: &Function) -> Result<Plan, JitError> {
    let live = f.graph.reachable(&f.outputs);
    for (i, node) in f.graph.nodes().iter().enumerate() {
        let linalg = matches!(
            node.op,
            Op::Solve
                | Op::LogDet
                | Op::NuclearNorm
                | Op::NuclearNormGrad
                | Op::Cholesky
                | Op::SparseMatVec { .. }
                | Op::EntropicOt { .. }
                | Op::EntropicOtGrad { .. }
        );
        if live[i] && (numel(&node.shape) > LIMIT || linalg) {
            return Err(JitError::Unsupported(node.op.clone()));
        }
    }
    let mut extra = vec![false; f.graph.len()];
    let mut scatter = vec![false; f.graph.len()];
    loop {
        let retries = match try_plan(f, &live, &extra, &scatter) {
            Ok(p) => return Ok(p),
            Err(r) => r,
        };
        let mut progress = false;
        for r in retries {
            match r {
                Retry::Materialize(id) => {
                    progress |= !std::mem::replace(&mut extra[id.index()], true)
                }
                Retry::Scatter(id) => {
                    progress |= !std::mem::replace(&mut scatter[id.index()], true)
                }
                Retry::Fail(e) => return Err(e),
            }
        }
        if !progress {
            return Err(JitError::Codegen("planning loops made no progress".into()));
        }
    }
}

/// Which loops read a node that is not materialized.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Owner {
    None,
    One(u32, u32),
    Many,
}

impl Owner {
    fn add(&mut self, key: (u32, u32)) {
        *self = match *self {
            Owner::None => Owner::One(key.0, key.1),
            Owner::One(a, b) if (a, b) == key => Owner::One(a, b),
            _ => Owner::Many,
        };
    }

    fn merge(&mut self, other: Owner) {
        match other {
            Owner::None => {}
            Owner::One(a, b) => self.add((a, b)),
            Owner::Many => *self = Owner::Many,
        }
    }
}

fn try_plan(
    f: &Function,
    live: &[bool],
    extra: &[bool],
    scatter: &[bool],
) -> Result<Plan, Vec<Retry>> {
    let fail = |e: JitError| vec![Retry::Fail(e)];
    let class_of = |i: usize| {
        if scatter[i] {
            Class::Root
        } else {
            class(&f.graph.nodes()[i].op)
        }
    };
    let g = &f.graph;
    let nodes = g.nodes();
    let n = nodes.len();
    let mut is_output = vec![false; n];
    for o in &f.outputs {
        is_output[o.index()] = true;
    }
    // Materializations forced by the operations themselves.
    let mut mat = vec![false; n];
    for (i, node) in nodes.iter().enumerate() {
        if !live[i] {
            continue;
        }
        if class_of(i) != Class::Fusible || is_output[i] || extra[i] {
            mat[i] = true;
        }
        if matches!(node.op, Op::MatMul | Op::Reshape) {
            for a in &node.args {
                mat[a.index()] = true;
            }
        }
    }
    // Cost of recomputing each node from the materialized ones (an upper bound: more
    // nodes may be materialized below).
    let mut cost = vec![0u32; n];
    for (i, node) in nodes.iter().enumerate() {
        let mut c = own_cost(&node.op);
        for a in &node.args {
            if !mat[a.index()] {
                c = c.saturating_add(cost[a.index()]);
            }
        }
        cost[i] = c.min(1 << 20);
    }
    // Which loops read each node; a node read by several loops is materialized
    // unless it is cheap.
    let mut owner = vec![Owner::None; n];
    for c in (0..n).rev() {
        if !live[c] {
            continue;
        }
        let node = &nodes[c];
        if !mat[c] && (owner[c] == Owner::None || (owner[c] == Owner::Many && cost[c] > CHEAP)) {
            mat[c] = true;
        }
        if mat[c] {
            match node.op {
                Op::Input(_) | Op::Const(_) | Op::Reshape | Op::MatMul => {}
                Op::Concat(_) => {
                    for (p, a) in node.args.iter().enumerate() {
                        owner[a.index()].add((c as u32, p as u32));
                    }
                }
                _ => {
                    for a in &node.args {
                        owner[a.index()].add((c as u32, 0));
                    }
                }
            }
        } else {
            let o = owner[c];
            for a in &node.args {
                owner[a.index()].merge(o);
            }
        }
    }
    // Nodes whose memory a matrix product reads (through reshapes).
    let mut need_mem = vec![false; n];
    for c in (0..n).rev() {
        if live[c] && (nodes[c].op == Op::MatMul || (nodes[c].op == Op::Reshape && need_mem[c])) {
            for a in &nodes[c].args {
                need_mem[a.index()] = true;
            }
        }
    }
    // Locations.
    let mut val = vec![Val::default(); n];
    let mut consts: Vec<f64> = Vec::new();
    let mut scratch = 0usize;
    let mut n_regs = 0u32;
    let mut reg_inputs = Vec::new();
    let mut new_reg = || {
        n_regs += 1;
        n_regs - 1
    };
    for (i, node) in nodes.iter().enumerate() {
        if !live[i] || !mat[i] {
            continue;
        }
        let size = numel(&node.shape);
        let out_k = f.outputs.iter().position(|o| o.index() == i);
        if node.op == Op::Reshape {
            val[i] = val[node.args[0].index()];
            continue;
        }
        let v = &mut val[i];
        match &node.op {
            Op::Input(k) => {
                v.mem = Some(Mem::In(*k));
                if size == 1 {
                    let r = new_reg();
                    reg_inputs.push((r, *k));
                    v.reg = Some(r);
                }
            }
            Op::Const(c) => {
                let t = g.get_constant(*c).ok_or_else(|| {
                    fail(JitError::Invalid(format!("constant {c} does not exist")))
                })?;
                if size == 1 {
                    v.imm = t.iter().next().copied();
                }
                if size != 1 || need_mem[i] {
                    v.mem = Some(Mem::Const(consts.len()));
                    consts.extend(t.iter().copied());
                }
            }
            op => {
                v.mem = out_k.map(|k| Mem::Out(k as u32));
                let looped = class_of(i) == Class::Fusible
                    || matches!(op, Op::Sum(_) | Op::Max(_) | Op::Min(_));
                if looped && size == 1 {
                    v.reg = Some(new_reg());
                }
                if v.mem.is_none() && (v.reg.is_none() || need_mem[i]) {
                    v.mem = Some(Mem::Scratch(scratch));
                    scratch += size;
                }
            }
        }
    }
    let facts = Facts { f, mat, val, cost };
    let mut steps = Vec::new();
    let mut matmuls = Vec::new();
    // Loops that could not be built say what to change; all are collected, so
    // that one more round of planning fixes them all.
    let mut retries: Vec<Retry> = Vec::new();
    let mut push = |r: Result<Option<Group>, Retry>, steps: &mut Vec<Step>| match r {
        Ok(g) => {
            steps.extend(g.map(|g| Step::Loop(vec![g])));
            Ok(())
        }
        Err(Retry::Fail(e)) => Err(vec![Retry::Fail(e)]),
        Err(r) => {
            retries.push(r);
            Ok(())
        }
    };
    for (i, node) in nodes.iter().enumerate() {
        if !live[i] || !facts.mat[i] || class(&node.op) == Class::Leaf {
            continue;
        }
        let id = NodeId(i as u32);
        let v = facts.val[i];
        let store = |shape: &[usize]| v.mem.map(|m| Access::dense(m, shape));
        if class_of(i) == Class::Fusible {
            push(
                group::map(&facts, id, true, &node.shape, store(&node.shape), v.reg),
                &mut steps,
            )?;
            continue;
        }
        match &node.op {
            Op::Sum(axis) | Op::Max(axis) | Op::Min(axis) => {
                let op = match node.op {
                    Op::Sum(_) => RedOp::Sum,
                    Op::Max(_) => RedOp::Max,
                    _ => RedOp::Min,
                };
                push(
                    group::reduce(
                        &facts,
                        id,
                        node.args[0],
                        op,
                        *axis,
                        store(&node.shape),
                        v.reg,
                    ),
                    &mut steps,
                )?;
            }
            Op::Concat(axis) => {
                let mem = v
                    .mem
                    .ok_or_else(|| fail(JitError::Codegen("concat without memory".into())))?;
                let strides = row_major(&node.shape);
                let mut offset = 0i64;
                for a in &node.args {
                    let part = g.shape(*a);
                    let acc = Access {
                        mem,
                        off: offset * strides[*axis],
                        strides: strides.clone(),
                    };
                    offset += part[*axis] as i64;
                    push(
                        group::map(&facts, *a, false, part, Some(acc), None),
                        &mut steps,
                    )?;
                }
            }
            Op::Unslice(sl) => {
                let mem = v
                    .mem
                    .ok_or_else(|| fail(JitError::Codegen("unslice without memory".into())))?;
                steps.push(Step::Fill {
                    mem,
                    len: numel(&node.shape),
                });
                let rm = row_major(&node.shape);
                let acc = Access {
                    mem,
                    off: sl.iter().zip(&rm).map(|(s, &r)| s.start as i64 * r).sum(),
                    strides: sl.iter().zip(&rm).map(|(s, &r)| s.step * r).collect(),
                };
                let arg = node.args[0];
                push(
                    group::map(&facts, arg, false, g.shape(arg), Some(acc), None),
                    &mut steps,
                )?;
            }
            Op::MatMul => {
                let mem_of = |a: NodeId| {
                    facts.val[a.index()].mem.ok_or_else(|| {
                        fail(JitError::Codegen("matmul operand without memory".into()))
                    })
                };
                let (sa, sb) = (g.shape(node.args[0]), g.shape(node.args[1]));
                matmuls.push(MatMulOp {
                    a: mem_of(node.args[0])?,
                    b: mem_of(node.args[1])?,
                    out: v
                        .mem
                        .ok_or_else(|| fail(JitError::Codegen("matmul without memory".into())))?,
                    m: sa[0],
                    k: sa[1],
                    n: sb[1],
                });
                steps.push(Step::MatMul(matmuls.len() as u32 - 1));
            }
            op => return Err(fail(JitError::Codegen(format!("no step for `{op:?}`")))),
        }
    }
    // Outputs that are leaves, or that repeat an earlier output, are copied.
    for (k, o) in f.outputs.iter().enumerate() {
        let node = g.node(*o);
        let home = facts.val[o.index()].mem == Some(Mem::Out(k as u32));
        if class(&node.op) == Class::Leaf || !home {
            let acc = Access::dense(Mem::Out(k as u32), &node.shape);
            push(
                group::map(&facts, *o, false, &node.shape, Some(acc), None),
                &mut steps,
            )?;
        }
    }
    if !retries.is_empty() {
        return Err(retries);
    }
    Ok(Plan {
        steps: crate::fuse::fuse(steps, &matmuls),
        matmuls,
        consts,
        scratch_len: scratch,
        n_regs,
        reg_inputs,
        input_shapes: f.input_shapes().to_vec(),
        output_shapes: f.output_shapes(),
    })
}

#[cfg(test)]
mod tests {
    use optl_ir::{Function, Graph, Op};

    /// The backstop behind `validate`: planning itself refuses a live sparse product
    /// (and a live solve).
    #[test]
    fn plan_refuses_linear_algebra_without_validation() {
        let mut g = Graph::new();
        let x = g.input(vec![2]);
        let one = |g: &mut Graph, d: &[f64]| {
            let t = optl_tensor::from_vec(&[d.len()], d.to_vec()).expect("t");
            g.constant(t)
        };
        let (p, j, v) = (
            one(&mut g, &[0.0, 1.0]),
            one(&mut g, &[1.0]),
            one(&mut g, &[3.0]),
        );
        let y = g.sparse_matvec(p, j, v, x, 2, false).expect("sparse");
        let f = Function {
            graph: g.clone(),
            outputs: vec![y],
        };
        let op = Op::SparseMatVec {
            ncols: 2,
            transpose: false,
        };
        assert_eq!(
            super::plan(&f).err(),
            Some(crate::JitError::Unsupported(op))
        );
        let a = g.input(vec![2, 2]);
        let s = g.solve(a, x).expect("solve");
        let f = Function {
            graph: g,
            outputs: vec![s],
        };
        assert_eq!(
            super::plan(&f).err(),
            Some(crate::JitError::Unsupported(Op::Solve))
        );
    }
}
