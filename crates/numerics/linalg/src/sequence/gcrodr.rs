//! GCRO-DR (Parks, de Sturler, Mackey, Johnson, Maiti, 2006: "Recycling Krylov
//! subspaces for sequences of linear systems"): restarted GMRES that keeps a
//! `k`-dimensional subspace of harmonic Ritz vectors (approximate eigenvectors of
//! the smallest harmonic Ritz values) from cycle to cycle and from one system to
//! the next.
//!
//! Invariants of a cycle: `A U = C`, `C` has orthonormal columns, the residual
//! is orthogonal to `C`, and the Arnoldi vectors `V` are orthogonal to `C`:
//! `(I − C Cᵀ) A V_s = V_{s+1} H̄_s`, `B = Cᵀ A V_s`. Each cycle solves the
//! small least-squares problem with Givens rotations on `H̄_s` and replaces
//! `(U, C)` by the harmonic Ritz vectors of `(Ḡ, Ŵᵀ V̂)`.

use faer::linalg::solvers::GeneralizedEigen;
use faer::{Mat, MatRef};

use crate::error::{Error, Result};
use crate::iterative::kernels::{axpy, dot, norm};
use crate::iterative::{
    IterResult, Operator, Status, back_substitute, check_system, finish, givens, true_residual,
    zero_solution,
};
use crate::positive;

/// Parameters of GCRO-DR(m, k).
#[derive(Debug, Clone, PartialEq)]
pub struct Gcrodr {
    /// Dimension of the recycled subspace (default 20).
    pub k: usize,
    /// Cycle length: `k` recycled plus `m − k` new Arnoldi vectors (default 40).
    pub m: usize,
    /// Relative residual tolerance.
    pub tol: f64,
    /// Limit on Arnoldi steps per system.
    pub max_iters: usize,
}

impl Default for Gcrodr {
    fn default() -> Self {
        Gcrodr {
            k: 20,
            m: 40,
            tol: 1e-8,
            max_iters: 10_000,
        }
    }
}

/// A GCRO-DR solver that carries its recycled subspace from one system to the next.
#[derive(Debug, Clone)]
pub struct GcrodrSolver {
    config: Gcrodr,
    /// `U` of the last system (the `Ỹ` of the next one).
    recycled: Vec<Vec<f64>>,
}

/// Orthonormalizes `cols` in place by modified Gram–Schmidt, twice; returns `R`
/// column-wise (`r[j][i]`), or `None` when the columns are numerically dependent.
fn mgs_qr(cols: &mut [Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let k = cols.len();
    let mut r = vec![vec![0.0; k]; k];
    for j in 0..k {
        let original = norm(&cols[j]);
        for _ in 0..2 {
            for i in 0..j {
                let (head, tail) = cols.split_at_mut(j);
                let h = dot(&head[i], &tail[0]);
                r[j][i] += h;
                axpy(-h, &head[i], &mut tail[0]);
            }
        }
        let nj = norm(&cols[j]);
        if !positive(nj - 1e-12 * original) || !nj.is_finite() {
            return None;
        }
        r[j][j] = nj;
        cols[j].iter_mut().for_each(|v| *v /= nj);
    }
    Some(r)
}

/// `Y R⁻¹` for upper triangular `R` stored column-wise.
fn right_solve(y: &[Vec<f64>], r: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let mut u: Vec<Vec<f64>> = Vec::with_capacity(y.len());
    for j in 0..y.len() {
        let mut col = y[j].clone();
        for (i, ui) in u.iter().enumerate() {
            axpy(-r[j][i], ui, &mut col);
        }
        col.iter_mut().for_each(|v| *v /= r[j][j]);
        u.push(col);
    }
    u
}

/// `Σ_i coef[i] · vecs[i]` into a new vector of length `n`.
fn combine(n: usize, vecs: &[&[f64]], coef: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; n];
    for (v, &c) in vecs.iter().zip(coef) {
        if c != 0.0 {
            axpy(c, v, &mut out);
        }
    }
    out
}

/// The pieces of one finished cycle needed for the recycle update.
struct Cycle<'a> {
    c: &'a [Vec<f64>],
    u: &'a [Vec<f64>],
    /// The `steps + 1` Arnoldi vectors.
    v: &'a [Vec<f64>],
    /// `B = Cᵀ A V`, column-wise (`b[j][i]`).
    b: &'a [Vec<f64>],
    /// The unrotated `H̄`, column-wise (`h[j][i]`).
    h: &'a [Vec<f64>],
    steps: usize,
}

/// The recycled pair `(U, C)` with `A U = C`.
type RecyclePair = (Vec<Vec<f64>>, Vec<Vec<f64>>);

/// New `(U, C)` from the `k` harmonic Ritz vectors of the cycle, or `None` when
/// the small problems are degenerate (the caller keeps the old pair).
fn harmonic_update(n: usize, k: usize, cy: &Cycle<'_>) -> Option<RecyclePair> {
    let kk = cy.c.len();
    let s = cy.steps;
    let mm = kk + s;
    if mm <= k || k == 0 {
        return None;
    }
    let unorm: Vec<f64> = cy.u.iter().map(|u| norm(u)).collect();
    if unorm.iter().any(|&v| !positive(v)) {
        return None;
    }
    // Ḡ ((mm + 1) × mm) and Ŵᵀ V̂ ((mm + 1) × mm).
    let mut g = Mat::<f64>::zeros(mm + 1, mm);
    let mut wv = Mat::<f64>::zeros(mm + 1, mm);
    for i in 0..kk {
        g[(i, i)] = 1.0 / unorm[i];
        for j in 0..s {
            g[(i, kk + j)] = cy.b[j][i];
        }
        for j in 0..kk {
            wv[(i, j)] = dot(&cy.c[i], &cy.u[j]) / unorm[j];
        }
    }
    for j in 0..s {
        for i in 0..=s {
            g[(kk + i, kk + j)] = cy.h[j][i];
        }
        wv[(kk + j, kk + j)] = 1.0;
    }
    for i in 0..=s {
        for j in 0..kk {
            wv[(kk + i, j)] = dot(&cy.v[i], &cy.u[j]) / unorm[j];
        }
    }
    let gt = g.transpose();
    let lhs = gt * &g;
    let rhs = gt * &wv;
    let eig = GeneralizedEigen::new_from_real(lhs.as_ref(), rhs.as_ref()).ok()?;
    let (sa, sb) = (eig.S_a().column_vector(), eig.S_b().column_vector());
    let mut order: Vec<(f64, usize)> = (0..mm)
        .map(|i| {
            let (a, b) = (sa[i], sb[i]);
            let mag = if b.re == 0.0 && b.im == 0.0 {
                f64::INFINITY
            } else {
                (a.re.hypot(a.im)) / (b.re.hypot(b.im))
            };
            (if mag.is_finite() { mag } else { f64::INFINITY }, i)
        })
        .collect();
    order.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
    let z = eig.U();
    let mut p: Vec<Vec<f64>> = Vec::with_capacity(k);
    for &(mag, i) in &order {
        if p.len() >= k || !mag.is_finite() {
            break;
        }
        let theta = if sb[i].re != 0.0 || sb[i].im != 0.0 {
            sa[i] / sb[i]
        } else {
            sa[i]
        };
        let re: Vec<f64> = (0..mm).map(|r| z[(r, i)].re).collect();
        if theta.im.abs() <= 1e-12 * theta.re.hypot(theta.im) {
            p.push(re);
        } else if theta.im > 0.0 {
            p.push(re);
            if p.len() < k {
                p.push((0..mm).map(|r| z[(r, i)].im).collect());
            }
        }
    }
    if p.is_empty() || p.iter().flatten().any(|v| !v.is_finite()) {
        return None;
    }
    // Ỹ = V̂ P and Ḡ P.
    let uhat: Vec<Vec<f64>> =
        cy.u.iter()
            .zip(&unorm)
            .map(|(u, &s)| u.iter().map(|v| v / s).collect())
            .collect();
    let vhat: Vec<&[f64]> = uhat
        .iter()
        .map(Vec::as_slice)
        .chain(cy.v.iter().take(s).map(Vec::as_slice))
        .collect();
    let what: Vec<&[f64]> =
        cy.c.iter()
            .map(Vec::as_slice)
            .chain(cy.v.iter().take(s + 1).map(Vec::as_slice))
            .collect();
    let pm = MatRef::from_column_major_slice(&p.concat(), mm, p.len()).to_owned();
    let gp = &g * &pm;
    let mut gp_cols: Vec<Vec<f64>> = (0..p.len())
        .map(|j| (0..=mm).map(|i| gp[(i, j)]).collect())
        .collect();
    let r = mgs_qr(&mut gp_cols)?;
    let y: Vec<Vec<f64>> = p.iter().map(|pj| combine(n, &vhat, pj)).collect();
    let c_new: Vec<Vec<f64>> = gp_cols.iter().map(|qj| combine(n, &what, qj)).collect();
    let u_new = right_solve(&y, &r);
    if u_new.iter().chain(&c_new).flatten().any(|v| !v.is_finite()) {
        return None;
    }
    Some((u_new, c_new))
}

impl GcrodrSolver {
    /// A solver with no recycled subspace yet; `k < m` and `m >= 1` are required.
    pub fn new(config: Gcrodr) -> Result<Self> {
        if config.m == 0 || config.k >= config.m {
            return Err(Error::InvalidArgument {
                op: "gcrodr",
                reason: format!(
                    "need 0 <= k < m and m >= 1, got k = {} and m = {}",
                    config.k, config.m
                ),
            });
        }
        Ok(GcrodrSolver {
            config,
            recycled: Vec::new(),
        })
    }

    /// Dimension of the subspace that the next solve will recycle.
    pub fn recycled_dim(&self) -> usize {
        self.recycled.len()
    }

    /// Solves `A x = b` from `x = 0`, recycling the subspace kept from the previous
    /// system (when it has the same size) and keeping a new one for the next.
    pub fn solve(&mut self, a: &dyn Operator, b: &[f64]) -> Result<IterResult> {
        const OP: &str = "gcrodr";
        let Gcrodr {
            k,
            m,
            tol,
            max_iters,
        } = self.config;
        let bnorm = check_system(OP, a, b, tol)?;
        let n = a.n();
        if self.recycled.first().is_some_and(|v| v.len() != n) {
            self.recycled.clear();
        }
        if bnorm == 0.0 {
            return Ok(zero_solution(n));
        }
        let mut x = vec![0.0; n];
        let mut r = b.to_vec();
        let mut matvecs = 0usize;
        let mut iters = 0usize;
        let (mut u, mut c) = (Vec::new(), Vec::new());
        let recycled = std::mem::take(&mut self.recycled);
        if !recycled.is_empty() {
            let mut ay: Vec<Vec<f64>> = recycled
                .iter()
                .map(|y| {
                    let mut w = vec![0.0; n];
                    a.apply(y, &mut w);
                    w
                })
                .collect();
            matvecs += recycled.len();
            if let Some(rr) = mgs_qr(&mut ay) {
                u = right_solve(&recycled, &rr);
                c = ay;
            }
        }
        let project = |c: &[Vec<f64>], u: &[Vec<f64>], x: &mut [f64], r: &mut [f64]| {
            for (ci, ui) in c.iter().zip(u) {
                let coef = dot(ci, r);
                axpy(coef, ui, x);
                axpy(-coef, ci, r);
            }
        };
        project(&c, &u, &mut x, &mut r);
        let mut basis: Vec<Vec<f64>> = (0..=m).map(|_| vec![0.0; n]).collect();
        let mut w = vec![0.0; n];
        let mut last_invariant = false;
        let status = loop {
            let mut rel = norm(&r) / bnorm;
            if rel <= tol || last_invariant {
                rel = true_residual(a, b, &x, &mut r, bnorm);
                matvecs += 1;
                if rel <= tol {
                    self.recycled = u;
                    return Ok(IterResult {
                        x,
                        iters,
                        residual: rel,
                        status: Status::Converged,
                        matvecs,
                    });
                }
                if last_invariant {
                    break Status::Breakdown;
                }
                project(&c, &u, &mut x, &mut r);
            }
            if !rel.is_finite() {
                break Status::NonFinite;
            }
            if iters >= max_iters {
                break Status::MaxIters;
            }
            let kk = c.len();
            let s = m - kk;
            let beta = norm(&r);
            for (v, ri) in basis[0].iter_mut().zip(&r) {
                *v = ri / beta;
            }
            let mut h: Vec<Vec<f64>> = Vec::with_capacity(s);
            let mut hrot: Vec<Vec<f64>> = Vec::with_capacity(s);
            let mut bcols: Vec<Vec<f64>> = Vec::with_capacity(s);
            let (mut cs, mut sn) = (vec![0.0; s], vec![0.0; s]);
            let mut g = vec![0.0; s + 1];
            g[0] = beta;
            let mut steps = 0;
            let mut invariant = false;
            while steps < s && iters < max_iters {
                let j = steps;
                a.apply(&basis[j], &mut w);
                matvecs += 1;
                iters += 1;
                let wnorm = norm(&w);
                let mut bj = vec![0.0; kk];
                for (i, ci) in c.iter().enumerate() {
                    bj[i] = dot(ci, &w);
                    axpy(-bj[i], ci, &mut w);
                }
                let mut col = vec![0.0; s + 1];
                for (i, v) in basis.iter().enumerate().take(j + 1) {
                    col[i] = dot(&w, v);
                    axpy(-col[i], v, &mut w);
                }
                let hnext = norm(&w);
                col[j + 1] = hnext;
                let mut rot = col.clone();
                for i in 0..j {
                    let (uu, vv) = (rot[i], rot[i + 1]);
                    rot[i] = cs[i] * uu + sn[i] * vv;
                    rot[i + 1] = -sn[i] * uu + cs[i] * vv;
                }
                let (cj, sj, rjj) = givens(rot[j], hnext);
                rot[j] = rjj;
                rot[j + 1] = 0.0;
                cs[j] = cj;
                sn[j] = sj;
                g[j + 1] = -sj * g[j];
                g[j] *= cj;
                h.push(col);
                hrot.push(rot);
                bcols.push(bj);
                steps += 1;
                if !hnext.is_finite() || !g[steps].is_finite() {
                    break;
                }
                if hnext <= f64::EPSILON * wnorm {
                    invariant = true;
                    break;
                }
                for (v, wi) in basis[j + 1].iter_mut().zip(&w) {
                    *v = wi / hnext;
                }
                if g[steps].abs() <= tol * bnorm {
                    break;
                }
            }
            let Some(y2) = back_substitute(&hrot, &g, steps) else {
                break Status::Breakdown;
            };
            if y2.iter().any(|v| !v.is_finite()) {
                break Status::NonFinite;
            }
            // x += V y2 − U (B y2); r = V_{s+1} (β e1 − H̄ y2).
            for (j, yj) in y2.iter().enumerate() {
                axpy(*yj, &basis[j], &mut x);
            }
            for (i, ui) in u.iter().enumerate() {
                let by: f64 = bcols.iter().zip(&y2).map(|(bj, yj)| bj[i] * yj).sum();
                axpy(-by, ui, &mut x);
            }
            let rows = if invariant { steps } else { steps + 1 };
            let mut t = vec![0.0; rows];
            t[0] = beta;
            for (j, yj) in y2.iter().enumerate() {
                for (i, ti) in t.iter_mut().enumerate() {
                    *ti -= h[j][i] * yj;
                }
            }
            r.iter_mut().for_each(|v| *v = 0.0);
            for (i, ti) in t.iter().enumerate() {
                axpy(*ti, &basis[i], &mut r);
            }
            if !invariant {
                let cycle = Cycle {
                    c: &c,
                    u: &u,
                    v: &basis[..=steps],
                    b: &bcols,
                    h: &h,
                    steps,
                };
                if let Some((u_new, c_new)) = harmonic_update(n, k, &cycle) {
                    u = u_new;
                    c = c_new;
                }
            }
            last_invariant = invariant;
        };
        self.recycled = u;
        Ok(finish(a, b, x, &mut r, bnorm, (iters, matvecs), status))
    }
}
