//! The same inputs give the same bits with one and with two rayon threads: the
//! instances are large enough for the passes to run on the pool in several
//! blocks (more than 65 536 kernel entries).

mod common;

use common::*;
use optl_transport::{Method, Metric, Options, dist};

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool")
}

#[test]
fn one_and_two_threads_agree_bit_for_bit() {
    let inst = random_instance(41, 300, 260);
    for (method, reg) in [
        (Method::Scaling, 0.05),
        (Method::Log, 0.01),
        (Method::NewtonSparse, 0.005),
        (Method::Scaling, 0.0005),
    ] {
        let opts = Options {
            tol: 1e-9,
            max_iters: 3000,
            ..Options::with_method(method)
        };
        let one = pool(1).install(|| solve(&inst, reg, &opts));
        let two = pool(2).install(|| solve(&inst, reg, &opts));
        assert_eq!(one, two, "{method:?} reg {reg}");
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&one.plan), bits(&two.plan));
        assert_eq!(one.cost.to_bits(), two.cost.to_bits());
        assert_eq!(one.objective.to_bits(), two.objective.to_bits());
        assert_eq!(bits(&one.f), bits(&two.f));
        if method == Method::NewtonSparse {
            assert!(one.newton_steps > 0);
        }
    }
}

#[test]
fn dist_does_not_depend_on_threads() {
    let x = ndarray::Array2::from_shape_vec((400, 3), lcg(42, 1200)).expect("shape");
    let y = ndarray::Array2::from_shape_vec((300, 3), lcg(43, 900)).expect("shape");
    let (x, y) = (x.into_dyn(), y.into_dyn());
    let one = pool(1)
        .install(|| dist(&x, &y, Metric::Euclidean))
        .expect("dist");
    let two = pool(2)
        .install(|| dist(&x, &y, Metric::Euclidean))
        .expect("dist");
    assert_eq!(one, two);
}
