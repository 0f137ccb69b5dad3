//! Dense routines: known answers, identities of the factors, error cases, and
//! property tests against naive reference code (Gaussian elimination,
//! Gram–Schmidt, Jacobi eigenvalue iteration).

use ndarray::{Array2, ArrayD, Ix2, IxDyn};
use optl_linalg::Error;
use optl_linalg::dense::{
    cholesky, det, eigh, inv, logdet, lstsq, nuclear_norm, pinv, qr, slogdet, solve, svd,
};
use optl_tensor::Tensor;
use proptest::prelude::*;

fn t(shape: &[usize], data: &[f64]) -> Tensor {
    ArrayD::from_shape_vec(IxDyn(shape), data.to_vec()).unwrap()
}

fn m2(a: &Tensor) -> Array2<f64> {
    a.clone().into_dimensionality::<Ix2>().unwrap()
}

fn max_abs_diff(a: &Array2<f64>, b: &Array2<f64>) -> f64 {
    assert_eq!(a.shape(), b.shape());
    a.iter().zip(b).fold(0.0, |m, (x, y)| m.max((x - y).abs()))
}

// ---------- naive references ----------

/// Gaussian elimination with partial pivoting: (solution, determinant).
fn gauss(a: &Array2<f64>, b: &[f64]) -> (Option<Vec<f64>>, f64) {
    let n = a.nrows();
    let mut m = a.clone();
    let mut x = b.to_vec();
    let mut det = 1.0;
    for k in 0..n {
        let p = (k..n)
            .max_by(|&i, &j| m[[i, k]].abs().total_cmp(&m[[j, k]].abs()))
            .unwrap();
        if m[[p, k]] == 0.0 {
            return (None, 0.0);
        }
        if p != k {
            for j in 0..n {
                m.swap([k, j], [p, j]);
            }
            x.swap(k, p);
            det = -det;
        }
        det *= m[[k, k]];
        for i in k + 1..n {
            let f = m[[i, k]] / m[[k, k]];
            for j in k..n {
                m[[i, j]] -= f * m[[k, j]];
            }
            x[i] -= f * x[k];
        }
    }
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|j| m[[i, j]] * x[j]).sum();
        x[i] = (x[i] - s) / m[[i, i]];
    }
    (Some(x), det)
}

/// Classical Gram–Schmidt: the thin QR of a full-rank tall matrix.
fn gram_schmidt(a: &Array2<f64>) -> (Array2<f64>, Array2<f64>) {
    let (m, n) = a.dim();
    let mut q = Array2::zeros((m, n));
    let mut r = Array2::zeros((n, n));
    for j in 0..n {
        let mut v = a.column(j).to_owned();
        for i in 0..j {
            let rij = q.column(i).dot(&a.column(j));
            r[[i, j]] = rij;
            v -= &(&q.column(i) * rij);
        }
        let nv = v.dot(&v).sqrt();
        r[[j, j]] = nv;
        q.column_mut(j).assign(&(v / nv));
    }
    (q, r)
}

/// Cyclic Jacobi eigenvalues of a symmetric matrix, ascending.
fn jacobi_eigenvalues(a: &Array2<f64>) -> Vec<f64> {
    let n = a.nrows();
    let mut m = a.clone();
    for _ in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).map(move |j| (i, j)))
            .filter(|(i, j)| i != j)
            .map(|(i, j)| m[[i, j]] * m[[i, j]])
            .sum();
        if off < 1e-22 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                if m[[p, q]].abs() < 1e-300 {
                    continue;
                }
                let theta = (m[[q, q]] - m[[p, p]]) / (2.0 * m[[p, q]]);
                let tt = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let tt = if theta == 0.0 { 1.0 } else { tt };
                let c = 1.0 / (tt * tt + 1.0).sqrt();
                let s = tt * c;
                for k in 0..n {
                    let (mkp, mkq) = (m[[k, p]], m[[k, q]]);
                    m[[k, p]] = c * mkp - s * mkq;
                    m[[k, q]] = s * mkp + c * mkq;
                }
                for k in 0..n {
                    let (mpk, mqk) = (m[[p, k]], m[[q, k]]);
                    m[[p, k]] = c * mpk - s * mqk;
                    m[[q, k]] = s * mpk + c * mqk;
                }
            }
        }
    }
    let mut v: Vec<f64> = (0..n).map(|i| m[[i, i]]).collect();
    v.sort_by(f64::total_cmp);
    v
}

fn matrix_strategy(max: usize) -> impl Strategy<Value = Array2<f64>> {
    (1..=max).prop_flat_map(|n| {
        prop::collection::vec(-1.0f64..1.0, n * n)
            .prop_map(move |v| Array2::from_shape_vec((n, n), v).unwrap())
    })
}

fn rect_strategy(max: usize) -> impl Strategy<Value = Array2<f64>> {
    (1..=max, 1..=max).prop_flat_map(|(m, n)| {
        prop::collection::vec(-1.0f64..1.0, m * n)
            .prop_map(move |v| Array2::from_shape_vec((m, n), v).unwrap())
    })
}

// ---------- known answers ----------

#[test]
fn solve_known_answer_and_batches() {
    let a = t(&[2, 2], &[3.0, 1.0, 1.0, 2.0]);
    let x = solve(&a, &t(&[2], &[9.0, 8.0])).unwrap();
    assert!((x[[0]] - 2.0).abs() < 1e-14 && (x[[1]] - 3.0).abs() < 1e-14);
    // A batch of two matrices against one vector, and against a broadcast matrix rhs.
    let ab = t(&[2, 2, 2], &[3.0, 1.0, 1.0, 2.0, 2.0, 0.0, 0.0, 4.0]);
    let xb = solve(&ab, &t(&[2], &[9.0, 8.0])).unwrap();
    assert_eq!(xb.shape(), &[2, 2]);
    assert!((xb[[1, 0]] - 4.5).abs() < 1e-14 && (xb[[1, 1]] - 2.0).abs() < 1e-14);
    let bm = t(&[1, 2, 3], &[9.0, 1.0, 0.0, 8.0, 0.0, 1.0]);
    let xm = solve(&ab, &bm).unwrap();
    assert_eq!(xm.shape(), &[2, 2, 3]);
    assert!((xm[[0, 0, 0]] - 2.0).abs() < 1e-14 && (xm[[1, 1, 2]] - 0.25).abs() < 1e-14);
}

#[test]
fn solve_errors() {
    let sing = t(&[2, 2], &[1.0, 2.0, 2.0, 4.0]);
    match solve(&sing, &t(&[2], &[1.0, 1.0])) {
        Err(Error::Singular { rcond, .. }) => assert!(rcond < f64::EPSILON),
        other => panic!("expected Singular, got {other:?}"),
    }
    let near = t(&[2, 2], &[1.0, 1.0, 1.0, 1.0 + 1e-17]);
    assert!(matches!(
        solve(&near, &t(&[2], &[1.0, 1.0])),
        Err(Error::Singular { .. })
    ));
    let ill = t(&[2, 2], &[1.0, 1.0, 1.0, 1.0 + 1e-10]);
    assert!(solve(&ill, &t(&[2], &[1.0, 1.0])).is_ok());
    let a = t(&[2, 2], &[1.0, 0.0, 0.0, 1.0]);
    match solve(&a, &t(&[3], &[1.0, 1.0, 1.0])) {
        Err(Error::Shape { left, right, .. }) => {
            assert_eq!(left, vec![2, 2]);
            assert_eq!(right, vec![3]);
        }
        other => panic!("expected Shape, got {other:?}"),
    }
    assert!(matches!(
        solve(&t(&[2, 3], &[0.0; 6]), &t(&[2], &[1.0, 1.0])),
        Err(Error::BadShape { .. })
    ));
    assert!(matches!(
        solve(&t(&[2], &[1.0, 2.0]), &t(&[2], &[1.0, 1.0])),
        Err(Error::BadShape { .. })
    ));
    assert!(matches!(
        solve(
            &t(&[2, 2], &[1.0, f64::NAN, 0.0, 1.0]),
            &t(&[2], &[1.0, 1.0])
        ),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        solve(&a, &t(&[2], &[1.0, f64::INFINITY])),
        Err(Error::NonFinite { .. })
    ));
    let batch3 = t(&[3, 2, 2], &[1.0, 0.0, 0.0, 1.0].repeat(3));
    assert!(matches!(
        solve(&batch3, &t(&[2, 2, 1], &[1.0; 4])),
        Err(Error::Shape { .. })
    ));
}

#[test]
fn determinants() {
    let a = t(&[2, 2], &[1.0, 2.0, 3.0, 4.0]);
    assert!((det(&a).unwrap()[[]] + 2.0).abs() < 1e-14);
    let s = slogdet(&a).unwrap();
    assert_eq!(s.sign[[]], -1.0);
    assert!((s.logabsdet[[]] - 2f64.ln()).abs() < 1e-14);
    assert!(matches!(logdet(&a), Err(Error::NonPositiveDeterminant { sign, .. }) if sign == -1.0));
    let spd = t(&[2, 2], &[2.0, 1.0, 1.0, 2.0]);
    assert!((logdet(&spd).unwrap()[[]] - 3f64.ln()).abs() < 1e-14);
    let sing = t(&[2, 2], &[1.0, 2.0, 2.0, 4.0]);
    let s = slogdet(&sing).unwrap();
    assert_eq!((s.sign[[]], s.logabsdet[[]]), (0.0, f64::NEG_INFINITY));
    assert_eq!(det(&sing).unwrap()[[]], 0.0);
    let empty = Tensor::zeros(IxDyn(&[0, 0]));
    assert_eq!(det(&empty).unwrap()[[]], 1.0);
    let batch = t(&[2, 1, 1], &[3.0, -2.0]);
    assert_eq!(
        det(&batch).unwrap().into_raw_vec_and_offset().0,
        vec![3.0, -2.0]
    );
}

#[test]
fn inverse_times_matrix_is_identity() {
    let a = t(&[3, 3], &[4.0, 1.0, 0.0, 1.0, 3.0, 1.0, 0.0, 1.0, 2.0]);
    let ai = m2(&inv(&a).unwrap());
    let prod = m2(&a).dot(&ai);
    assert!(max_abs_diff(&prod, &Array2::eye(3)) < 1e-14);
    assert!(matches!(
        inv(&t(&[2, 2], &[1.0, 2.0, 2.0, 4.0])),
        Err(Error::Singular { .. })
    ));
}

#[test]
fn cholesky_reconstructs_and_rejects() {
    let a = t(&[3, 3], &[4.0, 2.0, 0.4, 2.0, 5.0, 1.0, 0.4, 1.0, 3.0]);
    let l = m2(&cholesky(&a).unwrap());
    assert!(max_abs_diff(&l.dot(&l.t()), &m2(&a)) < 1e-14);
    for i in 0..3 {
        for j in i + 1..3 {
            assert_eq!(l[[i, j]], 0.0);
        }
    }
    let indefinite = t(&[2, 2], &[1.0, 2.0, 2.0, 1.0]);
    assert!(matches!(
        cholesky(&indefinite),
        Err(Error::NotPositiveDefinite { pivot: 1, .. })
    ));
    let asym = t(&[2, 2], &[2.0, 1.0, 0.0, 2.0]);
    assert!(matches!(cholesky(&asym), Err(Error::NotSymmetric { .. })));
    let batch = cholesky(&t(&[2, 1, 1], &[4.0, 9.0])).unwrap();
    assert_eq!(batch.into_raw_vec_and_offset().0, vec![2.0, 3.0]);
}

#[test]
fn qr_thin_factors() {
    for (m, n) in [(5, 3), (3, 5), (4, 4)] {
        let data: Vec<f64> = (0..m * n).map(|i| ((i * 7 % 11) as f64) - 5.0).collect();
        let a = t(&[m, n], &data);
        let f = qr(&a).unwrap();
        let k = m.min(n);
        assert_eq!(f.q.shape(), &[m, k]);
        assert_eq!(f.r.shape(), &[k, n]);
        let (q, r) = (m2(&f.q), m2(&f.r));
        assert!(max_abs_diff(&q.dot(&r), &m2(&a)) < 1e-12);
        assert!(max_abs_diff(&q.t().dot(&q), &Array2::eye(k)) < 1e-13);
        for i in 0..k {
            for j in 0..i {
                assert_eq!(r[[i, j]], 0.0);
            }
        }
    }
}

#[test]
fn svd_reconstructs_with_descending_values() {
    for (m, n) in [(6, 4), (4, 6), (5, 5)] {
        let data: Vec<f64> = (0..m * n)
            .map(|i| ((i * 13 % 17) as f64) / 3.0 - 2.0)
            .collect();
        let a = m2(&t(&[m, n], &data));
        let f = svd(&a.clone().into_dyn()).unwrap();
        let (u, vt) = (m2(&f.u), m2(&f.vt));
        let s = f.s.into_raw_vec_and_offset().0;
        assert!(s.windows(2).all(|w| w[0] >= w[1]) && s.iter().all(|&v| v >= 0.0));
        let us = &u * &ndarray::Array1::from(s.clone());
        assert!(max_abs_diff(&us.dot(&vt), &a) < 1e-12);
        let k = m.min(n);
        assert!(max_abs_diff(&u.t().dot(&u), &Array2::eye(k)) < 1e-13);
        assert!(max_abs_diff(&vt.dot(&vt.t()), &Array2::eye(k)) < 1e-13);
        let nuc = nuclear_norm(&a.clone().into_dyn()).unwrap()[[]];
        assert!((nuc - s.iter().sum::<f64>()).abs() < 1e-12);
    }
    let diag = t(&[2, 2], &[3.0, 0.0, 0.0, -4.0]);
    assert!((nuclear_norm(&diag).unwrap()[[]] - 7.0).abs() < 1e-14);
}

#[test]
fn eigh_satisfies_the_eigen_equation() {
    let a = t(&[3, 3], &[2.0, -1.0, 0.0, -1.0, 2.0, -1.0, 0.0, -1.0, 2.0]);
    let f = eigh(&a).unwrap();
    let vals = f.values.clone().into_raw_vec_and_offset().0;
    let expected = [2.0 - 2f64.sqrt(), 2.0, 2.0 + 2f64.sqrt()];
    for (v, e) in vals.iter().zip(expected) {
        assert!((v - e).abs() < 1e-14);
    }
    let (am, v) = (m2(&a), m2(&f.vectors));
    for (j, &lambda) in vals.iter().enumerate() {
        let col = v.column(j);
        let av = am.dot(&col);
        let diff = (&av - &(&col * lambda))
            .mapv(f64::abs)
            .fold(0.0, |m: f64, &x| m.max(x));
        assert!(diff < 1e-13);
    }
    assert!(max_abs_diff(&v.t().dot(&v), &Array2::eye(3)) < 1e-13);
    assert!(matches!(
        eigh(&t(&[2, 2], &[1.0, 2.0, 0.0, 1.0])),
        Err(Error::NotSymmetric { .. })
    ));
    // Asymmetry far below the tolerance is accepted.
    assert!(eigh(&t(&[2, 2], &[1.0, 2.0, 2.0 + 1e-14, 1.0])).is_ok());
}

#[test]
fn lstsq_fits_a_line_and_reports_rank() {
    // y = 1 + 2 x with one perturbed point.
    let a = t(&[4, 2], &[1.0, 0.0, 1.0, 1.0, 1.0, 2.0, 1.0, 3.0]);
    let b = t(&[4], &[1.0, 3.0, 5.0, 8.0]);
    let f = lstsq(&a, &b, None).unwrap();
    assert_eq!(f.rank, 2);
    let x = f.x.into_raw_vec_and_offset().0;
    assert!((x[0] - 0.8).abs() < 1e-13 && (x[1] - 2.3).abs() < 1e-13);
    assert_eq!(f.residuals.shape(), &[1]);
    assert!((f.residuals[[0]] - 0.3).abs() < 1e-13);
    assert_eq!(f.s.shape(), &[2]);
    // Rank-deficient: duplicated column; minimum-norm solution and no residuals.
    let d = t(&[3, 2], &[1.0, 1.0, 2.0, 2.0, 3.0, 3.0]);
    let f = lstsq(&d, &t(&[3, 1], &[2.0, 4.0, 6.0]), None).unwrap();
    assert_eq!(f.rank, 1);
    assert_eq!(f.residuals.shape(), &[0]);
    assert!((f.x[[0, 0]] - 1.0).abs() < 1e-13 && (f.x[[1, 0]] - 1.0).abs() < 1e-13);
    assert!(matches!(
        lstsq(&d, &t(&[2], &[1.0, 2.0]), None),
        Err(Error::Shape { .. })
    ));
    assert!(matches!(
        lstsq(&d, &t(&[3], &[1.0, 2.0, 3.0]), Some(-1.0)),
        Err(Error::InvalidArgument { .. })
    ));
}

#[test]
fn pinv_satisfies_penrose_identities() {
    let a = m2(&t(&[3, 2], &[1.0, 2.0, 2.0, 4.0, 3.0, 6.0]));
    let p = m2(&pinv(&a.clone().into_dyn(), None).unwrap());
    assert_eq!(p.dim(), (2, 3));
    assert!(max_abs_diff(&a.dot(&p).dot(&a), &a) < 1e-13);
    assert!(max_abs_diff(&p.dot(&a).dot(&p), &p) < 1e-13);
    assert!(matches!(
        pinv(&t(&[2, 2, 2], &[0.0; 8]), None),
        Err(Error::BadShape { .. })
    ));
}

#[test]
fn empty_matrices() {
    let e = Tensor::zeros(IxDyn(&[0, 0]));
    assert_eq!(solve(&e, &Tensor::zeros(IxDyn(&[0]))).unwrap().len(), 0);
    assert_eq!(inv(&e).unwrap().shape(), &[0, 0]);
    assert_eq!(cholesky(&e).unwrap().shape(), &[0, 0]);
    let w = Tensor::zeros(IxDyn(&[3, 0]));
    let f = svd(&w).unwrap();
    assert_eq!(
        (f.u.shape(), f.s.shape(), f.vt.shape()),
        (&[3, 0][..], &[0][..], &[0, 0][..])
    );
    let f = qr(&w).unwrap();
    assert_eq!((f.q.shape(), f.r.shape()), (&[3, 0][..], &[0, 0][..]));
    assert_eq!(eigh(&e).unwrap().values.shape(), &[0]);
}

#[test]
fn results_are_bitwise_reproducible() {
    let data: Vec<f64> = (0..64)
        .map(|i| ((i * 37 % 23) as f64) / 7.0 - 1.5)
        .collect();
    let a = t(&[8, 8], &data);
    let b = t(&[8], &data[..8]);
    assert_eq!(solve(&a, &b).unwrap(), solve(&a, &b).unwrap());
    assert_eq!(svd(&a).unwrap(), svd(&a).unwrap());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn solve_and_det_match_gaussian_elimination(a in matrix_strategy(7), seed in 0u64..1000) {
        let n = a.nrows();
        let b: Vec<f64> = (0..n).map(|i| ((i as u64 * 31 + seed) % 17) as f64 - 8.0).collect();
        let (reference, ref_det) = gauss(&a, &b);
        let d = det(&a.clone().into_dyn()).unwrap()[[]];
        prop_assert!((d - ref_det).abs() <= 1e-10 * (1.0 + ref_det.abs()));
        if let (Some(xr), Ok(x)) = (reference, solve(&a.clone().into_dyn(), &t(&[n], &b))) {
            let scale = xr.iter().fold(1.0f64, |m, v| m.max(v.abs()));
            for (u, v) in x.iter().zip(&xr) {
                prop_assert!((u - v).abs() <= 1e-7 * scale);
            }
        }
    }

    #[test]
    fn qr_matches_gram_schmidt(a in rect_strategy(6)) {
        let (m, n) = a.dim();
        prop_assume!(m >= n);
        let (_, rr) = gram_schmidt(&a);
        prop_assume!((0..n).all(|i| rr[[i, i]] > 1e-3));
        let f = qr(&a.clone().into_dyn()).unwrap();
        let r = m2(&f.r);
        // Equal up to the sign of each row of R.
        for i in 0..n {
            let sign = r[[i, i]].signum();
            for j in i..n {
                prop_assert!((sign * r[[i, j]] - rr[[i, j]]).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn svd_and_eigh_match_jacobi(a in rect_strategy(6)) {
        let ata = a.t().dot(&a);
        let ref_eig = jacobi_eigenvalues(&ata);
        let f = eigh(&ata.clone().into_dyn()).unwrap();
        for (u, v) in f.values.iter().zip(&ref_eig) {
            prop_assert!((u - v).abs() < 1e-10 * (1.0 + v.abs()));
        }
        let s = svd(&a.clone().into_dyn()).unwrap().s.into_raw_vec_and_offset().0;
        let mut sq: Vec<f64> = s.iter().map(|v| v * v).collect();
        sq.reverse();
        // The largest min(m, n) eigenvalues of AᵀA are the squared singular values.
        let top = &ref_eig[ref_eig.len() - sq.len()..];
        for (u, v) in sq.iter().zip(top) {
            prop_assert!((u - v).abs() < 1e-10 * (1.0 + v.abs()));
        }
    }

    #[test]
    fn cholesky_of_gram_matrices(a in matrix_strategy(6)) {
        let n = a.nrows();
        let spd = a.t().dot(&a) + Array2::<f64>::eye(n);
        let l = m2(&cholesky(&spd.clone().into_dyn()).unwrap());
        prop_assert!(max_abs_diff(&l.dot(&l.t()), &spd) < 1e-12 * (1.0 + spd.iter().fold(0.0f64, |m, v| m.max(v.abs()))));
    }
}
