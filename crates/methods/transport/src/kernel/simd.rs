//! Row kernels of the dense passes: dot products of rows with a vector and
//! accumulations of scaled rows, four rows at a time so that the vector (or the
//! accumulator) is read once per four rows.
//!
//! Every sum runs in a fixed order of SIMD lanes (`wide::f64x4`) that depends
//! only on the row length, so a row's result never depends on the thread that
//! computes it.

use wide::f64x4;

/// The first four elements of `c` as SIMD lanes.
#[inline(always)]
fn lanes(c: &[f64]) -> f64x4 {
    f64x4::from([c[0], c[1], c[2], c[3]])
}

/// Sum of the four lanes, in a fixed order.
#[inline(always)]
fn hsum(v: f64x4) -> f64 {
    let a = v.to_array();
    (a[0] + a[1]) + (a[2] + a[3])
}

/// `xᵀ y` over the common length, two vectors of lanes then a scalar tail.
#[inline]
pub(crate) fn dot(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len().min(y.len());
    let (x, y) = (&x[..n], &y[..n]);
    let (mut s0, mut s1) = (f64x4::ZERO, f64x4::ZERO);
    let (xc, yc) = (x.chunks_exact(8), y.chunks_exact(8));
    for (p, q) in xc.zip(yc) {
        s0 += lanes(&p[..4]) * lanes(&q[..4]);
        s1 += lanes(&p[4..]) * lanes(&q[4..]);
    }
    let done = n / 8 * 8;
    let mut tail = 0.0;
    for (p, q) in x[done..].iter().zip(&y[done..]) {
        tail += p * q;
    }
    hsum(s0 + s1) + tail
}

/// `acc += alpha · x` over the common length.
#[inline]
pub(crate) fn axpy(alpha: f64, x: &[f64], acc: &mut [f64]) {
    for (o, p) in acc.iter_mut().zip(x) {
        *o += alpha * p;
    }
}

/// The dot products of four rows (each of `y.len()` entries) with `y`.
#[inline]
pub(crate) fn dot4(rows: [&[f64]; 4], y: &[f64]) -> [f64; 4] {
    let n = y.len();
    let [r0, r1, r2, r3] = rows.map(|r| &r[..n]);
    let mut acc = [f64x4::ZERO; 4];
    let quads = n / 4 * 4;
    for ((((q, p0), p1), p2), p3) in y
        .chunks_exact(4)
        .zip(r0.chunks_exact(4))
        .zip(r1.chunks_exact(4))
        .zip(r2.chunks_exact(4))
        .zip(r3.chunks_exact(4))
    {
        let q = lanes(q);
        acc[0] += lanes(p0) * q;
        acc[1] += lanes(p1) * q;
        acc[2] += lanes(p2) * q;
        acc[3] += lanes(p3) * q;
    }
    let mut out = [0.0; 4];
    for ((o, row), s) in out.iter_mut().zip([r0, r1, r2, r3]).zip(acc) {
        let mut tail = 0.0;
        for (p, q) in row[quads..].iter().zip(&y[quads..]) {
            tail += p * q;
        }
        *o = hsum(s) + tail;
    }
    out
}

/// `acc += Σ_k alpha[k] · rows[k]` (each row of `acc.len()` entries).
#[inline]
pub(crate) fn axpy4(alpha: [f64; 4], rows: [&[f64]; 4], acc: &mut [f64]) {
    let n = acc.len();
    let [r0, r1, r2, r3] = rows.map(|r| &r[..n]);
    let w = alpha.map(f64x4::splat);
    let quads = n / 4 * 4;
    for ((((o, p0), p1), p2), p3) in acc
        .chunks_exact_mut(4)
        .zip(r0.chunks_exact(4))
        .zip(r1.chunks_exact(4))
        .zip(r2.chunks_exact(4))
        .zip(r3.chunks_exact(4))
    {
        let s = lanes(o) + w[0] * lanes(p0) + w[1] * lanes(p1);
        let s = s + w[2] * lanes(p2) + w[3] * lanes(p3);
        o.copy_from_slice(&s.to_array());
    }
    for j in quads..n {
        acc[j] = acc[j] + alpha[0] * r0[j] + alpha[1] * r1[j] + alpha[2] * r2[j] + alpha[3] * r3[j];
    }
}
