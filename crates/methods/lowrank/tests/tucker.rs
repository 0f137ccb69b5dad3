//! Tucker and CP against known answers: exact low-rank tensors recovered to
//! rounding, the Eckart–Young optimum for matrices, orthonormal factors, the
//! reconstruction identity, determinism, and refused input.

use optl_lowrank::{
    CpOptions, Error, Status, TuckerMethod, TuckerOptions, cp, tucker, tucker_full,
};
use optl_tensor::{Tensor, randn};

fn gaussian(shape: &[usize], seed: u64) -> Tensor {
    randn(shape, seed, usize::MAX).unwrap()
}

fn frob(t: &Tensor) -> f64 {
    t.iter().map(|v| v * v).sum::<f64>().sqrt()
}

fn diff(a: &Tensor, b: &Tensor) -> f64 {
    a.iter()
        .zip(b.iter())
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// An exact multilinear-rank `ranks` tensor of the given shape.
fn low_rank(shape: &[usize], ranks: &[usize], seed: u64) -> Tensor {
    let core = gaussian(ranks, seed);
    let factors: Vec<Tensor> = shape
        .iter()
        .zip(ranks)
        .enumerate()
        .map(|(n, (&d, &r))| gaussian(&[d, r], seed + 1 + n as u64))
        .collect();
    tucker_full(&core, &factors).unwrap()
}

fn assert_orthonormal(f: &Tensor) {
    let (m, r) = (f.shape()[0], f.shape()[1]);
    for a in 0..r {
        for b in 0..r {
            let g: f64 = (0..m).map(|i| f[[i, a]] * f[[i, b]]).sum();
            let want = if a == b { 1.0 } else { 0.0 };
            assert!((g - want).abs() < 1e-10, "columns {a}, {b}: {g}");
        }
    }
}

#[test]
fn exact_low_rank_tensors_are_recovered_by_both_methods() {
    let x = low_rank(&[12, 10, 8], &[3, 4, 2], 7);
    for method in [TuckerMethod::Hosvd, TuckerMethod::Hooi] {
        let o = TuckerOptions {
            method,
            ..Default::default()
        };
        let t = tucker(&x, &[3, 4, 2], &o).unwrap();
        assert!(t.rel_error < 1e-12, "{method:?}: {}", t.rel_error);
        assert_eq!(t.core.shape(), &[3, 4, 2]);
        assert_eq!(t.status, Status::Converged);
        t.factors.iter().for_each(assert_orthonormal);
        let back = tucker_full(&t.core, &t.factors).unwrap();
        assert!(diff(&back, &x) / frob(&x) < 1e-12);
    }
}

#[test]
fn a_matrix_reaches_the_eckart_young_optimum() {
    // For a 2-way tensor, Tucker with ranks (r, r) is the truncated SVD.
    let x = gaussian(&[30, 20], 3);
    let s = optl_linalg::dense::svd(&x).unwrap().s;
    let tail: f64 = s.iter().skip(5).map(|v| v * v).sum::<f64>().sqrt();
    let t = tucker(&x, &[5, 5], &TuckerOptions::default()).unwrap();
    assert!(
        (t.rel_error - tail / frob(&x)).abs() < 1e-10,
        "{} vs {}",
        t.rel_error,
        tail / frob(&x)
    );
}

#[test]
fn hooi_improves_on_hosvd_and_reports_its_true_error() {
    let signal = low_rank(&[15, 14, 13], &[3, 3, 3], 11);
    let noise = gaussian(&[15, 14, 13], 99);
    let scale = 0.3 * frob(&signal) / frob(&noise);
    let x = &signal + &(noise * scale);
    let hosvd = tucker(
        &x,
        &[3, 3, 3],
        &TuckerOptions {
            method: TuckerMethod::Hosvd,
            ..Default::default()
        },
    )
    .unwrap();
    let hooi = tucker(&x, &[3, 3, 3], &TuckerOptions::default()).unwrap();
    assert!(
        hooi.rel_error <= hosvd.rel_error + 1e-12,
        "{} > {}",
        hooi.rel_error,
        hosvd.rel_error
    );
    assert!(hooi.iters > 1);
    for t in [&hosvd, &hooi] {
        let back = tucker_full(&t.core, &t.factors).unwrap();
        assert!((diff(&back, &x) / frob(&x) - t.rel_error).abs() < 1e-12);
    }
    // The signal dominates: the error is about the noise level.
    assert!(hooi.rel_error < 0.31, "{}", hooi.rel_error);
}

#[test]
fn tucker_is_deterministic() {
    let x = gaussian(&[9, 8, 7], 5);
    let a = tucker(&x, &[2, 3, 4], &TuckerOptions::default()).unwrap();
    let b = tucker(&x, &[2, 3, 4], &TuckerOptions::default()).unwrap();
    assert_eq!(a, b);
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let c = one.install(|| tucker(&x, &[2, 3, 4], &TuckerOptions::default()).unwrap());
    assert_eq!(a, c);
}

#[test]
fn cp_recovers_an_exact_rank_three_tensor() {
    let rank = 3;
    let factors: Vec<Tensor> = [6, 7, 8]
        .iter()
        .enumerate()
        .map(|(n, &d)| gaussian(&[d, rank], 20 + n as u64))
        .collect();
    let weights = optl_tensor::from_vec(&[rank], vec![1.0; rank]).unwrap();
    let x = tucker_full(&weights, &factors).unwrap();
    let r = cp(
        &x,
        rank,
        &CpOptions {
            max_iters: 2000,
            tol: 1e-14,
            seed: 0,
        },
    )
    .unwrap();
    assert!(r.rel_error < 1e-6, "{}", r.rel_error);
    // Each true component is matched by a recovered one.
    for c in 0..rank {
        let best = (0..rank)
            .map(|d| {
                let f = &factors[0];
                let g = &r.factors[0];
                let dot: f64 = (0..6).map(|i| f[[i, c]] * g[[i, d]]).sum();
                let nf: f64 = (0..6).map(|i| f[[i, c]] * f[[i, c]]).sum::<f64>().sqrt();
                (dot / nf).abs()
            })
            .fold(0.0, f64::max);
        assert!(best > 0.9999, "component {c}: {best}");
    }
    let back = tucker_full(&r.core, &r.factors).unwrap();
    assert!((diff(&back, &x) / frob(&x) - r.rel_error).abs() < 1e-12);
    // Weights descending, columns unit.
    assert!(
        r.core
            .iter()
            .zip(r.core.iter().skip(1))
            .all(|(a, b)| a >= b)
    );
    for f in &r.factors {
        for c in 0..rank {
            let n: f64 = (0..f.shape()[0]).map(|i| f[[i, c]] * f[[i, c]]).sum();
            assert!((n - 1.0).abs() < 1e-12);
        }
    }
}

#[test]
fn cp_pads_the_start_when_the_rank_exceeds_a_mode() {
    let x = gaussian(&[2, 6, 5], 4);
    let r = cp(&x, 4, &CpOptions::default()).unwrap();
    assert_eq!(r.factors[0].shape(), &[2, 4]);
    assert!(r.rel_error < 1.0);
    let again = cp(&x, 4, &CpOptions::default()).unwrap();
    assert_eq!(r, again);
}

#[test]
fn refused_input_names_what_is_wrong() {
    let x = gaussian(&[4, 5, 6], 1);
    match tucker(&x, &[2, 6, 2], &TuckerOptions::default()) {
        Err(Error::Rank {
            rank: 6, max: 5, ..
        }) => {}
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        tucker(&x, &[2, 2], &TuckerOptions::default()),
        Err(Error::Shape { .. })
    ));
    assert!(matches!(
        tucker(&x, &[0, 2, 2], &TuckerOptions::default()),
        Err(Error::Rank { rank: 0, .. })
    ));
    let mut bad = x.clone();
    bad[[1, 2, 3]] = f64::NAN;
    assert!(matches!(
        tucker(&bad, &[2, 2, 2], &TuckerOptions::default()),
        Err(Error::NonFinite { index: 45, .. })
    ));
    assert!(matches!(
        cp(&bad, 2, &CpOptions::default()),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        cp(&x, 0, &CpOptions::default()),
        Err(Error::Rank { .. })
    ));
    let core = gaussian(&[2, 3], 1);
    assert!(matches!(
        tucker_full(&core, &[gaussian(&[4, 2], 1), gaussian(&[5, 2], 1)]),
        Err(Error::Shape { .. })
    ));
    assert!(matches!(
        tucker_full(&core, &[gaussian(&[4, 2], 1)]),
        Err(Error::Shape { .. })
    ));
}
