//! Matrix completion against exact low-rank matrices: the unobserved entries
//! recovered to tolerance, the dense-with-mask and sparse paths identical, balanced
//! factors, Frank–Wolfe's monotone progress, determinism, and refused input.

use optl_lowrank::{
    Completion, CompletionMethod, CompletionOptions, Error, Observed, Status, complete,
};
use optl_tensor::randn;

/// A row-major exact rank-`r` `m × n` matrix and a seeded mask with fraction `p`.
fn problem(m: usize, n: usize, r: usize, p: f64, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let a = randn(&[m, r], seed, usize::MAX).unwrap();
    let b = randn(&[n, r], seed + 1, usize::MAX).unwrap();
    let u = optl_tensor::rand(&[m, n], seed + 2, usize::MAX).unwrap();
    let mut x = vec![0.0; m * n];
    let mut mask = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            x[i * n + j] = (0..r).map(|k| a[[i, k]] * b[[j, k]]).sum();
            mask[i * n + j] = if u[[i, j]] < p { 1.0 } else { 0.0 };
        }
    }
    (x, mask)
}

/// `u vᵀ` row-major.
fn product(c: &Completion) -> Vec<f64> {
    let (m, n, r) = (c.u.shape()[0], c.v.shape()[0], c.u.shape()[1]);
    let mut out = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            out[i * n + j] = (0..r).map(|k| c.u[[i, k]] * c.v[[j, k]]).sum();
        }
    }
    out
}

fn unobserved_error(c: &Completion, x: &[f64], mask: &[f64]) -> f64 {
    let xh = product(c);
    let (mut e, mut s) = (0.0, 0.0);
    for k in 0..x.len() {
        if mask[k] == 0.0 {
            e += (xh[k] - x[k]).powi(2);
            s += x[k] * x[k];
        }
    }
    (e / s).sqrt()
}

#[test]
fn altmin_recovers_the_unobserved_entries() {
    let (m, n, r) = (80, 60, 3);
    let (x, mask) = problem(m, n, r, 0.3, 1);
    let obs = Observed::from_dense(&x, &mask, m, n).unwrap();
    let o = CompletionOptions {
        rank: r,
        max_iters: 500,
        tol: 1e-13,
        ..Default::default()
    };
    let c = complete(&obs, &o).unwrap();
    assert_eq!(c.status, Status::Converged);
    assert!(c.rel_error_observed < 1e-10, "{}", c.rel_error_observed);
    let e = unobserved_error(&c, &x, &mask);
    assert!(e < 1e-8, "unobserved error {e}");
    // Balanced: uᵀu = vᵀv, diagonal.
    for a in 0..r {
        for b in 0..r {
            let gu: f64 = (0..m).map(|i| c.u[[i, a]] * c.u[[i, b]]).sum();
            let gv: f64 = (0..n).map(|j| c.v[[j, a]] * c.v[[j, b]]).sum();
            assert!(
                (gu - gv).abs() < 1e-8 * gu.abs().max(1.0),
                "{a},{b}: {gu} vs {gv}"
            );
            if a != b {
                assert!(gu.abs() < 1e-8, "{gu}");
            }
        }
    }
}

#[test]
fn sparse_and_dense_inputs_give_the_same_bits() {
    let (m, n) = (40, 30);
    let (x, mask) = problem(m, n, 2, 0.4, 3);
    let dense = Observed::from_dense(&x, &mask, m, n).unwrap();
    let (mut ptr, mut cols, mut vals) = (vec![0], vec![], vec![]);
    for i in 0..m {
        for j in 0..n {
            if mask[i * n + j] != 0.0 {
                cols.push(j as u32);
                vals.push(x[i * n + j]);
            }
        }
        ptr.push(vals.len());
    }
    let sparse = Observed::from_csr_parts(m, n, ptr, cols, vals).unwrap();
    let o = CompletionOptions {
        rank: 2,
        ..Default::default()
    };
    assert_eq!(
        complete(&dense, &o).unwrap(),
        complete(&sparse, &o).unwrap()
    );
}

#[test]
fn completion_is_deterministic_across_thread_counts() {
    let (m, n) = (300, 200);
    let (x, mask) = problem(m, n, 4, 0.2, 5);
    let obs = Observed::from_dense(&x, &mask, m, n).unwrap();
    for method in [CompletionMethod::AltMin, CompletionMethod::NuclearFw] {
        let o = CompletionOptions {
            rank: 4,
            method,
            max_iters: 30,
            ..Default::default()
        };
        let a = complete(&obs, &o).unwrap();
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let b = one.install(|| complete(&obs, &o).unwrap());
        let two = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let c = two.install(|| complete(&obs, &o).unwrap());
        assert_eq!(a, b);
        assert_eq!(a, c);
    }
}

#[test]
fn nuclear_frank_wolfe_makes_progress_and_stays_low_rank() {
    let (m, n, r) = (60, 50, 2);
    let (x, mask) = problem(m, n, r, 0.5, 9);
    let obs = Observed::from_dense(&x, &mask, m, n).unwrap();
    let few = CompletionOptions {
        rank: r,
        method: CompletionMethod::NuclearFw,
        max_iters: 20,
        ..Default::default()
    };
    let many = CompletionOptions {
        max_iters: 400,
        ..few
    };
    let a = complete(&obs, &few).unwrap();
    let b = complete(&obs, &many).unwrap();
    assert!(
        b.rel_error_observed < a.rel_error_observed,
        "{} vs {}",
        b.rel_error_observed,
        a.rel_error_observed
    );
    assert!(b.rel_error_observed < 0.1, "{}", b.rel_error_observed);
    assert_eq!(b.u.shape(), &[m, r]);
    assert!(unobserved_error(&b, &x, &mask) < 0.2);
    // The radius caps the nuclear norm: a tiny radius cannot fit.
    let tiny = CompletionOptions {
        radius: Some(1e-3),
        ..many
    };
    assert!(complete(&obs, &tiny).unwrap().rel_error_observed > 0.99);
}

#[test]
fn refused_input_names_what_is_wrong() {
    let (m, n) = (10, 8);
    let (x, mut mask) = problem(m, n, 2, 0.6, 2);
    assert!(matches!(
        Observed::from_dense(&x, &mask[..70], m, n),
        Err(Error::Shape { .. })
    ));
    for j in 0..n {
        mask[3 * n + j] = 0.0;
    }
    let obs = Observed::from_dense(&x, &mask, m, n).unwrap();
    match complete(
        &obs,
        &CompletionOptions {
            rank: 2,
            ..Default::default()
        },
    ) {
        Err(Error::Unobserved {
            axis: "row",
            index: 3,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    let mut bad = x.clone();
    bad[0] = f64::NAN;
    mask[0] = 1.0;
    assert!(matches!(
        Observed::from_dense(&bad, &mask, m, n),
        Err(Error::NonFinite { index: 0, .. })
    ));
    // NaN where nothing is observed is fine.
    mask[0] = 0.0;
    assert!(Observed::from_dense(&bad, &mask, m, n).is_ok());
    let full = Observed::from_dense(&x, &vec![1.0; m * n], m, n).unwrap();
    assert!(matches!(
        complete(
            &full,
            &CompletionOptions {
                rank: 9,
                ..Default::default()
            }
        ),
        Err(Error::Rank {
            rank: 9,
            max: 8,
            ..
        })
    ));
    assert!(matches!(
        complete(
            &full,
            &CompletionOptions {
                rank: 2,
                tol: 0.0,
                ..Default::default()
            }
        ),
        Err(Error::Invalid { .. })
    ));
}
