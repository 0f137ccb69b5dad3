//! Shared builders of the integration tests: Poisson matrices and naive references.
#![allow(dead_code)]

use optl_linalg::Csr;

/// The 5-point Laplacian on a `g × g` grid (Dirichlet boundary), `n = g²`.
pub fn poisson_2d(g: usize) -> Csr {
    variable_poisson(g, |_, _| 1.0)
}

/// `−∇·(κ ∇u)` on a `g × g` grid with the 5-point stencil, `κ` sampled at cell
/// edges from `kappa(x, y)` on the unit square: symmetric positive definite.
pub fn variable_poisson(g: usize, kappa: impl Fn(f64, f64) -> f64) -> Csr {
    let h = 1.0 / (g + 1) as f64;
    let idx = |i: usize, j: usize| i * g + j;
    let (mut rows, mut cols, mut vals) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..g {
        for j in 0..g {
            let (x, y) = ((j + 1) as f64 * h, (i + 1) as f64 * h);
            let kw = kappa(x - h / 2.0, y);
            let ke = kappa(x + h / 2.0, y);
            let ks = kappa(x, y - h / 2.0);
            let kn = kappa(x, y + h / 2.0);
            let me = idx(i, j);
            rows.push(me);
            cols.push(me);
            vals.push(kw + ke + ks + kn);
            if j > 0 {
                rows.push(me);
                cols.push(idx(i, j - 1));
                vals.push(-kw);
            }
            if j + 1 < g {
                rows.push(me);
                cols.push(idx(i, j + 1));
                vals.push(-ke);
            }
            if i > 0 {
                rows.push(me);
                cols.push(idx(i - 1, j));
                vals.push(-ks);
            }
            if i + 1 < g {
                rows.push(me);
                cols.push(idx(i + 1, j));
                vals.push(-kn);
            }
        }
    }
    Csr::from_triplets(&rows, &cols, &vals, (g * g, g * g)).expect("valid stencil")
}

/// A smooth right-hand side of length `n`.
pub fn smooth_rhs(n: usize, phase: f64) -> Vec<f64> {
    (0..n)
        .map(|i| 1.0 + 0.5 * ((i as f64) * 0.37 + phase).sin())
        .collect()
}

/// The sequence of 50 slowly varying Poisson-like systems of the sequence goals.
pub fn drifting_sequence(g: usize, count: usize) -> Vec<(Csr, Vec<f64>)> {
    (0..count)
        .map(|t| {
            let s = t as f64 / count as f64;
            let a = variable_poisson(g, |x, y| {
                1.0 + 0.5 * s + 0.3 * (std::f64::consts::PI * (x + s)).sin() * (2.0 * y).cos()
            });
            let b = smooth_rhs(g * g, 0.1 * t as f64);
            (a, b)
        })
        .collect()
}

/// `‖b − A x‖ / ‖b‖` computed naively.
pub fn rel_residual(a: &Csr, x: &[f64], b: &[f64]) -> f64 {
    let ax = a.matvec(x).expect("lengths");
    let r: f64 = ax.iter().zip(b).map(|(p, q)| (q - p) * (q - p)).sum();
    let bn: f64 = b.iter().map(|v| v * v).sum();
    (r / bn).sqrt()
}
