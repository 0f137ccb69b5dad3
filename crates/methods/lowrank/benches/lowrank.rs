//! Timings and quality of optl-lowrank against the tools users would pick, on the
//! same numbers in the same run:
//!
//! - Tucker HOOI of a 100×100×100 tensor, ranks (10, 10, 10), an exact rank-10
//!   signal plus 1% Gaussian noise (by norm), against
//!   `tensorly.decomposition.tucker(init="svd")`, both with tensorly's default
//!   stopping rule (`tol = 1e-4` on the change of the relative error);
//! - completion of an exact rank-10 2000×2000 matrix from 5% of its entries,
//!   against a vectorised numpy ALS on the same observed entries (per-row Gram
//!   matrices by `einsum` + `add.reduceat`, batched `linalg.solve`, started from
//!   `scipy.sparse.linalg.svds` of `P_Ω(M)/p`), both to an observed relative error
//!   of 1e-10 (at most 200 sweeps); the error on the unobserved entries compared;
//! - dictionary learning on 10⁴ 8×8 patches of a smooth random image, 100 atoms,
//!   `lam = 0.1`, batch 256, against sklearn's `MiniBatchDictionaryLearning` at
//!   the same number of mini-batch steps (5 epochs, early stopping off); both
//!   dictionaries scored by the peer with one coder (sklearn `sparse_encode`,
//!   `lasso_cd`) as `(½‖X − C D‖² + lam‖C‖₁)/n`.
//!
//! Data are generated here and written as `.npy` files under
//! `<target>/tmp/lowrank-bench`, which the peer reads. The peer runs in one Python
//! process (start-up and data loading excluded) from `<target>/peer-venv` with one
//! BLAS thread; OptL is timed on one rayon thread and on the global pool (all
//! cores). Run with `cargo bench -p optl-lowrank`.
#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use optl_lowrank::dictionary::{LearnMethod, LearnOptions, dict_learn};
use optl_lowrank::{CompletionOptions, Observed, TuckerOptions, complete, tucker, tucker_full};
use optl_tensor::{Tensor, randn};

/// Best of `reps` wall-clock times in seconds, and the last result.
fn best_of<T>(reps: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..reps {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed().as_secs_f64());
        last = Some(r);
    }
    (best, last.expect("at least one repetition"))
}

fn on_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool")
        .install(f)
}

fn write(dir: &Path, name: &str, t: &Tensor) {
    std::fs::write(
        dir.join(format!("{name}.npy")),
        optl_tensor::io::write_npy(t),
    )
    .expect("write an .npy file");
}

fn frob(t: &[f64]) -> f64 {
    t.iter().map(|v| v * v).sum::<f64>().sqrt()
}

const PEER: &str = r#"
import sys, time, json
import numpy as np
d = sys.argv[1]
out = {}
import tensorly as tl
from tensorly.decomposition import tucker
X = np.load(d + "/tucker_x.npy")
best = 1e9
for _ in range(3):
    t = time.perf_counter()
    core, factors = tucker(X, rank=[10, 10, 10], init="svd", tol=1e-4)
    best = min(best, time.perf_counter() - t)
rec = tl.tucker_to_tensor((core, factors))
out["tucker"] = {"time": best, "rel_error": float(np.linalg.norm(X - rec) / np.linalg.norm(X))}

import scipy.sparse as sp
from scipy.sparse.linalg import svds
rows = np.load(d + "/rows.npy").astype(np.int64); cols = np.load(d + "/cols.npy").astype(np.int64)
vals = np.load(d + "/vals.npy"); truth_u = np.load(d + "/truth_u.npy"); truth_v = np.load(d + "/truth_v.npy")
m, n, r = truth_u.shape[0], truth_v.shape[0], truth_u.shape[1]
def prep(a, b):
    o = np.argsort(a, kind="stable")
    return a[o], b[o], vals[o], np.searchsorted(a[o], np.arange(a.max() + 1))
R = prep(rows, cols); C = prep(cols, rows)
def half(side, other):
    s, o, v, starts = side
    O = other[o]
    G = np.add.reduceat(np.einsum("ni,nj->nij", O, O), starts, axis=0)
    b = np.add.reduceat(O * v[:, None], starts, axis=0)
    return np.linalg.solve(G, b[..., None])[..., 0]
def als():
    p = len(vals) / (m * n)
    A = sp.csr_matrix((vals / p, (rows, cols)), shape=(m, n))
    U, s, Vt = svds(A, k=r)
    prev, it = np.inf, 0
    norm = np.linalg.norm(vals)
    while it < 200:
        it += 1
        V = half(C, U)
        U = half(R, V)
        rel = np.linalg.norm(np.einsum("ij,ij->i", U[rows], V[cols]) - vals) / norm
        if rel <= 1e-10 or abs(prev - rel) <= 1e-10 * rel:
            break
        prev = rel
    return U, V, it, rel
best = 1e9
for _ in range(2):
    t = time.perf_counter()
    U, V, it, rel = als()
    best = min(best, time.perf_counter() - t)
full = U @ V.T; truth = truth_u @ truth_v.T
mask = np.zeros((m, n), bool); mask[rows, cols] = True
un = ~mask
out["complete"] = {"time": best, "iters": it, "rel_error_observed": float(rel),
    "rel_error_unobserved": float(np.linalg.norm((full - truth)[un]) / np.linalg.norm(truth[un]))}

from sklearn.decomposition import MiniBatchDictionaryLearning, sparse_encode
P = np.load(d + "/patches.npy"); D_ours = np.load(d + "/dict_ours.npy")
lam = 0.1
t = time.perf_counter()
mb = MiniBatchDictionaryLearning(n_components=100, alpha=lam, batch_size=256, max_iter=5, tol=0.0,
    max_no_improvement=None, random_state=0, transform_algorithm="lasso_cd", fit_algorithm="cd")
mb.fit(P)
elapsed = time.perf_counter() - t
def objective(D):
    Cc = sparse_encode(P, D, algorithm="lasso_cd", alpha=lam, max_iter=2000)
    return float((0.5 * np.sum((P - Cc @ D) ** 2) + lam * np.abs(Cc).sum()) / P.shape[0])
out["dict"] = {"time": elapsed, "steps": int(mb.n_steps_), "objective": objective(mb.components_),
    "objective_ours": objective(D_ours)}
print(json.dumps(out))
"#;

fn main() {
    let dir: PathBuf = optl_peer::target_dir().join("tmp/lowrank-bench");
    std::fs::create_dir_all(&dir).expect("a bench directory");
    let cores = rayon::current_num_threads();

    // Tucker: exact rank-10 signal + 1% noise.
    let g = randn(&[10, 10, 10], 1, usize::MAX).unwrap();
    let fs: Vec<Tensor> = (0..3)
        .map(|k| randn(&[100, 10], 2 + k, usize::MAX).unwrap())
        .collect();
    let signal = tucker_full(&g, &fs).unwrap();
    let noise = randn(&[100, 100, 100], 9, usize::MAX).unwrap();
    let scale = 0.01 * frob(signal.as_slice().unwrap()) / frob(noise.as_slice().unwrap());
    let x = &signal + &(noise * scale);
    write(&dir, "tucker_x", &x);
    let o = TuckerOptions {
        tol: 1e-4,
        ..Default::default()
    };
    let (t1, r1) = on_threads(1, || best_of(3, || tucker(&x, &[10, 10, 10], &o).unwrap()));
    let (tn, _) = best_of(3, || tucker(&x, &[10, 10, 10], &o).unwrap());
    let od = TuckerOptions::default();
    let (td, rd) = best_of(3, || tucker(&x, &[10, 10, 10], &od).unwrap());

    // Completion: exact rank 10, 2000 × 2000, 5% observed.
    let (m, n, r) = (2000, 2000, 10);
    let tu = randn(&[m, r], 21, usize::MAX).unwrap();
    let tv = randn(&[n, r], 22, usize::MAX).unwrap();
    let pick = optl_tensor::rand(&[m, n], 23, usize::MAX).unwrap();
    let (mut ptr, mut cols, mut vals, mut rows_f, mut cols_f) =
        (vec![0], vec![], vec![], vec![], vec![]);
    for i in 0..m {
        for j in 0..n {
            if pick[[i, j]] < 0.05 {
                let v: f64 = (0..r).map(|k| tu[[i, k]] * tv[[j, k]]).sum();
                cols.push(j as u32);
                vals.push(v);
                rows_f.push(i as f64);
                cols_f.push(j as f64);
            }
        }
        ptr.push(vals.len());
    }
    let vec_t = |v: &[f64]| optl_tensor::from_vec(&[v.len()], v.to_vec()).unwrap();
    write(&dir, "rows", &vec_t(&rows_f));
    write(&dir, "cols", &vec_t(&cols_f));
    write(&dir, "vals", &vec_t(&vals));
    write(&dir, "truth_u", &tu);
    write(&dir, "truth_v", &tv);
    let obs = Observed::from_csr_parts(m, n, ptr, cols, vals).unwrap();
    let co = CompletionOptions {
        rank: r,
        tol: 1e-10,
        ..Default::default()
    };
    let (c1, cr) = on_threads(1, || best_of(2, || complete(&obs, &co).unwrap()));
    let (cn, _) = best_of(2, || complete(&obs, &co).unwrap());
    let unobserved = {
        let (mut e, mut s) = (0.0, 0.0);
        for i in 0..m {
            for j in 0..n {
                if pick[[i, j]] >= 0.05 {
                    let t: f64 = (0..r).map(|k| tu[[i, k]] * tv[[j, k]]).sum();
                    let h: f64 = (0..r).map(|k| cr.u[[i, k]] * cr.v[[j, k]]).sum();
                    e += (t - h) * (t - h);
                    s += t * t;
                }
            }
        }
        (e / s).sqrt()
    };

    // Dictionary learning: 8×8 patches of a smooth random image.
    let img = smooth_image(256, 31);
    let mut patches = Vec::with_capacity(10_000 * 64);
    let pos = optl_tensor::rand(&[10_000, 2], 32, usize::MAX).unwrap();
    for p in 0..10_000 {
        let (y0, x0) = (
            (pos[[p, 0]] * 248.0) as usize,
            (pos[[p, 1]] * 248.0) as usize,
        );
        let mut patch: Vec<f64> = (0..64)
            .map(|k| img[(y0 + k / 8) * 256 + x0 + k % 8])
            .collect();
        let mean = patch.iter().sum::<f64>() / 64.0;
        patch.iter_mut().for_each(|v| *v -= mean);
        patches.extend(patch);
    }
    let pt = optl_tensor::from_vec(&[10_000, 64], patches.clone()).unwrap();
    write(&dir, "patches", &pt);
    let steps = 5 * 10_000usize.div_ceil(256);
    let lo = LearnOptions {
        method: LearnMethod::Online,
        lam: 0.1,
        max_iters: steps,
        batch: 256,
        seed: 0,
    };
    let (d1, dr) = on_threads(1, || {
        best_of(1, || dict_learn(&patches, 10_000, 64, 100, &lo).unwrap())
    });
    let (dn, _) = best_of(1, || dict_learn(&patches, 10_000, 64, 100, &lo).unwrap());
    write(
        &dir,
        "dict_ours",
        &optl_tensor::from_vec(&[100, 64], dr.dictionary.clone()).unwrap(),
    );

    println!(
        "optl-lowrank vs peers (OptL on 1 thread and on {cores} threads; peers on 1 BLAS thread)\n"
    );
    let peer = optl_peer::run(
        "numpy, scipy, tensorly, sklearn",
        &["numpy", "scipy", "tensorly", "scikit-learn"],
        PEER,
        &[&dir],
    );
    let p: Option<serde_json::Value> = match &peer {
        Ok(s) => serde_json::from_str(s.lines().last().unwrap_or("")).ok(),
        Err(e) => {
            println!("peer skipped: {e}");
            None
        }
    };
    let get = |case: &str, key: &str| {
        p.as_ref()
            .and_then(|v| v[case][key].as_f64())
            .unwrap_or(f64::NAN)
    };
    println!(
        "| case | OptL 1 thread | OptL {cores} threads | peer | ratio (peer / OptL 1 thread) | quality OptL | quality peer |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    println!(
        "| Tucker HOOI 100³ r=10, 1% noise (tol 1e-4) | {:.1} ms ({} it) | {:.1} ms | tensorly {:.1} ms | {:.1}× | rel err {:.6e} | {:.6e} |",
        t1 * 1e3,
        r1.iters,
        tn * 1e3,
        get("tucker", "time") * 1e3,
        get("tucker", "time") / t1,
        r1.rel_error,
        get("tucker", "rel_error")
    );
    println!(
        "| Tucker HOOI, OptL default tol 1e-10 | {:.1} ms ({} it) | | | | rel err {:.6e} | |",
        td * 1e3,
        rd.iters,
        rd.rel_error
    );
    println!(
        "| completion 2000² rank 10, 5% | {:.0} ms ({} it) | {:.0} ms | numpy ALS {:.0} ms ({} it) | {:.1}× | unobserved {:.1e} | {:.1e} |",
        c1 * 1e3,
        cr.iters,
        cn * 1e3,
        get("complete", "time") * 1e3,
        get("complete", "iters"),
        get("complete", "time") / c1,
        unobserved,
        get("complete", "rel_error_unobserved")
    );
    println!(
        "| dict learning 10⁴ × 64, 100 atoms, {steps} steps | {:.0} ms | {:.0} ms | sklearn {:.0} ms ({} steps) | {:.1}× | objective {:.5} (own {:.5}) | {:.5} |",
        d1 * 1e3,
        dn * 1e3,
        get("dict", "time") * 1e3,
        get("dict", "steps"),
        get("dict", "time") / d1,
        get("dict", "objective_ours"),
        dr.objective,
        get("dict", "objective")
    );
}

/// A smooth random image: seeded Gaussian noise blurred by a box filter, twice.
fn smooth_image(size: usize, seed: u64) -> Vec<f64> {
    let noise = randn(&[size, size], seed, usize::MAX).unwrap();
    let mut img: Vec<f64> = noise.iter().copied().collect();
    for _ in 0..2 {
        let mut out = vec![0.0; size * size];
        for y in 0..size {
            for x in 0..size {
                let mut s = 0.0;
                let mut c = 0.0;
                for dy in -2i64..=2 {
                    for dx in -2i64..=2 {
                        let (yy, xx) = (y as i64 + dy, x as i64 + dx);
                        if yy >= 0 && xx >= 0 && (yy as usize) < size && (xx as usize) < size {
                            s += img[yy as usize * size + xx as usize];
                            c += 1.0;
                        }
                    }
                }
                out[y * size + x] = s / c;
            }
        }
        img = out;
    }
    img
}
