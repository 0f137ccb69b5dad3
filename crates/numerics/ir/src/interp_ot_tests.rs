//! Unit tests for the entropic-OT nodes: the value against optl-transport, the
//! gradient against central finite differences (in `M`, and in `a`, `b` along
//! perturbations that keep the masses equal), and the refusals (second
//! derivatives, bad shapes, bad `reg`).

use crate::ad::{grad, hvp};
use crate::graph::{Function, Graph, IrError, NodeId};
use crate::interp::eval;
use optl_tensor::Tensor;

const H: f64 = 1e-6;
const TOL: f64 = 1e-5;
const REG: f64 = 0.2;

fn t(shape: &[usize], v: Vec<f64>) -> Tensor {
    optl_tensor::from_vec(shape, v).expect("test tensor")
}

/// A 3 × 4 instance with unequal histograms of equal mass.
fn instance() -> (Tensor, Tensor, Tensor) {
    let a = t(&[3], vec![0.2, 0.5, 0.3]);
    let b = t(&[4], vec![0.1, 0.4, 0.3, 0.2]);
    let m: Vec<f64> = (0..12)
        .map(|k| (((k * 7) % 12) as f64 / 11.0 - 0.3).powi(2))
        .collect();
    (a, b, t(&[3, 4], m))
}

fn ot_function() -> Function {
    let mut g = Graph::new();
    let xs: Vec<NodeId> = [vec![3], vec![4], vec![3, 4]]
        .into_iter()
        .map(|s| g.input(s))
        .collect();
    let out = g.entropic_ot(xs[0], xs[1], xs[2], REG).expect("builds");
    Function {
        graph: g,
        outputs: vec![out],
    }
}

fn value(f: &Function, xs: &[Tensor]) -> f64 {
    *eval(f, xs).expect("eval")[0].first().expect("scalar")
}

/// Central difference of `f` moving flat entries `moves` = (input, position, sign).
fn central(f: &Function, xs: &[Tensor], moves: &[(usize, usize, f64)]) -> f64 {
    let at = |s: f64| {
        let mut ys = xs.to_vec();
        for &(k, p, sign) in moves {
            let mut flat: Vec<f64> = ys[k].iter().copied().collect();
            flat[p] += s * sign * H;
            ys[k] = t(xs[k].shape(), flat);
        }
        value(f, &ys)
    };
    (at(1.0) - at(-1.0)) / (2.0 * H)
}

fn close(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= TOL * (1.0 + want.abs()),
        "{what}: AD {got} against finite differences {want}"
    );
}

#[test]
fn value_is_optl_transports_objective() {
    let (a, b, m) = instance();
    let f = ot_function();
    let flat = |x: &Tensor| x.iter().copied().collect::<Vec<f64>>();
    let direct = optl_transport::sinkhorn(
        &flat(&a),
        &flat(&b),
        &flat(&m),
        REG,
        &optl_transport::Options::default(),
    )
    .expect("solves");
    assert_eq!(value(&f, &[a, b, m]), direct.objective);
}

#[test]
fn gradient_matches_finite_differences() {
    let (a, b, m) = instance();
    let xs = [a, b, m];
    let f = ot_function();
    let g = eval(&grad(&f).expect("grad"), &xs).expect("eval grad");
    let gm: Vec<f64> = g[3].iter().copied().collect();
    for (p, &d) in gm.iter().enumerate() {
        close(&format!("dM[{p}]"), d, central(&f, &xs, &[(2, p, 1.0)]));
    }
    // Moving mass: one unit more at a_i and at b_j keeps the sums equal.
    let (ga, gb): (Vec<f64>, Vec<f64>) = (
        g[1].iter().copied().collect(),
        g[2].iter().copied().collect(),
    );
    for (i, &fi) in ga.iter().enumerate() {
        for (j, &gj) in gb.iter().enumerate() {
            let fd = central(&f, &xs, &[(0, i, 1.0), (1, j, 1.0)]);
            close(&format!("da[{i}] + db[{j}]"), fi + gj, fd);
        }
    }
    // Shifting mass within a: the difference of two potentials.
    let fd = central(&f, &xs, &[(0, 0, 1.0), (0, 2, -1.0)]);
    close("da[0] - da[2]", ga[0] - ga[2], fd);
}

#[test]
fn second_derivatives_are_refused() {
    let f = ot_function();
    let e = hvp(&f).expect_err("hvp through OT is refused");
    assert!(
        matches!(&e, IrError::Invalid(m) if m.contains("second derivatives")),
        "{e:?}"
    );
}

#[test]
fn bad_shapes_and_reg_are_errors() {
    let mut g = Graph::new();
    let (a, b, m) = (g.input(vec![3]), g.input(vec![4]), g.input(vec![4, 3]));
    assert!(matches!(
        g.entropic_ot(a, b, m, REG),
        Err(IrError::Shape(_))
    ));
    let m = g.input(vec![3, 4]);
    for reg in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(
            matches!(g.entropic_ot(a, b, m, reg), Err(IrError::Invalid(_))),
            "{reg}"
        );
    }
}

#[test]
fn unequal_masses_are_an_evaluation_error_not_a_value() {
    let (_, b, m) = instance();
    let a = t(&[3], vec![0.2, 0.5, 0.4]);
    let e = eval(&ot_function(), &[a, b, m]).expect_err("unequal masses fail");
    assert!(
        matches!(&e, IrError::Invalid(m) if m.contains("ot.entropic_cost")),
        "{e:?}"
    );
}
