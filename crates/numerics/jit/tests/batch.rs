//! `Engines::run_flat_many`: a population through one compiled kernel over the
//! cores gives, point by point, the bits of `Engines::run` one point at a time
//! (so nothing depends on how the points were split over the threads); it
//! declines (`None`) where the program is not one kernel.

use optl_ir::{BinaryOp, Function, Graph, UnaryOp};
use optl_jit::Engine;
use optl_jit::engines::Engines;
use optl_tensor::Tensor;

/// Inputs a (scalar) and b [3]; outputs sum(sin(b)·b) + a and b·a + cos(a).
fn two_outputs() -> Function {
    let mut g = Graph::new();
    let a = g.input(vec![]);
    let b = g.input(vec![3]);
    let build = |g: &mut Graph| -> optl_ir::IrResult<Vec<optl_ir::NodeId>> {
        let s = g.unary(UnaryOp::Sin, b);
        let p = g.binary(BinaryOp::Mul, s, b)?;
        let total = g.sum(p, None)?;
        let first = g.binary(BinaryOp::Add, total, a)?;
        let a3 = g.broadcast(a, &[3])?;
        let ba = g.binary(BinaryOp::Mul, b, a3)?;
        let c = g.unary(UnaryOp::Cos, a3);
        let second = g.binary(BinaryOp::Add, ba, c)?;
        Ok(vec![first, second])
    };
    let outputs = build(&mut g).expect("builds");
    Function { graph: g, outputs }
}

fn points(count: usize) -> Vec<f64> {
    let mut s = 7u64;
    (0..count * 4)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (s >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0
        })
        .collect()
}

const SPANS: [(usize, usize); 2] = [(0, 1), (1, 3)];

fn one_by_one(engines: &mut Engines, p: &optl_jit::engines::Program, xs: &[f64]) -> Vec<f64> {
    xs.chunks_exact(4)
        .flat_map(|x| {
            let ins = vec![
                Tensor::from_elem(ndarray::IxDyn(&[]), x[0]),
                optl_tensor::from_vec(&[3], x[1..].to_vec()).expect("vector"),
            ];
            let out = engines.run(p, &ins).expect("runs");
            out.into_iter()
                .flat_map(|t| t.into_iter())
                .collect::<Vec<f64>>()
        })
        .collect()
}

#[test]
fn a_population_gives_the_bits_of_single_runs() {
    let mut engines = Engines::default();
    engines.engine = Engine::Jit;
    let p = engines.prepare_hot(two_outputs());
    assert!(p.compiled().is_some());
    for count in [0, 1, 17, 1000] {
        let xs = points(count);
        let want = one_by_one(&mut engines, &p, &xs);
        let mut got = vec![f64::NAN; count * 4];
        let r = engines.run_flat_many(&p, &xs, 4, &SPANS, &mut got);
        assert!(matches!(r, Some(Ok(()))), "{count}");
        assert_eq!(
            got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            want.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
    }
}

#[test]
fn declines_the_interpreter_and_refuses_lengths_that_do_not_fit() {
    let mut engines = Engines::default();
    engines.engine = Engine::Interp;
    let p = engines.prepare_hot(two_outputs());
    let xs = points(3);
    let mut out = vec![0.0; 12];
    assert!(
        engines
            .run_flat_many(&p, &xs, 4, &SPANS, &mut out)
            .is_none()
    );
    let mut engines = Engines::default();
    engines.engine = Engine::Jit;
    let p = engines.prepare_hot(two_outputs());
    let mut short = vec![0.0; 11];
    let r = engines.run_flat_many(&p, &xs, 4, &SPANS, &mut short);
    assert!(matches!(r, Some(Err(_))));
    let r = engines.run_flat_many(&p, &xs, 4, &[(0, 1), (2, 3)], &mut out);
    assert!(matches!(r, Some(Err(_))), "a span past the point");
}
