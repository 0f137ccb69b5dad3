//! Unit tests for `ad.rs`: gradients and Hessian-vector products of small functions
//! with known derivatives, and the tie rules of the nonsmooth operations.

use super::*;
use crate::interp::eval;
use optl_tensor::Tensor;

fn t(shape: &[usize], data: &[f64]) -> Tensor {
    optl_tensor::from_vec(shape, data.to_vec()).expect("test tensor")
}

fn vals(t: &Tensor) -> Vec<f64> {
    t.iter().copied().collect()
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

fn close(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= 1e-12 * (1.0 + y.abs()))
}

#[test]
fn gradient_of_a_product_and_shared_value() {
    // f(x, y) = sum(x * y) + y[0]^2 ... with y of shape [2]
    let f = func(&[&[2], &[2]], |g, v| {
        let p = g.binary(BinaryOp::Mul, v[0], v[1])?;
        let s = g.sum(p, None)?;
        let sq = g.binary(BinaryOp::Mul, s, s)?;
        g.binary(BinaryOp::Add, sq, s)
    });
    let gf = grad(&f).expect("grad");
    assert_eq!(gf.input_shapes(), f.input_shapes());
    assert_eq!(gf.output_shapes(), vec![vec![], vec![2], vec![2]]);
    let out = eval(&gf, &[t(&[2], &[1.0, 2.0]), t(&[2], &[3.0, 4.0])]).expect("eval");
    // s = 11, f = 132, df/ds = 2s + 1 = 23.
    assert_eq!(vals(&out[0]), vec![132.0]);
    assert_eq!(vals(&out[1]), vec![69.0, 92.0]);
    assert_eq!(vals(&out[2]), vec![23.0, 46.0]);
    // The value is computed once: the sum node is shared by value and gradient.
    let sums = gf
        .graph
        .nodes()
        .iter()
        .filter(|n| n.op == Op::Sum(None))
        .count();
    assert_eq!(sums, 1, "{}", crate::print::to_text(&gf));
}

#[test]
fn unused_inputs_get_zero_gradients() {
    let f = func(&[&[], &[2, 3]], |g, v| Ok(g.unary(UnaryOp::Sin, v[0])));
    let gf = grad(&f).expect("grad");
    let out = eval(&gf, &[t(&[], &[0.5]), t(&[2, 3], &[1.0; 6])]).expect("eval");
    assert_eq!(vals(&out[1]), vec![0.5f64.cos()]);
    assert_eq!(vals(&out[2]), vec![0.0; 6]);
    assert_eq!(out[2].shape(), &[2, 3]);
}

#[test]
fn grad_needs_a_scalar_output() {
    let f = func(&[&[2]], |g, v| Ok(g.unary(UnaryOp::Exp, v[0])));
    assert!(matches!(grad(&f), Err(IrError::Shape(_))));
    let empty = Function {
        graph: Graph::new(),
        outputs: vec![],
    };
    assert!(grad(&empty).is_err());
    assert!(hvp(&f).is_err());
}

#[test]
fn max_and_min_route_to_the_winner_first_operand_on_ties() {
    for (op, want_a, want_b) in [
        (BinaryOp::Max, [0.0, 1.0, 1.0], [1.0, 0.0, 0.0]),
        (BinaryOp::Min, [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]),
    ] {
        let f = func(&[&[3], &[3]], |g, v| {
            let m = g.binary(op, v[0], v[1])?;
            g.sum(m, None)
        });
        let gf = grad(&f).expect("grad");
        let out = eval(&gf, &[t(&[3], &[1.0, 3.0, 2.0]), t(&[3], &[2.0, 1.0, 2.0])]).expect("eval");
        assert_eq!(vals(&out[1]), want_a, "{op:?}");
        assert_eq!(vals(&out[2]), want_b, "{op:?}");
    }
}

#[test]
fn abs_where_and_step_functions() {
    let f = func(&[&[3]], |g, v| {
        let a = g.unary(UnaryOp::Abs, v[0]);
        let fl = g.unary(UnaryOp::Floor, v[0]);
        let zero = g.full(0.0, &[3]);
        let c = g.binary(BinaryOp::Gt, v[0], zero)?;
        let sq = g.binary(BinaryOp::Mul, v[0], v[0])?;
        let w = g.where_(c, sq, fl)?;
        let s = g.binary(BinaryOp::Add, a, w)?;
        g.sum(s, None)
    });
    let gf = grad(&f).expect("grad");
    let out = eval(&gf, &[t(&[3], &[-2.0, 0.0, 3.0])]).expect("eval");
    assert_eq!(vals(&out[1]), vec![-1.0, 0.0, 7.0]);
}

#[test]
fn reduction_max_shares_ties() {
    let f = func(&[&[2, 3]], |g, v| {
        let m = g.max(v[0], Some(1))?;
        let w = g.constant(t(&[2], &[1.0, 10.0]));
        let p = g.binary(BinaryOp::Mul, m, w)?;
        g.sum(p, None)
    });
    let gf = grad(&f).expect("grad");
    let out = eval(&gf, &[t(&[2, 3], &[1.0, 5.0, 5.0, 7.0, 2.0, 3.0])]).expect("eval");
    assert_eq!(vals(&out[1]), vec![0.0, 0.5, 0.5, 10.0, 0.0, 0.0]);
    let f = func(&[&[3]], |g, v| g.min(v[0], None));
    let out = eval(&grad(&f).expect("grad"), &[t(&[3], &[2.0, 1.0, 4.0])]).expect("eval");
    assert_eq!(vals(&out[1]), vec![0.0, 1.0, 0.0]);
}

#[test]
fn matmul_broadcast_and_shape_ops() {
    // f(A, v) = sum((A @ broadcast(v)^T ... ) built from many shape ops.
    let f = func(&[&[2, 3], &[3]], |g, v| {
        let b = g.broadcast(v[1], &[2, 3])?;
        let bt = g.transpose(b);
        let m = g.matmul(v[0], bt)?; // [2, 2]
        let r = g.reshape(m, &[4])?;
        let s = g.slice(
            r,
            vec![AxisSlice {
                start: 3,
                step: -2,
                len: 2,
            }],
        )?;
        let c = g.concat(&[s, v[1]], 0)?; // [5]
        let sq = g.binary(BinaryOp::Mul, c, c)?;
        g.sum(sq, None)
    });
    let gf = grad(&f).expect("grad");
    let a = t(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let v = t(&[3], &[1.0, -1.0, 2.0]);
    let out = eval(&gf, &[a.clone(), v.clone()]).expect("eval");
    // Central differences as the reference.
    let f0 = |a: &Tensor, v: &Tensor| vals(&eval(&f, &[a.clone(), v.clone()]).expect("eval")[0])[0];
    for i in 0..6 {
        let (mut ap, mut am) = (a.clone(), a.clone());
        ap.as_slice_mut().expect("slice")[i] += 1e-5;
        am.as_slice_mut().expect("slice")[i] -= 1e-5;
        let fd = (f0(&ap, &v) - f0(&am, &v)) / 2e-5;
        assert!(
            (fd - vals(&out[1])[i]).abs() < 1e-6 * (1.0 + fd.abs()),
            "dA[{i}]"
        );
    }
    for i in 0..3 {
        let (mut vp, mut vm) = (v.clone(), v.clone());
        vp.as_slice_mut().expect("slice")[i] += 1e-5;
        vm.as_slice_mut().expect("slice")[i] -= 1e-5;
        let fd = (f0(&a, &vp) - f0(&a, &vm)) / 2e-5;
        assert!(
            (fd - vals(&out[2])[i]).abs() < 1e-6 * (1.0 + fd.abs()),
            "dv[{i}]"
        );
    }
}

#[test]
fn pow_with_an_input_exponent_uses_log() {
    let f = func(&[&[], &[]], |g, v| g.binary(BinaryOp::Pow, v[0], v[1]));
    let out = eval(&grad(&f).expect("grad"), &[t(&[], &[2.0]), t(&[], &[3.0])]).expect("eval");
    assert!(close(&vals(&out[1]), &[12.0]));
    assert!(close(&vals(&out[2]), &[8.0 * 2f64.ln()]));
    // A constant exponent does not differentiate through log: fine at a negative base.
    let f = func(&[&[]], |g, v| {
        let c = g.scalar(3.0);
        g.binary(BinaryOp::Pow, v[0], c)
    });
    let out = eval(&grad(&f).expect("grad"), &[t(&[], &[-2.0])]).expect("eval");
    assert_eq!(vals(&out[1]), vec![12.0]);
}

#[test]
fn hessian_vector_products() {
    // f(x, y) = x0^2 y + sin(x1) * y^3 with x of shape [2], y scalar.
    let f = func(&[&[2], &[]], |g, v| {
        let x0 = g.slice(
            v[0],
            vec![AxisSlice {
                start: 0,
                step: 1,
                len: 1,
            }],
        )?;
        let x1 = g.slice(
            v[0],
            vec![AxisSlice {
                start: 1,
                step: 1,
                len: 1,
            }],
        )?;
        let x0 = g.reshape(x0, &[])?;
        let x1 = g.reshape(x1, &[])?;
        let a = g.binary(BinaryOp::Mul, x0, x0)?;
        let a = g.binary(BinaryOp::Mul, a, v[1])?;
        let three = g.scalar(3.0);
        let y3 = g.binary(BinaryOp::Pow, v[1], three)?;
        let s = g.unary(UnaryOp::Sin, x1);
        let b = g.binary(BinaryOp::Mul, s, y3)?;
        g.binary(BinaryOp::Add, a, b)
    });
    let h = hvp(&f).expect("hvp");
    assert_eq!(h.input_shapes(), &[vec![2], vec![], vec![2], vec![]]);
    assert_eq!(h.output_shapes(), vec![vec![2], vec![]]);
    let (x0, x1, y) = (0.5f64, 0.3f64, 1.5f64);
    let (v0, v1, vy) = (1.0, -2.0, 0.5);
    let out = eval(
        &h,
        &[
            t(&[2], &[x0, x1]),
            t(&[], &[y]),
            t(&[2], &[v0, v1]),
            t(&[], &[vy]),
        ],
    )
    .expect("eval");
    // Hessian rows: [2y, 0, 2x0], [0, -sin(x1) y^3, 3 cos(x1) y^2],
    // [2x0, 3 cos(x1) y^2, 6 sin(x1) y].
    let h0 = 2.0 * y * v0 + 2.0 * x0 * vy;
    let h1 = -x1.sin() * y.powi(3) * v1 + 3.0 * x1.cos() * y * y * vy;
    let h2 = 2.0 * x0 * v0 + 3.0 * x1.cos() * y * y * v1 + 6.0 * x1.sin() * y * vy;
    assert!(close(&vals(&out[0]), &[h0, h1]), "{:?}", vals(&out[0]));
    assert!(close(&vals(&out[1]), &[h2]), "{:?}", vals(&out[1]));
}

#[test]
fn gradients_in_place_are_the_rebuilt_gradients() {
    // A traced-like function: an unrolled sum over slices (the scatters merge into
    // one concat), with nonsmooth and shared parts and a second input.
    let f = func(&[&[40], &[]], |g, v| {
        let mut rows = Vec::new();
        for i in 0..40usize {
            let s = g.slice(
                v[0],
                vec![AxisSlice {
                    start: i,
                    step: 1,
                    len: 1,
                }],
            )?;
            let xi = g.reshape(s, &[])?;
            let two = g.scalar(2.0);
            let sq = g.binary(BinaryOp::Pow, xi, two)?;
            let c = g.scalar(i as f64 - 3.0);
            let m = g.binary(BinaryOp::Mul, c, sq)?;
            let e = g.unary(UnaryOp::Exp, v[1]);
            let mx = g.binary(BinaryOp::Max, m, e)?;
            let a = g.unary(UnaryOp::Abs, xi);
            let t = g.binary(BinaryOp::Add, mx, a)?;
            rows.push(g.reshape(t, &[1])?);
        }
        let cc = g.concat(&rows, 0)?;
        let tot = g.sum(cc, None)?;
        let m = g.max(v[0], None)?;
        g.binary(BinaryOp::Sub, tot, m)
    });
    for with_value in [true, false] {
        let rebuilt = if with_value { grad(&f) } else { grad_only(&f) }.expect("grad");
        let traced = crate::simplify::prune_owned(f.clone());
        assert!(traced.graph.is_fully_shared());
        let in_place = grad_in_place(traced, with_value).expect("grad");
        assert_eq!(
            crate::print::to_text(&in_place),
            crate::print::to_text(&rebuilt)
        );
        assert_eq!(in_place.outputs.len(), 2 + usize::from(with_value));
    }
    // A graph with unshared nodes (`prune`) is rebuilt, with the same result.
    let unshared = crate::simplify::prune(&f);
    assert!(!unshared.graph.is_fully_shared());
    assert_eq!(
        crate::print::to_text(&grad_in_place(unshared, true).expect("grad")),
        crate::print::to_text(&grad(&f).expect("grad"))
    );
}
