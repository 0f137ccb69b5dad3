//! CSR construction (duplicates summed, indices checked), products, conversions
//! and the sparse direct solvers.

mod common;

use common::{poisson_2d, rel_residual};
use ndarray::{ArrayD, IxDyn};
use optl_linalg::sparse::{SparseLu, solve_lu, solve_spd};
use optl_linalg::{Csr, Error};

#[test]
fn triplets_are_sorted_and_duplicates_summed() {
    let a = Csr::from_triplets(
        &[1, 0, 1, 0, 1, 2],
        &[2, 1, 0, 1, 2, 0],
        &[1.0, 2.0, 3.0, 4.0, 5.0, 0.0],
        (3, 3),
    )
    .unwrap();
    assert_eq!(a.indptr(), &[0, 1, 3, 4]);
    assert_eq!(a.indices(), &[1, 0, 2, 0]);
    assert_eq!(a.values(), &[6.0, 3.0, 6.0, 0.0]);
    assert_eq!(a.nnz(), 4);
    assert_eq!(a.get(1, 2), 6.0);
    assert_eq!(a.get(2, 2), 0.0);
    let dense = a.to_dense();
    assert_eq!(
        dense,
        ArrayD::from_shape_vec(IxDyn(&[3, 3]), vec![0., 6., 0., 3., 0., 6., 0., 0., 0.]).unwrap()
    );
    assert_eq!(Csr::from_dense(&dense).unwrap().nnz(), 3);
    assert_eq!(a.diagonal(), vec![0.0, 0.0, 0.0]);
}

#[test]
fn bad_triplets_are_errors() {
    assert!(matches!(
        Csr::from_triplets(&[0, 3], &[0, 0], &[1.0, 1.0], (3, 3)),
        Err(Error::IndexOutOfBounds { row: 3, col: 0, .. })
    ));
    assert!(matches!(
        Csr::from_triplets(&[0], &[5], &[1.0], (3, 3)),
        Err(Error::IndexOutOfBounds { .. })
    ));
    assert!(matches!(
        Csr::from_triplets(&[0], &[0, 1], &[1.0], (3, 3)),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        Csr::from_triplets(&[0], &[0], &[f64::NAN], (3, 3)),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        Csr::from_triplets(&[0, 0], &[0, 0], &[f64::MAX, f64::MAX], (1, 1)),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        Csr::from_parts(2, 2, vec![0, 2, 1], vec![0, 1], vec![1.0, 1.0]),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        Csr::from_parts(1, 2, vec![0, 2], vec![1, 0], vec![1.0, 1.0]),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(Csr::from_parts(1, 2, vec![0, 2], vec![0, 1], vec![1.0, 1.0]).is_ok());
}

#[test]
fn products_and_transpose() {
    let a = Csr::from_triplets(&[0, 0, 1], &[0, 2, 1], &[1.0, 2.0, 3.0], (2, 3)).unwrap();
    assert_eq!(a.matvec(&[1.0, 1.0, 1.0]).unwrap(), vec![3.0, 3.0]);
    assert_eq!(
        a.matvec_transpose(&[1.0, 2.0]).unwrap(),
        vec![1.0, 6.0, 2.0]
    );
    assert!(matches!(a.matvec(&[1.0]), Err(Error::Shape { .. })));
    assert!(matches!(
        a.matvec_transpose(&[1.0]),
        Err(Error::Shape { .. })
    ));
    let at = a.transpose();
    assert_eq!(at.shape(), (3, 2));
    assert_eq!(at.to_dense(), a.to_dense().t().to_owned());
    assert!(!a.is_symmetric(1e-12));
    let p = poisson_2d(6);
    assert!(p.is_symmetric(0.0));
    assert_eq!(p.transpose(), p);
    // The parallel product (large matrix) equals the row-by-row definition.
    let big = poisson_2d(150);
    let x: Vec<f64> = (0..big.ncols()).map(|i| (i as f64 * 0.1).sin()).collect();
    let y = big.matvec(&x).unwrap();
    for i in (0..big.nrows()).step_by(997) {
        let (cols, vals) = big.row(i);
        let yi: f64 = cols
            .iter()
            .zip(vals)
            .map(|(&c, &v)| v * x[c as usize])
            .sum();
        assert_eq!(y[i], yi);
    }
}

#[test]
fn sparse_cholesky_and_lu_solve_poisson() {
    let a = poisson_2d(20);
    let b: Vec<f64> = (0..a.nrows()).map(|i| 1.0 + (i % 7) as f64).collect();
    let x = solve_spd(&a, &b).unwrap();
    assert!(rel_residual(&a, &x, &b) < 1e-12);
    let x = solve_lu(&a, &b).unwrap();
    assert!(rel_residual(&a, &x, &b) < 1e-12);
    // A nonsymmetric system for LU.
    let n = 50;
    let (mut r, mut c, mut v) = (vec![], vec![], vec![]);
    for i in 0..n {
        r.push(i);
        c.push(i);
        v.push(3.0);
        if i + 1 < n {
            r.push(i);
            c.push(i + 1);
            v.push(-2.0);
        }
        if i >= 3 {
            r.push(i);
            c.push(i - 3);
            v.push(0.5);
        }
    }
    let a = Csr::from_triplets(&r, &c, &v, (n, n)).unwrap();
    let b = vec![1.0; n];
    let lu = SparseLu::new(&a).unwrap();
    assert!(lu.rcond() > 1e-6);
    assert!(rel_residual(&a, &lu.solve(&b).unwrap(), &b) < 1e-12);
}

#[test]
fn sparse_direct_errors() {
    let indefinite =
        Csr::from_triplets(&[0, 0, 1, 1], &[0, 1, 0, 1], &[1.0, 2.0, 2.0, 1.0], (2, 2)).unwrap();
    assert!(matches!(
        solve_spd(&indefinite, &[1.0, 1.0]),
        Err(Error::NotPositiveDefinite { .. })
    ));
    let asym = Csr::from_triplets(&[0, 0, 1], &[0, 1, 1], &[1.0, 2.0, 1.0], (2, 2)).unwrap();
    assert!(matches!(
        solve_spd(&asym, &[1.0, 1.0]),
        Err(Error::NotSymmetric { .. })
    ));
    let singular =
        Csr::from_triplets(&[0, 0, 1, 1], &[0, 1, 0, 1], &[1.0, 2.0, 2.0, 4.0], (2, 2)).unwrap();
    assert!(matches!(
        solve_lu(&singular, &[1.0, 1.0]),
        Err(Error::Singular { .. })
    ));
    let empty_row = Csr::from_triplets(&[0], &[0], &[1.0], (2, 2)).unwrap();
    assert!(matches!(
        solve_lu(&empty_row, &[1.0, 1.0]),
        Err(Error::Singular { .. })
    ));
    let rect = Csr::from_triplets(&[0], &[0], &[1.0], (2, 3)).unwrap();
    assert!(matches!(
        solve_lu(&rect, &[1.0, 1.0]),
        Err(Error::BadShape { .. })
    ));
    let a = poisson_2d(3);
    assert!(matches!(solve_spd(&a, &[1.0; 4]), Err(Error::Shape { .. })));
    assert!(matches!(
        solve_lu(&a, &[f64::NAN; 9]),
        Err(Error::NonFinite { .. })
    ));
}
