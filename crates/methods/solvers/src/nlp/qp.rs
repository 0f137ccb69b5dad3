//! Strictly convex quadratic programs by the dual active-set method of Goldfarb
//! and Idnani ("A numerically stable dual method for solving strictly convex
//! quadratic programs", Math. Programming 27, 1983), for the SQP solver:
//!
//! minimize `½ xᵀGx + aᵀx` subject to `nᵢᵀx = bᵢ` (the first `n_eq` rows) and
//! `nᵢᵀx >= bᵢ` (the rest), with `G` positive definite.
//!
//! The method starts at the unconstrained minimum `−G⁻¹a` and adds violated
//! constraints one at a time, keeping the multipliers of the active inequalities
//! non-negative (dropping one when its multiplier would turn negative); it needs no
//! feasible start and proves infeasibility when a violated constraint cannot be
//! reached. Each step solves for its primal and dual directions from the Cholesky
//! factor of `G` and a least-squares fit on the active normals, which is simple and
//! stable at the sizes SQP hands it.

use super::dense::{cholesky, least_squares, solve_lower, solve_upper_t};
use crate::problem::dot;

/// A QP in the form above; `rows` holds the constraint normals row by row.
pub(crate) struct Qp<'a> {
    pub n: usize,
    pub g: &'a [f64],
    pub a: &'a [f64],
    pub rows: &'a [f64],
    pub rhs: &'a [f64],
    pub n_eq: usize,
}

/// A solved QP: the minimizer and one multiplier per row (so that
/// `Gx + a = Σ uᵢ nᵢ`, with `uᵢ >= 0` for inequalities and `0` for inactive rows).
pub(crate) struct QpSolution {
    pub x: Vec<f64>,
    pub u: Vec<f64>,
}

/// Why a QP has no solution.
#[derive(Debug, PartialEq)]
pub(crate) enum QpFailure {
    /// `G` is not positive definite.
    NotConvex,
    /// No point satisfies the constraints.
    Infeasible,
    /// The iteration limit was reached (cycling through degenerate constraints).
    Stalled,
    /// The caller's deadline passed.
    Expired,
}

/// A constraint in the active set: its row, the sign it is used with (an equality
/// may be added as `−nᵀx >= −b`) and its multiplier.
struct Active {
    row: usize,
    sign: f64,
    u: f64,
}

impl Qp<'_> {
    fn normal(&self, i: usize) -> &[f64] {
        &self.rows[i * self.n..(i + 1) * self.n]
    }

    /// Solves the QP; `expired` is asked before every step.
    pub(crate) fn solve(&self, expired: &dyn Fn() -> bool) -> Result<QpSolution, QpFailure> {
        let n = self.n;
        let q = self.rhs.len();
        let l = cholesky(self.g, n).ok_or(QpFailure::NotConvex)?;
        // The unconstrained minimum.
        let mut x: Vec<f64> = self.a.iter().map(|v| -v).collect();
        solve_lower(&l, n, &mut x);
        solve_upper_t(&l, n, &mut x);
        let mut active: Vec<Active> = Vec::new();
        // `L⁻¹nᵢ` of the active rows, with their signs, for the directions.
        let mut cols: Vec<Vec<f64>> = Vec::new();
        let scaled = |row: &[f64], sign: f64| -> Vec<f64> {
            let mut w: Vec<f64> = row.iter().map(|v| sign * v).collect();
            solve_lower(&l, n, &mut w);
            w
        };
        // Primal direction `z` (the step in x per unit of the new multiplier) and
        // dual direction `r` (the rate at which active multipliers fall), from
        // `Gz + Nr = n_p`, `Nᵀz = 0`; `independent` is false when n_p lies in the
        // span of the active normals.
        let directions = |w: &[f64], cols: &[Vec<f64>]| -> (Vec<f64>, Vec<f64>, bool) {
            let (r, mut res) = least_squares(cols, w);
            let independent = dot(&res, &res) > 1e-20 * dot(w, w);
            solve_upper_t(&l, n, &mut res);
            (res, r, independent)
        };
        let slack = |x: &[f64], i: usize| dot(self.normal(i), x) - self.rhs[i];
        // Equalities first: their multipliers have no sign, so each is a full step.
        for i in 0..self.n_eq {
            let s = slack(&x, i);
            let sign = if s > 0.0 { -1.0 } else { 1.0 };
            let w = scaled(self.normal(i), sign);
            let (z, r, independent) = directions(&w, &cols);
            let zn = sign * dot(&z, self.normal(i));
            if !independent || !(zn > 0.0) {
                // Dependent on equalities already active: redundant or inconsistent.
                if s.abs() <= 1e-9 * (1.0 + self.rhs[i].abs()) {
                    continue;
                }
                return Err(QpFailure::Infeasible);
            }
            let t = -sign * s / zn;
            x.iter_mut().zip(&z).for_each(|(xi, zi)| *xi += t * zi);
            for (act, ri) in active.iter_mut().zip(&r) {
                act.u -= t * ri;
            }
            active.push(Active { row: i, sign, u: t });
            cols.push(w);
        }
        let scale = |i: usize| 1e-12 * (1.0 + self.rhs[i].abs());
        let max_steps = 50 + 10 * (n + q);
        let mut steps = 0;
        loop {
            // The most violated inequality not yet active.
            let mut p = None;
            let mut worst = 0.0;
            for i in self.n_eq..q {
                if active.iter().any(|a| a.row == i) {
                    continue;
                }
                let s = slack(&x, i);
                if s < -scale(i) && s < worst {
                    worst = s;
                    p = Some(i);
                }
            }
            let Some(p) = p else {
                let mut u = vec![0.0; q];
                for a in &active {
                    u[a.row] = a.sign * a.u;
                }
                return Ok(QpSolution { x, u });
            };
            let mut s_p = worst;
            let mut u_p = 0.0;
            let w = scaled(self.normal(p), 1.0);
            loop {
                steps += 1;
                if steps > max_steps {
                    return Err(QpFailure::Stalled);
                }
                if expired() {
                    return Err(QpFailure::Expired);
                }
                let (z, r, independent) = directions(&w, &cols);
                // Partial step: the largest that keeps active inequality
                // multipliers non-negative.
                let mut t1 = f64::INFINITY;
                let mut drop = None;
                for (k, (act, rk)) in active.iter().zip(&r).enumerate() {
                    if act.row >= self.n_eq && *rk > 0.0 && act.u / rk < t1 {
                        t1 = act.u / rk;
                        drop = Some(k);
                    }
                }
                // Full step: the one that satisfies constraint p.
                let zn = dot(&z, self.normal(p));
                let t2 = match -s_p / zn {
                    t if independent && zn > 0.0 && t >= 0.0 => t,
                    // Dependent on the active normals, or overflowed to NaN.
                    _ => f64::INFINITY,
                };
                if t1.is_infinite() && t2.is_infinite() {
                    return Err(QpFailure::Infeasible);
                }
                let t = t1.min(t2);
                if t2.is_finite() {
                    x.iter_mut().zip(&z).for_each(|(xi, zi)| *xi += t * zi);
                    s_p += t * zn;
                }
                for (act, rk) in active.iter_mut().zip(&r) {
                    act.u -= t * rk;
                }
                u_p += t;
                if t2 <= t1 {
                    active.push(Active {
                        row: p,
                        sign: 1.0,
                        u: u_p,
                    });
                    cols.push(w);
                    break;
                }
                // A finite partial step names the constraint it drops.
                let Some(k) = drop else {
                    return Err(QpFailure::Stalled);
                };
                active.remove(k);
                cols.remove(k);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qp_of<'a>(
        g: &'a [f64],
        a: &'a [f64],
        rows: &'a [f64],
        rhs: &'a [f64],
        n_eq: usize,
    ) -> Qp<'a> {
        Qp {
            n: a.len(),
            g,
            a,
            rows,
            rhs,
            n_eq,
        }
    }

    #[test]
    fn unconstrained_and_equality() {
        let g = [2.0, 0.0, 0.0, 2.0];
        let a = [-2.0, -4.0];
        let s = qp_of(&g, &a, &[], &[], 0).solve(&|| false).unwrap();
        assert!((s.x[0] - 1.0).abs() < 1e-14 && (s.x[1] - 2.0).abs() < 1e-14);
        // x + y = 1: minimum of (x-1)² + (y-2)² there is (0, 1), multiplier -2.
        let s = qp_of(&g, &a, &[1.0, 1.0], &[1.0], 1)
            .solve(&|| false)
            .unwrap();
        assert!(s.x[0].abs() < 1e-14 && (s.x[1] - 1.0).abs() < 1e-14);
        assert!((s.u[0] + 2.0).abs() < 1e-13);
    }

    #[test]
    fn inequalities_enter_and_leave() {
        // min (x-1)² + (y-2.5)² s.t. the five constraints of the classic example
        // (Nocedal & Wright, Example 16.4): optimum (1.4, 1.7).
        let g = [2.0, 0.0, 0.0, 2.0];
        let a = [-2.0, -5.0];
        let rows = [1.0, -2.0, -1.0, -2.0, -1.0, 2.0, 1.0, 0.0, 0.0, 1.0];
        let rhs = [-2.0, -6.0, -2.0, 0.0, 0.0];
        let s = qp_of(&g, &a, &rows, &rhs, 0).solve(&|| false).unwrap();
        assert!((s.x[0] - 1.4).abs() < 1e-12 && (s.x[1] - 1.7).abs() < 1e-12);
        assert!((s.u[0] - 0.8).abs() < 1e-12);
        assert!(s.u.iter().enumerate().all(|(i, u)| i == 0 || *u == 0.0));
    }

    #[test]
    fn infeasible_and_redundant() {
        let g = [1.0];
        // x >= 1 and -x >= 0 (x <= 0).
        let r = qp_of(&g, &[0.0], &[1.0, -1.0], &[1.0, 0.0], 0).solve(&|| false);
        assert_eq!(r.err(), Some(QpFailure::Infeasible));
        // x = 1 twice is fine; x = 1 and x = 2 is not.
        let s = qp_of(&g, &[0.0], &[1.0, 1.0], &[1.0, 1.0], 2)
            .solve(&|| false)
            .unwrap();
        assert!((s.x[0] - 1.0).abs() < 1e-14);
        let r = qp_of(&g, &[0.0], &[1.0, 1.0], &[1.0, 2.0], 2).solve(&|| false);
        assert_eq!(r.err(), Some(QpFailure::Infeasible));
        let r = qp_of(&[-1.0], &[0.0], &[], &[], 0).solve(&|| false);
        assert_eq!(r.err(), Some(QpFailure::NotConvex));
    }

    /// Random feasible QPs: the solution satisfies the KKT conditions.
    #[test]
    fn random_problems_satisfy_kkt() {
        let mut seed = 11u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        for _ in 0..200 {
            let n = 4;
            let m: Vec<f64> = (0..n * n).map(|_| next()).collect();
            let mut g = vec![0.0; n * n];
            for i in 0..n {
                for j in 0..n {
                    g[i * n + j] = (0..n).map(|k| m[k * n + i] * m[k * n + j]).sum::<f64>();
                }
                g[i * n + i] += 0.1;
            }
            let a: Vec<f64> = (0..n).map(|_| 4.0 * next()).collect();
            // Constraints satisfied by a known point, so the QP is feasible.
            let x0: Vec<f64> = (0..n).map(|_| next()).collect();
            let q = 6;
            let rows: Vec<f64> = (0..q * n).map(|_| next()).collect();
            let rhs: Vec<f64> = (0..q)
                .map(|i| {
                    let v = dot(&rows[i * n..(i + 1) * n], &x0);
                    if i == 0 { v } else { v - next().abs() }
                })
                .collect();
            let s = qp_of(&g, &a, &rows, &rhs, 1).solve(&|| false).unwrap();
            let mut grad: Vec<f64> = (0..n)
                .map(|i| dot(&g[i * n..(i + 1) * n], &s.x) + a[i])
                .collect();
            for i in 0..q {
                let row = &rows[i * n..(i + 1) * n];
                let slack = dot(row, &s.x) - rhs[i];
                if i == 0 {
                    assert!(slack.abs() < 1e-10);
                } else {
                    assert!(slack > -1e-10 && s.u[i] >= 0.0);
                    assert!((s.u[i] * slack).abs() < 1e-10);
                }
                grad.iter_mut()
                    .zip(row)
                    .for_each(|(gi, r)| *gi -= s.u[i] * r);
            }
            assert!(grad.iter().all(|v| v.abs() < 1e-10), "{grad:?}");
        }
    }
}
