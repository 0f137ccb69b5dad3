//! Every bad input is an `Error` with a readable message, and a regularization
//! too small for the scaling form continues in the log domain instead of
//! returning a non-finite plan.

mod common;

use common::*;
use optl_transport::{Error, Method, Options, Status, sinkhorn, sinkhorn_batch};

fn err(a: &[f64], b: &[f64], m: &[f64], reg: f64, opts: &Options) -> Error {
    sinkhorn(a, b, m, reg, opts).expect_err("must be refused")
}

#[test]
fn bad_inputs_are_errors() {
    let o = Options::default();
    let a = [0.5, 0.5];
    let b = [0.25, 0.75];
    let m = [0.0, 1.0, 1.0, 0.0];
    let e = err(&[], &b, &[], 1.0, &o);
    assert_eq!(
        e,
        Error::Empty {
            op: "sinkhorn",
            what: "a".to_string()
        }
    );
    assert_eq!(e.to_string(), "sinkhorn: a is empty");
    assert_eq!(
        err(&a, &[], &[], 1.0, &o).to_string(),
        "sinkhorn: b is empty"
    );
    let e = err(&a, &b, &m[..3], 1.0, &o);
    assert!(matches!(e, Error::Shape { .. }));
    assert_eq!(
        e.to_string(),
        "sinkhorn: shapes do not fit: m has 3 entries but len(a) x len(b) = 2 x 2 = 4"
    );
    let e = err(&[0.5, -0.5, 1.0], &[0.25, 0.75], &[0.0; 6], 1.0, &o);
    assert_eq!(e.to_string(), "sinkhorn: a[1] = -0.5 is negative");
    let e = err(&a, &[f64::NAN, 1.0], &m, 1.0, &o);
    assert_eq!(e.to_string(), "sinkhorn: b[0] is NaN or infinite");
    let e = err(&a, &b, &[0.0, 1.0, f64::INFINITY, 0.0], 1.0, &o);
    assert!(matches!(e, Error::NonFinite { index: 2, .. }));
    assert!(matches!(
        err(&a, &b, &[0.0, -1.0, 1.0, 0.0], 1.0, &o),
        Error::Negative { index: 1, .. }
    ));
    for reg in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let e = err(&a, &b, &m, reg, &o);
        assert!(matches!(e, Error::InvalidReg { .. }), "{reg}");
    }
    assert_eq!(
        err(&a, &b, &m, 0.0, &o).to_string(),
        "sinkhorn: reg must be finite and positive, got 0"
    );
    let e = err(&a, &[0.5, 0.75], &m, 1.0, &o);
    assert_eq!(
        e,
        Error::MassMismatch {
            op: "sinkhorn",
            sum_a: 1.0,
            sum_b: 1.25
        }
    );
    assert!(e.to_string().contains("sum(a) = 1, sum(b) = 1.25"), "{e}");
    // Within 1e-9 relatively is accepted, beyond is refused.
    assert!(sinkhorn(&a, &[0.25, 0.75 + 5e-10], &m, 1.0, &o).is_ok());
    assert!(matches!(
        err(&a, &[0.25, 0.75 + 2e-9], &m, 1.0, &o),
        Error::MassMismatch { .. }
    ));
    let e = err(&[0.0, 0.0], &[0.0, 0.0], &m, 1.0, &o);
    assert_eq!(
        e.to_string(),
        "sinkhorn: a and b are zero: nothing to transport"
    );
    let bad_tol = Options { tol: -1.0, ..o };
    assert!(matches!(
        err(&a, &b, &m, 1.0, &bad_tol),
        Error::InvalidArgument { .. }
    ));
    let bad_check = Options {
        check_every: 0,
        ..o
    };
    let e = err(&a, &b, &m, 1.0, &bad_check);
    assert_eq!(e.to_string(), "sinkhorn: check_every must be at least 1");
}

#[test]
fn batch_checks_every_histogram() {
    let o = Options::default();
    let a = [0.5, 0.5];
    let m = [0.0, 1.0, 1.0, 0.0];
    let e = sinkhorn_batch(&a, &[], &m, 1.0, &o).expect_err("empty");
    assert_eq!(e.to_string(), "sinkhorn_batch: bs is empty");
    let bs = vec![vec![0.5, 0.5], vec![0.5, 0.5, 0.0]];
    let e = sinkhorn_batch(&a, &bs, &m, 1.0, &o).expect_err("shape");
    assert!(e.to_string().contains("bs[1] has 3 entries"), "{e}");
    let bs = vec![vec![0.5, 0.5], vec![0.5, -0.5]];
    let e = sinkhorn_batch(&a, &bs, &m, 1.0, &o).expect_err("negative");
    assert_eq!(e.to_string(), "sinkhorn_batch: bs[1][1] = -0.5 is negative");
    let e = sinkhorn_batch(&a, &[vec![f64::NAN, 1.0]], &m, 1.0, &o).expect_err("nan");
    assert_eq!(e.to_string(), "sinkhorn_batch: bs[0][0] is NaN or infinite");
    let bs = vec![vec![0.7, 0.5]];
    let e = sinkhorn_batch(&a, &bs, &m, 1.0, &o).expect_err("mass");
    assert!(matches!(e, Error::MassMismatch { .. }));
}

#[test]
fn batch_equals_one_by_one() {
    let inst = random_instance(31, 12, 9);
    let other = random_instance(32, 12, 9);
    let bs = vec![inst.b.clone(), other.b.clone()];
    for method in [Method::Scaling, Method::Log, Method::NewtonSparse] {
        let opts = Options::with_method(method);
        let batch = sinkhorn_batch(&inst.a, &bs, &inst.m, 0.05, &opts).expect("valid");
        for (t, b) in batch.iter().zip(&bs) {
            let alone = sinkhorn(&inst.a, b, &inst.m, 0.05, &opts).expect("valid");
            assert_eq!(*t, alone);
        }
    }
}

#[test]
fn small_reg_in_scaling_mode_switches_to_log() {
    // x, y in [0, 1]², squared Euclidean cost, reg 0.001: exp(−M / reg)
    // underflows and the scalings overflow.
    let inst = random_instance(33, 20, 20);
    let opts = Options {
        tol: 1e-9,
        ..Options::default()
    };
    let t = solve(&inst, 0.001, &opts);
    assert!(t.switched_to_log);
    assert_eq!(t.method, Method::Log);
    assert_eq!(t.status, Status::Converged);
    assert!(t.plan.iter().all(|p| p.is_finite() && *p >= 0.0));
    assert!(t.f.iter().chain(&t.g).all(|x| x.is_finite()));
    assert!(t.err <= 1e-9);
    let log = solve(
        &inst,
        0.001,
        &Options {
            tol: 1e-9,
            ..Options::with_method(Method::Log)
        },
    );
    assert!(!log.switched_to_log);
    assert!(rel(t.cost, log.cost) < 1e-6);
    // A regularization the scaling form handles does not switch.
    let t = solve(&inst, 0.05, &opts);
    assert!(!t.switched_to_log);
    assert_eq!(t.method, Method::Scaling);
}
