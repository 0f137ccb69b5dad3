//! NumPy basic indexing: integer indices and Python-style slices, one per axis.

use super::{TResult, Tensor, TensorError, check_limit, contiguous, from_vec, row_major_strides};

/// What to take along one axis.
#[derive(Debug, Clone, PartialEq)]
pub enum IndexSpec {
    /// One position (negative counts from the end); the axis is removed.
    At(i64),
    /// A Python slice `start:stop:step`; omitted parts take the usual defaults.
    Slice {
        /// First position (default: the start, or the end for a negative step).
        start: Option<i64>,
        /// Position to stop before (default: past the end in the step's direction).
        stop: Option<i64>,
        /// Step, not zero (default 1).
        step: Option<i64>,
    },
}

impl IndexSpec {
    /// The whole axis, `:`.
    pub fn all() -> Self {
        IndexSpec::Slice {
            start: None,
            stop: None,
            step: None,
        }
    }
}

/// Positions selected along one axis: `len` positions `start, start + step, ...`.
struct Sel {
    start: i128,
    step: i128,
    len: usize,
    keep: bool,
}

fn resolve_at(i: i64, axis: usize, dim: usize) -> TResult<Sel> {
    let l = dim as i128;
    let v = if i < 0 { i as i128 + l } else { i as i128 };
    if v < 0 || v >= l {
        return Err(TensorError::Index(format!(
            "index {i} is out of bounds for axis {axis} with size {dim}"
        )));
    }
    Ok(Sel {
        start: v,
        step: 1,
        len: 1,
        keep: false,
    })
}

fn resolve_slice(
    start: Option<i64>,
    stop: Option<i64>,
    step: Option<i64>,
    dim: usize,
) -> TResult<Sel> {
    let step = step.unwrap_or(1) as i128;
    if step == 0 {
        return Err(TensorError::Domain("slice step cannot be zero".into()));
    }
    let l = dim as i128;
    let wrap = |v: i64| {
        let v = v as i128;
        if v < 0 { v + l } else { v }
    };
    let (s, count) = if step > 0 {
        let s = start.map_or(0, |v| wrap(v).clamp(0, l));
        let e = stop.map_or(l, |v| wrap(v).clamp(0, l));
        (s, if e > s { (e - s + step - 1) / step } else { 0 })
    } else {
        let s = start.map_or(l - 1, |v| wrap(v).clamp(-1, l - 1));
        let e = stop.map_or(-1, |v| wrap(v).clamp(-1, l - 1));
        (s, if s > e { (s - e - step - 1) / -step } else { 0 })
    };
    Ok(Sel {
        start: s,
        step,
        len: usize::try_from(count).unwrap_or(0),
        keep: true,
    })
}

/// NumPy basic indexing. `At` removes its axis, `Slice` keeps it; axes without a
/// spec are taken whole. Out-of-range integer indices are Index errors, slices clamp
/// like Python. The result is a new tensor (0-d when every axis is indexed).
pub fn index(t: &Tensor, specs: &[IndexSpec], limit: usize) -> TResult<Tensor> {
    let shape = t.shape();
    if specs.len() > shape.len() {
        return Err(TensorError::Index(format!(
            "too many indices for a tensor of rank {}",
            shape.len()
        )));
    }
    let mut sels = Vec::with_capacity(shape.len());
    for (axis, &dim) in shape.iter().enumerate() {
        let sel = match specs.get(axis) {
            None => resolve_slice(None, None, None, dim)?,
            Some(IndexSpec::At(i)) => resolve_at(*i, axis, dim)?,
            Some(IndexSpec::Slice { start, stop, step }) => {
                resolve_slice(*start, *stop, *step, dim)?
            }
        };
        sels.push(sel);
    }
    let out_shape: Vec<usize> = sels.iter().filter(|s| s.keep).map(|s| s.len).collect();
    check_limit(&out_shape, limit)?;
    let total: usize = sels.iter().map(|s| s.len).product();
    let data = contiguous(t);
    let strides = row_major_strides(shape);
    // Offset of the first element, and per-axis offset deltas.
    let mut offset: i128 = sels
        .iter()
        .zip(&strides)
        .map(|(s, &st)| s.start * st as i128)
        .sum();
    let deltas: Vec<i128> = sels
        .iter()
        .zip(&strides)
        .map(|(s, &st)| s.step * st as i128)
        .collect();
    let mut counters = vec![0usize; sels.len()];
    let mut out = Vec::with_capacity(total);
    let oob = || TensorError::Index("index out of bounds".into());
    for _ in 0..total {
        let at = usize::try_from(offset).map_err(|_| oob())?;
        out.push(*data.get(at).ok_or_else(oob)?);
        for ((c, sel), &d) in counters.iter_mut().zip(&sels).zip(&deltas).rev() {
            *c += 1;
            offset += d;
            if *c < sel.len {
                break;
            }
            offset -= d * sel.len as i128;
            *c = 0;
        }
    }
    from_vec(&out_shape, out)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::{scalar, zeros};
    use super::IndexSpec::{At, Slice};
    use super::*;

    fn sl(start: Option<i64>, stop: Option<i64>, step: Option<i64>) -> IndexSpec {
        Slice { start, stop, step }
    }

    fn ix(t: &Tensor, specs: &[IndexSpec]) -> Vec<f64> {
        vals(&index(t, specs, BIG).unwrap())
    }

    #[test]
    fn integer_indices() {
        let x = iota(&[5]);
        let r = index(&x, &[At(2)], BIG).unwrap();
        assert_eq!(r.ndim(), 0);
        assert_eq!(vals(&r), vec![2.0]);
        assert_eq!(ix(&x, &[At(-1)]), vec![4.0]);
        assert_eq!(ix(&x, &[At(-5)]), vec![0.0]);
        assert_eq!(
            index(&x, &[At(5)], BIG),
            Err(TensorError::Index(
                "index 5 is out of bounds for axis 0 with size 5".into()
            ))
        );
        assert_eq!(
            index(&x, &[At(-6)], BIG),
            Err(TensorError::Index(
                "index -6 is out of bounds for axis 0 with size 5".into()
            ))
        );
        assert!(index(&x, &[At(i64::MIN)], BIG).is_err());
        assert!(index(&x, &[At(i64::MAX)], BIG).is_err());
    }

    #[test]
    fn matrix_rows_columns_elements() {
        let m = iota(&[3, 4]);
        let row = index(&m, &[At(1)], BIG).unwrap();
        assert_eq!(row.shape(), &[4]);
        assert_eq!(vals(&row), vec![4.0, 5.0, 6.0, 7.0]);
        let col = index(&m, &[IndexSpec::all(), At(-1)], BIG).unwrap();
        assert_eq!(col.shape(), &[3]);
        assert_eq!(vals(&col), vec![3.0, 7.0, 11.0]);
        assert_eq!(ix(&m, &[At(2), At(1)]), vec![9.0]);
        let sub = index(&m, &[sl(Some(1), None, None), sl(None, Some(2), None)], BIG).unwrap();
        assert_eq!(sub.shape(), &[2, 2]);
        assert_eq!(vals(&sub), vec![4.0, 5.0, 8.0, 9.0]);
        assert!(matches!(
            index(&m, &[At(0), At(4)], BIG),
            Err(TensorError::Index(msg)) if msg.contains("axis 1 with size 4")
        ));
    }

    #[test]
    fn slices_like_python() {
        let x = iota(&[5]);
        assert_eq!(ix(&x, &[sl(Some(1), None, None)]), vec![1.0, 2.0, 3.0, 4.0]);
        assert_eq!(
            ix(&x, &[sl(None, Some(-1), None)]),
            vec![0.0, 1.0, 2.0, 3.0]
        );
        assert_eq!(ix(&x, &[sl(Some(1), Some(3), None)]), vec![1.0, 2.0]);
        assert_eq!(ix(&x, &[sl(None, None, Some(2))]), vec![0.0, 2.0, 4.0]);
        assert_eq!(ix(&x, &[sl(Some(1), None, Some(2))]), vec![1.0, 3.0]);
        assert_eq!(
            ix(&x, &[sl(None, None, Some(-1))]),
            vec![4.0, 3.0, 2.0, 1.0, 0.0]
        );
        assert_eq!(ix(&x, &[sl(None, None, Some(-2))]), vec![4.0, 2.0, 0.0]);
        assert_eq!(
            ix(&x, &[sl(Some(3), Some(0), Some(-1))]),
            vec![3.0, 2.0, 1.0]
        );
        assert_eq!(
            ix(&x, &[sl(Some(-2), None, Some(-1))]),
            vec![3.0, 2.0, 1.0, 0.0]
        );
        assert_eq!(ix(&x, &[sl(None, Some(-3), Some(-1))]), vec![4.0, 3.0]);
        assert_eq!(ix(&x, &[sl(Some(3), Some(1), None)]), Vec::<f64>::new());
        assert_eq!(ix(&x, &[sl(Some(1), Some(3), Some(-1))]), Vec::<f64>::new());
    }

    #[test]
    fn slices_clamp() {
        let x = iota(&[5]);
        assert_eq!(ix(&x, &[sl(Some(-100), Some(100), None)]), vals(&x));
        assert_eq!(ix(&x, &[sl(Some(3), Some(100), None)]), vec![3.0, 4.0]);
        assert_eq!(ix(&x, &[sl(Some(100), None, None)]), Vec::<f64>::new());
        assert_eq!(
            ix(&x, &[sl(Some(100), None, Some(-1))]),
            vec![4.0, 3.0, 2.0, 1.0, 0.0]
        );
        assert_eq!(ix(&x, &[sl(Some(-100), None, Some(-1))]), Vec::<f64>::new());
        assert_eq!(
            ix(&x, &[sl(Some(2), Some(-100), Some(-1))]),
            vec![2.0, 1.0, 0.0]
        );
        assert_eq!(
            ix(&x, &[sl(Some(i64::MIN), Some(i64::MAX), Some(i64::MAX))]),
            vec![0.0]
        );
        assert_eq!(
            ix(&x, &[sl(Some(i64::MAX), Some(i64::MIN), Some(i64::MIN))]),
            vec![4.0]
        );
        let r = index(&x, &[sl(Some(4), Some(1), None)], BIG).unwrap();
        assert_eq!(r.shape(), &[0]);
    }

    #[test]
    fn slice_errors() {
        let x = iota(&[5]);
        assert_eq!(
            index(&x, &[sl(None, None, Some(0))], BIG),
            Err(TensorError::Domain("slice step cannot be zero".into()))
        );
        assert_eq!(
            index(&x, &[At(0), At(0)], BIG),
            Err(TensorError::Index(
                "too many indices for a tensor of rank 1".into()
            ))
        );
        assert!(matches!(
            index(&x, &[IndexSpec::all()], 4),
            Err(TensorError::TooLarge {
                elements: 5,
                limit: 4
            })
        ));
    }

    #[test]
    fn fewer_specs_and_reversed_matrix() {
        let c = iota(&[2, 3, 4]);
        let r = index(&c, &[At(1)], BIG).unwrap();
        assert_eq!(r.shape(), &[3, 4]);
        assert_eq!(r[[0, 0]], 12.0);
        let r = index(
            &c,
            &[sl(None, None, Some(-1)), At(0), sl(None, None, Some(-2))],
            BIG,
        )
        .unwrap();
        assert_eq!(r.shape(), &[2, 2]);
        assert_eq!(vals(&r), vec![15.0, 13.0, 3.0, 1.0]);
        assert_eq!(index(&c, &[], BIG).unwrap(), c);
    }

    #[test]
    fn zero_d_and_empty() {
        let s = scalar(3.0);
        assert_eq!(index(&s, &[], BIG).unwrap(), s);
        assert!(matches!(
            index(&s, &[At(0)], BIG),
            Err(TensorError::Index(_))
        ));
        let e = zeros(&[0, 3], BIG).unwrap();
        assert!(index(&e, &[At(0)], BIG).is_err());
        assert_eq!(
            index(&e, &[IndexSpec::all(), At(1)], BIG).unwrap().shape(),
            &[0]
        );
        assert_eq!(
            index(&e, &[sl(None, None, Some(-1))], BIG).unwrap().shape(),
            &[0, 3]
        );
        let e2 = zeros(&[3, 0], BIG).unwrap();
        assert_eq!(index(&e2, &[At(-1)], BIG).unwrap().shape(), &[0]);
    }

    #[test]
    fn transposed_input() {
        let mt = iota(&[2, 3]).t().to_owned(); // [[0,3],[1,4],[2,5]]
        assert_eq!(ix(&mt, &[At(1)]), vec![1.0, 4.0]);
        assert_eq!(ix(&mt, &[IndexSpec::all(), At(1)]), vec![3.0, 4.0, 5.0]);
    }
}
