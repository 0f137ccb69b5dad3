//! `top_singular_pair` against faer's full SVD on random, rank-deficient,
//! clustered, degenerate-shape and zero matrices.

use super::super::{SingularPair, top_singular_pair};
use super::{Rng, dot, full_svd, norm, with_singular_values};
use crate::Error;

/// `A x` for a row-major matrix.
fn mul(a: &[f64], cols: usize, x: &[f64]) -> Vec<f64> {
    a.chunks(cols).map(|row| dot(row, x)).collect()
}

/// `Aᵀ y` for a row-major matrix.
fn mul_t(a: &[f64], cols: usize, y: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; cols];
    for (row, yi) in a.chunks(cols).zip(y) {
        for (o, x) in out.iter_mut().zip(row) {
            *o += yi * x;
        }
    }
    out
}

fn residuals(a: &[f64], cols: usize, p: &SingularPair) -> (f64, f64) {
    let av = mul(a, cols, &p.v);
    let atu = mul_t(a, cols, &p.u);
    let r1: Vec<f64> = av.iter().zip(&p.u).map(|(x, y)| x - p.sigma * y).collect();
    let r2: Vec<f64> = atu.iter().zip(&p.v).map(|(x, y)| x - p.sigma * y).collect();
    (norm(&r1), norm(&r2))
}

/// Checks `p` against faer's SVD; the vectors only when σ₁ is well separated.
fn check(a: &[f64], rows: usize, cols: usize, p: &SingularPair, tol: f64) {
    let (s, u, v) = full_svd(a, rows, cols);
    let k = rows.min(cols);
    let sigma = s[0];
    assert!(
        (p.sigma - sigma).abs() <= 1e-10 * sigma,
        "{rows}x{cols}: {} vs {sigma}",
        p.sigma
    );
    assert!((norm(&p.u) - 1.0).abs() < 1e-12 && (norm(&p.v) - 1.0).abs() < 1e-12);
    let (r1, r2) = residuals(a, cols, p);
    assert!(r1 <= 1e-12 * sigma, "‖Av − σu‖ = {r1}");
    assert!(
        r2 <= tol * sigma * 1.01 + 1e-13 * sigma,
        "{rows}x{cols} tol {tol}: ‖Aᵀu − σv‖ = {r2}, σ = {sigma}, {} steps, gap {}",
        p.iters,
        sigma - s[1]
    );
    assert!((p.residual - r2).abs() <= 1e-12 * sigma);
    if k > 1 && s[1] < 0.99 * sigma || k == 1 {
        let u1: Vec<f64> = (0..rows).map(|i| u[i * k]).collect();
        let v1: Vec<f64> = (0..cols).map(|j| v[j * k]).collect();
        assert!(dot(&u1, &p.u).abs() > 1.0 - 1e-8, "{rows}x{cols}: u");
        assert!(dot(&v1, &p.v).abs() > 1.0 - 1e-8, "{rows}x{cols}: v");
        // Consistent signs: u = A v / σ.
        assert!(dot(&u1, &p.u) * dot(&v1, &p.v) > 0.0);
    }
}

#[test]
fn random_matrices_match_full_svd() {
    let mut rng = Rng::new(21);
    for (rows, cols) in [
        (30, 20),
        (20, 30),
        (200, 150),
        (150, 200),
        (64, 64),
        (3, 2),
        (2, 3),
        (40, 33),
    ] {
        for tol in [1e-8, 1e-12] {
            let a = rng.normals(rows * cols);
            let p = top_singular_pair(&a, rows, cols, None, tol).unwrap();
            check(&a, rows, cols, &p, tol);
            assert!(p.iters > 0);
        }
    }
}

#[test]
fn rank_deficient_matrices_match_full_svd() {
    let mut rng = Rng::new(22);
    for (rows, cols, rank) in [
        (40, 25, 3),
        (50, 60, 1),
        (100, 80, 10),
        (10, 10, 9),
        (35, 70, 2),
    ] {
        let l = rng.normals(rows * rank);
        let r = rng.normals(rank * cols);
        let mut a = vec![0.0; rows * cols];
        for i in 0..rows {
            for j in 0..cols {
                a[i * cols + j] = (0..rank).map(|q| l[i * rank + q] * r[q * cols + j]).sum();
            }
        }
        let p = top_singular_pair(&a, rows, cols, None, 1e-12).unwrap();
        check(&a, rows, cols, &p, 1e-12);
    }
}

#[test]
fn clustered_top_singular_values_give_sigma() {
    let mut rng = Rng::new(23);
    for (rows, cols) in [(30, 20), (120, 90)] {
        for gap in [0.0, 1e-13, 1e-10, 1e-7, 1e-4] {
            let k = rows.min(cols);
            let mut s: Vec<f64> = (0..k).map(|i| 3.0 * 0.97f64.powi(i as i32)).collect();
            s[0] = 4.0;
            s[1] = 4.0 * (1.0 - gap);
            let a = with_singular_values(&mut rng, rows, cols, &s);
            let p = top_singular_pair(&a, rows, cols, None, 1e-10).unwrap();
            let sigma = full_svd(&a, rows, cols).0[0];
            assert!(
                (p.sigma - sigma).abs() <= 1e-10 * sigma,
                "gap {gap}: {} vs {sigma}",
                p.sigma
            );
            let (r1, r2) = residuals(&a, cols, &p);
            assert!(r1 <= 1e-12 * sigma && (p.residual - r2).abs() <= 1e-12 * sigma);
        }
    }
}

#[test]
fn vectors_and_columns_are_exact() {
    let mut rng = Rng::new(24);
    for n in [1, 2, 7, 50] {
        let a = rng.normals(n);
        let expect = norm(&a);
        for (rows, cols) in [(1, n), (n, 1)] {
            let p = top_singular_pair(&a, rows, cols, None, 1e-14).unwrap();
            assert!((p.sigma - expect).abs() <= 1e-14 * expect, "{rows}x{cols}");
            check(&a, rows, cols, &p, 1e-14);
        }
    }
    let p = top_singular_pair(&[-3.0], 1, 1, None, 0.0).unwrap();
    assert_eq!(p.sigma, 3.0);
    assert_eq!(p.u[0] * p.v[0], -1.0);
}

#[test]
fn zero_and_empty_matrices() {
    for (rows, cols) in [(4, 3), (1, 1), (1, 5)] {
        let p = top_singular_pair(&vec![0.0; rows * cols], rows, cols, None, 1e-10).unwrap();
        assert_eq!(p.sigma, 0.0);
        assert!((norm(&p.u) - 1.0).abs() < 1e-15 && (norm(&p.v) - 1.0).abs() < 1e-15);
        assert_eq!((p.u.len(), p.v.len()), (rows, cols));
    }
    for (rows, cols) in [(0, 3), (3, 0), (0, 0)] {
        let p = top_singular_pair(&[], rows, cols, None, 1e-10).unwrap();
        assert_eq!(p.sigma, 0.0);
        assert_eq!((p.u.len(), p.v.len()), (rows, cols));
    }
}

#[test]
fn breakdown_of_the_start_vector_is_handled() {
    // A·1 = 0: the first Lanczos vector is in the null space.
    let a = [1.0, -1.0, 2.0, -2.0];
    let p = top_singular_pair(&a, 2, 2, Some(&[1.0, 1.0]), 1e-12).unwrap();
    assert!((p.sigma - 10f64.sqrt()).abs() < 1e-14, "{}", p.sigma);
    check(&a, 2, 2, &p, 1e-12);
    // A block-diagonal matrix whose top block the start vector does not see.
    let mut rng = Rng::new(25);
    let n = 40;
    let mut b = vec![0.0; n * n];
    for i in 0..n {
        b[i * n + i] = if i < n / 2 {
            1.0 + 0.01 * i as f64
        } else {
            5.0 + 0.01 * i as f64
        };
    }
    let mut start = rng.normals(n);
    start[n / 2..].iter_mut().for_each(|x| *x = 0.0);
    let p = top_singular_pair(&b, n, n, Some(&start), 1e-12).unwrap();
    assert!(
        (p.sigma - (5.0 + 0.01 * (n - 1) as f64)).abs() < 1e-12,
        "{}",
        p.sigma
    );
}

#[test]
fn warm_start_converges_at_once() {
    let mut rng = Rng::new(26);
    let (rows, cols) = (200, 150);
    let a = rng.normals(rows * cols);
    let cold = top_singular_pair(&a, rows, cols, None, 1e-12).unwrap();
    let warm = top_singular_pair(&a, rows, cols, Some(&cold.v), 1e-12).unwrap();
    assert!(warm.iters <= 32, "{} steps", warm.iters);
    assert!(warm.iters <= cold.iters);
    assert!((warm.sigma - cold.sigma).abs() <= 1e-13 * cold.sigma);
    // A zero start falls back to the default vector.
    let zero = top_singular_pair(&a, rows, cols, Some(&vec![0.0; cols]), 1e-12).unwrap();
    assert_eq!(zero, cold);
}

#[test]
fn extreme_scales_do_not_overflow() {
    let mut rng = Rng::new(27);
    let a = rng.normals(12 * 9);
    let base = top_singular_pair(&a, 12, 9, None, 1e-12).unwrap();
    for scale in [1e-300, 1e-200, 1e200, 1e300] {
        let b: Vec<f64> = a.iter().map(|x| x * scale).collect();
        let p = top_singular_pair(&b, 12, 9, None, 1e-12).unwrap();
        assert!(
            (p.sigma / scale - base.sigma).abs() <= 1e-12 * base.sigma,
            "scale {scale}"
        );
        assert!(p.residual.is_finite());
    }
}

#[test]
fn errors_and_determinism() {
    let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let e = top_singular_pair(&a, 2, 2, None, 1e-10).unwrap_err();
    assert!(
        matches!(e, Error::Shape { .. }) && e.to_string().contains("rows*cols"),
        "{e}"
    );
    assert!(matches!(
        top_singular_pair(&a, usize::MAX, 2, None, 1e-10),
        Err(Error::Shape { .. })
    ));
    let e = top_singular_pair(&[1.0, f64::NAN], 1, 2, None, 1e-10).unwrap_err();
    assert_eq!(
        e.to_string(),
        "top_singular_pair: input contains NaN or infinity"
    );
    assert!(matches!(
        top_singular_pair(&[1.0, f64::INFINITY], 1, 2, None, 1e-10),
        Err(Error::NonFinite { .. })
    ));
    for tol in [-1.0, f64::NAN, f64::INFINITY] {
        let e = top_singular_pair(&a, 2, 3, None, tol).unwrap_err();
        assert!(
            e.to_string()
                .contains("tolerance must be finite and non-negative"),
            "{e}"
        );
    }
    assert!(matches!(
        top_singular_pair(&a, 2, 3, Some(&[1.0]), 1e-10),
        Err(Error::Shape { .. })
    ));
    assert!(matches!(
        top_singular_pair(&a, 2, 3, Some(&[1.0, f64::NAN, 0.0]), 1e-10),
        Err(Error::NonFinite { .. })
    ));
    // tol = 0 stops at the restart limit, still with an accurate pair.
    let mut rng = Rng::new(28);
    let b = rng.normals(80 * 60);
    let p = top_singular_pair(&b, 80, 60, None, 0.0).unwrap();
    check(&b, 80, 60, &p, 1e-13);
    assert_eq!(top_singular_pair(&b, 80, 60, None, 0.0).unwrap(), p);
}
