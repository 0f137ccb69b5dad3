//! Tensor creation: constant fills, identity matrices and numeric ranges.

use super::{TResult, Tensor, TensorError, checked_len, from_vec};

/// A tensor of `shape` filled with `v`.
pub fn full(shape: &[usize], v: f64, limit: usize) -> TResult<Tensor> {
    let n = checked_len(shape, limit)?;
    from_vec(shape, vec![v; n])
}

/// A tensor of `shape` filled with zeros.
pub fn zeros(shape: &[usize], limit: usize) -> TResult<Tensor> {
    full(shape, 0.0, limit)
}

/// A tensor of `shape` filled with ones.
pub fn ones(shape: &[usize], limit: usize) -> TResult<Tensor> {
    full(shape, 1.0, limit)
}

/// The `n`×`n` identity matrix.
pub fn eye(n: usize, limit: usize) -> TResult<Tensor> {
    let shape = [n, n];
    let len = checked_len(&shape, limit)?;
    let mut data = vec![0.0; len];
    for i in 0..n {
        if let Some(d) = data.get_mut(i * n + i) {
            *d = 1.0;
        }
    }
    from_vec(&shape, data)
}

/// NumPy's `arange(start, stop, step)`: `ceil((stop - start) / step)` values
/// (at least 0) `start, start + step, ...`; `stop` is excluded.
pub fn arange(start: f64, stop: f64, step: f64, limit: usize) -> TResult<Tensor> {
    if !(start.is_finite() && stop.is_finite() && step.is_finite()) {
        return Err(TensorError::Domain(
            "arange needs finite start, stop and step".into(),
        ));
    }
    if step == 0.0 {
        return Err(TensorError::Domain("arange step must not be zero".into()));
    }
    // `stop - start` can overflow (`arange(-1e308, 1e308, 1e307)`); the quotients
    // cannot, as |step| is not below 1 there.
    let span = match stop - start {
        d if d.is_finite() => d / step,
        _ => stop / step - start / step,
    };
    let len_f = span.ceil();
    let len_f = if len_f > 0.0 { len_f } else { 0.0 };
    // `as` from f64 to u128 saturates; `len_f` is finite or +inf here.
    let elements = len_f as u128;
    if elements > limit as u128 {
        return Err(TensorError::TooLarge { elements, limit });
    }
    let n = usize::try_from(elements).map_err(|_| TensorError::TooLarge { elements, limit })?;
    // Like NumPy: the spacing is the difference of the first two values.
    let delta = (start + step) - start;
    let data = (0..n)
        .map(|i| match i {
            0 => start,
            1 => start + step,
            _ => match start + i as f64 * delta {
                v if v.is_finite() => v,
                // `i·delta` alone can overflow near the top of the f64 range.
                _ => 2.0 * (start / 2.0 + i as f64 * (delta / 2.0)),
            },
        })
        .collect();
    from_vec(&[n], data)
}

/// NumPy's `linspace(a, b, n)`: `n` evenly spaced values from `a` to `b` inclusive
/// (`n = 1` gives `[a]`, `n = 0` gives `[]`).
pub fn linspace(a: f64, b: f64, n: usize, limit: usize) -> TResult<Tensor> {
    if !(a.is_finite() && b.is_finite()) {
        return Err(TensorError::Domain(
            "linspace needs finite start and stop".into(),
        ));
    }
    let len = checked_len(&[n], limit)?;
    let data: Vec<f64> = match len {
        0 => Vec::new(),
        1 => vec![a],
        _ if !(b - a).is_finite() => {
            // The width overflows (`linspace(-1e308, 1e308, 5)`): weigh the ends.
            let div = (len - 1) as f64;
            (0..len)
                .map(|i| {
                    let t = i as f64 / div;
                    a * (1.0 - t) + b * t
                })
                .collect()
        }
        _ => {
            let div = (len - 1) as f64;
            let delta = b - a;
            let step = delta / div;
            let mut v: Vec<f64> = (0..len)
                .map(|i| {
                    let i = i as f64;
                    if step != 0.0 {
                        i * step + a
                    } else {
                        i / div * delta + a
                    }
                })
                .collect();
            if let Some(last) = v.last_mut() {
                *last = b;
            }
            v
        }
    };
    from_vec(&[len], data)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::*;

    #[test]
    fn fills() {
        let z = zeros(&[2, 3], BIG).unwrap();
        assert_eq!(z.shape(), &[2, 3]);
        assert!(z.iter().all(|&x| x == 0.0));
        assert!(ones(&[4], BIG).unwrap().iter().all(|&x| x == 1.0));
        let f = full(&[], 7.5, BIG).unwrap();
        assert_eq!(f.ndim(), 0);
        assert_eq!(vals(&f), vec![7.5]);
        assert_eq!(zeros(&[3, 0], BIG).unwrap().shape(), &[3, 0]);
        assert_eq!(zeros(&[0], 0).unwrap().len(), 0);
        assert!(zeros(&[], 0).is_err());
    }

    #[test]
    fn huge_zeros_fail_before_allocating() {
        assert_eq!(
            zeros(&[100_000, 100_000], 10_000_000),
            Err(TensorError::TooLarge {
                elements: 10_000_000_000,
                limit: 10_000_000
            })
        );
        assert!(matches!(
            ones(&[usize::MAX, usize::MAX, usize::MAX], BIG),
            Err(TensorError::TooLarge {
                elements: u128::MAX,
                ..
            })
        ));
        assert!(matches!(
            eye(1 << 40, BIG),
            Err(TensorError::TooLarge { .. })
        ));
        assert!(matches!(
            zeros(&[0, usize::MAX, usize::MAX], BIG),
            Err(TensorError::Domain(_))
        ));
    }

    #[test]
    fn identity() {
        let e = eye(3, BIG).unwrap();
        assert_eq!(e.shape(), &[3, 3]);
        assert_eq!(vals(&e), vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
        assert_eq!(eye(0, BIG).unwrap().shape(), &[0, 0]);
    }

    #[test]
    fn arange_lengths() {
        assert_eq!(
            vals(&arange(0.0, 5.0, 1.0, BIG).unwrap()),
            vec![0.0, 1.0, 2.0, 3.0, 4.0]
        );
        assert_eq!(vals(&arange(1.0, 2.0, 0.5, BIG).unwrap()), vec![1.0, 1.5]);
        assert_eq!(
            vals(&arange(5.0, 0.0, -2.0, BIG).unwrap()),
            vec![5.0, 3.0, 1.0]
        );
        assert_eq!(arange(5.0, 0.0, 1.0, BIG).unwrap().shape(), &[0]);
        assert_eq!(arange(0.0, 0.0, 1.0, BIG).unwrap().shape(), &[0]);
        // ceil((1 - 0) / 0.1) = 10 values, as in NumPy
        let r = arange(0.0, 1.0, 0.1, BIG).unwrap();
        assert_eq!(r.len(), 10);
        assert_eq!(r[[3]], 0.30000000000000004);
        assert_eq!(arange(0.0, 2.5, 1.0, BIG).unwrap().len(), 3);
    }

    #[test]
    fn arange_errors() {
        assert!(matches!(
            arange(0.0, 1.0, 0.0, BIG),
            Err(TensorError::Domain(_))
        ));
        assert!(matches!(
            arange(0.0, f64::INFINITY, 1.0, BIG),
            Err(TensorError::Domain(_))
        ));
        assert!(matches!(
            arange(f64::NAN, 1.0, 1.0, BIG),
            Err(TensorError::Domain(_))
        ));
        assert!(matches!(
            arange(0.0, 1e300, 1e-300, BIG),
            Err(TensorError::TooLarge { .. })
        ));
        assert!(matches!(
            arange(-1e308, 1e308, 1.0, BIG),
            Err(TensorError::TooLarge {
                elements: u128::MAX,
                ..
            })
        ));
        assert_eq!(
            arange(0.0, 11.0, 1.0, 10),
            Err(TensorError::TooLarge {
                elements: 11,
                limit: 10
            })
        );
    }

    #[test]
    fn linspace_values() {
        assert_eq!(
            vals(&linspace(0.0, 1.0, 5, BIG).unwrap()),
            vec![0.0, 0.25, 0.5, 0.75, 1.0]
        );
        assert_eq!(vals(&linspace(3.0, 9.0, 1, BIG).unwrap()), vec![3.0]);
        assert_eq!(linspace(3.0, 9.0, 0, BIG).unwrap().shape(), &[0]);
        assert_eq!(
            vals(&linspace(2.0, 2.0, 3, BIG).unwrap()),
            vec![2.0, 2.0, 2.0]
        );
        assert_eq!(
            vals(&linspace(1.0, -1.0, 3, BIG).unwrap()),
            vec![1.0, 0.0, -1.0]
        );
        let l = linspace(0.0, 0.3, 4, BIG).unwrap();
        assert_eq!(l[[3]], 0.3);
        assert!(matches!(
            linspace(0.0, 1.0, 11, 10),
            Err(TensorError::TooLarge { .. })
        ));
    }

    /// Ranges whose width overflows f64 still give their evenly spaced values, and
    /// non-finite ends are errors as for `arange`.
    #[test]
    fn ranges_wider_than_f64() {
        assert_eq!(
            vals(&linspace(-1e308, 1e308, 5, BIG).unwrap()),
            vec![-1e308, -5e307, 0.0, 5e307, 1e308]
        );
        assert!(linspace(0.0, f64::NAN, 3, BIG).is_err());
        assert!(linspace(f64::NEG_INFINITY, 0.0, 3, BIG).is_err());
        let a = vals(&arange(-1e308, 1e308, 1e307, BIG).unwrap());
        assert_eq!(a.len(), 20);
        assert!(a.iter().all(|x| x.is_finite()));
        assert_eq!(a[0], -1e308);
        assert!((a[19] - 9e307).abs() <= 1e294, "{}", a[19]);
    }
}
