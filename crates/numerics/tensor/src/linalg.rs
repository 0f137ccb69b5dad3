//! Linear algebra: matrix products (NumPy `matmul`/`dot` rules), outer product, transpose.

use ndarray::ArrayView2;
use rayon::prelude::*;
use wide::f64x4;

use super::{
    TResult, Tensor, TensorError, broadcast_shapes, check_limit, contiguous, from_vec, scalar,
    shape_str, zip_with,
};

/// Reverses the order of the axes (a no-op for 0-d and 1-d tensors).
pub fn transpose(t: &Tensor) -> Tensor {
    t.t().as_standard_layout().into_owned()
}

/// Outer product of the flattened `a` and `b`: shape `[a.len(), b.len()]`.
pub fn outer(a: &Tensor, b: &Tensor, limit: usize) -> TResult<Tensor> {
    let shape = [a.len(), b.len()];
    check_limit(&shape, limit)?;
    let bd = contiguous(b);
    let mut out = Vec::with_capacity(a.len() * b.len());
    for &x in a.iter() {
        out.extend(bd.iter().map(|&y| x * y));
    }
    from_vec(&shape, out)
}

/// NumPy's `dot`: inner product of two 1-d tensors (a 0-d result), plain
/// multiplication when either operand is 0-d, otherwise [`matmul`].
pub fn dot(a: &Tensor, b: &Tensor, limit: usize) -> TResult<Tensor> {
    if a.ndim() == 0 || b.ndim() == 0 {
        return zip_with(a, b, limit, |x, y| x * y);
    }
    if a.ndim() == 1 && b.ndim() == 1 {
        if a.len() != b.len() {
            return Err(TensorError::Shape(format!(
                "dot: shapes {} and {} are not aligned",
                shape_str(a.shape()),
                shape_str(b.shape())
            )));
        }
        let s = a.iter().zip(b.iter()).fold(0.0, |acc, (x, y)| acc + x * y);
        return Ok(scalar(s));
    }
    matmul(a, b, limit)
}

/// NumPy's `matmul` (`@`): 2-d @ 2-d is the matrix product; a 1-d left operand is a
/// row vector and a 1-d right operand a column vector, whose axis is dropped from
/// the result (so 1-d @ 1-d is a 0-d inner product); operands with more than two
/// axes are stacks of matrices whose leading axes broadcast. 0-d operands are errors.
pub fn matmul(a: &Tensor, b: &Tensor, limit: usize) -> TResult<Tensor> {
    if a.ndim() == 0 || b.ndim() == 0 {
        return Err(TensorError::Shape(format!(
            "matmul needs operands with at least one axis, got shapes {} and {}",
            shape_str(a.shape()),
            shape_str(b.shape())
        )));
    }
    // Promote vectors to matrices.
    let mut ash = a.shape().to_vec();
    let mut bsh = b.shape().to_vec();
    let a_vec = ash.len() == 1;
    let b_vec = bsh.len() == 1;
    if a_vec {
        ash.insert(0, 1);
    }
    if b_vec {
        bsh.push(1);
    }
    let (m, k) = (ash[ash.len() - 2], ash[ash.len() - 1]);
    let (k2, n) = (bsh[bsh.len() - 2], bsh[bsh.len() - 1]);
    if k != k2 {
        return Err(TensorError::Shape(format!(
            "matmul: shapes {} and {} are not aligned ({} != {})",
            shape_str(a.shape()),
            shape_str(b.shape()),
            k,
            k2
        )));
    }
    let a_batch = &ash[..ash.len() - 2];
    let b_batch = &bsh[..bsh.len() - 2];
    let batch = broadcast_shapes(a_batch, b_batch).map_err(|_| {
        TensorError::Shape(format!(
            "matmul: cannot broadcast the stacks of shapes {} and {}",
            shape_str(a.shape()),
            shape_str(b.shape())
        ))
    })?;
    let mut out_shape = batch.clone();
    if !a_vec {
        out_shape.push(m);
    }
    if !b_vec {
        out_shape.push(n);
    }
    check_limit(&out_shape, limit)?;
    if m == 0 || n == 0 || out_shape.contains(&0) {
        // Nothing to compute; the stack of empty products may be long.
        return from_vec(&out_shape, Vec::new());
    }
    let nbatch: usize = batch.iter().product();
    let ad = contiguous(a);
    let bd = contiguous(b);
    let mut out = Vec::with_capacity(nbatch * m * n);
    let mut idx = vec![0usize; batch.len()];
    for _ in 0..nbatch {
        let ao = batch_offset(&idx, &batch, a_batch) * m * k;
        let bo = batch_offset(&idx, &batch, b_batch) * k * n;
        let start = out.len();
        out.resize(start + m * n, 0.0);
        let a_part = ad
            .get(ao..ao + m * k)
            .ok_or_else(|| TensorError::Shape("matmul: internal shape error".into()))?;
        let b_part = bd
            .get(bo..bo + k * n)
            .ok_or_else(|| TensorError::Shape("matmul: internal shape error".into()))?;
        matmul_into(a_part, b_part, m, k, n, &mut out[start..])?;
        // Advance the batch odometer.
        for (i, d) in idx.iter_mut().zip(&batch).rev() {
            *i += 1;
            if *i < *d {
                break;
            }
            *i = 0;
        }
    }
    from_vec(&out_shape, out)
}

/// Row-major offset (in matrices) of the batch index `idx` of `batch` within a
/// stack whose (right-aligned, broadcastable) batch shape is `own`.
fn batch_offset(idx: &[usize], batch: &[usize], own: &[usize]) -> usize {
    let pad = batch.len() - own.len();
    let mut off = 0;
    for (j, &d) in own.iter().enumerate() {
        let i = if d == 1 { 0 } else { idx[pad + j] };
        off = off * d + i;
    }
    off
}

/// `out = a @ b` for row-major `a` [m, k], `b` [k, n] and `out` [m, n]. Products
/// with a vector (`n == 1` or `m == 1`, as gradients of linear models have) stream
/// over the matrix once in a fixed order instead of packing it for a general
/// product; the order is the same on every call, so results are reproducible, and
/// the JIT calls this same function, so both engines agree bitwise.
pub fn matmul_into(
    a: &[f64],
    b: &[f64],
    m: usize,
    k: usize,
    n: usize,
    out: &mut [f64],
) -> TResult<()> {
    if a.len() != m * k || b.len() != k * n || out.len() != m * n {
        return Err(TensorError::Shape(
            "matmul: operand sizes do not match".into(),
        ));
    }
    if k == 0 {
        out.fill(0.0);
    } else if n == 1 {
        matrix_vector(a, b, k, out);
    } else if m == 1 {
        vector_matrix(a, b, n, out);
    } else {
        let am = ArrayView2::from_shape((m, k), a)
            .map_err(|e| TensorError::Shape(format!("matmul: {e}")))?;
        let bm = ArrayView2::from_shape((k, n), b)
            .map_err(|e| TensorError::Shape(format!("matmul: {e}")))?;
        for (o, x) in out.iter_mut().zip(am.dot(&bm).iter()) {
            *o = *x;
        }
    }
    Ok(())
}

/// Elements of a matrix from which its products with a vector are split into
/// blocks over all cores (about 2 MB: below that, waking the threads costs more than
/// it saves).
const PARALLEL_MIN: usize = 1 << 18;

/// Rows of the matrix per block of a vector-matrix product; the blocks' partial
/// sums are added in block order, so the result does not depend on the number of
/// threads (nor on whether there are any).
const ROWS_PER_BLOCK: usize = 256;

/// `out = a @ b` for a matrix `a` [m, k] and a vector `b` [k]: one inner product
/// per row, each on its own, so splitting the rows over threads changes nothing.
fn matrix_vector(a: &[f64], b: &[f64], k: usize, out: &mut [f64]) {
    let rows = |(o, a): (&mut [f64], &[f64])| {
        // Four rows at a time share the loads of `b` and run four independent
        // chains of additions; each row's sum is still `inner`'s, bit for bit.
        let mut quads = o.chunks_exact_mut(4).zip(a.chunks_exact(4 * k));
        for (o4, a4) in &mut quads {
            inner4(a4, b, k, o4);
        }
        let done = o.len() / 4 * 4;
        for (o, row) in o[done..].iter_mut().zip(a[done * k..].chunks_exact(k)) {
            *o = inner(row, b);
        }
    };
    if a.len() < PARALLEL_MIN {
        rows((out, a));
    } else {
        let per_task = ROWS_PER_BLOCK * 4;
        out.par_chunks_mut(per_task)
            .zip(a.par_chunks(per_task * k))
            .for_each(rows);
    }
}

/// `out = a @ b` for a vector `a` [k] and a matrix `b` [k, n]: streams over `b`'s
/// rows, adding `a_p · b[p, :]` to a partial sum per block of `ROWS_PER_BLOCK`
/// rows, then adds the partial sums in block order.
fn vector_matrix(a: &[f64], b: &[f64], n: usize, out: &mut [f64]) {
    let block = |(a, b): (&[f64], &[f64]), acc: &mut [f64]| {
        // Four rows at a time: each element of `acc` is loaded and stored once for
        // four products, added in row order as one row at a time would.
        let quads = a.chunks_exact(4).zip(b.chunks_exact(4 * n));
        let done = a.len() / 4 * 4;
        for (ap, b4) in quads {
            let ap: [f64; 4] = [ap[0], ap[1], ap[2], ap[3]];
            let (b0, rest) = b4.split_at(n);
            let (b1, rest) = rest.split_at(n);
            let (b2, b3) = rest.split_at(n);
            let w = ap.map(f64x4::splat);
            let rows = [b0, b1, b2, b3].map(|r| r.chunks_exact(4));
            let tail = n / 4 * 4;
            let mut acc4 = acc.chunks_exact_mut(4);
            for (o, [x0, x1, x2, x3]) in (&mut acc4).zip(Quads(rows)) {
                let sum = lanes(o) + w[0] * lanes(x0) + w[1] * lanes(x1);
                let sum = sum + w[2] * lanes(x2) + w[3] * lanes(x3);
                o.copy_from_slice(&sum.to_array());
            }
            for (j, o) in acc4.into_remainder().iter_mut().enumerate() {
                let j = tail + j;
                *o = *o + ap[0] * b0[j] + ap[1] * b1[j] + ap[2] * b2[j] + ap[3] * b3[j];
            }
        }
        for (ap, brow) in a[done..].iter().zip(b[done * n..].chunks_exact(n)) {
            for (o, bv) in acc.iter_mut().zip(brow) {
                *o += ap * bv;
            }
        }
    };
    out.fill(0.0);
    if b.len() < PARALLEL_MIN {
        // The first block sums straight into `out`; a later one into `part`, which
        // is then added (allocated only when there is a second block).
        let mut blocks = a.chunks(ROWS_PER_BLOCK).zip(b.chunks(ROWS_PER_BLOCK * n));
        if let Some(first) = blocks.next() {
            block(first, out);
        }
        let mut part = Vec::new();
        for ab in blocks {
            part.clear();
            part.resize(n, 0.0);
            block(ab, &mut part);
            out.iter_mut().zip(&part).for_each(|(o, p)| *o += p);
        }
    } else {
        let parts: Vec<Vec<f64>> = a
            .par_chunks(ROWS_PER_BLOCK)
            .zip(b.par_chunks(ROWS_PER_BLOCK * n))
            .map(|ab| {
                let mut acc = vec![0.0; n];
                block(ab, &mut acc);
                acc
            })
            .collect();
        for part in &parts {
            out.iter_mut().zip(part).for_each(|(o, p)| *o += p);
        }
    }
}

/// The first four elements of `c` as SIMD lanes.
fn lanes(c: &[f64]) -> f64x4 {
    f64x4::from([c[0], c[1], c[2], c[3]])
}

/// Four iterators over chunks advanced together.
struct Quads<I>([I; 4]);

impl<'a, I: Iterator<Item = &'a [f64]>> Iterator for Quads<I> {
    type Item = [&'a [f64]; 4];
    fn next(&mut self) -> Option<Self::Item> {
        let [a, b, c, d] = &mut self.0;
        Some([a.next()?, b.next()?, c.next()?, d.next()?])
    }
}

/// Inner product with four running sums (combined in a fixed order).
fn inner(x: &[f64], y: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let (xc, yc) = (x.chunks_exact(4), y.chunks_exact(4));
    let (xr, yr) = (xc.remainder(), yc.remainder());
    for (p, q) in xc.zip(yc) {
        for i in 0..4 {
            acc[i] += p[i] * q[i];
        }
    }
    let mut tail = 0.0;
    for (p, q) in xr.iter().zip(yr) {
        tail += p * q;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// [`inner`] of each of the four rows of `a` [4, k] with `y` [k], into `out` [4],
/// computed together: every row's four running sums are one SIMD vector of lanes
/// (`wide::f64x4`, so independent as `inner`'s are), and each row's sum is
/// `inner`'s bit for bit.
fn inner4(a: &[f64], y: &[f64], k: usize, out: &mut [f64]) {
    let (r0, rest) = a.split_at(k);
    let (r1, rest) = rest.split_at(k);
    let (r2, r3) = rest.split_at(k);
    let mut acc = [f64x4::ZERO; 4];
    let rows = Quads([r0, r1, r2, r3].map(|r| r.chunks_exact(4)));
    for (p4, q) in rows.zip(y.chunks_exact(4)) {
        let q = lanes(q);
        for (s, p) in acc.iter_mut().zip(p4) {
            *s += lanes(p) * q;
        }
    }
    let done = k / 4 * 4;
    for ((o, row), s) in out.iter_mut().zip([r0, r1, r2, r3]).zip(acc) {
        let mut tail = 0.0;
        for (p, q) in row[done..].iter().zip(&y[done..]) {
            tail += p * q;
        }
        let s = s.to_array();
        *o = (s[0] + s[1]) + (s[2] + s[3]) + tail;
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::zeros;
    use super::*;

    /// The SIMD kernels give the bits of the plain loops they replace: a row's
    /// `inner`, and vector-matrix sums added one row at a time in row order.
    #[test]
    fn vector_kernels_match_plain_loops_bitwise() {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        for m in 1..10 {
            for k in 1..12 {
                let a: Vec<f64> = (0..m * k).map(|_| next()).collect();
                let x: Vec<f64> = (0..k).map(|_| next()).collect();
                let r: Vec<f64> = (0..m).map(|_| next()).collect();
                let mut out = vec![0.0; m];
                matrix_vector(&a, &x, k, &mut out);
                for (o, row) in out.iter().zip(a.chunks_exact(k)) {
                    assert_eq!(o.to_bits(), inner(row, &x).to_bits(), "m={m} k={k}");
                }
                let mut out = vec![0.0; k];
                vector_matrix(&r, &a, k, &mut out);
                let mut plain = vec![0.0; k];
                for (rp, row) in r.iter().zip(a.chunks_exact(k)) {
                    for (o, v) in plain.iter_mut().zip(row) {
                        *o += rp * v;
                    }
                }
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&out), bits(&plain), "m={m} k={k}");
            }
        }
    }

    #[test]
    fn matmul_2d_2d() {
        let a = iota(&[2, 3]);
        let b = iota(&[3, 2]);
        let r = matmul(&a, &b, BIG).unwrap();
        assert_eq!(r.shape(), &[2, 2]);
        assert_eq!(vals(&r), vec![10.0, 13.0, 28.0, 40.0]);
        let r = matmul(&b, &a, BIG).unwrap();
        assert_eq!(r.shape(), &[3, 3]);
        assert_eq!(r[[2, 2]], 4.0 * 2.0 + 5.0 * 5.0);
    }

    #[test]
    fn matmul_with_vectors() {
        let a = iota(&[2, 3]);
        let x = t(&[3], &[1.0, 1.0, 1.0]);
        let r = matmul(&a, &x, BIG).unwrap();
        assert_eq!(r.shape(), &[2]);
        assert_eq!(vals(&r), vec![3.0, 12.0]);
        let y = t(&[2], &[1.0, -1.0]);
        let r = matmul(&y, &a, BIG).unwrap();
        assert_eq!(r.shape(), &[3]);
        assert_eq!(vals(&r), vec![-3.0, -3.0, -3.0]);
        let r = matmul(&x, &x, BIG).unwrap();
        assert_eq!(r.ndim(), 0);
        assert_eq!(vals(&r), vec![3.0]);
    }

    #[test]
    fn matmul_errors() {
        let a = iota(&[2, 3]);
        assert_eq!(
            matmul(&a, &iota(&[2, 3]), BIG),
            Err(TensorError::Shape(
                "matmul: shapes [2, 3] and [2, 3] are not aligned (3 != 2)".into()
            ))
        );
        assert!(matches!(
            matmul(&a, &iota(&[4]), BIG),
            Err(TensorError::Shape(_))
        ));
        assert!(matches!(
            matmul(&iota(&[3]), &a, BIG),
            Err(TensorError::Shape(_))
        ));
        assert!(matches!(
            matmul(&scalar(2.0), &a, BIG),
            Err(TensorError::Shape(_))
        ));
        assert!(matches!(
            matmul(&iota(&[2, 2, 2]), &iota(&[3, 2, 2]), BIG),
            Err(TensorError::Shape(_))
        ));
        assert!(matches!(
            matmul(&iota(&[100, 1]), &iota(&[1, 100]), 9_999),
            Err(TensorError::TooLarge {
                elements: 10_000,
                ..
            })
        ));
    }

    #[test]
    fn matmul_empty_dims() {
        let r = matmul(
            &zeros(&[2, 0], BIG).unwrap(),
            &zeros(&[0, 3], BIG).unwrap(),
            BIG,
        )
        .unwrap();
        assert_eq!(r.shape(), &[2, 3]);
        assert!(r.iter().all(|&x| x == 0.0));
        let r = matmul(&zeros(&[0, 2], BIG).unwrap(), &iota(&[2, 3]), BIG).unwrap();
        assert_eq!(r.shape(), &[0, 3]);
        // A long stack of empty products is not walked one by one.
        let a = zeros(&[1 << 30, 1, 0, 2], BIG).unwrap();
        let r = matmul(&a, &iota(&[2, 3]), BIG).unwrap();
        assert_eq!(r.shape(), &[1 << 30, 1, 0, 3]);
        let r = matmul(&zeros(&[0], BIG).unwrap(), &zeros(&[0], BIG).unwrap(), BIG).unwrap();
        assert_eq!(vals(&r), vec![0.0]);
    }

    #[test]
    fn matmul_batched() {
        let a = iota(&[2, 2, 3]);
        let b = iota(&[3, 2]);
        let r = matmul(&a, &b, BIG).unwrap();
        assert_eq!(r.shape(), &[2, 2, 2]);
        assert_eq!(vals(&r)[..4], [10.0, 13.0, 28.0, 40.0]);
        assert_eq!(vals(&r)[4..], [46.0, 67.0, 64.0, 94.0]);
        let r = matmul(&iota(&[3]), &iota(&[2, 3, 1]), BIG).unwrap();
        assert_eq!(r.shape(), &[2, 1]);
        assert_eq!(vals(&r), vec![5.0, 14.0]);
        let r = matmul(&iota(&[2, 1, 1, 2]), &iota(&[3, 2, 1]), BIG).unwrap();
        assert_eq!(r.shape(), &[2, 3, 1, 1]);
        assert_eq!(vals(&r), vec![1.0, 3.0, 5.0, 3.0, 13.0, 23.0]);
    }

    #[test]
    fn matmul_transposed_input() {
        let at = iota(&[3, 2]).t().to_owned(); // [[0,2,4],[1,3,5]]
        let r = matmul(&at, &t(&[3], &[1.0, 1.0, 1.0]), BIG).unwrap();
        assert_eq!(vals(&r), vec![6.0, 9.0]);
    }

    /// Products with a vector large enough to be split over threads give the same
    /// bits on one thread as on all, and agree with a plain sum.
    #[test]
    fn vector_products_do_not_depend_on_threads() {
        let (m, k) = (3001, 97);
        assert!(m * k >= PARALLEL_MIN);
        let a: Vec<f64> = (0..m * k)
            .map(|i| ((i * 7919) % 1000) as f64 / 997.0 - 0.5)
            .collect();
        let x: Vec<f64> = (0..k).map(|i| (i as f64).sin()).collect();
        let y: Vec<f64> = (0..m).map(|i| (i as f64).cos()).collect();
        let products = || {
            let (mut ax, mut ya) = (vec![0.0; m], vec![0.0; k]);
            matmul_into(&a, &x, m, k, 1, &mut ax).unwrap();
            matmul_into(&y, &a, 1, m, k, &mut ya).unwrap();
            (ax, ya)
        };
        let one_thread = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(products);
        let (ax, ya) = products();
        assert_eq!(one_thread, (ax.clone(), ya.clone()));
        for (i, v) in ax.iter().enumerate() {
            let plain: f64 = (0..k).map(|p| a[i * k + p] * x[p]).sum();
            assert!((v - plain).abs() <= 1e-12 * plain.abs().max(1.0), "row {i}");
        }
        for (j, v) in ya.iter().enumerate() {
            let plain: f64 = (0..m).map(|p| y[p] * a[p * k + j]).sum();
            assert!(
                (v - plain).abs() <= 1e-12 * plain.abs().max(1.0),
                "column {j}"
            );
        }
    }

    #[test]
    fn dot_rules() {
        let x = t(&[3], &[1.0, 2.0, 3.0]);
        let r = dot(&x, &x, BIG).unwrap();
        assert_eq!(r.ndim(), 0);
        assert_eq!(vals(&r), vec![14.0]);
        assert!(matches!(
            dot(&x, &iota(&[4]), BIG),
            Err(TensorError::Shape(_))
        ));
        assert_eq!(
            vals(&dot(&scalar(2.0), &x, BIG).unwrap()),
            vec![2.0, 4.0, 6.0]
        );
        assert_eq!(
            vals(&dot(&iota(&[2, 3]), &x, BIG).unwrap()),
            vec![8.0, 26.0]
        );
    }

    #[test]
    fn outer_and_transpose() {
        let r = outer(&t(&[2], &[1.0, 2.0]), &t(&[3], &[1.0, 10.0, 100.0]), BIG).unwrap();
        assert_eq!(r.shape(), &[2, 3]);
        assert_eq!(vals(&r), vec![1.0, 10.0, 100.0, 2.0, 20.0, 200.0]);
        assert_eq!(
            outer(&iota(&[2, 2]), &scalar(3.0), BIG).unwrap().shape(),
            &[4, 1]
        );
        assert!(matches!(
            outer(&iota(&[1000]), &iota(&[1000]), 999_999),
            Err(TensorError::TooLarge { .. })
        ));
        let m = transpose(&iota(&[2, 3]));
        assert_eq!(m.shape(), &[3, 2]);
        assert!(m.as_slice().is_some());
        assert_eq!(vals(&m), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
        assert_eq!(transpose(&iota(&[2, 3, 4])).shape(), &[4, 3, 2]);
        assert_eq!(transpose(&iota(&[2, 3, 4]))[[3, 1, 0]], 7.0);
        assert_eq!(transpose(&scalar(1.0)).ndim(), 0);
        assert_eq!(vals(&transpose(&iota(&[3]))), vec![0.0, 1.0, 2.0]);
    }
}
