//! Broadcasting (NumPy rules) and elementwise maps over one, two or three tensors.

use ndarray::{ArrayViewD, IxDyn};

use super::{TResult, Tensor, TensorError, check_limit, from_vec, shape_str};

/// The shape two shapes broadcast to under NumPy rules: shapes are aligned on the
/// right, and each pair of dimensions must be equal or contain a 1.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> TResult<Vec<usize>> {
    let n = a.len().max(b.len());
    let dim = |s: &[usize], i: usize| -> usize {
        let pad = n - s.len();
        if i < pad { 1 } else { s[i - pad] }
    };
    (0..n)
        .map(|i| {
            let (da, db) = (dim(a, i), dim(b, i));
            if da == db || db == 1 {
                Ok(da)
            } else if da == 1 {
                Ok(db)
            } else {
                Err(TensorError::Shape(format!(
                    "cannot broadcast shapes {} and {}",
                    shape_str(a),
                    shape_str(b)
                )))
            }
        })
        .collect()
}

/// A read-only view of `t` broadcast to `shape`.
fn view_as<'a>(t: &'a Tensor, shape: &[usize]) -> TResult<ArrayViewD<'a, f64>> {
    t.broadcast(IxDyn(shape)).ok_or_else(|| {
        TensorError::Shape(format!(
            "cannot broadcast shape {} to {}",
            shape_str(t.shape()),
            shape_str(shape)
        ))
    })
}

/// Applies `f` to every element.
pub fn map(a: &Tensor, f: impl Fn(f64) -> f64) -> Tensor {
    a.as_standard_layout().mapv(f)
}

/// Applies `f` elementwise to `a` and `b` broadcast together (NumPy rules).
pub fn zip_with(
    a: &Tensor,
    b: &Tensor,
    limit: usize,
    f: impl Fn(f64, f64) -> f64,
) -> TResult<Tensor> {
    let shape = broadcast_shapes(a.shape(), b.shape())?;
    check_limit(&shape, limit)?;
    if a.shape() == b.shape()
        && let (Some(x), Some(y)) = (a.as_slice(), b.as_slice())
    {
        let data = x.iter().zip(y).map(|(&x, &y)| f(x, y)).collect();
        return from_vec(&shape, data);
    }
    if let Some(&x) = a.first().filter(|_| a.len() == 1)
        && let Some(y) = b.as_slice()
    {
        let data = y.iter().map(|&y| f(x, y)).collect();
        return from_vec(&shape, data);
    }
    if let Some(&y) = b.first().filter(|_| b.len() == 1)
        && let Some(x) = a.as_slice()
    {
        let data = x.iter().map(|&x| f(x, y)).collect();
        return from_vec(&shape, data);
    }
    let av = view_as(a, &shape)?;
    let bv = view_as(b, &shape)?;
    let data = av.iter().zip(bv.iter()).map(|(&x, &y)| f(x, y)).collect();
    from_vec(&shape, data)
}

/// Applies `f` elementwise to `a`, `b` and `c` broadcast together (NumPy rules).
pub fn zip3_with(
    a: &Tensor,
    b: &Tensor,
    c: &Tensor,
    limit: usize,
    f: impl Fn(f64, f64, f64) -> f64,
) -> TResult<Tensor> {
    let ab = broadcast_shapes(a.shape(), b.shape())?;
    let shape = broadcast_shapes(&ab, c.shape()).map_err(|_| {
        TensorError::Shape(format!(
            "cannot broadcast shapes {}, {} and {}",
            shape_str(a.shape()),
            shape_str(b.shape()),
            shape_str(c.shape())
        ))
    })?;
    check_limit(&shape, limit)?;
    let av = view_as(a, &shape)?;
    let bv = view_as(b, &shape)?;
    let cv = view_as(c, &shape)?;
    let data = av
        .iter()
        .zip(bv.iter())
        .zip(cv.iter())
        .map(|((&x, &y), &z)| f(x, y, z))
        .collect();
    from_vec(&shape, data)
}

/// NumPy's `where(cond, a, b)`: elements of `a` where `cond` is non-zero (NaN counts
/// as true), else of `b`, all three broadcast together.
pub fn where_(cond: &Tensor, a: &Tensor, b: &Tensor, limit: usize) -> TResult<Tensor> {
    zip3_with(cond, a, b, limit, |c, x, y| if c != 0.0 { x } else { y })
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::{scalar, zeros};
    use super::*;

    #[test]
    fn broadcast_shape_rules() {
        assert_eq!(broadcast_shapes(&[3, 1], &[4]), Ok(vec![3, 4]));
        assert_eq!(broadcast_shapes(&[], &[2, 3]), Ok(vec![2, 3]));
        assert_eq!(broadcast_shapes(&[2, 3], &[]), Ok(vec![2, 3]));
        assert_eq!(broadcast_shapes(&[5, 1, 4], &[3, 1]), Ok(vec![5, 3, 4]));
        assert_eq!(broadcast_shapes(&[0], &[1]), Ok(vec![0]));
        assert_eq!(broadcast_shapes(&[1], &[0]), Ok(vec![0]));
        assert_eq!(broadcast_shapes(&[2, 0], &[2, 1]), Ok(vec![2, 0]));
        assert_eq!(
            broadcast_shapes(&[3], &[4]),
            Err(TensorError::Shape(
                "cannot broadcast shapes [3] and [4]".into()
            ))
        );
        assert!(broadcast_shapes(&[0], &[3]).is_err());
        assert!(broadcast_shapes(&[2, 3], &[3, 3]).is_err());
    }

    #[test]
    fn zip_broadcasts_column_and_row() {
        let col = t(&[3, 1], &[0.0, 10.0, 20.0]);
        let row = t(&[4], &[1.0, 2.0, 3.0, 4.0]);
        let r = zip_with(&col, &row, BIG, |x, y| x + y).unwrap();
        assert_eq!(r.shape(), &[3, 4]);
        assert_eq!(
            vals(&r),
            vec![
                1.0, 2.0, 3.0, 4.0, 11.0, 12.0, 13.0, 14.0, 21.0, 22.0, 23.0, 24.0
            ]
        );
        let r2 = zip_with(&row, &col, BIG, |x, y| x - y).unwrap();
        assert_eq!(r2.shape(), &[3, 4]);
        assert_eq!(r2[[2, 0]], 1.0 - 20.0);
    }

    #[test]
    fn zip_mismatch_is_error() {
        let a = iota(&[3]);
        let b = iota(&[4]);
        assert_eq!(
            zip_with(&a, &b, BIG, |x, y| x + y),
            Err(TensorError::Shape(
                "cannot broadcast shapes [3] and [4]".into()
            ))
        );
    }

    #[test]
    fn zip_scalars_and_empties() {
        let s = scalar(2.0);
        let r = zip_with(&s, &scalar(3.0), BIG, |x, y| x * y).unwrap();
        assert_eq!(r.ndim(), 0);
        assert_eq!(vals(&r), vec![6.0]);
        let v = iota(&[3]);
        assert_eq!(
            vals(&zip_with(&s, &v, BIG, |x, y| x - y).unwrap()),
            vec![2.0, 1.0, 0.0]
        );
        assert_eq!(
            vals(&zip_with(&v, &s, BIG, |x, y| x - y).unwrap()),
            vec![-2.0, -1.0, 0.0]
        );
        let e = zeros(&[0], BIG).unwrap();
        let r = zip_with(&e, &s, BIG, |x, y| x + y).unwrap();
        assert_eq!(r.shape(), &[0]);
        let e2 = zeros(&[2, 0], BIG).unwrap();
        let r = zip_with(&e2, &t(&[2, 1], &[1.0, 2.0]), BIG, |x, y| x + y).unwrap();
        assert_eq!(r.shape(), &[2, 0]);
    }

    #[test]
    fn zip_respects_limit() {
        let a = zeros(&[1000, 1], BIG).unwrap();
        let b = zeros(&[1000], BIG).unwrap();
        assert_eq!(
            zip_with(&a, &b, 999_999, |x, y| x + y),
            Err(TensorError::TooLarge {
                elements: 1_000_000,
                limit: 999_999
            })
        );
        assert!(zip_with(&a, &b, 1_000_000, |x, y| x + y).is_ok());
    }

    #[test]
    fn zip_non_standard_layout() {
        let m = iota(&[2, 3]);
        let mt = m.t().to_owned();
        let r = zip_with(&mt, &iota(&[3, 2]), BIG, |x, y| x * 10.0 + y).unwrap();
        assert_eq!(vals(&r), vec![0.0, 31.0, 12.0, 43.0, 24.0, 55.0]);
    }

    #[test]
    fn where_selects_and_broadcasts() {
        let c = t(&[4], &[1.0, 0.0, f64::NAN, -0.0]);
        let r = where_(&c, &scalar(1.0), &iota(&[2, 1]), BIG).unwrap();
        assert_eq!(r.shape(), &[2, 4]);
        assert_eq!(vals(&r), vec![1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0]);
        assert!(where_(&iota(&[3]), &iota(&[4]), &scalar(0.0), BIG).is_err());
        let r = zip3_with(&scalar(1.0), &scalar(2.0), &scalar(3.0), BIG, |a, b, c| {
            a + b * c
        })
        .unwrap();
        assert_eq!(r.ndim(), 0);
        assert_eq!(vals(&r), vec![7.0]);
        assert!(matches!(
            zip3_with(
                &iota(&[100, 1]),
                &iota(&[100]),
                &scalar(0.0),
                9_999,
                |a, _, _| a
            ),
            Err(TensorError::TooLarge {
                elements: 10_000,
                ..
            })
        ));
    }

    #[test]
    fn map_keeps_shape() {
        let m = iota(&[2, 2]);
        let r = map(&m, |x| x * x);
        assert_eq!(r.shape(), &[2, 2]);
        assert_eq!(vals(&r), vec![0.0, 1.0, 4.0, 9.0]);
        assert_eq!(vals(&map(&scalar(3.0), |x| -x)), vec![-3.0]);
        assert_eq!(map(&zeros(&[0, 4], BIG).unwrap(), |x| x).shape(), &[0, 4]);
    }
}
