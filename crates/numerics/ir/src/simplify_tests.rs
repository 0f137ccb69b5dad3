//! Unit tests for the build-time rules (`rewrite.rs`) and for `simplify.rs`.

use super::*;
use crate::graph::{AxisSlice, BinaryOp, UnaryOp};
use crate::interp::eval;
use crate::print::to_text;

fn scalar_graph() -> (Graph, NodeId, NodeId) {
    let mut g = Graph::new();
    let x = g.input(vec![3]);
    let y = g.input(vec![3]);
    (g, x, y)
}

#[test]
fn identities_return_the_operand() {
    let (mut g, x, _) = scalar_graph();
    let zero = g.full(0.0, &[3]);
    let one = g.full(1.0, &[3]);
    let b = BinaryOp::Add;
    assert_eq!(g.binary(b, x, zero), Ok(x));
    assert_eq!(g.binary(b, zero, x), Ok(x));
    assert_eq!(g.binary(BinaryOp::Sub, x, zero), Ok(x));
    assert_eq!(g.binary(BinaryOp::Mul, x, one), Ok(x));
    assert_eq!(g.binary(BinaryOp::Mul, one, x), Ok(x));
    assert_eq!(g.binary(BinaryOp::Div, x, one), Ok(x));
    assert_eq!(g.binary(BinaryOp::Pow, x, one), Ok(x));
    assert_eq!(g.binary(BinaryOp::Max, x, x), Ok(x));
    assert_eq!(g.binary(BinaryOp::Min, x, x), Ok(x));
    let n = g.unary(UnaryOp::Neg, x);
    assert_eq!(g.unary(UnaryOp::Neg, n), x);
    let c = g.input(vec![3]);
    assert_eq!(g.where_(c, x, x), Ok(x));
    assert_eq!(g.where_(one, x, c), Ok(x));
    assert_eq!(g.where_(zero, x, c), Ok(c));
}

#[test]
fn identities_giving_constants_keep_the_shape() {
    let (mut g, x, _) = scalar_graph();
    let zero = g.full(0.0, &[3]);
    let two = g.full(2.0, &[3]);
    for (op, a, b, v) in [
        (BinaryOp::Mul, x, zero, 0.0),
        (BinaryOp::Mul, zero, x, 0.0),
        (BinaryOp::Sub, x, x, 0.0),
        (BinaryOp::Pow, x, zero, 1.0),
    ] {
        let r = g.binary(op, a, b).expect("builds");
        assert_eq!(g.shape(r), &[3]);
        assert_eq!(g.as_scalar_const(r), Some(v), "{op:?}");
    }
    let m = g.input(vec![2, 3]);
    let z23 = g.full(0.0, &[3, 2]);
    let mm = g.matmul(m, z23).expect("matmul");
    assert_eq!(
        (g.shape(mm), g.as_scalar_const(mm)),
        (&[2, 2][..], Some(0.0))
    );
    let t = g.binary(BinaryOp::Mul, two, zero).expect("folds");
    assert_eq!(t, zero);
}

#[test]
fn powers_become_products_roots_and_reciprocals() {
    let (mut g, x, _) = scalar_graph();
    let p = |g: &mut Graph, e: f64| {
        let c = g.full(e, &[3]);
        g.binary(BinaryOp::Pow, x, c).expect("pow")
    };
    let sq = p(&mut g, 2.0);
    assert_eq!(g.node(sq).op, Op::Binary(BinaryOp::Mul));
    assert_eq!(g.node(sq).args.as_slice(), [x, x]);
    let cube = p(&mut g, 3.0);
    assert_eq!(g.node(cube).op, Op::Binary(BinaryOp::Mul));
    assert!(g.node(cube).args.contains(&sq));
    let root = p(&mut g, 0.5);
    assert_eq!(g.node(root).op, Op::Unary(UnaryOp::Sqrt));
    let inv = p(&mut g, -1.0);
    assert_eq!(g.node(inv).op, Op::Binary(BinaryOp::Div));
    assert_eq!(g.as_scalar_const(g.node(inv).args[0]), Some(1.0));
    let other = p(&mut g, 1.5);
    assert_eq!(g.node(other).op, Op::Binary(BinaryOp::Pow));
    let one = g.full(1.0, &[3]);
    let r = g.binary(BinaryOp::Pow, one, x).expect("pow");
    assert_eq!(g.as_scalar_const(r), Some(1.0));
}

#[test]
fn constants_fold() {
    let mut g = Graph::new();
    let a = g.scalar(2.0);
    let b = g.scalar(3.0);
    let s = g.binary(BinaryOp::Add, a, b).expect("add");
    assert_eq!(g.as_scalar_const(s), Some(5.0));
    let e = g.unary(UnaryOp::Exp, a);
    assert_eq!(g.as_scalar_const(e), Some(2f64.exp()));
    let v = g.constant(optl_tensor::from_vec(&[3], vec![1.0, 2.0, 3.0]).expect("t"));
    let total = g.sum(v, None).expect("sum");
    assert_eq!(g.as_scalar_const(total), Some(6.0));
    let bb = g.broadcast(b, &[3]).expect("broadcast");
    let prod = g.binary(BinaryOp::Mul, v, bb).expect("mul");
    let want = optl_tensor::from_vec(&[3], vec![3.0, 6.0, 9.0]).expect("t");
    assert_eq!(g.as_const(prod).map(|t| (**t).clone()), Some(want));
    // A uniform result is a broadcast scalar, not a tensor constant.
    let f = g.full(2.0, &[1000]);
    let sq = g.binary(BinaryOp::Mul, f, f).expect("mul");
    assert_eq!(
        (g.shape(sq), g.as_scalar_const(sq)),
        (&[1000][..], Some(4.0))
    );
    let r = g.reshape(f, &[10, 100]).expect("reshape");
    assert_eq!(g.as_scalar_const(r), Some(2.0));
    let m = g.max(f, None).expect("max");
    assert_eq!(g.as_scalar_const(m), Some(2.0));
    // A fold that fails is left for run time.
    let empty = g.constant(optl_tensor::from_vec(&[0], vec![]).expect("t"));
    let bad = g.max(empty, None).expect("builds");
    assert_eq!(g.node(bad).op, Op::Max(None));
}

#[test]
fn commutative_operands_are_canonical() {
    let (mut g, x, y) = scalar_graph();
    for op in [
        BinaryOp::Add,
        BinaryOp::Mul,
        BinaryOp::Max,
        BinaryOp::Min,
        BinaryOp::Eq,
        BinaryOp::Ne,
    ] {
        assert_eq!(g.binary(op, x, y), g.binary(op, y, x), "{op:?}");
    }
    assert_ne!(g.binary(BinaryOp::Sub, x, y), g.binary(BinaryOp::Sub, y, x));
    assert_ne!(g.binary(BinaryOp::Lt, x, y), g.binary(BinaryOp::Lt, y, x));
}

#[test]
fn broadcasts_of_different_shapes_are_different_nodes() {
    let mut g = Graph::new();
    let a = g.full(0.0, &[3]);
    let b = g.full(0.0, &[2, 3]);
    assert_ne!(a, b);
    assert_eq!(g.shape(b), &[2, 3]);
    let x = g.input(vec![6]);
    let r1 = g.reshape(x, &[2, 3]).expect("reshape");
    let r2 = g.reshape(x, &[3, 2]).expect("reshape");
    assert_ne!(r1, r2);
}

#[test]
fn shape_chains_collapse() {
    let mut g = Graph::new();
    let x = g.input(vec![2, 3]);
    let t = g.transpose(x);
    assert_eq!(g.transpose(t), x);
    let r = g.reshape(x, &[6]).expect("reshape");
    let r2 = g.reshape(r, &[3, 2]).expect("reshape");
    assert_eq!(g.node(r2).args.as_slice(), [x]);
    assert_eq!(g.reshape(r, &[2, 3]), Ok(x));
    let v = g.input(vec![3]);
    let b1 = g.broadcast(v, &[2, 3]).expect("broadcast");
    let b2 = g.broadcast(b1, &[4, 2, 3]).expect("broadcast");
    assert_eq!(g.node(b2).args.as_slice(), [v]);
    let s = g.input(vec![]);
    assert_eq!(g.sum(s, None), Ok(s));
    let col = g.input(vec![3, 1]);
    let sc = g.sum(col, Some(1)).expect("sum");
    assert_eq!(g.node(sc).op, Op::Reshape);
}

#[test]
fn simplify_drops_dead_code_and_keeps_inputs() {
    let mut g = Graph::new();
    let x = g.input(vec![3]);
    let _unused = g.input(vec![2]);
    let _dead = g.unary(UnaryOp::Exp, x);
    // Built raw, so not simplified yet: x * 1 + 0.
    let one = g.full(1.0, &[3]);
    let zero = g.full(0.0, &[3]);
    let m = g.push(Op::Binary(BinaryOp::Mul), vec![x, one], vec![3]);
    let a = g.push(Op::Binary(BinaryOp::Add), vec![m, zero], vec![3]);
    let s = g.sum(a, None).expect("sum");
    let f = Function {
        graph: g,
        outputs: vec![s, x],
    };
    let sf = simplify(&f);
    assert_eq!(sf.input_shapes(), &[vec![3], vec![2]]);
    assert_eq!(sf.graph.len(), 3, "{}", to_text(&sf));
    assert_eq!(
        to_text(&sf),
        "fn(%0: [3], %1: [2]) -> ([], [3])\n  %2 = sum %0 : []\n  return %2, %0\n"
    );
    let ins = [
        optl_tensor::from_vec(&[3], vec![1.0, 2.0, 3.0]).expect("t"),
        optl_tensor::from_vec(&[2], vec![0.0, 0.0]).expect("t"),
    ];
    assert_eq!(eval(&f, &ins), eval(&sf, &ins));
}

#[test]
fn simplify_returns_malformed_functions_unchanged() {
    let mut g = Graph::new();
    let x = g.input(vec![3]);
    let bad = g.push(Op::Binary(BinaryOp::Add), vec![x], vec![3]);
    let f = Function {
        graph: g,
        outputs: vec![bad],
    };
    assert_eq!(simplify(&f).graph.len(), f.graph.len());
}

#[test]
fn inline_binds_inputs() {
    let mut g = Graph::new();
    let x = g.input(vec![3]);
    let e = g.unary(UnaryOp::Exp, x);
    let f = Function {
        graph: g,
        outputs: vec![e],
    };
    let mut h = Graph::new();
    let a = h.input(vec![3]);
    let n = h.unary(UnaryOp::Neg, a);
    let out = inline(&mut h, &f, &[n]).expect("inline");
    assert_eq!(h.node(out[0]).op, Op::Unary(UnaryOp::Exp));
    assert_eq!(h.node(out[0]).args.as_slice(), [n]);
    let s = h.input(vec![]);
    assert!(inline(&mut h, &f, &[s]).is_err());
    assert!(inline(&mut h, &f, &[]).is_err());
    let sl = vec![AxisSlice {
        start: 0,
        step: 1,
        len: 3,
    }];
    assert_eq!(h.slice(a, sl), Ok(a));
}

#[test]
fn negations_move_outwards_and_cancel() {
    let (mut g, x, y) = scalar_graph();
    let nx = g.unary(UnaryOp::Neg, x);
    let ny = g.unary(UnaryOp::Neg, y);
    let sub = g.binary(BinaryOp::Sub, x, y).expect("sub");
    assert_eq!(g.binary(BinaryOp::Add, x, ny), Ok(sub));
    let add = g.binary(BinaryOp::Add, x, y).expect("add");
    assert_eq!(g.binary(BinaryOp::Sub, x, ny), Ok(add));
    let mul = g.binary(BinaryOp::Mul, x, y).expect("mul");
    assert_eq!(g.binary(BinaryOp::Mul, nx, ny), Ok(mul));
    let m = g.binary(BinaryOp::Mul, nx, y).expect("mul");
    assert_eq!(g.node(m).op, Op::Unary(UnaryOp::Neg));
    assert_eq!(g.node(m).args.as_slice(), [mul]);
    let back = g.binary(BinaryOp::Sub, y, x).expect("sub");
    assert_eq!(g.unary(UnaryOp::Neg, sub), back);
    let d = g.binary(BinaryOp::Div, x, ny).expect("div");
    assert_eq!(g.node(d).op, Op::Unary(UnaryOp::Neg));
}

/// Pruning dead nodes at the end of a graph in place drops their entries from the
/// hash-consing table too: building on the result must not find them (it indexed
/// past the node list).
#[test]
fn pruning_dead_nodes_at_the_end_forgets_them() {
    let mut g = Graph::new();
    let x = g.input(vec![3]);
    let y = g.unary(UnaryOp::Exp, x);
    let s = g.sum(y, None).unwrap();
    let dead = g.unary(UnaryOp::Sin, x);
    let _ = g.sum(dead, None).unwrap();
    let f = prune_owned(Function {
        graph: g,
        outputs: vec![s],
    });
    let mut g = f.graph.clone();
    let x = NodeId(0);
    let again = g.unary(UnaryOp::Sin, x);
    assert!(again.index() < g.len());
    let one = g.scalar(1.0);
    let total = g.binary(BinaryOp::Add, f.outputs[0], one).unwrap();
    let out = crate::interp::eval(
        &Function {
            graph: g,
            outputs: vec![total],
        },
        &[optl_tensor::Tensor::zeros(ndarray::IxDyn(&[3]))],
    )
    .unwrap();
    assert_eq!(out[0].sum(), 4.0);
}
