//! Vector kernels of the iterative solvers, fused where a solver reads the same
//! vectors twice.
//!
//! Reductions are summed per fixed block of [`BLOCK`] entries, then over the
//! blocks in order; long vectors run the blocks on the rayon pool. The block
//! partition never depends on the thread count, so the bits never do either.

use rayon::prelude::*;

/// Entries per block of every reduction.
const BLOCK: usize = 8192;

/// Length from which the kernels run on the rayon pool.
const PARALLEL_LEN: usize = 4 * BLOCK;

/// Sum of `a_i b_i` over one block, with four accumulators.
#[inline]
fn block_dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let (ac, bc) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ar, br) = (ac.remainder(), bc.remainder());
    for (x, y) in ac.zip(bc) {
        acc[0] += x[0] * y[0];
        acc[1] += x[1] * y[1];
        acc[2] += x[2] * y[2];
        acc[3] += x[3] * y[3];
    }
    let mut tail = 0.0;
    for (x, y) in ar.iter().zip(br) {
        tail += x * y;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// `aᵀ b` (blocked, deterministic).
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    if n >= PARALLEL_LEN {
        let parts: Vec<f64> = a
            .par_chunks(BLOCK)
            .zip(b.par_chunks(BLOCK))
            .map(|(x, y)| block_dot(x, y))
            .collect();
        parts.iter().sum()
    } else {
        a.chunks(BLOCK)
            .zip(b.chunks(BLOCK))
            .map(|(x, y)| block_dot(x, y))
            .sum()
    }
}

/// `‖a‖₂`.
pub(crate) fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

/// `r ← b − r`.
pub(crate) fn sub_from(b: &[f64], r: &mut [f64]) {
    for (ri, bi) in r.iter_mut().zip(b) {
        *ri = bi - *ri;
    }
}

/// `y ← y + alpha x`.
pub(crate) fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}

/// The CG step `x ← x + α p`, `r ← r − α q`; returns `rᵀ r`.
pub(crate) fn cg_step(x: &mut [f64], r: &mut [f64], p: &[f64], q: &[f64], alpha: f64) -> f64 {
    type Chunk<'a> = (((&'a mut [f64], &'a mut [f64]), &'a [f64]), &'a [f64]);
    let work = |(((xc, rc), pc), qc): Chunk<'_>| -> f64 {
        let mut acc = 0.0;
        for (((xi, ri), pi), qi) in xc.iter_mut().zip(rc.iter_mut()).zip(pc).zip(qc) {
            *xi += alpha * pi;
            *ri -= alpha * qi;
            acc += *ri * *ri;
        }
        acc
    };
    if x.len() >= PARALLEL_LEN {
        let parts: Vec<f64> = x
            .par_chunks_mut(BLOCK)
            .zip(r.par_chunks_mut(BLOCK))
            .zip(p.par_chunks(BLOCK))
            .zip(q.par_chunks(BLOCK))
            .map(work)
            .collect();
        parts.iter().sum()
    } else {
        x.chunks_mut(BLOCK)
            .zip(r.chunks_mut(BLOCK))
            .zip(p.chunks(BLOCK))
            .zip(q.chunks(BLOCK))
            .map(work)
            .sum()
    }
}

/// The Jacobi-preconditioned CG step `x ← x + α p`, `r ← r − α q`,
/// `z ← D⁻¹ r`; returns `(rᵀ r, rᵀ z)`.
pub(crate) fn cg_step_jacobi(
    x: &mut [f64],
    r: &mut [f64],
    z: &mut [f64],
    p: &[f64],
    q: &[f64],
    inv_diag: &[f64],
    alpha: f64,
) -> (f64, f64) {
    type Chunk<'a> = (
        (((&'a mut [f64], &'a mut [f64]), &'a mut [f64]), &'a [f64]),
        (&'a [f64], &'a [f64]),
    );
    let work = |((((xc, rc), zc), pc), (qc, dc)): Chunk<'_>| -> (f64, f64) {
        let (mut rr, mut rz) = (0.0, 0.0);
        for (((((xi, ri), zi), pi), qi), di) in xc
            .iter_mut()
            .zip(rc.iter_mut())
            .zip(zc.iter_mut())
            .zip(pc)
            .zip(qc)
            .zip(dc)
        {
            *xi += alpha * pi;
            *ri -= alpha * qi;
            *zi = *ri * di;
            rr += *ri * *ri;
            rz += *ri * *zi;
        }
        (rr, rz)
    };
    let add = |(a, b): (f64, f64), (c, d): (f64, f64)| (a + c, b + d);
    if x.len() >= PARALLEL_LEN {
        let parts: Vec<(f64, f64)> = x
            .par_chunks_mut(BLOCK)
            .zip(r.par_chunks_mut(BLOCK))
            .zip(z.par_chunks_mut(BLOCK))
            .zip(p.par_chunks(BLOCK))
            .zip(q.par_chunks(BLOCK).zip(inv_diag.par_chunks(BLOCK)))
            .map(work)
            .collect();
        parts.into_iter().fold((0.0, 0.0), add)
    } else {
        x.chunks_mut(BLOCK)
            .zip(r.chunks_mut(BLOCK))
            .zip(z.chunks_mut(BLOCK))
            .zip(p.chunks(BLOCK))
            .zip(q.chunks(BLOCK).zip(inv_diag.chunks(BLOCK)))
            .map(work)
            .fold((0.0, 0.0), add)
    }
}

/// `p ← z + β p`.
pub(crate) fn update_direction(p: &mut [f64], z: &[f64], beta: f64) {
    let work = |(pc, zc): (&mut [f64], &[f64])| {
        for (pi, zi) in pc.iter_mut().zip(zc) {
            *pi = zi + beta * *pi;
        }
    };
    if p.len() >= PARALLEL_LEN {
        p.par_chunks_mut(BLOCK)
            .zip(z.par_chunks(BLOCK))
            .for_each(work);
    } else {
        p.chunks_mut(BLOCK).zip(z.chunks(BLOCK)).for_each(work);
    }
}
