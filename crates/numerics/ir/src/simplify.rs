//! Whole-function simplification, and copying one function's graph into another.
//!
//! [`simplify`] rebuilds the part of a function its outputs depend on into a fresh
//! graph through the builders, so the build-time rules of `rewrite.rs` (folding,
//! identities, canonical operand order) and hash-consing apply again, and dead
//! nodes are dropped. [`inline`] is the same copy into an existing graph, with the
//! function's inputs bound to given nodes (AD and calls of traced functions use it).

use crate::graph::{Function, Graph, IrError, IrResult, Node, NodeId, Op, same_shape, shape_text};

/// A simplified copy of `f`: same inputs (all of them, in order, even unused ones, so
/// the arity is kept), same output shapes, dead code dropped. A malformed function
/// (one made with the raw `Graph::push` that the builders reject) is returned as is.
pub fn simplify(f: &Function) -> Function {
    let mut graph = Graph::with_capacity(f.graph.len());
    let inputs = graph.inputs(f.input_shapes());
    match import(&mut graph, &f.graph, &f.outputs, &inputs) {
        Ok(outputs) => prune(&Function { graph, outputs }),
        Err(_) => f.clone(),
    }
}

/// A copy of `f` with only the nodes its outputs depend on (and all inputs), in the
/// same order, without rebuilding them: rewriting during a rebuild leaves behind
/// nodes (constants, operands of folded nodes) that nothing reads any more.
pub fn prune(f: &Function) -> Function {
    let src = &f.graph;
    let live = src.reachable(&f.outputs);
    let mut graph = Graph::new();
    let inputs = graph.inputs(f.input_shapes());
    let mut map: Vec<Option<NodeId>> = vec![None; src.len()];
    for (i, node) in src.nodes().iter().enumerate() {
        if !live[i] {
            continue;
        }
        let args: Option<crate::graph::Args> = node
            .args
            .iter()
            .map(|a| map.get(a.index()).copied().flatten())
            .collect();
        let new = match (&node.op, args) {
            (Op::Input(k), _) => inputs.get(*k as usize).copied(),
            (Op::Const(c), _) => src.get_constant(*c).map(|t| graph.constant_rc(t)),
            // Live nodes keep their relative order, so sorted operands stay sorted.
            (op, Some(args)) => Some(graph.push_unshared(op.clone(), args, node.shape.clone())),
            (_, None) => None,
        };
        let Some(new) = new else {
            return f.clone();
        };
        map[i] = Some(new);
    }
    let outputs: Option<Vec<NodeId>> = f
        .outputs
        .iter()
        .map(|o| map.get(o.index()).copied().flatten())
        .collect();
    match outputs {
        Some(outputs) => Function { graph, outputs },
        None => f.clone(),
    }
}

/// [`prune`] of a function that is not needed afterwards: the live nodes are moved
/// rather than copied, and entered in the hash-consing table of the result, so that
/// nodes built on the result later share with them (as after [`simplify`]). The
/// result has the same nodes in the same order as `prune(&f)`.
pub fn prune_owned(f: Function) -> Function {
    let live = f.graph.reachable(&f.outputs);
    let n_inputs = f.input_shapes().len();
    let n_consts = f.graph.constant_count();
    // A malformed function (an argument after its node, a missing input or constant)
    // goes the careful way.
    let well_formed = f.graph.nodes().iter().enumerate().all(|(i, node)| {
        !live[i]
            || match node.op {
                Op::Input(k) => (k as usize) < n_inputs,
                Op::Const(c) => (c as usize) < n_consts,
                _ => node.args.iter().all(|a| a.index() < i),
            }
    }) && f.outputs.iter().all(|o| o.index() < live.len());
    if !well_formed {
        return prune(&f);
    }
    let mut f = f;
    if let Some(map) = f.graph.prune_in_place(&live) {
        let outputs = f.outputs.iter().map(|o| map[o.index()]).collect();
        return Function {
            graph: f.graph,
            outputs,
        };
    }
    let Function {
        graph: src,
        outputs,
    } = f;
    let count = live.iter().filter(|&&l| l).count();
    let (nodes, consts, input_shapes) = src.into_parts();
    let mut graph = Graph::with_capacity(count);
    let inputs: Vec<NodeId> = input_shapes.into_iter().map(|s| graph.input(s)).collect();
    let mut map: Vec<NodeId> = vec![NodeId(u32::MAX); nodes.len()];
    for (i, node) in nodes.into_iter().enumerate() {
        if !live[i] {
            continue;
        }
        let Node {
            op,
            mut args,
            shape,
        } = node;
        map[i] = match op {
            Op::Input(k) => inputs[k as usize],
            Op::Const(c) => graph.constant_rc(&consts[c as usize]),
            op => {
                for a in &mut args {
                    *a = map[a.index()];
                }
                // Live nodes keep their relative order, so sorted operands stay sorted.
                graph.push_unique(Node { op, args, shape })
            }
        };
    }
    let outputs = outputs.iter().map(|o| map[o.index()]).collect();
    Function { graph, outputs }
}

/// Copies the part of `f` its outputs depend on into `dst`, with input `k` of `f`
/// replaced by `args[k]` (which must have `f`'s input shapes), and returns the nodes
/// of `f`'s outputs in `dst`.
pub fn inline(dst: &mut Graph, f: &Function, args: &[NodeId]) -> IrResult<Vec<NodeId>> {
    let shapes = f.input_shapes();
    if shapes.len() != args.len() {
        return Err(IrError::Invalid(format!(
            "the function takes {} inputs, {} given",
            shapes.len(),
            args.len()
        )));
    }
    for (s, &a) in shapes.iter().zip(args) {
        let sa = dst
            .get(a)
            .map(|n| n.shape.to_vec())
            .ok_or_else(|| IrError::Invalid(format!("node %{} is not in the graph", a.0)))?;
        if &sa != s {
            return Err(IrError::Shape(format!(
                "argument of shape {} for an input of shape {}",
                shape_text(&sa),
                shape_text(s)
            )));
        }
    }
    import(dst, &f.graph, &f.outputs, args)
}

/// Rebuilds the nodes of `src` that `roots` depend on into `dst` (input `k` becomes
/// `inputs[k]`), returning the new ids of the roots.
pub(crate) fn import(
    dst: &mut Graph,
    src: &Graph,
    roots: &[NodeId],
    inputs: &[NodeId],
) -> IrResult<Vec<NodeId>> {
    let live = src.reachable(roots);
    let mut map: Vec<Option<NodeId>> = vec![None; src.len()];
    for (i, node) in src.nodes().iter().enumerate() {
        if !live[i] {
            continue;
        }
        let args = node
            .args
            .iter()
            .map(|a| map.get(a.index()).copied().flatten())
            .collect::<Option<Vec<NodeId>>>()
            .ok_or_else(|| IrError::Invalid(format!("node %{i} reads a later node")))?;
        let new = rebuild(dst, src, node, &args, inputs, &node.shape)?;
        if !same_shape(dst.shape(new), &node.shape) {
            return Err(IrError::Shape(format!(
                "node %{i} has shape {} but its operation gives {}",
                shape_text(&node.shape),
                shape_text(dst.shape(new))
            )));
        }
        map[i] = Some(new);
    }
    roots
        .iter()
        .map(|r| {
            map.get(r.index())
                .copied()
                .flatten()
                .ok_or_else(|| IrError::Invalid(format!("output %{} is not a node", r.0)))
        })
        .collect()
}

/// One node of `src` built again in `dst` with the builders, from new arguments.
/// Rebuilds one node of `src` in `dst` on the arguments `args` (input `k` becomes
/// `inputs[k]`); `shape` is the result shape for the operations that are told theirs
/// (broadcast, reshape, unslice), the node's own unless the caller changes it.
pub(crate) fn rebuild(
    dst: &mut Graph,
    src: &Graph,
    node: &Node,
    args: &[NodeId],
    inputs: &[NodeId],
    shape: &[usize],
) -> IrResult<NodeId> {
    let want = |n: usize| {
        if args.len() == n {
            Ok(())
        } else {
            Err(IrError::Invalid(format!(
                "`{:?}` with {} arguments",
                node.op,
                args.len()
            )))
        }
    };
    match &node.op {
        Op::Input(k) => {
            want(0)?;
            inputs
                .get(*k as usize)
                .copied()
                .ok_or_else(|| IrError::Invalid(format!("input {k} does not exist")))
        }
        Op::Const(c) => {
            want(0)?;
            let t = src
                .get_constant(*c)
                .ok_or_else(|| IrError::Invalid(format!("constant {c} does not exist")))?;
            Ok(dst.constant_rc(t))
        }
        Op::Unary(op) => {
            want(1)?;
            Ok(dst.unary(*op, args[0]))
        }
        Op::Binary(op) => {
            want(2)?;
            dst.binary(*op, args[0], args[1])
        }
        Op::Where => {
            want(3)?;
            dst.where_(args[0], args[1], args[2])
        }
        Op::Sum(axis) => {
            want(1)?;
            dst.sum(args[0], *axis)
        }
        Op::Max(axis) => {
            want(1)?;
            dst.max(args[0], *axis)
        }
        Op::Min(axis) => {
            want(1)?;
            dst.min(args[0], *axis)
        }
        Op::MatMul => {
            want(2)?;
            dst.matmul(args[0], args[1])
        }
        Op::Broadcast => {
            want(1)?;
            dst.broadcast(args[0], shape)
        }
        Op::Reshape => {
            want(1)?;
            dst.reshape(args[0], shape)
        }
        Op::Transpose => {
            want(1)?;
            Ok(dst.transpose(args[0]))
        }
        Op::Slice(sl) => {
            want(1)?;
            dst.slice(args[0], sl.clone())
        }
        Op::Unslice(sl) => {
            want(1)?;
            dst.unslice(args[0], sl.clone(), shape)
        }
        Op::Concat(axis) => dst.concat(args, *axis),
        Op::Solve => {
            want(2)?;
            dst.solve(args[0], args[1])
        }
        Op::EntropicOt { reg } => {
            want(3)?;
            dst.entropic_ot(args[0], args[1], args[2], f64::from_bits(*reg))
        }
        Op::EntropicOtGrad { reg, wrt } => {
            want(3)?;
            dst.entropic_ot_grad(args[0], args[1], args[2], f64::from_bits(*reg), *wrt)
        }
        Op::LogDet => {
            want(1)?;
            dst.logdet(args[0])
        }
        Op::NuclearNorm => {
            want(1)?;
            dst.nuclear_norm(args[0])
        }
        Op::NuclearNormGrad => {
            want(1)?;
            dst.nuclear_norm_grad(args[0])
        }
        Op::Cholesky => {
            want(1)?;
            dst.cholesky(args[0])
        }
        Op::SparseMatVec { ncols, transpose } => {
            want(4)?;
            dst.sparse_matvec(args[0], args[1], args[2], args[3], *ncols, *transpose)
        }
    }
}

#[cfg(test)]
#[path = "simplify_tests.rs"]
mod tests;
