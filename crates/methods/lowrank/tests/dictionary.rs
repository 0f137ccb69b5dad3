//! Sparse coding and dictionary learning against known answers: the closed-form
//! proxes and a brute-force grid for orthonormal dictionaries, the Lasso KKT
//! conditions for a general one, support recovery of exactly sparse data,
//! recovery of planted dictionaries (batch, online, orthogonal Frank–Wolfe),
//! determinism across seeds and thread counts, and refused input.

use optl_linalg::prox::Penalty;
use optl_lowrank::dictionary::{
    CodeOptions, Codes, Dictionary, LearnMethod, LearnOptions, Prior, dict_learn, sparse_code,
};
use optl_lowrank::{Error, Status};
use optl_tensor::{rand, randn};

fn gaussian(len: usize, seed: u64) -> Vec<f64> {
    randn(&[len], seed, usize::MAX)
        .unwrap()
        .iter()
        .copied()
        .collect()
}

fn uniform(len: usize, seed: u64) -> Vec<f64> {
    rand(&[len], seed, usize::MAX)
        .unwrap()
        .iter()
        .copied()
        .collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `rows` Gaussian rows of length `d`, each normalized.
fn unit_rows(rows: usize, d: usize, seed: u64) -> Vec<f64> {
    let mut m = gaussian(rows * d, seed);
    for r in m.chunks_mut(d) {
        let norm = dot(r, r).sqrt();
        r.iter_mut().for_each(|v| *v /= norm);
    }
    m
}

/// `rows ≤ d` orthonormal rows (Gram–Schmidt, twice, of Gaussian rows).
fn orthonormal_rows(rows: usize, d: usize, seed: u64) -> Vec<f64> {
    let mut m = gaussian(rows * d, seed);
    for i in 0..rows {
        for _ in 0..2 {
            for k in 0..i {
                let p = dot(&m[i * d..(i + 1) * d], &m[k * d..(k + 1) * d]);
                for j in 0..d {
                    m[i * d + j] -= p * m[k * d + j];
                }
            }
        }
        let norm = dot(&m[i * d..(i + 1) * d], &m[i * d..(i + 1) * d]).sqrt();
        m[i * d..(i + 1) * d].iter_mut().for_each(|v| *v /= norm);
    }
    m
}

/// `c · dict` for the codes `c` (`[n, atoms]`) and `dict` (`[atoms, d]`).
fn reconstruct(c: &[f64], dict: &[f64], atoms: usize, d: usize) -> Vec<f64> {
    let n = c.len() / atoms;
    let mut x = vec![0.0; n * d];
    for i in 0..n {
        for k in 0..atoms {
            for j in 0..d {
                x[i * d + j] += c[i * atoms + k] * dict[k * d + j];
            }
        }
    }
    x
}

fn code(x: &[f64], d: usize, dict: &[f64], atoms: usize, prior: Prior, lam: f64) -> Codes {
    let o = CodeOptions {
        prior,
        lam,
        max_iters: 20_000,
        tol: 1e-13,
    };
    sparse_code(x, x.len() / d, d, dict, atoms, &o).unwrap()
}

const PRIORS: [Prior; 4] = [
    Prior::L1,
    Prior::L0,
    Prior::Lq { q: 0.5 },
    Prior::Lq { q: 0.3 },
];

fn penalty(p: Prior) -> Penalty {
    match p {
        Prior::L1 => Penalty::L1,
        Prior::L0 => Penalty::L0,
        Prior::Lq { q } => Penalty::Lq { q },
    }
}

#[test]
fn orthonormal_codes_are_the_closed_form_proxes() {
    let (d, atoms) = (3, 3);
    let dict = orthonormal_rows(atoms, d, 1);
    let x: Vec<f64> = gaussian(30 * d, 2).iter().map(|v| 2.0 * v).collect();
    for prior in PRIORS {
        for lam in [0.1, 0.5, 1.3] {
            let c = code(&x, d, &dict, atoms, prior, lam);
            assert_eq!(c.status, Status::Converged, "{prior:?}");
            for (i, row) in x.chunks(d).enumerate() {
                let v: Vec<f64> = dict.chunks(d).map(|a| dot(row, a)).collect();
                let mut want = vec![0.0; atoms];
                penalty(prior).prox(&v, lam, &mut want);
                let got = &c.codes[i * atoms..(i + 1) * atoms];
                for j in 0..atoms {
                    assert!(
                        (got[j] - want[j]).abs() < 1e-9,
                        "{prior:?} lam {lam} row {i}: {got:?} vs {want:?} (v = {v:?})"
                    );
                }
                if prior == Prior::L0 {
                    for j in 0..atoms {
                        let keep = 0.5 * v[j] * v[j] > lam;
                        assert_eq!(got[j] != 0.0, keep, "ℓ0 rule at {}", v[j]);
                    }
                }
                if prior == (Prior::Lq { q: 0.5 }) {
                    // Half thresholding (Xu et al. 2012) written out.
                    for j in 0..atoms {
                        let a = v[j].abs();
                        let want = if a > 1.5 * lam.powf(2.0 / 3.0) {
                            let phi = ((lam / 4.0) * (a / 3.0).powf(-1.5)).acos();
                            let pi = std::f64::consts::PI;
                            (2.0 / 3.0) * v[j] * (1.0 + (2.0 * pi / 3.0 - 2.0 * phi / 3.0).cos())
                        } else {
                            0.0
                        };
                        assert!((got[j] - want).abs() < 1e-9, "{} vs {want}", got[j]);
                    }
                }
            }
        }
    }
}

#[test]
fn codes_are_global_minimizers_on_a_grid() {
    // Two orthonormal atoms in d = 2: the objective is separable and the codes
    // must beat every point of a fine grid (nonconvex priors included).
    let dict = orthonormal_rows(2, 2, 3);
    let h = 0.004;
    let grid: Vec<f64> = (-750..=750).map(|k| k as f64 * h).collect();
    for (t, x) in [[1.1, -0.4], [0.3, 0.9], [-2.0, 1.7]].iter().enumerate() {
        for prior in PRIORS {
            let lam = 0.2 + 0.15 * t as f64;
            let c = code(x, 2, &dict, 2, prior, lam);
            let pen = penalty(prior);
            let f = |c: [f64; 2]| {
                let r0 = x[0] - c[0] * dict[0] - c[1] * dict[2];
                let r1 = x[1] - c[0] * dict[1] - c[1] * dict[3];
                0.5 * (r0 * r0 + r1 * r1) + lam * pen.value(&c)
            };
            assert!((c.objective - f([c.codes[0], c.codes[1]])).abs() < 1e-12);
            let mut best = f64::INFINITY;
            for &a in &grid {
                for &b in &grid {
                    best = best.min(f([a, b]));
                }
                // the axes exactly (where ℓ0 and ℓq minimizers often sit)
                best = best.min(f([a, 0.0])).min(f([0.0, a]));
            }
            assert!(
                c.objective <= best + 1e-12,
                "{prior:?}: {} > {best}",
                c.objective
            );
            assert!(c.objective >= best - 1e-4, "grid too coarse for {prior:?}");
        }
    }
}

#[test]
fn l1_codes_satisfy_the_lasso_kkt_conditions() {
    let (n, d, atoms, lam) = (40, 12, 8, 0.3);
    let dict = unit_rows(atoms, d, 4);
    let x = gaussian(n * d, 5);
    // The default options (tol 1e-8 on the code steps) are accurate enough.
    let o = CodeOptions {
        lam,
        ..CodeOptions::default()
    };
    let c = sparse_code(&x, n, d, &dict, atoms, &o).unwrap();
    assert_eq!(c.status, Status::Converged);
    let rec = reconstruct(&c.codes, &dict, atoms, d);
    let (mut zeros, mut nonzeros) = (0, 0);
    for i in 0..n {
        let r: Vec<f64> = (0..d).map(|j| x[i * d + j] - rec[i * d + j]).collect();
        for k in 0..atoms {
            let g = dot(&r, &dict[k * d..(k + 1) * d]); // (b_i − c_i G)_k
            let ck = c.codes[i * atoms + k];
            assert!(g.abs() <= lam + 1e-6, "row {i} atom {k}: |{g}| > lam");
            if ck != 0.0 {
                nonzeros += 1;
                assert!(
                    (g - lam * ck.signum()).abs() < 1e-6,
                    "row {i} atom {k}: {g}"
                );
            } else {
                zeros += 1;
            }
        }
    }
    assert!(
        zeros > 0 && nonzeros > 0,
        "{zeros} zeros, {nonzeros} nonzeros"
    );
}

/// `n` codes over `atoms` with exactly `k` nonzeros of magnitude in [1, 2].
fn sparse_codes(n: usize, atoms: usize, k: usize, seed: u64) -> Vec<f64> {
    let u = uniform(n * (k + 2) * 2, seed);
    let mut c = vec![0.0; n * atoms];
    let mut next = u.iter();
    for i in 0..n {
        let mut placed = 0;
        while placed < k {
            let j = (next.next().unwrap() * atoms as f64) as usize;
            if c[i * atoms + j] == 0.0 {
                let s = next.next().unwrap();
                let v = 1.0 + (s * 2.0).fract();
                c[i * atoms + j] = if s < &0.5 { v } else { -v };
                placed += 1;
            }
        }
    }
    c
}

#[test]
fn exactly_sparse_data_gives_back_its_support() {
    let (n, d, atoms) = (60, 30, 20);
    // Orthonormal rows plus a perturbation of relative size ~0.3, normalized: an
    // incoherent (but not orthogonal) dictionary, where the Lasso support is exact.
    let mut dict: Vec<f64> = orthonormal_rows(atoms, d, 6)
        .iter()
        .zip(gaussian(atoms * d, 60))
        .map(|(q, e)| q + 0.3 / (d as f64).sqrt() * e)
        .collect();
    for r in dict.chunks_mut(d) {
        let norm = dot(r, r).sqrt();
        r.iter_mut().for_each(|v| *v /= norm);
    }
    let truth = sparse_codes(n, atoms, 3, 7);
    let x = reconstruct(&truth, &dict, atoms, d);
    let c = code(&x, d, &dict, atoms, Prior::L1, 0.01);
    assert_eq!(c.status, Status::Converged);
    for i in 0..n {
        for k in 0..atoms {
            let (got, want) = (c.codes[i * atoms + k], truth[i * atoms + k]);
            // The true support is found; off it, only the Lasso's small spurious
            // entries (the atoms are not orthogonal) are allowed.
            if want != 0.0 {
                assert!(got != 0.0, "row {i} atom {k}: {got} vs {want}");
            } else {
                assert!(got.abs() < 0.01, "row {i} atom {k}: {got} vs {want}");
            }
            assert!(
                (got - want).abs() < 0.05,
                "row {i} atom {k}: {got} vs {want}"
            );
        }
    }
}

/// How many rows of `truth` have a row of `learned` with `|cos| > 0.95`.
fn matched(truth: &[f64], learned: &[f64], d: usize) -> usize {
    truth
        .chunks(d)
        .filter(|t| worst_match(t, learned, d) > 0.95)
        .count()
}

/// For every row of `truth` the best `|cos|` with a row of `learned` (unit rows).
fn worst_match(truth: &[f64], learned: &[f64], d: usize) -> f64 {
    truth
        .chunks(d)
        .map(|t| {
            let tn = dot(t, t).sqrt();
            learned
                .chunks(d)
                .map(|l| (dot(t, l) / (tn * dot(l, l).sqrt())).abs())
                .fold(0.0, f64::max)
        })
        .fold(1.0, f64::min)
}

/// 2000 samples of 2-sparse combinations of 10 atoms in d = 16, plus noise.
fn planted() -> (Vec<f64>, Vec<f64>) {
    let (n, d, atoms) = (2000, 16, 10);
    let dict = unit_rows(atoms, d, 8);
    let codes = sparse_codes(n, atoms, 2, 9);
    let noise = gaussian(n * d, 10);
    let x = reconstruct(&codes, &dict, atoms, d)
        .iter()
        .zip(&noise)
        .map(|(v, e)| v + 0.01 * e)
        .collect();
    (x, dict)
}

fn learn(x: &[f64], d: usize, atoms: usize, o: LearnOptions) -> Dictionary {
    dict_learn(x, x.len() / d, d, atoms, &o).unwrap()
}

fn options(method: LearnMethod, lam: f64, max_iters: usize, batch: usize) -> LearnOptions {
    LearnOptions {
        method,
        lam,
        max_iters,
        batch,
        seed: 11,
    }
}

#[test]
fn batch_and_online_recover_a_planted_dictionary() {
    let (x, truth) = planted();
    let (n, d, atoms, lam) = (2000, 16, 10, 0.3);
    // The objective of a data-row dictionary like the initial one.
    let mut start = x[..atoms * d].to_vec();
    for r in start.chunks_mut(d) {
        let norm = dot(r, r).sqrt();
        r.iter_mut().for_each(|v| *v /= norm);
    }
    let o = CodeOptions {
        lam,
        ..CodeOptions::default()
    };
    let start = sparse_code(&x, n, d, &start, atoms, &o).unwrap().objective / n as f64;
    // The online statistics remember ~batch + t/batch steps (scikit-learn's
    // forgetting rule), so small batches adapt faster on 2000 samples.
    for (method, iters, batch) in [
        (LearnMethod::Batch, 30, 256),
        (LearnMethod::Online, 1000, 32),
    ] {
        for seed in [11, 12] {
            let learned = learn(
                &x,
                d,
                atoms,
                LearnOptions {
                    seed,
                    ..options(method, lam, iters, batch)
                },
            );
            assert_eq!((learned.atoms, learned.d, learned.n), (atoms, d, n));
            assert_eq!(learned.iters, iters);
            for atom in learned.dictionary.chunks(d) {
                assert!((dot(atom, atom) - 1.0).abs() < 1e-12);
            }
            let found = matched(&truth, &learned.dictionary, d);
            assert_eq!(
                found, atoms,
                "{method:?} seed {seed}: {found} of {atoms} atoms recovered"
            );
            assert!(
                learned.objective < 0.8 * start,
                "{method:?}: {} vs {start}",
                learned.objective
            );
            // The reported codes and objective are sparse_code's with the final D.
            let c = sparse_code(&x, n, d, &learned.dictionary, atoms, &o).unwrap();
            assert_eq!(c.codes, learned.codes);
            assert_eq!(c.objective / n as f64, learned.objective);
        }
    }
    let one = learn(&x, d, atoms, options(LearnMethod::Batch, lam, 1, 256));
    let many = learn(&x, d, atoms, options(LearnMethod::Batch, lam, 30, 256));
    assert!(
        many.objective < one.objective,
        "{} vs {}",
        many.objective,
        one.objective
    );
}

#[test]
fn orthogonal_frank_wolfe_recovers_an_orthogonal_dictionary() {
    let (n, d) = (2000, 8);
    let truth = orthonormal_rows(d, d, 12);
    let (mask, values) = (uniform(n * d, 13), gaussian(n * d, 14));
    let codes: Vec<f64> = mask
        .iter()
        .zip(&values)
        .map(|(m, v)| if *m < 0.2 { *v } else { 0.0 })
        .collect();
    let x = reconstruct(&codes, &truth, d, d);
    let learned = learn(&x, d, d, options(LearnMethod::OrthogonalFw, 0.1, 200, 256));
    let dict = &learned.dictionary;
    for i in 0..d {
        for k in 0..d {
            let g = dot(&dict[i * d..(i + 1) * d], &dict[k * d..(k + 1) * d]);
            let want = if i == k { 1.0 } else { 0.0 };
            assert!((g - want).abs() < 1e-10, "D Dᵀ[{i}, {k}] = {g}");
        }
    }
    let worst = worst_match(&truth, dict, d);
    assert!(worst > 0.95, "worst |cos| {worst}");
    // Codes are soft(x Dᵀ, lam), and the objective matches them.
    for (i, row) in x.chunks(d).enumerate().take(50) {
        for k in 0..d {
            let v = dot(row, &dict[k * d..(k + 1) * d]);
            let want = v.signum() * (v.abs() - 0.1).max(0.0);
            assert!((learned.codes[i * d + k] - want).abs() < 1e-12);
        }
    }
    let o = CodeOptions {
        lam: 0.1,
        ..CodeOptions::default()
    };
    let c = sparse_code(&x, n, d, dict, d, &o).unwrap();
    assert!((c.objective / n as f64 - learned.objective).abs() < 1e-8 * learned.objective);
}

fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

#[test]
fn results_do_not_depend_on_the_seed_run_or_thread_count() {
    let (n, d, atoms) = (300, 10, 12);
    let x = gaussian(n * d, 15);
    let dict = unit_rows(atoms, d, 16);
    for prior in PRIORS {
        let o = CodeOptions {
            prior,
            lam: 0.4,
            ..CodeOptions::default()
        };
        let one = in_pool(1, || sparse_code(&x, n, d, &dict, atoms, &o).unwrap());
        let two = in_pool(2, || sparse_code(&x, n, d, &dict, atoms, &o).unwrap());
        assert_eq!(one, two, "{prior:?}");
    }
    for (method, atoms) in [
        (LearnMethod::Batch, atoms),
        (LearnMethod::Online, atoms),
        (LearnMethod::OrthogonalFw, d),
    ] {
        let o = LearnOptions {
            method,
            lam: 0.2,
            max_iters: 5,
            batch: 100,
            seed: 17,
        };
        let one = in_pool(1, || dict_learn(&x, n, d, atoms, &o).unwrap());
        let two = in_pool(2, || dict_learn(&x, n, d, atoms, &o).unwrap());
        let again = dict_learn(&x, n, d, atoms, &o).unwrap();
        assert_eq!(one, two, "{method:?}");
        assert_eq!(one, again, "{method:?}");
        let other = dict_learn(&x, n, d, atoms, &LearnOptions { seed: 18, ..o }).unwrap();
        assert_ne!(
            one.dictionary, other.dictionary,
            "{method:?}: the seed is ignored"
        );
    }
}

#[test]
fn bad_input_is_refused() {
    let (n, d, atoms) = (4, 3, 2);
    let x = gaussian(n * d, 19);
    let dict = unit_rows(atoms, d, 20);
    let o = CodeOptions::default();
    let sc = |x: &[f64], n, d, dict: &[f64], atoms, o: &CodeOptions| {
        sparse_code(x, n, d, dict, atoms, o).unwrap_err()
    };
    let shape = |e: Error| matches!(e, Error::Shape { .. });
    let invalid = |e: Error| matches!(e, Error::Invalid { .. });
    let non_finite = |e: Error| matches!(e, Error::NonFinite { .. });
    assert!(shape(sc(&x[1..], n, d, &dict, atoms, &o)));
    assert!(shape(sc(&x, n, d, &dict[1..], atoms, &o)));
    assert!(invalid(sc(&[], 0, d, &dict, atoms, &o)));
    assert!(invalid(sc(&[], n, 0, &[], atoms, &o)));
    assert!(invalid(sc(&x, n, d, &[], 0, &o)));
    for bad in [
        CodeOptions { lam: -1.0, ..o },
        CodeOptions { lam: f64::NAN, ..o },
        CodeOptions { max_iters: 0, ..o },
        CodeOptions { tol: 0.0, ..o },
        CodeOptions { tol: f64::NAN, ..o },
        CodeOptions {
            prior: Prior::Lq { q: 1.0 },
            ..o
        },
        CodeOptions {
            prior: Prior::Lq { q: 0.0 },
            ..o
        },
        CodeOptions {
            prior: Prior::Lq { q: f64::NAN },
            ..o
        },
    ] {
        assert!(invalid(sc(&x, n, d, &dict, atoms, &bad)), "{bad:?}");
    }
    let mut nan_x = x.clone();
    nan_x[5] = f64::NAN;
    let e = sc(&nan_x, n, d, &dict, atoms, &o);
    assert!(matches!(e, Error::NonFinite { index: 5, .. }), "{e:?}");
    let mut inf_dict = dict.clone();
    inf_dict[1] = f64::INFINITY;
    assert!(non_finite(sc(&x, n, d, &inf_dict, atoms, &o)));

    let lo = LearnOptions::default();
    let dl = |x: &[f64], n, d, atoms, o: &LearnOptions| dict_learn(x, n, d, atoms, o).unwrap_err();
    assert!(shape(dl(&x[1..], n, d, atoms, &lo)));
    assert!(invalid(dl(&[], 0, d, atoms, &lo)));
    assert!(invalid(dl(&[], n, 0, atoms, &lo)));
    assert!(matches!(dl(&x, n, d, 0, &lo), Error::Rank { rank: 0, .. }));
    for bad in [
        LearnOptions { lam: -0.5, ..lo },
        LearnOptions {
            lam: f64::NAN,
            ..lo
        },
        LearnOptions { max_iters: 0, ..lo },
        LearnOptions { batch: 0, ..lo },
    ] {
        assert!(invalid(dl(&x, n, d, atoms, &bad)), "{bad:?}");
    }
    let fw = LearnOptions {
        method: LearnMethod::OrthogonalFw,
        ..lo
    };
    match dl(&x, n, d, atoms, &fw) {
        Error::Invalid { reason, .. } => {
            assert!(
                reason.contains("atoms = 2") && reason.contains("d = 3"),
                "{reason}"
            );
        }
        e => panic!("{e:?}"),
    }
    assert!(non_finite(dl(&nan_x, n, d, atoms, &lo)));
}
