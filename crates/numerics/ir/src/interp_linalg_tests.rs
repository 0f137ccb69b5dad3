//! Unit tests for `interp_linalg.rs` and the `solve`/`logdet`/`cholesky` builders:
//! known answers, errors (not NaN) for singular and non-SPD matrices, shape errors,
//! malformed nodes, printing and hashing.

use crate::graph::{Function, Graph, IrError, IrResult, NodeId, Op};
use crate::interp::eval;
use optl_tensor::Tensor;

fn t(shape: &[usize], data: &[f64]) -> Tensor {
    optl_tensor::from_vec(shape, data.to_vec()).expect("test tensor")
}

fn func(
    shapes: &[&[usize]],
    build: impl FnOnce(&mut Graph, &[NodeId]) -> IrResult<NodeId>,
) -> Function {
    let mut g = Graph::new();
    let xs: Vec<NodeId> = shapes.iter().map(|s| g.input(s.to_vec())).collect();
    let out = build(&mut g, &xs).expect("builds");
    Function {
        graph: g,
        outputs: vec![out],
    }
}

fn run(
    shapes: &[&[usize]],
    inputs: &[Tensor],
    build: impl FnOnce(&mut Graph, &[NodeId]) -> IrResult<NodeId>,
) -> IrResult<Tensor> {
    Ok(eval(&func(shapes, build), inputs)?.remove(0))
}

fn mm(a: &Tensor, b: &Tensor) -> Tensor {
    optl_tensor::matmul(a, b, 1 << 20).expect("matmul")
}

/// A nonsymmetric, well-conditioned 3×3 matrix.
fn a3() -> Tensor {
    t(&[3, 3], &[4.0, -2.0, 1.0, 3.0, 6.0, -4.0, 2.0, 1.0, 8.0])
}

/// A symmetric positive definite 3×3 matrix.
fn spd3() -> Tensor {
    t(&[3, 3], &[4.0, 2.0, -2.0, 2.0, 10.0, 2.0, -2.0, 2.0, 5.0])
}

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f64 {
    assert_eq!(a.shape(), b.shape());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

#[test]
fn solve_vector_and_matrix_right_hand_sides() {
    let a = a3();
    let b = t(&[3], &[1.0, -2.0, 3.0]);
    let x = run(&[&[3, 3], &[3]], &[a.clone(), b.clone()], |g, v| {
        g.solve(v[0], v[1])
    })
    .expect("solve");
    assert_eq!(x.shape(), &[3]);
    let col = x.clone().into_shape_with_order(vec![3, 1]).expect("col");
    let r = mm(&a, &col).into_shape_with_order(vec![3]).expect("r");
    assert!(max_abs_diff(&r, &b) < 1e-12, "residual of {x:?}");

    let bm = t(&[3, 2], &[1.0, 0.5, -2.0, 4.0, 3.0, -1.0]);
    let xm = run(&[&[3, 3], &[3, 2]], &[a.clone(), bm.clone()], |g, v| {
        g.solve(v[0], v[1])
    })
    .expect("solve");
    assert_eq!(xm.shape(), &[3, 2]);
    assert!(max_abs_diff(&mm(&a, &xm), &bm) < 1e-12);
    // The first column of the matrix right-hand side is the vector solve.
    let xm0: Vec<f64> = xm.iter().step_by(2).copied().collect();
    assert!(xm0.iter().zip(x.iter()).all(|(p, q)| (p - q).abs() < 1e-14));
}

#[test]
fn logdet_is_twice_the_log_of_the_cholesky_diagonal() {
    let a = spd3();
    let ld = run(&[&[3, 3]], std::slice::from_ref(&a), |g, v| g.logdet(v[0])).expect("logdet");
    assert_eq!(ld.shape(), &[] as &[usize]);
    let l = run(&[&[3, 3]], &[a], |g, v| g.cholesky(v[0])).expect("cholesky");
    let want: f64 = (0..3)
        .map(|i| l[[i, i].as_slice()])
        .product::<f64>()
        .powi(2)
        .ln();
    assert!((ld.first().expect("scalar") - want).abs() < 1e-12);
    // And of a nonsymmetric matrix with positive determinant (det = 263).
    let ld = run(&[&[3, 3]], &[a3()], |g, v| g.logdet(v[0])).expect("logdet");
    assert!(
        (ld.first().expect("scalar") - 263f64.ln()).abs() < 1e-12,
        "{ld:?}"
    );
}

#[test]
fn cholesky_factor_is_lower_and_reproduces_the_matrix() {
    let a = spd3();
    let l = run(&[&[3, 3]], std::slice::from_ref(&a), |g, v| {
        g.cholesky(v[0])
    })
    .expect("cholesky");
    assert_eq!(l.shape(), &[3, 3]);
    for i in 0..3 {
        assert!(l[[i, i].as_slice()] > 0.0);
        for j in i + 1..3 {
            assert_eq!(l[[i, j].as_slice()], 0.0, "L[{i},{j}]");
        }
    }
    let llt = mm(&l, &optl_tensor::transpose(&l));
    assert!(max_abs_diff(&llt, &a) < 1e-12);
}

fn is_numeric_error(r: IrResult<Tensor>, what: &str) -> String {
    match r {
        Err(IrError::Linalg(e)) => {
            let m = e.to_string();
            assert!(m.contains(what), "{m}");
            m
        }
        other => panic!("expected an error about `{what}`, got {other:?}"),
    }
}

#[test]
fn singular_and_non_spd_matrices_are_errors_not_nan() {
    let singular = t(&[3, 3], &[1.0, 2.0, 3.0, 2.0, 4.0, 6.0, 1.0, 0.0, 1.0]);
    let b = t(&[3], &[1.0, 1.0, 1.0]);
    let m = is_numeric_error(
        run(&[&[3, 3], &[3]], &[singular.clone(), b], |g, v| {
            g.solve(v[0], v[1])
        }),
        "singular",
    );
    assert!(
        m.starts_with("solve: matrix is singular to working precision (rcond = "),
        "{m}"
    );
    let eye = ndarray::Array2::<f64>::eye(3).into_dyn();
    is_numeric_error(
        run(&[&[3, 3], &[3, 3]], &[singular.clone(), eye], |g, v| {
            g.solve(v[0], v[1])
        }),
        "singular",
    );
    is_numeric_error(
        run(&[&[3, 3]], &[singular], |g, v| g.logdet(v[0])),
        "determinant is not positive",
    );
    // Negative determinant: numpy's logdet would be NaN.
    let neg = t(&[2, 2], &[0.0, 1.0, 1.0, 0.0]);
    is_numeric_error(
        run(&[&[2, 2]], &[neg], |g, v| g.logdet(v[0])),
        "determinant is not positive",
    );
    // Symmetric but indefinite, and not symmetric.
    let indefinite = t(&[2, 2], &[1.0, 2.0, 2.0, 1.0]);
    let m = is_numeric_error(
        run(&[&[2, 2]], &[indefinite], |g, v| g.cholesky(v[0])),
        "not positive definite",
    );
    assert_eq!(m, "cholesky: matrix is not positive definite (pivot 1)");
    is_numeric_error(
        run(&[&[3, 3]], &[a3()], |g, v| g.cholesky(v[0])),
        "not symmetric",
    );
    // Non-finite input.
    let nan = t(&[2, 2], &[1.0, f64::NAN, 0.0, 1.0]);
    is_numeric_error(
        run(&[&[2, 2], &[2]], &[nan, t(&[2], &[1.0, 1.0])], |g, v| {
            g.solve(v[0], v[1])
        }),
        "NaN or infinity",
    );
}

#[test]
fn builders_refuse_mismatched_shapes_naming_them() {
    let mut g = Graph::new();
    let a = g.input(vec![3, 3]);
    let r = g.input(vec![2, 3]);
    let b2 = g.input(vec![2]);
    let b3 = g.input(vec![3, 4]);
    let s = g.input(vec![]);
    let t3 = g.input(vec![3, 3, 3]);
    match g.solve(a, b2) {
        Err(IrError::Shape(m)) => assert!(m.contains("[3, 3]") && m.contains("[2]"), "{m}"),
        other => panic!("{other:?}"),
    }
    match g.solve(r, b3) {
        Err(IrError::Shape(m)) => assert!(m.contains("[2, 3]") && m.contains("[3, 4]"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(g.solve(a, s), Err(IrError::Shape(_))));
    assert!(matches!(g.solve(a, t3), Err(IrError::Shape(_))));
    for bad in [r, b2, s, t3] {
        match g.logdet(bad) {
            Err(IrError::Shape(m)) => assert!(m.contains("logdet"), "{m}"),
            other => panic!("{other:?}"),
        }
        match g.cholesky(bad) {
            Err(IrError::Shape(m)) => assert!(m.contains("cholesky"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
    let x = g.solve(a, b3).expect("[3, 3] and [3, 4]");
    assert_eq!(g.shape(x), &[3, 4]);
    let ld = g.logdet(a).expect("logdet");
    assert_eq!(g.shape(ld), &[] as &[usize]);
    let l = g.cholesky(a).expect("cholesky");
    assert_eq!(g.shape(l), &[3, 3]);
    assert_eq!(g.node(x).op, Op::Solve);
    assert_eq!(g.node(ld).op, Op::LogDet);
    assert_eq!(g.node(l).op, Op::Cholesky);
}

#[test]
fn malformed_nodes_are_errors() {
    // Made with the raw `push`: wrong arity, wrong shapes.
    let cases: Vec<(Op, Vec<Vec<usize>>, Vec<usize>)> = vec![
        (Op::Solve, vec![vec![2, 2]], vec![2]),
        (Op::Solve, vec![vec![2, 3], vec![2]], vec![2]),
        (Op::Solve, vec![vec![2, 2], vec![3]], vec![3]),
        (Op::LogDet, vec![vec![2, 3]], vec![]),
        (Op::Cholesky, vec![vec![2, 2], vec![2, 2]], vec![2, 2]),
        (Op::Cholesky, vec![vec![2, 2, 2]], vec![2, 2, 2]),
    ];
    for (op, shapes, out) in cases {
        let mut g = Graph::new();
        let xs: Vec<NodeId> = shapes.iter().map(|s| g.input(s.clone())).collect();
        let y = g.push(op.clone(), xs, out);
        let f = Function {
            graph: g,
            outputs: vec![y],
        };
        let inputs: Vec<Tensor> = shapes
            .iter()
            .map(|s| Tensor::ones(ndarray::IxDyn(s)))
            .collect();
        assert!(eval(&f, &inputs).is_err(), "{op:?} of {shapes:?}");
    }
}

#[test]
fn constant_arguments_fold_and_failures_wait_for_run_time() {
    let mut g = Graph::new();
    let a = g.constant(spd3());
    let l = g.cholesky(a).expect("cholesky");
    assert!(g.as_const(l).is_some(), "a constant factor is folded");
    let bad = g.constant(t(&[2, 2], &[1.0, 2.0, 2.0, 1.0]));
    let l = g.cholesky(bad).expect("builds");
    assert_eq!(g.node(l).op, Op::Cholesky);
    let f = Function {
        graph: g,
        outputs: vec![l],
    };
    assert!(eval(&f, &[]).is_err());
}

#[test]
fn printed_by_name() {
    let f = func(&[&[2, 2], &[2]], |g, v| {
        let x = g.solve(v[0], v[1])?;
        let l = g.cholesky(v[0])?;
        let d = g.logdet(l)?;
        let s = g.sum(x, None)?;
        g.binary(crate::graph::BinaryOp::Add, s, d)
    });
    let text = crate::print::to_text(&f);
    assert!(text.contains("= solve %0, %1 : [2]"), "{text}");
    assert!(text.contains("= cholesky %0 : [2, 2]"), "{text}");
    assert!(text.contains("= logdet %3 : []"), "{text}");
}

#[test]
fn hashes_tell_the_operations_and_their_argument_order_apart() {
    use crate::hash::{functional_hash, structural_hash};
    let solve_ab = || func(&[&[2, 2], &[2, 2]], |g, v| g.solve(v[0], v[1]));
    let solve_ba = func(&[&[2, 2], &[2, 2]], |g, v| g.solve(v[1], v[0]));
    assert_eq!(structural_hash(&solve_ab()), structural_hash(&solve_ab()));
    assert_eq!(
        functional_hash(&solve_ab(), 1),
        functional_hash(&solve_ab(), 1)
    );
    assert_ne!(structural_hash(&solve_ab()), structural_hash(&solve_ba));
    assert_ne!(
        functional_hash(&solve_ab(), 1),
        functional_hash(&solve_ba, 1)
    );
    // The same graph built in another order hashes alike structurally.
    let other_order = func(&[&[2, 2], &[2, 2]], |g, v| {
        let _dead = g.cholesky(v[1])?;
        g.solve(v[0], v[1])
    });
    assert_eq!(structural_hash(&solve_ab()), structural_hash(&other_order));
    // Each operation hashes apart from the others and from matmul.
    let one = |op: fn(&mut Graph, NodeId) -> IrResult<NodeId>| func(&[&[2, 2]], |g, v| op(g, v[0]));
    let hashes = [
        structural_hash(&one(|g, a| g.cholesky(a))),
        structural_hash(&one(|g, a| g.solve(a, a))),
        structural_hash(&one(|g, a| g.matmul(a, a))),
        structural_hash(&one(|g, a| {
            let d = g.logdet(a)?;
            g.broadcast(d, &[2, 2])
        })),
        structural_hash(&one(|g, a| {
            let d = g.sum(a, None)?;
            g.broadcast(d, &[2, 2])
        })),
    ];
    for i in 0..hashes.len() {
        for j in 0..i {
            assert_ne!(hashes[i], hashes[j], "{i} and {j}");
        }
    }
}
