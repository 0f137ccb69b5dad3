//! CG, GMRES and SOR: convergence on Poisson problems, operators of every kind,
//! statuses on bad input, and thread-count independence.

mod common;

use common::{poisson_2d, rel_residual, smooth_rhs};
use ndarray::{ArrayD, IxDyn};
use optl_linalg::{Csr, DenseMatrix, Error, MatrixFree, Operator, Precond, Status, cg, gmres, sor};

fn convection_diffusion(g: usize, wind: f64) -> Csr {
    let idx = |i: usize, j: usize| i * g + j;
    let (mut r, mut c, mut v) = (vec![], vec![], vec![]);
    for i in 0..g {
        for j in 0..g {
            let me = idx(i, j);
            r.push(me);
            c.push(me);
            v.push(4.0);
            let mut nb = |ok: bool, other: usize, val: f64| {
                if ok {
                    r.push(me);
                    c.push(other);
                    v.push(val);
                }
            };
            nb(j > 0, me.wrapping_sub(1), -1.0 - wind);
            nb(j + 1 < g, me + 1, -1.0 + wind);
            nb(i > 0, me.wrapping_sub(g), -1.0);
            nb(i + 1 < g, me + g, -1.0);
        }
    }
    Csr::from_triplets(&r, &c, &v, (g * g, g * g)).unwrap()
}

#[test]
fn cg_converges_on_poisson_with_every_preconditioner() {
    let a = poisson_2d(30);
    let b = smooth_rhs(a.nrows(), 0.3);
    let mut iters = Vec::new();
    for precond in [Precond::None, Precond::Jacobi, Precond::Ic0] {
        let r = cg(&a, &b, 1e-10, 2000, precond).unwrap();
        assert_eq!(r.status, Status::Converged, "{precond:?}");
        assert!(r.residual <= 1e-10);
        assert!(rel_residual(&a, &r.x, &b) <= 1e-10);
        assert!(r.matvecs > r.iters);
        iters.push(r.iters);
    }
    // IC(0) needs clearly fewer iterations than plain CG.
    assert!(iters[2] * 3 < iters[0] * 2, "{iters:?}");
}

#[test]
fn cg_on_dense_and_matrix_free_operators() {
    let a = poisson_2d(8);
    let b = smooth_rhs(a.nrows(), 0.0);
    let dense = DenseMatrix::from_tensor(&a.to_dense()).unwrap();
    let rd = cg(&dense, &b, 1e-12, 500, Precond::Jacobi).unwrap();
    assert_eq!(rd.status, Status::Converged);
    assert!(rel_residual(&a, &rd.x, &b) <= 1e-12);
    let free = MatrixFree::new(a.nrows(), |x: &[f64], y: &mut [f64]| {
        a.matvec_into(x, y).unwrap()
    });
    let rf = cg(&free, &b, 1e-12, 500, Precond::None).unwrap();
    assert_eq!(rf.status, Status::Converged);
    assert!(matches!(
        cg(&free, &b, 1e-12, 500, Precond::Jacobi),
        Err(Error::Unsupported { .. })
    ));
    assert!(matches!(
        cg(&dense, &b, 1e-12, 500, Precond::Ic0),
        Err(Error::Unsupported { .. })
    ));
    let with_diag = MatrixFree::new(a.nrows(), |x: &[f64], y: &mut [f64]| {
        a.matvec_into(x, y).unwrap()
    })
    .with_diagonal(a.diagonal())
    .unwrap();
    let rj = cg(&with_diag, &b, 1e-12, 500, Precond::Jacobi).unwrap();
    assert_eq!(rj.status, Status::Converged);
    assert!(
        MatrixFree::new(3, |_: &[f64], _: &mut [f64]| {})
            .with_diagonal(vec![1.0])
            .is_err()
    );
}

#[test]
fn cg_statuses_on_bad_operators() {
    // Indefinite: diag(1, -1).
    let indef = Csr::from_triplets(&[0, 1], &[0, 1], &[1.0, -1.0], (2, 2)).unwrap();
    assert_eq!(
        cg(&indef, &[1.0, 1.0], 1e-10, 10, Precond::None)
            .unwrap()
            .status,
        Status::NotSpd
    );
    assert_eq!(
        cg(&indef, &[1.0, 1.0], 1e-10, 10, Precond::Jacobi)
            .unwrap()
            .status,
        Status::NotSpd
    );
    // A NaN-producing operator is never reported as converged.
    let nan = MatrixFree::new(3, |_: &[f64], y: &mut [f64]| {
        y.iter_mut().for_each(|v| *v = f64::NAN)
    });
    let r = cg(&nan, &[1.0; 3], 1e-10, 10, Precond::None).unwrap();
    assert_eq!(r.status, Status::NonFinite);
    let r = gmres(&nan, &[1.0; 3], 3, 1e-10, 10).unwrap();
    assert_eq!(r.status, Status::NonFinite);
    // Iteration limit.
    let a = poisson_2d(20);
    let b = smooth_rhs(a.nrows(), 1.0);
    let r = cg(&a, &b, 1e-12, 3, Precond::None).unwrap();
    assert_eq!((r.status, r.iters), (Status::MaxIters, 3));
    assert!(r.residual > 1e-12 && (r.residual - rel_residual(&a, &r.x, &b)).abs() < 1e-12);
    // Zero right-hand side: x = 0 immediately.
    let r = cg(&a, &vec![0.0; a.nrows()], 1e-8, 10, Precond::None).unwrap();
    assert_eq!((r.status, r.iters), (Status::Converged, 0));
    assert!(r.x.iter().all(|&v| v == 0.0));
    // IC(0) on an indefinite matrix breaks down.
    assert!(matches!(
        cg(&indef, &[1.0, 1.0], 1e-10, 10, Precond::Ic0),
        Err(Error::PreconditionerBreakdown { row: 1 })
    ));
}

#[test]
fn iterative_input_errors() {
    let a = poisson_2d(4);
    assert!(matches!(
        cg(&a, &[1.0; 3], 1e-8, 10, Precond::None),
        Err(Error::Shape { .. })
    ));
    assert!(matches!(
        cg(&a, &[1.0; 16], -1.0, 10, Precond::None),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        cg(&a, &[f64::NAN; 16], 1e-8, 10, Precond::None),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        gmres(&a, &[1.0; 16], 0, 1e-8, 10),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        sor(&a, &[1.0; 16], 2.0, 1e-8, 10),
        Err(Error::InvalidArgument { .. })
    ));
    let rect = Csr::from_triplets(&[0], &[0], &[1.0], (2, 3)).unwrap();
    assert!(matches!(
        cg(&rect, &[1.0; 2], 1e-8, 10, Precond::None),
        Err(Error::BadShape { .. })
    ));
    let zero_diag = Csr::from_triplets(&[0, 1, 1], &[1, 0, 1], &[1.0, 1.0, 1.0], (2, 2)).unwrap();
    assert!(matches!(
        sor(&zero_diag, &[1.0; 2], 1.0, 1e-8, 10),
        Err(Error::ZeroDiagonal { row: 0, .. })
    ));
    let free = MatrixFree::new(16, |x: &[f64], y: &mut [f64]| y.copy_from_slice(x));
    assert!(matches!(
        sor(&free, &[1.0; 16], 1.0, 1e-8, 10),
        Err(Error::Unsupported { .. })
    ));
    assert!(DenseMatrix::from_tensor(&ArrayD::zeros(IxDyn(&[2, 3]))).is_err());
}

#[test]
fn gmres_converges_on_nonsymmetric_and_symmetric_problems() {
    let a = convection_diffusion(20, 0.4);
    let b = smooth_rhs(a.nrows(), 0.0);
    for restart in [10, 30, 400] {
        let r = gmres(&a, &b, restart, 1e-10, 5000).unwrap();
        assert_eq!(r.status, Status::Converged, "restart {restart}");
        assert!(rel_residual(&a, &r.x, &b) <= 1e-10);
    }
    let p = poisson_2d(15);
    let b = smooth_rhs(p.nrows(), 2.0);
    let r = gmres(&p, &b, 20, 1e-9, 5000).unwrap();
    assert_eq!(r.status, Status::Converged);
    assert!(rel_residual(&p, &r.x, &b) <= 1e-9);
    let r = gmres(&p, &b, 20, 1e-9, 5).unwrap();
    assert_eq!((r.status, r.iters), (Status::MaxIters, 5));
}

#[test]
fn gmres_reports_breakdown_on_an_inconsistent_singular_system() {
    // diag(1, 0) with b = (1, 1): the Krylov space {b, Ab} becomes invariant.
    let a = Csr::from_triplets(&[0], &[0], &[1.0], (2, 2)).unwrap();
    let r = gmres(&a, &[1.0, 1.0], 5, 1e-10, 50).unwrap();
    assert_eq!(r.status, Status::Breakdown);
    assert!(r.residual > 0.5);
}

#[test]
fn sor_converges_and_over_relaxation_helps() {
    let a = poisson_2d(16);
    let b = smooth_rhs(a.nrows(), 0.5);
    let gs = sor(&a, &b, 1.0, 1e-8, 10_000).unwrap();
    let over = sor(&a, &b, 1.7, 1e-8, 10_000).unwrap();
    for r in [&gs, &over] {
        assert_eq!(r.status, Status::Converged);
        assert!(rel_residual(&a, &r.x, &b) <= 1e-8);
    }
    assert!(over.iters * 3 < gs.iters);
    let dense = DenseMatrix::from_tensor(&a.to_dense()).unwrap();
    let rd = sor(&dense, &b, 1.7, 1e-8, 10_000).unwrap();
    assert_eq!(rd.iters, over.iters);
    let capped = sor(&a, &b, 1.0, 1e-8, 4).unwrap();
    assert_eq!((capped.status, capped.iters), (Status::MaxIters, 4));
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let a = poisson_2d(180);
    assert!(a.n() > 30_000);
    let b = smooth_rhs(a.nrows(), 0.7);
    let run = || cg(&a, &b, 1e-6, 200, Precond::Jacobi).unwrap();
    let many = run();
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(run);
    assert_eq!(many, one);
    assert_eq!(many, run());
}
