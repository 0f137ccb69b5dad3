//! Unit tests for `interp.rs`: every operation on small hand-checked tensors, and
//! errors instead of panics on bad inputs and malformed graphs.

use super::*;
use crate::graph::{AxisSlice, BinaryOp, Function, Graph, IrError, NodeId, Op, UnaryOp};

fn t(shape: &[usize], data: &[f64]) -> Tensor {
    optl_tensor::from_vec(shape, data.to_vec()).expect("test tensor")
}

fn vals(t: &Tensor) -> Vec<f64> {
    t.iter().copied().collect()
}

/// Builds a one-output function of inputs of `shapes` and runs it on `inputs`.
fn run(
    shapes: &[&[usize]],
    inputs: &[Tensor],
    build: impl FnOnce(&mut Graph, &[NodeId]) -> IrResult<NodeId>,
) -> IrResult<Tensor> {
    let mut g = Graph::new();
    let xs: Vec<NodeId> = shapes.iter().map(|s| g.input(s.to_vec())).collect();
    let out = build(&mut g, &xs)?;
    let f = Function {
        graph: g,
        outputs: vec![out],
    };
    Ok(eval(&f, inputs)?.remove(0))
}

fn unary(op: UnaryOp, xs: &[f64]) -> Vec<f64> {
    let r = run(&[&[xs.len()]], &[t(&[xs.len()], xs)], |g, x| {
        Ok(g.unary(op, x[0]))
    });
    vals(&r.expect("unary"))
}

fn binary(op: BinaryOp, a: &[f64], b: &[f64]) -> Vec<f64> {
    let n = a.len();
    let r = run(&[&[n], &[n]], &[t(&[n], a), t(&[n], b)], |g, x| {
        g.binary(op, x[0], x[1])
    });
    vals(&r.expect("binary"))
}

fn same(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
}

#[test]
fn unary_ops() {
    let x = [-1.5, 0.0, 2.0];
    assert_eq!(unary(UnaryOp::Neg, &x), vec![1.5, -0.0, -2.0]);
    assert_eq!(unary(UnaryOp::Abs, &x), vec![1.5, 0.0, 2.0]);
    assert_eq!(unary(UnaryOp::Sign, &x), vec![-1.0, 0.0, 1.0]);
    assert_eq!(unary(UnaryOp::Floor, &x), vec![-2.0, 0.0, 2.0]);
    assert_eq!(unary(UnaryOp::Ceil, &x), vec![-1.0, 0.0, 2.0]);
    assert_eq!(unary(UnaryOp::Exp, &[0.0, 1.0]), vec![1.0, 1f64.exp()]);
    assert_eq!(unary(UnaryOp::Log, &[1.0, 4.0]), vec![0.0, 4f64.ln()]);
    assert_eq!(unary(UnaryOp::Log1p, &[0.0, 1e-20]), vec![0.0, 1e-20]);
    assert_eq!(unary(UnaryOp::Sqrt, &[4.0, 2.0]), vec![2.0, 2f64.sqrt()]);
    assert_eq!(unary(UnaryOp::Sin, &[0.5]), vec![0.5f64.sin()]);
    assert_eq!(unary(UnaryOp::Cos, &[0.5]), vec![0.5f64.cos()]);
    assert_eq!(unary(UnaryOp::Tan, &[0.5]), vec![0.5f64.tan()]);
    assert_eq!(unary(UnaryOp::Atan, &[0.5]), vec![0.5f64.atan()]);
    assert_eq!(unary(UnaryOp::Tanh, &[0.5]), vec![0.5f64.tanh()]);
    assert!(same(&unary(UnaryOp::Sign, &[f64::NAN]), &[f64::NAN]));
    assert!(unary(UnaryOp::Log, &[-1.0])[0].is_nan());
}

#[test]
fn sigmoid_is_stable() {
    let s = unary(UnaryOp::Sigmoid, &[-1000.0, 0.0, 1000.0, -2.0, 2.0]);
    assert_eq!(s[..3], [0.0, 0.5, 1.0]);
    assert!((s[3] + s[4] - 1.0).abs() < 1e-15);
    assert!((s[4] - 1.0 / (1.0 + (-2f64).exp())).abs() < 1e-16);
}

#[test]
fn binary_ops() {
    let (a, b) = ([1.0, 2.0, 3.0], [3.0, 2.0, 1.0]);
    assert_eq!(binary(BinaryOp::Add, &a, &b), vec![4.0; 3]);
    assert_eq!(binary(BinaryOp::Sub, &a, &b), vec![-2.0, 0.0, 2.0]);
    assert_eq!(binary(BinaryOp::Mul, &a, &b), vec![3.0, 4.0, 3.0]);
    assert_eq!(binary(BinaryOp::Div, &a, &b), vec![1.0 / 3.0, 1.0, 3.0]);
    assert_eq!(binary(BinaryOp::Pow, &a, &b), vec![1.0, 4.0, 3.0]);
    assert_eq!(binary(BinaryOp::Max, &a, &b), vec![3.0, 2.0, 3.0]);
    assert_eq!(binary(BinaryOp::Min, &a, &b), vec![1.0, 2.0, 1.0]);
    assert_eq!(binary(BinaryOp::Lt, &a, &b), vec![1.0, 0.0, 0.0]);
    assert_eq!(binary(BinaryOp::Le, &a, &b), vec![1.0, 1.0, 0.0]);
    assert_eq!(binary(BinaryOp::Gt, &a, &b), vec![0.0, 0.0, 1.0]);
    assert_eq!(binary(BinaryOp::Ge, &a, &b), vec![0.0, 1.0, 1.0]);
    assert_eq!(binary(BinaryOp::Eq, &a, &b), vec![0.0, 1.0, 0.0]);
    assert_eq!(binary(BinaryOp::Ne, &a, &b), vec![1.0, 0.0, 1.0]);
}

#[test]
fn min_max_propagate_nan_and_comparisons_with_nan_are_false() {
    let n = f64::NAN;
    assert!(same(&binary(BinaryOp::Max, &[n, 1.0], &[1.0, n]), &[n, n]));
    assert!(same(&binary(BinaryOp::Min, &[n, 1.0], &[1.0, n]), &[n, n]));
    assert_eq!(binary(BinaryOp::Lt, &[n], &[1.0]), vec![0.0]);
    assert_eq!(binary(BinaryOp::Eq, &[n], &[n]), vec![0.0]);
    assert_eq!(binary(BinaryOp::Ne, &[n], &[n]), vec![1.0]);
    assert_eq!(
        binary_f64(BinaryOp::Max, -0.0, 0.0).to_bits(),
        (-0.0f64).to_bits()
    );
}

#[test]
fn where_selects_on_nonzero() {
    let r = run(
        &[&[4], &[4], &[4]],
        &[
            t(&[4], &[1.0, 0.0, f64::NAN, -2.0]),
            t(&[4], &[1.0, 2.0, 3.0, 4.0]),
            t(&[4], &[5.0, 6.0, 7.0, 8.0]),
        ],
        |g, x| g.where_(x[0], x[1], x[2]),
    );
    assert_eq!(vals(&r.expect("where")), vec![1.0, 6.0, 3.0, 4.0]);
}

#[test]
fn reductions() {
    let m = t(&[2, 3], &[1.0, 5.0, 3.0, 4.0, 2.0, 6.0]);
    let red = |op: fn(&mut Graph, NodeId, Option<usize>) -> IrResult<NodeId>, axis| {
        vals(
            &run(&[&[2, 3]], std::slice::from_ref(&m), |g, x| {
                op(g, x[0], axis)
            })
            .expect("reduce"),
        )
    };
    assert_eq!(red(Graph::sum, None), vec![21.0]);
    assert_eq!(red(Graph::sum, Some(0)), vec![5.0, 7.0, 9.0]);
    assert_eq!(red(Graph::sum, Some(1)), vec![9.0, 12.0]);
    assert_eq!(red(Graph::max, None), vec![6.0]);
    assert_eq!(red(Graph::max, Some(0)), vec![4.0, 5.0, 6.0]);
    assert_eq!(red(Graph::min, Some(1)), vec![1.0, 2.0]);
    assert_eq!(red(Graph::min, None), vec![1.0]);
    let empty = run(&[&[0]], &[t(&[0], &[])], |g, x| g.max(x[0], None));
    assert!(matches!(empty, Err(IrError::Invalid(m)) if m.contains("empty")));
    let zero = run(&[&[0]], &[t(&[0], &[])], |g, x| g.sum(x[0], None));
    assert_eq!(vals(&zero.expect("empty sum")), vec![0.0]);
}

#[test]
fn sum_matches_the_tensor_library_bitwise() {
    let x = optl_tensor::randn(&[1000], 7, 1 << 20).expect("randn");
    let m = optl_tensor::randn(&[37, 29], 8, 1 << 20).expect("randn");
    let r = run(&[&[1000]], std::slice::from_ref(&x), |g, a| {
        g.sum(a[0], None)
    })
    .expect("sum");
    let want = optl_tensor::sum(&x, None).expect("sum");
    assert_eq!(vals(&r)[0].to_bits(), vals(&want)[0].to_bits());
    for axis in [0usize, 1] {
        let r = run(&[&[37, 29]], std::slice::from_ref(&m), |g, a| {
            g.sum(a[0], Some(axis))
        })
        .expect("sum");
        let want = optl_tensor::sum(&m, Some(axis as isize)).expect("sum");
        assert!(same(&vals(&r), &vals(&want)));
    }
}

#[test]
fn matmul_broadcast_reshape_transpose() {
    let a = t(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let b = t(&[3, 1], &[1.0, 0.0, -1.0]);
    let r = run(&[&[2, 3], &[3, 1]], &[a.clone(), b], |g, x| {
        g.matmul(x[0], x[1])
    });
    assert_eq!(vals(&r.expect("matmul")), vec![-2.0, -2.0]);
    let r = run(&[&[3]], &[t(&[3], &[1.0, 2.0, 3.0])], |g, x| {
        g.broadcast(x[0], &[2, 3])
    });
    assert_eq!(
        vals(&r.expect("broadcast")),
        vec![1.0, 2.0, 3.0, 1.0, 2.0, 3.0]
    );
    let r = run(&[&[2, 1]], &[t(&[2, 1], &[1.0, 2.0])], |g, x| {
        g.broadcast(x[0], &[2, 2])
    });
    assert_eq!(vals(&r.expect("broadcast")), vec![1.0, 1.0, 2.0, 2.0]);
    let r = run(&[&[]], &[optl_tensor::scalar(7.0)], |g, x| {
        g.broadcast(x[0], &[2])
    });
    assert_eq!(vals(&r.expect("broadcast")), vec![7.0, 7.0]);
    let r = run(&[&[2, 3]], std::slice::from_ref(&a), |g, x| {
        g.reshape(x[0], &[3, 2])
    });
    let r = r.expect("reshape");
    assert_eq!((r.shape().to_vec(), vals(&r)), (vec![3, 2], vals(&a)));
    let r = run(&[&[2, 3]], &[a], |g, x| Ok(g.transpose(x[0]))).expect("transpose");
    assert_eq!(r.shape(), &[3, 2]);
    assert_eq!(vals(&r), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
}

#[test]
fn slice_unslice_concat() {
    let v = t(&[5], &[0.0, 1.0, 2.0, 3.0, 4.0]);
    let rev = vec![AxisSlice {
        start: 4,
        step: -2,
        len: 3,
    }];
    let r = run(&[&[5]], std::slice::from_ref(&v), |g, x| {
        g.slice(x[0], rev.clone())
    });
    assert_eq!(vals(&r.expect("slice")), vec![4.0, 2.0, 0.0]);
    let r = run(&[&[3]], &[t(&[3], &[7.0, 8.0, 9.0])], |g, x| {
        g.unslice(x[0], rev.clone(), &[5])
    });
    assert_eq!(vals(&r.expect("unslice")), vec![9.0, 0.0, 8.0, 0.0, 7.0]);
    let m = t(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let sl = vec![
        AxisSlice {
            start: 1,
            step: 1,
            len: 1,
        },
        AxisSlice {
            start: 0,
            step: 2,
            len: 2,
        },
    ];
    let r = run(&[&[2, 3]], std::slice::from_ref(&m), |g, x| {
        g.slice(x[0], sl.clone())
    })
    .expect("slice");
    assert_eq!((r.shape().to_vec(), vals(&r)), (vec![1, 2], vec![4.0, 6.0]));
    let r = run(&[&[2, 3], &[2, 3]], &[m.clone(), m.clone()], |g, x| {
        g.concat(&[x[0], x[1]], 1)
    })
    .expect("concat");
    assert_eq!(r.shape(), &[2, 6]);
    assert_eq!(
        vals(&r),
        vec![1.0, 2.0, 3.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 4.0, 5.0, 6.0]
    );
    let r = run(&[&[5], &[3]], &[v, t(&[3], &[7.0, 8.0, 9.0])], |g, x| {
        g.concat(&[x[1], x[0]], 0)
    })
    .expect("concat");
    assert_eq!(vals(&r), vec![7.0, 8.0, 9.0, 0.0, 1.0, 2.0, 3.0, 4.0]);
}

#[test]
fn builders_report_shape_errors() {
    let mut g = Graph::new();
    let a = g.input(vec![3]);
    let b = g.input(vec![2, 3]);
    assert!(matches!(
        g.binary(BinaryOp::Add, a, b),
        Err(IrError::Shape(_))
    ));
    assert!(matches!(g.where_(a, a, b), Err(IrError::Shape(_))));
    assert!(matches!(g.sum(a, Some(1)), Err(IrError::Shape(_))));
    assert!(matches!(g.matmul(a, b), Err(IrError::Shape(_))));
    assert!(matches!(g.matmul(b, b), Err(IrError::Shape(_))));
    assert!(matches!(g.broadcast(b, &[3]), Err(IrError::Shape(_))));
    assert!(matches!(g.broadcast(a, &[3, 2]), Err(IrError::Shape(_))));
    assert!(matches!(g.reshape(b, &[4]), Err(IrError::Shape(_))));
    let bad = AxisSlice {
        start: 1,
        step: 1,
        len: 3,
    };
    assert!(matches!(g.slice(a, vec![bad]), Err(IrError::Invalid(_))));
    let huge = AxisSlice {
        start: 0,
        step: i64::MAX,
        len: usize::MAX,
    };
    assert!(matches!(g.slice(a, vec![huge]), Err(IrError::Invalid(_))));
    assert!(matches!(g.slice(a, vec![]), Err(IrError::Invalid(_))));
    let ok = AxisSlice {
        start: 0,
        step: 1,
        len: 2,
    };
    assert!(matches!(
        g.unslice(a, vec![ok], &[3]),
        Err(IrError::Shape(_))
    ));
    assert!(matches!(g.concat(&[a, b], 0), Err(IrError::Shape(_))));
    assert!(matches!(g.concat(&[], 0), Err(IrError::Invalid(_))));
    let s = g.input(vec![]);
    assert!(matches!(g.concat(&[s, s], 0), Err(IrError::Shape(_))));
}

#[test]
fn bad_inputs_are_errors() {
    let mut g = Graph::new();
    let a = g.input(vec![3]);
    let f = Function {
        graph: g,
        outputs: vec![a],
    };
    assert!(matches!(eval(&f, &[]), Err(IrError::Invalid(_))));
    assert!(matches!(
        eval(&f, &[t(&[2], &[1.0, 2.0])]),
        Err(IrError::Shape(_))
    ));
    let too_big = eval_with_limit(&f, &[t(&[3], &[1.0, 2.0, 3.0])], 2);
    assert!(
        too_big.is_ok(),
        "inputs are not limited, only what is computed"
    );
    let mut g = Graph::new();
    let a = g.input(vec![3]);
    let b = g.broadcast(a, &[4, 3]).expect("broadcast");
    let f = Function {
        graph: g,
        outputs: vec![b],
    };
    assert!(eval_with_limit(&f, &[t(&[3], &[1.0, 2.0, 3.0])], 10).is_err());
}

#[test]
fn malformed_graphs_are_errors_not_panics() {
    let cases: Vec<(Op, Vec<NodeId>, Vec<usize>)> = vec![
        (Op::Binary(BinaryOp::Add), vec![NodeId(0)], vec![3]),
        (Op::Unary(UnaryOp::Exp), vec![NodeId(0)], vec![2]),
        (Op::Unary(UnaryOp::Exp), vec![NodeId(7)], vec![3]),
        (Op::Const(99), vec![], vec![]),
        (Op::Input(5), vec![], vec![3]),
        (Op::Sum(Some(4)), vec![NodeId(0)], vec![]),
        (Op::MatMul, vec![NodeId(0), NodeId(0)], vec![]),
        (Op::Broadcast, vec![NodeId(0)], vec![2]),
        (Op::Reshape, vec![NodeId(0)], vec![4]),
        (
            Op::Slice(vec![AxisSlice {
                start: 5,
                step: 1,
                len: 1,
            }]),
            vec![NodeId(0)],
            vec![1],
        ),
        (Op::Unslice(vec![]), vec![NodeId(0)], vec![3]),
        (Op::Concat(3), vec![NodeId(0)], vec![3]),
        (Op::Where, vec![NodeId(0)], vec![3]),
    ];
    for (op, args, shape) in cases {
        let mut g = Graph::new();
        g.input(vec![3]);
        let n = g.push(op.clone(), args, shape);
        let f = Function {
            graph: g,
            outputs: vec![n],
        };
        let r = eval(&f, &[t(&[3], &[1.0, 2.0, 3.0])]);
        assert!(r.is_err(), "{op:?} should fail: {r:?}");
    }
    let f = Function {
        graph: Graph::new(),
        outputs: vec![NodeId(3)],
    };
    assert!(eval(&f, &[]).is_err());
}

#[test]
fn eval_nodes_gives_intermediate_values() {
    let mut g = Graph::new();
    let a = g.input(vec![2]);
    let e = g.unary(UnaryOp::Neg, a);
    let dead = g.unary(UnaryOp::Exp, a);
    let f = Function {
        graph: g,
        outputs: vec![e],
    };
    let vs = eval_nodes(&f, &[t(&[2], &[1.0, 2.0])], DEFAULT_LIMIT).expect("eval");
    assert_eq!(vs[a.index()].as_ref().map(vals), Some(vec![1.0, 2.0]));
    assert_eq!(vs[e.index()].as_ref().map(vals), Some(vec![-1.0, -2.0]));
    assert!(vs[dead.index()].is_none());
}

#[test]
fn huge_shapes_are_errors_not_overflows() {
    let mut g = Graph::new();
    let x = g.input(vec![1]);
    let big = usize::MAX / 2;
    let b = g.broadcast(x, &[big]).expect("broadcast");
    assert!(g.reshape(b, &[big, 3]).is_err());
    assert!(matches!(g.concat(&[b, b, b], 0), Err(IrError::Shape(_))));
    let f = Function {
        graph: g,
        outputs: vec![b],
    };
    assert!(eval(&f, &[t(&[1], &[1.0])]).is_err());
}
