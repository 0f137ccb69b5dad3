//! SVD-based routines: `lstsq`, `pinv` (2-D, NumPy's defaults) and `nuclear_norm`.

use faer::linalg::solvers::Svd as FaerSvd;
use optl_tensor::Tensor;

use super::decompose::singular_values;
use super::{MatBatch, tensor};
use crate::error::{Error, Result};

/// Least-squares solution of `a x ≈ b`, as `numpy.linalg.lstsq`.
#[derive(Debug, Clone, PartialEq)]
pub struct Lstsq {
    /// Minimum-norm least-squares solution, `(n,)` or `(n, k)` like `b`.
    pub x: Tensor,
    /// Squared residual norms per column of `b` (`(1,)` for a vector `b`) when
    /// `rank == n < m`; empty `(0,)` otherwise.
    pub residuals: Tensor,
    /// Effective rank: singular values above `rcond · s_max`.
    pub rank: usize,
    /// Singular values of `a`, descending.
    pub s: Tensor,
}

/// The thin SVD of a 2-D matrix, as row-major `u` (`m × k`), `s`, `v` (`n × k`).
struct Thin {
    u: Vec<f64>,
    s: Vec<f64>,
    v: Vec<f64>,
    k: usize,
}

fn thin_svd(op: &'static str, am: &MatBatch) -> Result<Thin> {
    let (m, n) = (am.rows, am.cols);
    let k = m.min(n);
    if k == 0 {
        return Ok(Thin {
            u: Vec::new(),
            s: Vec::new(),
            v: Vec::new(),
            k,
        });
    }
    let f = FaerSvd::new_thin(am.mat(0)).map_err(|_| Error::NoConvergence { op })?;
    let mut u = Vec::with_capacity(m * k);
    super::push_row_major(f.U(), &mut u);
    let mut v = Vec::with_capacity(n * k);
    super::push_row_major(f.V(), &mut v);
    Ok(Thin {
        u,
        s: f.S().column_vector().iter().copied().collect(),
        v,
        k,
    })
}

/// Checks a relative cutoff argument.
fn check_rcond(op: &'static str, rcond: Option<f64>) -> Result<()> {
    match rcond {
        Some(r) if !(r.is_finite() && r >= 0.0) => Err(Error::InvalidArgument {
            op,
            reason: format!("rcond must be finite and non-negative, got {r}"),
        }),
        _ => Ok(()),
    }
}

/// Least squares via the SVD. `a` is `m × n`; `b` is `(m,)` or `(m, k)`.
/// Singular values at most `rcond · s_max` are treated as zero; `rcond = None`
/// means NumPy's default `eps · max(m, n)`.
pub fn lstsq(a: &Tensor, b: &Tensor, rcond: Option<f64>) -> Result<Lstsq> {
    const OP: &str = "lstsq";
    check_rcond(OP, rcond)?;
    let am = MatBatch::matrix(OP, a)?;
    let (m, n) = (am.rows, am.cols);
    if !b.iter().all(|v| v.is_finite()) {
        return Err(Error::NonFinite { op: OP });
    }
    let vector = b.ndim() == 1;
    if !(vector || b.ndim() == 2) || b.shape()[0] != m {
        return Err(Error::Shape {
            op: OP,
            left: a.shape().to_vec(),
            right: b.shape().to_vec(),
            reason: "b must be (m,) or (m, k) for an m x n matrix A",
        });
    }
    let cols = if vector { 1 } else { b.shape()[1] };
    let bdata: Vec<f64> = b.iter().copied().collect();
    let svd = thin_svd(OP, &am)?;
    let smax = svd.s.first().copied().unwrap_or(0.0);
    let cutoff = rcond.unwrap_or(f64::EPSILON * m.max(n) as f64) * smax;
    let rank = svd.s.iter().filter(|&&s| s > cutoff).count();
    // x = V_r diag(1/s_r) U_rᵀ b
    let mut x = vec![0.0; n * cols];
    for c in 0..cols {
        for p in 0..rank {
            let mut utb = 0.0;
            for i in 0..m {
                utb += svd.u[i * svd.k + p] * bdata[i * cols + c];
            }
            let coef = utb / svd.s[p];
            for j in 0..n {
                x[j * cols + c] += svd.v[j * svd.k + p] * coef;
            }
        }
    }
    let residuals = if rank == n && m > n {
        let adata = am.slice(0);
        let mut res = vec![0.0; cols];
        for (c, r) in res.iter_mut().enumerate() {
            for i in 0..m {
                let mut ax = 0.0;
                for j in 0..n {
                    ax += adata[i * n + j] * x[j * cols + c];
                }
                let d = bdata[i * cols + c] - ax;
                *r += d * d;
            }
        }
        res
    } else {
        Vec::new()
    };
    let xshape = if vector { vec![n] } else { vec![n, cols] };
    let rlen = residuals.len();
    Ok(Lstsq {
        x: tensor(OP, xshape, x)?,
        residuals: tensor(OP, vec![rlen], residuals)?,
        rank,
        s: tensor(OP, vec![svd.s.len()], svd.s)?,
    })
}

/// Moore–Penrose pseudo-inverse (`n × m`) of the 2-D `a` (`m × n`) via the SVD,
/// dropping singular values at most `rcond · s_max`; `None` is NumPy's default
/// `rcond = 1e-15`.
pub fn pinv(a: &Tensor, rcond: Option<f64>) -> Result<Tensor> {
    const OP: &str = "pinv";
    check_rcond(OP, rcond)?;
    let am = MatBatch::matrix(OP, a)?;
    let (m, n) = (am.rows, am.cols);
    let svd = thin_svd(OP, &am)?;
    let smax = svd.s.first().copied().unwrap_or(0.0);
    let cutoff = rcond.unwrap_or(1e-15) * smax;
    let mut out = vec![0.0; n * m];
    for p in 0..svd.k {
        let s = svd.s[p];
        if s <= cutoff {
            continue;
        }
        for j in 0..n {
            let vj = svd.v[j * svd.k + p] / s;
            let row = &mut out[j * m..(j + 1) * m];
            for (i, o) in row.iter_mut().enumerate() {
                *o += vj * svd.u[i * svd.k + p];
            }
        }
    }
    tensor(OP, vec![n, m], out)
}

/// Sum of the singular values of each matrix of `a` (`(..., m, n)`); the result
/// has the batch shape.
pub fn nuclear_norm(a: &Tensor) -> Result<Tensor> {
    const OP: &str = "nuclear_norm";
    let am = MatBatch::from_tensor(OP, a)?;
    let mut out = Vec::with_capacity(am.count());
    for k in 0..am.count() {
        out.push(singular_values(OP, &am, k)?.iter().sum());
    }
    tensor(OP, am.batch.clone(), out)
}

/// The nuclear norm's gradient (a subgradient where singular values vanish) of a
/// matrix `a` `[m, n]`: `U_r V_rᵀ` over the singular values above
/// `max(m, n)·ε·σ_max`.
pub fn nuclear_norm_grad(a: &Tensor) -> Result<Tensor> {
    const OP: &str = "nuclear_norm gradient";
    let shape = a.shape().to_vec();
    let [m, n] = shape[..] else {
        return Err(Error::BadShape {
            op: OP,
            shape,
            reason: "a matrix [m, n]",
        });
    };
    let f = super::svd(a)?;
    let k = m.min(n);
    let s: Vec<f64> = f.s.iter().copied().collect();
    let cut = s.first().copied().unwrap_or(0.0) * (m.max(n) as f64) * f64::EPSILON;
    let u: Vec<f64> = f.u.iter().copied().collect();
    let vt: Vec<f64> = f.vt.iter().copied().collect();
    let mut out = vec![0.0; m * n];
    for i in (0..k).filter(|&i| s[i] > cut) {
        for r in 0..m {
            let ur = u[r * k + i];
            for c in 0..n {
                out[r * n + c] += ur * vt[i * n + c];
            }
        }
    }
    Tensor::from_shape_vec(ndarray::IxDyn(&[m, n]), out).map_err(|_| Error::BadShape {
        op: OP,
        shape: vec![m, n],
        reason: "a matrix [m, n]",
    })
}
