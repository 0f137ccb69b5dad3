//! Tests of the prox module against brute force: grids, random candidates,
//! variational inequalities, naive bisection and faer's full SVD.

mod penalty;
mod set;
mod singular;

use faer::MatRef;
use faer::linalg::solvers::Svd as FaerSvd;

/// SplitMix64, a small deterministic generator for the tests.
pub(super) struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// An index in `0..n` (n > 0).
    pub fn index(&mut self, n: usize) -> usize {
        (self.u64() % n as u64) as usize
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit();
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    pub fn normals(&mut self, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.normal()).collect()
    }

    pub fn uniforms(&mut self, n: usize, lo: f64, hi: f64) -> Vec<f64> {
        (0..n).map(|_| self.uniform(lo, hi)).collect()
    }
}

pub(super) fn dot(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(a, b)| a * b).sum()
}

pub(super) fn norm(x: &[f64]) -> f64 {
    dot(x, x).sqrt()
}

/// faer's thin SVD of a row-major matrix: singular values, then `U` and `V` as
/// row-major `rows × k` and `cols × k`.
pub(super) fn full_svd(a: &[f64], rows: usize, cols: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let f = FaerSvd::new_thin(MatRef::from_row_major_slice(a, rows, cols)).unwrap();
    let k = rows.min(cols);
    let s = f.S().column_vector().iter().copied().collect();
    let mut u = Vec::with_capacity(rows * k);
    for i in 0..rows {
        for l in 0..k {
            u.push(f.U()[(i, l)]);
        }
    }
    let mut v = Vec::with_capacity(cols * k);
    for j in 0..cols {
        for l in 0..k {
            v.push(f.V()[(j, l)]);
        }
    }
    (s, u, v)
}

/// The nuclear norm of a row-major matrix.
pub(super) fn nuclear_norm(a: &[f64], rows: usize, cols: usize) -> f64 {
    if a.is_empty() {
        return 0.0;
    }
    full_svd(a, rows, cols).0.iter().sum()
}

/// A random `n × n` orthogonal matrix (row-major), from faer's QR of a Gaussian one.
pub(super) fn orthogonal(rng: &mut Rng, n: usize) -> Vec<f64> {
    let g = rng.normals(n * n);
    let qr = faer::linalg::solvers::Qr::new(MatRef::from_row_major_slice(&g, n, n));
    let q = qr.compute_thin_Q();
    let mut out = Vec::with_capacity(n * n);
    for i in 0..n {
        for j in 0..n {
            out.push(q[(i, j)]);
        }
    }
    out
}

/// `U₁ diag(s) V₁ᵀ` with random orthonormal columns: a `rows × cols` matrix with
/// the singular values `s` (padded with zeros).
pub(super) fn with_singular_values(rng: &mut Rng, rows: usize, cols: usize, s: &[f64]) -> Vec<f64> {
    let u = orthogonal(rng, rows);
    let v = orthogonal(rng, cols);
    let mut a = vec![0.0; rows * cols];
    for (l, &sl) in s.iter().enumerate().take(rows.min(cols)) {
        for i in 0..rows {
            for j in 0..cols {
                a[i * cols + j] += sl * u[i * rows + l] * v[j * cols + l];
            }
        }
    }
    a
}
