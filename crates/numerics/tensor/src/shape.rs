//! Shape manipulation: shape validation, reshape, tile, concatenate and stack.

use ndarray::{ArrayViewD, IxDyn};

use super::{
    TResult, Tensor, TensorError, check_limit, contiguous, from_vec, norm_axis, shape_str,
};

fn shape_i64_str(shape: &[i64]) -> String {
    let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

/// Validates a shape given as integers: every size must be non-negative.
pub fn shape_from(dims: &[i64]) -> TResult<Vec<usize>> {
    dims.iter()
        .map(|&d| {
            usize::try_from(d).map_err(|_| {
                TensorError::Domain(format!(
                    "negative dimension {d} in shape {}",
                    shape_i64_str(dims)
                ))
            })
        })
        .collect()
}

/// NumPy's `reshape`: same elements in row-major order, new shape; at most one
/// dimension may be `-1` and is then inferred.
pub fn reshape(t: &Tensor, shape: &[i64], limit: usize) -> TResult<Tensor> {
    let bad_size = || {
        TensorError::Shape(format!(
            "cannot reshape a tensor of size {} into shape {}",
            t.len(),
            shape_i64_str(shape)
        ))
    };
    let mut unknown = None;
    let mut known = 1u128;
    for (i, &d) in shape.iter().enumerate() {
        if d == -1 {
            if unknown.is_some() {
                return Err(TensorError::Domain(
                    "reshape can only infer one dimension (-1)".into(),
                ));
            }
            unknown = Some(i);
        } else if d < 0 {
            return Err(TensorError::Domain(format!(
                "negative dimension {d} in reshape to {}",
                shape_i64_str(shape)
            )));
        } else {
            known = known.saturating_mul(d as u128);
        }
    }
    let len = t.len() as u128;
    let mut dims: Vec<usize> = Vec::with_capacity(shape.len());
    for &d in shape {
        dims.push(usize::try_from(d).unwrap_or(0));
    }
    if let Some(i) = unknown {
        if known == 0 || !len.is_multiple_of(known) {
            return Err(bad_size());
        }
        let inferred = usize::try_from(len / known).map_err(|_| bad_size())?;
        if let Some(slot) = dims.get_mut(i) {
            *slot = inferred;
        }
    } else if known != len {
        return Err(bad_size());
    }
    check_limit(&dims, limit)?;
    from_vec(&dims, contiguous(t).into_owned())
}

/// NumPy's `tile(t, reps)`: repeats `t` `reps[i]` times along each axis. When
/// `reps` is shorter than the rank it is padded with leading 1s; when longer,
/// `t` gains leading axes of size 1.
pub fn tile(t: &Tensor, reps: &[usize], limit: usize) -> TResult<Tensor> {
    let d = t.ndim().max(reps.len());
    let pad = |s: &[usize]| -> Vec<usize> {
        let mut v = vec![1usize; d - s.len()];
        v.extend_from_slice(s);
        v
    };
    let shape = pad(t.shape());
    let reps = pad(reps);
    let too_large = |elements| TensorError::TooLarge { elements, limit };
    let out_u128: Vec<u128> = shape
        .iter()
        .zip(&reps)
        .map(|(&s, &r)| s as u128 * r as u128)
        .collect();
    let total = out_u128.iter().fold(1u128, |acc, &x| acc.saturating_mul(x));
    if total > limit as u128 {
        return Err(too_large(total));
    }
    let out_shape = out_u128
        .iter()
        .map(|&x| usize::try_from(x).map_err(|_| too_large(x)))
        .collect::<TResult<Vec<usize>>>()?;
    check_limit(&out_shape, limit)?;
    // View t as [1, s0, 1, s1, ...], broadcast to [r0, s0, r1, s1, ...]; reading
    // that in row-major order gives the tiled tensor.
    let data = contiguous(t);
    let interleaved: Vec<usize> = shape.iter().flat_map(|&s| [1, s]).collect();
    let target: Vec<usize> = shape
        .iter()
        .zip(&reps)
        .flat_map(|(&s, &r)| [r, s])
        .collect();
    let src = ArrayViewD::from_shape(IxDyn(&interleaved), &data)
        .map_err(|e| TensorError::Shape(format!("tile: {e}")))?;
    let view = src.broadcast(IxDyn(&target)).ok_or_else(|| {
        TensorError::Shape(format!("tile: cannot repeat shape {}", shape_str(&shape)))
    })?;
    from_vec(&out_shape, view.iter().copied().collect())
}

/// NumPy's `concatenate(parts, axis)`: joins tensors of equal rank (at least 1)
/// whose shapes agree except along `axis` (negative counts from the end).
pub fn concat(parts: &[&Tensor], axis: isize, limit: usize) -> TResult<Tensor> {
    let first = parts
        .first()
        .ok_or_else(|| TensorError::Domain("concat needs at least one tensor".into()))?;
    let rank = first.ndim();
    if rank == 0 {
        return Err(TensorError::Shape(
            "0-d tensors cannot be concatenated".into(),
        ));
    }
    let ax = norm_axis(axis, rank)?;
    let mut total = 0u128;
    for p in parts {
        if p.ndim() != rank {
            return Err(TensorError::Shape(format!(
                "cannot concatenate tensors of different rank: shapes {} and {}",
                shape_str(first.shape()),
                shape_str(p.shape())
            )));
        }
        let agree = p
            .shape()
            .iter()
            .zip(first.shape())
            .enumerate()
            .all(|(i, (a, b))| i == ax || a == b);
        if !agree {
            return Err(TensorError::Shape(format!(
                "cannot concatenate shapes {} and {} along axis {ax}",
                shape_str(first.shape()),
                shape_str(p.shape())
            )));
        }
        total += p.shape()[ax] as u128;
    }
    let mut out_shape = first.shape().to_vec();
    let total_elems = first
        .shape()
        .iter()
        .enumerate()
        .fold(1u128, |acc, (i, &d)| {
            acc.saturating_mul(if i == ax { total } else { d as u128 })
        });
    if total_elems > limit as u128 {
        return Err(TensorError::TooLarge {
            elements: total_elems,
            limit,
        });
    }
    out_shape[ax] = usize::try_from(total).map_err(|_| TensorError::TooLarge {
        elements: total_elems,
        limit,
    })?;
    check_limit(&out_shape, limit)?;
    if out_shape.contains(&0) {
        return from_vec(&out_shape, Vec::new());
    }
    let outer: usize = out_shape[..ax].iter().product();
    let inner: usize = out_shape[ax + 1..].iter().product();
    let datas: Vec<_> = parts.iter().map(|p| contiguous(p)).collect();
    let mut out = Vec::with_capacity(out_shape.iter().product());
    for o in 0..outer {
        for (p, data) in parts.iter().zip(&datas) {
            let chunk = p.shape()[ax] * inner;
            if let Some(s) = data.get(o * chunk..(o + 1) * chunk) {
                out.extend_from_slice(s);
            }
        }
    }
    from_vec(&out_shape, out)
}

/// NumPy's `stack(parts)`: joins tensors of identical shape along a new leading axis.
pub fn stack(parts: &[&Tensor], limit: usize) -> TResult<Tensor> {
    let first = parts
        .first()
        .ok_or_else(|| TensorError::Domain("stack needs at least one tensor".into()))?;
    if let Some(p) = parts.iter().find(|p| p.shape() != first.shape()) {
        return Err(TensorError::Shape(format!(
            "cannot stack tensors of different shapes {} and {}",
            shape_str(first.shape()),
            shape_str(p.shape())
        )));
    }
    let mut out_shape = vec![parts.len()];
    out_shape.extend_from_slice(first.shape());
    check_limit(&out_shape, limit)?;
    let mut out = Vec::with_capacity(parts.len() * first.len());
    for p in parts {
        out.extend_from_slice(&contiguous(p));
    }
    from_vec(&out_shape, out)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::{scalar, zeros};
    use super::*;

    #[test]
    fn shape_from_validates() {
        assert_eq!(shape_from(&[2, 0, 3]), Ok(vec![2, 0, 3]));
        assert_eq!(shape_from(&[]), Ok(vec![]));
        assert_eq!(
            shape_from(&[2, -1]),
            Err(TensorError::Domain(
                "negative dimension -1 in shape [2, -1]".into()
            ))
        );
    }

    #[test]
    fn reshape_with_inference() {
        let a = iota(&[6]);
        let r = reshape(&a, &[2, -1], BIG).unwrap();
        assert_eq!(r.shape(), &[2, 3]);
        assert_eq!(r[[1, 0]], 3.0);
        assert_eq!(reshape(&a, &[-1], BIG).unwrap().shape(), &[6]);
        assert_eq!(reshape(&a, &[3, 1, 2], BIG).unwrap().shape(), &[3, 1, 2]);
        let s = reshape(&iota(&[1, 1]), &[], BIG).unwrap();
        assert_eq!(s.ndim(), 0);
        assert_eq!(
            reshape(&scalar(4.0), &[1, -1], BIG).unwrap().shape(),
            &[1, 1]
        );
        assert_eq!(
            reshape(&zeros(&[0, 3], BIG).unwrap(), &[3, 0], BIG)
                .unwrap()
                .shape(),
            &[3, 0]
        );
        // Row-major order is kept even from a transposed input.
        let mt = iota(&[2, 3]).t().to_owned();
        assert_eq!(
            vals(&reshape(&mt, &[6], BIG).unwrap()),
            vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
        );
    }

    #[test]
    fn reshape_errors() {
        let a = iota(&[6]);
        assert_eq!(
            reshape(&a, &[4, -1], BIG),
            Err(TensorError::Shape(
                "cannot reshape a tensor of size 6 into shape [4, -1]".into()
            ))
        );
        assert!(matches!(reshape(&a, &[4], BIG), Err(TensorError::Shape(_))));
        assert!(matches!(
            reshape(&a, &[-1, -1], BIG),
            Err(TensorError::Domain(_))
        ));
        assert!(matches!(
            reshape(&a, &[-2, -3], BIG),
            Err(TensorError::Domain(_))
        ));
        assert!(matches!(
            reshape(&zeros(&[0], BIG).unwrap(), &[0, -1], BIG),
            Err(TensorError::Shape(_))
        ));
        assert!(matches!(
            reshape(&a, &[i64::MAX, i64::MAX, 0, -1], BIG),
            Err(TensorError::Shape(_))
        ));
        assert!(matches!(
            reshape(&a, &[6], 5),
            Err(TensorError::TooLarge { .. })
        ));
    }

    #[test]
    fn tile_like_numpy() {
        let a = t(&[3], &[0.0, 1.0, 2.0]);
        assert_eq!(
            vals(&tile(&a, &[2], BIG).unwrap()),
            vec![0.0, 1.0, 2.0, 0.0, 1.0, 2.0]
        );
        let r = tile(&a, &[2, 2], BIG).unwrap();
        assert_eq!(r.shape(), &[2, 6]);
        assert_eq!(vals(&r), [0.0, 1.0, 2.0].repeat(4));
        let m = t(&[2, 2], &[1.0, 2.0, 3.0, 4.0]);
        let r = tile(&m, &[2], BIG).unwrap();
        assert_eq!(r.shape(), &[2, 4]);
        assert_eq!(vals(&r), vec![1.0, 2.0, 1.0, 2.0, 3.0, 4.0, 3.0, 4.0]);
        let r = tile(&m, &[2, 1], BIG).unwrap();
        assert_eq!(r.shape(), &[4, 2]);
        assert_eq!(vals(&r), vec![1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0]);
        let r = tile(&scalar(5.0), &[3], BIG).unwrap();
        assert_eq!(vals(&r), vec![5.0; 3]);
        assert_eq!(tile(&scalar(5.0), &[], BIG).unwrap().ndim(), 0);
        assert_eq!(tile(&a, &[0], BIG).unwrap().shape(), &[0]);
        assert_eq!(tile(&a, &[2, 0], BIG).unwrap().shape(), &[2, 0]);
        assert!(matches!(
            tile(&a, &[usize::MAX, 2], BIG),
            Err(TensorError::TooLarge { .. })
        ));
        assert!(matches!(
            tile(&a, &[4], 11),
            Err(TensorError::TooLarge { elements: 12, .. })
        ));
        let empty = zeros(&[0, 2], BIG).unwrap();
        assert!(tile(&empty, &[1, usize::MAX], BIG).is_err());
    }

    #[test]
    fn concat_along_axes() {
        let a = iota(&[2, 2]);
        let b = t(&[1, 2], &[9.0, 9.0]);
        let r = concat(&[&a, &b], 0, BIG).unwrap();
        assert_eq!(r.shape(), &[3, 2]);
        assert_eq!(vals(&r), vec![0.0, 1.0, 2.0, 3.0, 9.0, 9.0]);
        let c = t(&[2, 1], &[7.0, 8.0]);
        let r = concat(&[&a, &c], -1, BIG).unwrap();
        assert_eq!(r.shape(), &[2, 3]);
        assert_eq!(vals(&r), vec![0.0, 1.0, 7.0, 2.0, 3.0, 8.0]);
        let r = concat(
            &[&iota(&[2]), &zeros(&[0], BIG).unwrap(), &iota(&[1])],
            0,
            BIG,
        )
        .unwrap();
        assert_eq!(vals(&r), vec![0.0, 1.0, 0.0]);
        assert_eq!(concat(&[&a], 1, BIG).unwrap(), a);
        let wide = zeros(&[1 << 40, 0], BIG).unwrap();
        let r = concat(&[&wide, &wide], 1, BIG).unwrap();
        assert_eq!(r.shape(), &[1 << 40, 0]);
    }

    #[test]
    fn concat_errors() {
        let a = iota(&[2, 2]);
        assert!(matches!(concat(&[], 0, BIG), Err(TensorError::Domain(_))));
        assert!(matches!(
            concat(&[&scalar(1.0), &scalar(2.0)], 0, BIG),
            Err(TensorError::Shape(_))
        ));
        assert_eq!(
            concat(&[&a, &iota(&[2, 3])], 0, BIG),
            Err(TensorError::Shape(
                "cannot concatenate shapes [2, 2] and [2, 3] along axis 0".into()
            ))
        );
        assert!(matches!(
            concat(&[&a, &iota(&[4])], 0, BIG),
            Err(TensorError::Shape(_))
        ));
        assert!(matches!(
            concat(&[&a, &a], 2, BIG),
            Err(TensorError::Index(_))
        ));
        assert!(matches!(
            concat(&[&a, &a], -3, BIG),
            Err(TensorError::Index(_))
        ));
        assert!(matches!(
            concat(&[&a, &a], 0, 7),
            Err(TensorError::TooLarge {
                elements: 8,
                limit: 7
            })
        ));
    }

    #[test]
    fn stack_new_axis() {
        let r = stack(&[&iota(&[3]), &iota(&[3])], BIG).unwrap();
        assert_eq!(r.shape(), &[2, 3]);
        assert_eq!(vals(&r), vec![0.0, 1.0, 2.0, 0.0, 1.0, 2.0]);
        let r = stack(&[&scalar(1.0), &scalar(2.0)], BIG).unwrap();
        assert_eq!(r.shape(), &[2]);
        assert_eq!(
            stack(&[&zeros(&[0], BIG).unwrap()], BIG).unwrap().shape(),
            &[1, 0]
        );
        assert!(matches!(stack(&[], BIG), Err(TensorError::Domain(_))));
        assert!(matches!(
            stack(&[&iota(&[3]), &iota(&[2])], BIG),
            Err(TensorError::Shape(_))
        ));
        assert!(matches!(
            stack(&[&iota(&[3]); 4], 11),
            Err(TensorError::TooLarge { .. })
        ));
    }
}
