//! Reductions (sum, mean, prod, max, min, norm, argmax, argmin) and cumulative sums.
//!
//! Reductions take an optional axis (negative counts from the end); `None` reduces
//! over all elements and gives a 0-d tensor. Sums add in the same order as NumPy
//! (pairwise along contiguous lanes, sequentially across rows), so they give the
//! same bits.

use super::{TResult, Tensor, TensorError, contiguous, from_vec, norm_axis, scalar};

/// Applies `f` to every lane along `axis`, or to all elements when `axis` is `None`.
/// The flag passed to `f` tells whether the lane is contiguous in row-major order.
fn reduce(
    t: &Tensor,
    axis: Option<isize>,
    f: impl Fn(&[f64], bool) -> TResult<f64>,
) -> TResult<Tensor> {
    let data = contiguous(t);
    let Some(axis) = axis else {
        return Ok(scalar(f(&data, true)?));
    };
    let shape = t.shape();
    let ax = norm_axis(axis, shape.len())?;
    let outer: usize = shape[..ax].iter().product();
    let n = shape[ax];
    let inner: usize = shape[ax + 1..].iter().product();
    let mut out_shape = shape.to_vec();
    out_shape.remove(ax);
    if out_shape.contains(&0) {
        // Nothing to compute (and `outer` may be large while `inner` is 0).
        return from_vec(&out_shape, Vec::new());
    }
    let mut out = Vec::with_capacity(outer * inner);
    let mut lane = Vec::with_capacity(n);
    for o in 0..outer {
        let base = o * n * inner;
        if inner == 1 {
            let s = data.get(base..base + n).unwrap_or(&[]);
            out.push(f(s, true)?);
            continue;
        }
        for i in 0..inner {
            lane.clear();
            lane.extend((0..n).filter_map(|k| data.get(base + k * inner + i).copied()));
            out.push(f(&lane, false)?);
        }
    }
    from_vec(&out_shape, out)
}

/// NumPy's pairwise summation kernel (blocks of 128 with 8 accumulators).
fn pairwise(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        a.iter().fold(-0.0, |acc, &x| acc + x)
    } else if n <= 128 {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&a[..8]);
        let full = n - n % 8;
        for chunk in a[8..full].chunks_exact(8) {
            for (acc, &x) in r.iter_mut().zip(chunk) {
                *acc += x;
            }
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &x in &a[full..] {
            res += x;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise(&a[..n2]) + pairwise(&a[n2..])
    }
}

/// Sum of a lane (0 for none): pairwise when contiguous, else left to right, which
/// is what NumPy does for a contiguous lane and for a reduction across rows.
fn sum_lane(a: &[f64], contiguous: bool) -> f64 {
    if a.is_empty() {
        0.0
    } else if contiguous {
        pairwise(a)
    } else {
        a.iter().fold(-0.0, |acc, &x| acc + x)
    }
}

fn extreme(a: &[f64], name: &str, better: impl Fn(f64, f64) -> bool) -> TResult<f64> {
    let (&first, rest) = a
        .split_first()
        .ok_or_else(|| TensorError::Domain(format!("{name} of an empty tensor")))?;
    let mut best = first;
    for &x in rest {
        if best.is_nan() {
            break;
        }
        if x.is_nan() || better(x, best) {
            best = x;
        }
    }
    Ok(best)
}

/// Sum of the elements (0 for none).
pub fn sum(t: &Tensor, axis: Option<isize>) -> TResult<Tensor> {
    reduce(t, axis, |a, c| Ok(sum_lane(a, c)))
}

/// Arithmetic mean (NaN for no elements, like NumPy).
pub fn mean(t: &Tensor, axis: Option<isize>) -> TResult<Tensor> {
    reduce(t, axis, |a, c| match a.len() {
        // A division by the empty selection's size (LANGUAGE.md §10).
        0 => Err(TensorError::Domain("mean of an empty tensor".into())),
        n => Ok(sum_lane(a, c) / n as f64),
    })
}

/// Product of the elements (1 for none).
pub fn prod(t: &Tensor, axis: Option<isize>) -> TResult<Tensor> {
    reduce(t, axis, |a, _| Ok(a.iter().product()))
}

/// Largest element; NaN if any element is NaN; Domain error for an empty selection.
pub fn max(t: &Tensor, axis: Option<isize>) -> TResult<Tensor> {
    reduce(t, axis, |a, _| extreme(a, "max", |x, best| x > best))
}

/// Smallest element; NaN if any element is NaN; Domain error for an empty selection.
pub fn min(t: &Tensor, axis: Option<isize>) -> TResult<Tensor> {
    reduce(t, axis, |a, _| extreme(a, "min", |x, best| x < best))
}

/// Vector `p`-norm of the elements (all of them, or each lane along `axis`):
/// `p = 2` Euclidean, `1` sum of magnitudes, `inf` largest magnitude (0 for no
/// elements), `-inf` smallest magnitude, `0` number of non-zeros, otherwise
/// `(sum |x|^p)^(1/p)`.
pub fn norm(t: &Tensor, p: f64, axis: Option<isize>) -> TResult<Tensor> {
    if p.is_nan() {
        return Err(TensorError::Domain("norm order must not be nan".into()));
    }
    reduce(t, axis, |a, c| {
        Ok(if p == 2.0 {
            let sq: Vec<f64> = a.iter().map(|x| x * x).collect();
            sum_lane(&sq, c).sqrt()
        } else if p == 1.0 {
            let abs: Vec<f64> = a.iter().map(|x| x.abs()).collect();
            sum_lane(&abs, c)
        } else if p == f64::INFINITY {
            if a.is_empty() {
                0.0
            } else {
                let abs: Vec<f64> = a.iter().map(|x| x.abs()).collect();
                extreme(&abs, "norm", |x, best| x > best)?
            }
        } else if p == f64::NEG_INFINITY {
            let abs: Vec<f64> = a.iter().map(|x| x.abs()).collect();
            extreme(&abs, "norm of order -inf", |x, best| x < best)?
        } else if p == 0.0 {
            a.iter().filter(|&&x| x != 0.0).count() as f64
        } else {
            let pw: Vec<f64> = a.iter().map(|x| x.abs().powf(p)).collect();
            sum_lane(&pw, c).powf(1.0 / p)
        })
    })
}

fn arg_extreme(t: &Tensor, name: &str, better: impl Fn(f64, f64) -> bool) -> TResult<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, &x) in t.iter().enumerate() {
        match best {
            None => best = Some((i, x)),
            Some((_, b)) if b.is_nan() => break,
            Some((_, b)) => {
                if x.is_nan() || better(x, b) {
                    best = Some((i, x));
                }
            }
        }
    }
    best.map(|(i, _)| i)
        .ok_or_else(|| TensorError::Domain(format!("{name} of an empty tensor")))
}

/// Flat (row-major) index of the first largest element; the first NaN wins.
pub fn argmax(t: &Tensor) -> TResult<usize> {
    arg_extreme(t, "argmax", |x, b| x > b)
}

/// Flat (row-major) index of the first smallest element; the first NaN wins.
pub fn argmin(t: &Tensor) -> TResult<usize> {
    arg_extreme(t, "argmin", |x, b| x < b)
}

/// Cumulative sum along the last axis (a 0-d tensor is returned unchanged).
pub fn cumsum(t: &Tensor) -> Tensor {
    let data = contiguous(t);
    let n = t.shape().last().copied().unwrap_or(1).max(1);
    let mut out = Vec::with_capacity(data.len());
    for lane in data.chunks(n) {
        let mut acc = 0.0;
        for (k, &x) in lane.iter().enumerate() {
            acc = if k == 0 { x } else { acc + x };
            out.push(acc);
        }
    }
    from_vec(t.shape(), out).unwrap_or_else(|_| t.to_owned())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::zeros;
    use super::*;

    fn v(r: TResult<Tensor>) -> Vec<f64> {
        vals(&r.unwrap())
    }

    #[test]
    fn full_reductions_give_0d() {
        let m = iota(&[2, 3]);
        let s = sum(&m, None).unwrap();
        assert_eq!(s.ndim(), 0);
        assert_eq!(vals(&s), vec![15.0]);
        assert_eq!(v(mean(&m, None)), vec![2.5]);
        assert_eq!(v(prod(&t(&[3], &[2.0, 3.0, 4.0]), None)), vec![24.0]);
        assert_eq!(v(max(&m, None)), vec![5.0]);
        assert_eq!(v(min(&m, None)), vec![0.0]);
        assert_eq!(v(sum(&super::super::scalar(4.0), None)), vec![4.0]);
    }

    #[test]
    fn axis_reductions_on_2d() {
        let m = iota(&[2, 3]); // [[0,1,2],[3,4,5]]
        let s0 = sum(&m, Some(0)).unwrap();
        assert_eq!(s0.shape(), &[3]);
        assert_eq!(vals(&s0), vec![3.0, 5.0, 7.0]);
        let s1 = sum(&m, Some(1)).unwrap();
        assert_eq!(s1.shape(), &[2]);
        assert_eq!(vals(&s1), vec![3.0, 12.0]);
        assert_eq!(v(sum(&m, Some(-1))), vec![3.0, 12.0]);
        assert_eq!(v(sum(&m, Some(-2))), vec![3.0, 5.0, 7.0]);
        assert_eq!(v(mean(&m, Some(0))), vec![1.5, 2.5, 3.5]);
        assert_eq!(v(max(&m, Some(0))), vec![3.0, 4.0, 5.0]);
        assert_eq!(v(min(&m, Some(1))), vec![0.0, 3.0]);
        assert_eq!(v(prod(&m, Some(1))), vec![0.0, 60.0]);
        let c = iota(&[2, 3, 4]);
        let r = sum(&c, Some(1)).unwrap();
        assert_eq!(r.shape(), &[2, 4]);
        assert_eq!(vals(&r)[..2], [12.0, 15.0]);
        // a 1-d reduction along its only axis gives a 0-d tensor
        assert_eq!(sum(&iota(&[4]), Some(0)).unwrap().ndim(), 0);
        let mt = m.t().to_owned(); // [[0,3],[1,4],[2,5]] in F order
        assert_eq!(v(sum(&mt, Some(1))), vec![3.0, 5.0, 7.0]);
    }

    #[test]
    fn bad_axes() {
        let m = iota(&[2, 3]);
        assert!(matches!(sum(&m, Some(2)), Err(TensorError::Index(_))));
        assert!(matches!(max(&m, Some(-3)), Err(TensorError::Index(_))));
        assert!(matches!(
            sum(&super::super::scalar(1.0), Some(0)),
            Err(TensorError::Index(_))
        ));
    }

    #[test]
    fn empty_reductions() {
        let e = zeros(&[0], BIG).unwrap();
        assert_eq!(v(sum(&e, None)), vec![0.0]);
        assert_eq!(v(prod(&e, None)), vec![1.0]);
        assert_eq!(
            mean(&e, None),
            Err(TensorError::Domain("mean of an empty tensor".into()))
        );
        assert_eq!(
            max(&e, None),
            Err(TensorError::Domain("max of an empty tensor".into()))
        );
        assert_eq!(
            min(&e, None),
            Err(TensorError::Domain("min of an empty tensor".into()))
        );
        let e2 = zeros(&[3, 0], BIG).unwrap();
        assert_eq!(v(sum(&e2, Some(1))), vec![0.0; 3]);
        assert_eq!(sum(&e2, Some(0)).unwrap().shape(), &[0]);
        assert!(max(&e2, Some(1)).is_err());
        assert_eq!(max(&e2, Some(0)).unwrap().shape(), &[0]);
        // A long stack of empty lanes is not walked one by one.
        let wide = zeros(&[1 << 40, 3, 0], BIG).unwrap();
        assert_eq!(sum(&wide, Some(1)).unwrap().shape(), &[1 << 40, 0]);
        assert_eq!(
            argmax(&e),
            Err(TensorError::Domain("argmax of an empty tensor".into()))
        );
        assert!(argmin(&e).is_err());
    }

    #[test]
    fn nan_propagates() {
        let a = t(&[4], &[1.0, f64::NAN, 3.0, -1.0]);
        assert!(v(max(&a, None))[0].is_nan());
        assert!(v(min(&a, None))[0].is_nan());
        assert!(v(sum(&a, None))[0].is_nan());
        let b = t(&[2], &[f64::NAN, 3.0]);
        assert!(v(max(&b, None))[0].is_nan());
        assert_eq!(argmax(&a), Ok(1));
        assert_eq!(argmin(&a), Ok(1));
    }

    #[test]
    fn pairwise_sum_is_accurate() {
        let a = t(&[10], &[0.1; 10]);
        assert_eq!(v(sum(&a, None)), vec![1.0]); // numpy: 1.0 (a plain loop gives 0.9999999999999999)
        let n = 10_000;
        let b = from_vec(&[n], vec![0.1; n]).unwrap();
        assert_eq!(v(sum(&b, None)), vec![999.9999999999999]); // numpy's value
        let c = from_vec(&[1000], vec![0.1; 1000]).unwrap();
        assert_eq!(v(sum(&c, None)), vec![100.00000000000001]); // numpy's value
        assert_eq!(
            v(sum(&t(&[1], &[-0.0]), None))[0].to_bits(),
            (-0.0f64).to_bits()
        );
        let c = iota(&[300]);
        assert_eq!(v(sum(&c, None)), vec![44850.0]);
    }

    #[test]
    fn norms() {
        let a = t(&[2], &[3.0, -4.0]);
        assert_eq!(v(norm(&a, 2.0, None)), vec![5.0]);
        assert_eq!(v(norm(&a, 1.0, None)), vec![7.0]);
        assert_eq!(v(norm(&a, f64::INFINITY, None)), vec![4.0]);
        assert_eq!(v(norm(&a, f64::NEG_INFINITY, None)), vec![3.0]);
        assert_eq!(v(norm(&t(&[3], &[0.0, 2.0, 0.0]), 0.0, None)), vec![1.0]);
        let r = v(norm(&a, 3.0, None))[0];
        assert!((r - 91f64.powf(1.0 / 3.0)).abs() < 1e-12);
        let m = t(&[2, 2], &[3.0, 4.0, 6.0, 8.0]);
        assert_eq!(v(norm(&m, 2.0, Some(1))), vec![5.0, 10.0]);
        assert_eq!(v(norm(&m, 1.0, Some(0))), vec![9.0, 12.0]);
        let e = zeros(&[0], BIG).unwrap();
        assert_eq!(v(norm(&e, 2.0, None)), vec![0.0]);
        assert_eq!(v(norm(&e, f64::INFINITY, None)), vec![0.0]);
        assert!(norm(&e, f64::NEG_INFINITY, None).is_err());
        assert!(norm(&a, f64::NAN, None).is_err());
    }

    #[test]
    fn argmax_argmin_flat() {
        let m = t(&[2, 3], &[1.0, 9.0, 3.0, 9.0, -2.0, 0.0]);
        assert_eq!(argmax(&m), Ok(1));
        assert_eq!(argmin(&m), Ok(4));
        assert_eq!(argmax(&super::super::scalar(3.0)), Ok(0));
        let mt = m.t().to_owned();
        assert_eq!(argmin(&mt), Ok(3));
    }

    #[test]
    fn cumulative_sums() {
        assert_eq!(vals(&cumsum(&iota(&[4]))), vec![0.0, 1.0, 3.0, 6.0]);
        let c = cumsum(&iota(&[2, 3]));
        assert_eq!(c.shape(), &[2, 3]);
        assert_eq!(vals(&c), vec![0.0, 1.0, 3.0, 3.0, 7.0, 12.0]);
        let s = cumsum(&super::super::scalar(2.0));
        assert_eq!(s.ndim(), 0);
        assert_eq!(vals(&s), vec![2.0]);
        assert_eq!(cumsum(&zeros(&[2, 0], BIG).unwrap()).shape(), &[2, 0]);
        assert_eq!(cumsum(&zeros(&[0, 3], BIG).unwrap()).shape(), &[0, 3]);
    }
}
