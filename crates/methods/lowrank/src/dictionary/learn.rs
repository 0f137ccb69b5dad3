//! Dictionary learning: `min_{D, C} ½‖X − C D‖² + lam‖C‖₁` over unit-norm atoms.
//!
//! - Initialization (every method): the first `atoms` rows of a seeded random
//!   permutation of the data rows, each normalized; atoms beyond `n`, and atoms
//!   from zero rows, are seeded random unit vectors.
//! - Batch (Mairal et al. 2010): each round codes all rows (FISTA, warm-started
//!   from the previous round, at most [`INNER_ITERS`] iterations), then sweeps the
//!   atoms once by block coordinate descent on the statistics `A = CᵀC/n`,
//!   `B = CᵀX/n` (atoms × atoms and atoms × d): `d_j ← d_j + (b_j − A_j D)/A_jj`,
//!   normalized to unit norm (the exact minimizer over the unit sphere with the
//!   other atoms fixed). An atom with `A_jj ≤ 10⁻⁶ · trace(A)/atoms` (almost
//!   unused) is resampled from a seeded random data row, and its codes zeroed.
//! - Online (Mairal et al. 2009, as scikit-learn's MiniBatchDictionaryLearning):
//!   each step codes a mini-batch of `batch` rows (consecutive slices of a seeded
//!   permutation, reshuffled every epoch), forgets the statistics with
//!   scikit-learn's factor — `θ = (t + 1)·m` if `t < m − 1`, else
//!   `θ = m² + t + 1 − m`, `β = (θ + 1 − m)/(θ + 1)` at step `t` (from 0) with a
//!   batch of `m` rows — as `A ← β A + cᵀc/m`, `B ← β B + cᵀx/m`, and does one
//!   sweep as above.
//! - OrthogonalFw: see [`super::orthogonal`].
//!
//! The reported codes are [`sparse_code`] of all rows with the final dictionary
//! (ℓ1, `lam`, the default iteration limit and tolerance), bit for bit; for
//! OrthogonalFw the exact soft-thresholded correlations.

use faer::Mat;
use optl_linalg::prox::Penalty;
use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;

use super::code::{Inner, Problem};
use super::{
    Batches, CodeOptions, Dictionary, LearnMethod, LearnOptions, Prior, check_iters, check_lam,
    check_len, gather, invalid, normalize, orthogonal, permutation, random_unit, resample_atom,
    sparse_code,
};
use crate::dense::{mul_tn, row_major, view};
use crate::error::{Error, Result, finite};

/// Iteration limit of the coding inside a learning round or step.
const INNER_ITERS: usize = 200;
/// Stopping tolerance of the coding inside a learning round or step.
const INNER_TOL: f64 = 1e-8;
/// An atom whose code energy is below this fraction of the mean is resampled.
const UNUSED: f64 = 1e-6;

/// Learns a dictionary of `atoms` unit-norm rows for the data `x` (`[n, d]`);
/// see the module doc for the methods.
///
/// Errors: `n` or `d` zero, `lam < 0` or not finite, `max_iters = 0`, `batch = 0`,
/// OrthogonalFw with `atoms ≠ d` (Invalid); `atoms = 0` (Rank); `x.len() ≠ n·d`
/// (Shape); a NaN or infinite entry in `x` (NonFinite).
pub fn dict_learn(
    x: &[f64],
    n: usize,
    d: usize,
    atoms: usize,
    o: &LearnOptions,
) -> Result<Dictionary> {
    const OP: &str = "dict_learn";
    if n == 0 || d == 0 {
        return invalid(OP, format!("n = {n}, d = {d}: the data must not be empty"));
    }
    let orthogonal = o.method == LearnMethod::OrthogonalFw;
    if atoms == 0 {
        return Err(Error::Rank {
            op: OP,
            rank: 0,
            // Batch and online dictionaries may be overcomplete: no upper bound.
            max: if orthogonal { d } else { usize::MAX },
            what: "atoms".into(),
        });
    }
    check_len(OP, "x", x.len(), n, d)?;
    check_lam(OP, o.lam)?;
    check_iters(OP, o.max_iters)?;
    if o.batch == 0 {
        return invalid(OP, "batch = 0: a mini-batch needs at least one row");
    }
    if orthogonal && atoms != d {
        return invalid(
            OP,
            format!("atoms = {atoms} but d = {d}: an orthogonal dictionary is square (atoms = d)"),
        );
    }
    if atoms
        .checked_mul(d)
        .and_then(|len| len.checked_mul(std::mem::size_of::<f64>()))
        .is_none_or(|bytes| bytes > isize::MAX as usize)
    {
        return Err(Error::Shape {
            op: OP,
            reason: format!("a dictionary of [{atoms}, {d}] has too many entries"),
        });
    }
    finite(OP, "x", x)?;
    let data = Data { x, n, d };
    let mut rng = ChaCha8Rng::seed_from_u64(o.seed);
    let mut dict = init(&data, atoms, &mut rng);
    let iters = match o.method {
        LearnMethod::Batch => batch(&data, &mut dict, atoms, o, &mut rng),
        LearnMethod::Online => online(&data, &mut dict, atoms, o, &mut rng),
        LearnMethod::OrthogonalFw => orthogonal::learn(&data, &mut dict, o, &mut rng),
    };
    let (codes, objective) = if orthogonal {
        let codes = orthogonal::codes(&data, &dict, o.lam);
        let problem = Problem {
            x,
            n,
            d,
            dict: &dict,
            atoms,
        };
        let objective = problem.objective(&codes, Penalty::L1, o.lam);
        (codes, objective)
    } else {
        let options = CodeOptions {
            prior: Prior::L1,
            lam: o.lam,
            ..CodeOptions::default()
        };
        let c = sparse_code(x, n, d, &dict, atoms, &options)?;
        (c.codes, c.objective)
    };
    Ok(Dictionary {
        dictionary: dict,
        atoms,
        d,
        codes,
        n,
        objective: objective / n as f64,
        iters,
    })
}

/// The checked data `[n, d]`, row-major.
pub(crate) struct Data<'a> {
    pub(crate) x: &'a [f64],
    pub(crate) n: usize,
    pub(crate) d: usize,
}

/// The initial dictionary: normalized rows of a seeded permutation of the data,
/// random unit rows where those run out or are zero.
fn init(data: &Data<'_>, atoms: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
    let d = data.d;
    let order = permutation(rng, data.n);
    let mut dict = vec![0.0; atoms * d];
    for (k, atom) in dict.chunks_mut(d).enumerate() {
        let fresh = match order.get(k) {
            Some(&i) => {
                atom.copy_from_slice(&data.x[i * d..(i + 1) * d]);
                !normalize(atom)
            }
            None => true,
        };
        if fresh {
            random_unit(rng, atom);
        }
    }
    dict
}

/// The sufficient statistics `A` (`[atoms, atoms]`) and `B` (`[atoms, d]`).
struct Stats {
    a: Vec<f64>,
    b: Vec<f64>,
}

impl Stats {
    /// `A = CᵀC/m`, `B = CᵀX/m` for the codes `c` (`[m, atoms]`) of `x` (`[m, d]`).
    fn of(x: &[f64], c: &[f64], m: usize, d: usize, atoms: usize) -> Stats {
        let cv = view(c, m, atoms);
        let scale = 1.0 / m as f64;
        let scaled = |a: Mat<f64>| row_major(a.as_ref()).into_iter().map(|v| v * scale);
        Stats {
            a: scaled(mul_tn(cv, cv)).collect(),
            b: scaled(mul_tn(cv, view(x, m, d))).collect(),
        }
    }
}

/// One block coordinate sweep over the atoms of `dict` (`[atoms, d]`) for the
/// statistics `s`; returns the atoms resampled from the data.
fn sweep(
    s: &Stats,
    dict: &mut [f64],
    atoms: usize,
    data: &Data<'_>,
    rng: &mut ChaCha8Rng,
) -> Vec<usize> {
    let d = data.d;
    let trace: f64 = (0..atoms).map(|j| s.a[j * atoms + j]).sum();
    let floor = UNUSED * trace / atoms as f64;
    let mut resampled = Vec::new();
    let mut u = vec![0.0; d];
    for j in 0..atoms {
        let ajj = s.a[j * atoms + j];
        let mut fresh = !(ajj > floor);
        if !fresh {
            u.copy_from_slice(&s.b[j * d..(j + 1) * d]);
            for k in 0..atoms {
                let ajk = s.a[j * atoms + k];
                if ajk != 0.0 {
                    for (ui, dk) in u.iter_mut().zip(&dict[k * d..(k + 1) * d]) {
                        *ui -= ajk * dk;
                    }
                }
            }
            for (ui, dj) in u.iter_mut().zip(&dict[j * d..(j + 1) * d]) {
                *ui = dj + *ui / ajj;
            }
            fresh = !normalize(&mut u);
        }
        let atom = &mut dict[j * d..(j + 1) * d];
        if fresh {
            resample_atom(rng, data.x, data.n, atom);
            resampled.push(j);
        } else {
            atom.copy_from_slice(&u);
        }
    }
    resampled
}

/// The coding run inside a learning round or step.
fn inner(lam: f64) -> Inner {
    Inner {
        penalty: Penalty::L1,
        lam,
        max_iters: INNER_ITERS,
        tol: INNER_TOL,
    }
}

/// Batch alternating minimization; returns the rounds done.
fn batch(
    data: &Data<'_>,
    dict: &mut [f64],
    atoms: usize,
    o: &LearnOptions,
    rng: &mut ChaCha8Rng,
) -> usize {
    let (n, d) = (data.n, data.d);
    let inner = inner(o.lam);
    let mut codes = vec![0.0; n * atoms];
    for _ in 0..o.max_iters {
        let problem = Problem {
            x: data.x,
            n,
            d,
            dict,
            atoms,
        };
        problem.solve(&mut codes, &inner);
        let stats = Stats::of(data.x, &codes, n, d, atoms);
        for j in sweep(&stats, dict, atoms, data, rng) {
            for row in codes.chunks_mut(atoms) {
                row[j] = 0.0;
            }
        }
    }
    o.max_iters
}

/// scikit-learn's forgetting factor at step `step` (from 0) with `m` rows.
fn forget(m: usize, step: usize) -> f64 {
    let (m, t) = (m as f64, step as f64);
    let theta = if t < m - 1.0 {
        (t + 1.0) * m
    } else {
        m * m + t + 1.0 - m
    };
    (theta + 1.0 - m) / (theta + 1.0)
}

/// Online dictionary learning; returns the steps done.
fn online(
    data: &Data<'_>,
    dict: &mut [f64],
    atoms: usize,
    o: &LearnOptions,
    rng: &mut ChaCha8Rng,
) -> usize {
    let d = data.d;
    let inner = inner(o.lam);
    let mut stats = Stats {
        a: vec![0.0; atoms * atoms],
        b: vec![0.0; atoms * d],
    };
    let mut batches = Batches::new(data.n, o.batch);
    for step in 0..o.max_iters {
        let rows = batches.draw(rng).to_vec();
        let m = rows.len();
        let xb = gather(data.x, d, &rows);
        let mut codes = vec![0.0; m * atoms];
        let problem = Problem {
            x: &xb,
            n: m,
            d,
            dict,
            atoms,
        };
        problem.solve(&mut codes, &inner);
        let fresh = Stats::of(&xb, &codes, m, d, atoms);
        let beta = forget(m, step);
        for (a, f) in stats.a.iter_mut().zip(&fresh.a) {
            *a = beta * *a + f;
        }
        for (b, f) in stats.b.iter_mut().zip(&fresh.b) {
            *b = beta * *b + f;
        }
        sweep(&stats, dict, atoms, data, rng);
    }
    o.max_iters
}

#[cfg(test)]
mod tests {
    use super::forget;

    #[test]
    fn forgetting_factor_follows_scikit_learn() {
        // step 0, batch 4: θ = 4, β = 1/5; late steps: θ = 16 + t + 1 − 4.
        assert!((forget(4, 0) - 1.0 / 5.0).abs() < 1e-15);
        assert!((forget(4, 10) - (13.0 + 10.0 - 3.0) / (13.0 + 10.0 + 1.0)).abs() < 1e-15);
        assert!((forget(1, 0) - 0.5).abs() < 1e-15);
    }
}
