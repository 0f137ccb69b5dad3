//! Number and tensor text: C's `%g` for printing Floats, shortest round-trip text for
//! `repr`, and nested-bracket rendering of tensors with NumPy-style summaries.

use crate::Tensor;

/// Tensors with more elements than this are summarised.
const SUMMARY_THRESHOLD: usize = 1000;
/// Elements shown at each end of a summarised axis.
const EDGE_ITEMS: usize = 3;

/// Formats `x` exactly like C's `printf("%g", x)`: 6 significant digits, trailing
/// zeros removed, exponent form (`1e-05`, `1.5e+10`) when the decimal exponent is
/// below -4 or at least 6. Non-finite values print as `inf`, `-inf` and `nan`;
/// negative zero prints as `-0`.
pub fn fmt_g(x: f64) -> String {
    const PRECISION: i32 = 6;
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    // Round to PRECISION significant digits first: the exponent of the rounded value
    // decides the style, as in C.
    let sci = format!("{:.*e}", (PRECISION - 1) as usize, x);
    let Some((mantissa, exp)) = sci.split_once('e') else {
        return sci;
    };
    let Ok(exp) = exp.parse::<i32>() else {
        return sci;
    };
    if !(-4..PRECISION).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!(
            "{}e{sign}{:02}",
            strip_fraction_zeros(mantissa),
            exp.unsigned_abs()
        )
    } else {
        let decimals = (PRECISION - 1 - exp).max(0) as usize;
        strip_fraction_zeros(&format!("{x:.decimals$}")).to_string()
    }
}

/// Removes trailing zeros after a decimal point, and the point itself if bare.
fn strip_fraction_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// The shortest text that reads back as the same Float in OptL: Rust's `{:?}`
/// (`1.0`, `0.1`, `1e-8`, `1.5e20`), with `inf`, `-inf` and `nan` for the
/// non-finite values.
pub fn repr_f64(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x.is_infinite() {
        if x > 0.0 { "inf" } else { "-inf" }.into()
    } else {
        format!("{x:?}")
    }
}

/// Renders a tensor as nested brackets with elements separated by `", "`, each
/// element formatted by `elem`: `[[1, 2], [3, 4]]`. A 0-d tensor prints as its
/// element alone. A tensor of more than 1000 elements has every axis longer than
/// 6 summarised as its first and last 3 entries around `...`, like NumPy.
pub fn fmt_tensor(t: &Tensor, elem: impl Fn(f64) -> String) -> String {
    let data = t.as_standard_layout();
    let data: Vec<f64> = match data.as_slice() {
        Some(s) => s.to_vec(),
        None => data.iter().copied().collect(),
    };
    let shape = t.shape();
    // Count empty axes as 1 so that a long stack of empty rows is summarised too.
    let slots = shape
        .iter()
        .fold(1u128, |acc, &d| acc.saturating_mul(d.max(1) as u128));
    let summarise = slots > SUMMARY_THRESHOLD as u128;
    let mut out = String::new();
    let cx = Ctx {
        data: &data,
        shape,
        strides: &crate::row_major_strides(shape),
        summarise,
        elem: &elem,
    };
    render(&cx, 0, 0, &mut out);
    out
}

struct Ctx<'a> {
    data: &'a [f64],
    shape: &'a [usize],
    strides: &'a [usize],
    summarise: bool,
    elem: &'a dyn Fn(f64) -> String,
}

fn render(cx: &Ctx<'_>, axis: usize, offset: usize, out: &mut String) {
    let Some(&dim) = cx.shape.get(axis) else {
        let x = cx.data.get(offset).copied().unwrap_or(f64::NAN);
        out.push_str(&(cx.elem)(x));
        return;
    };
    let stride = cx.strides.get(axis).copied().unwrap_or(1);
    stacker::maybe_grow(32 * 1024, 1024 * 1024, || {
        out.push('[');
        let elide = cx.summarise && dim > 2 * EDGE_ITEMS;
        let mut first = true;
        let mut item = |i: usize, out: &mut String| {
            if !first {
                out.push_str(", ");
            }
            first = false;
            render(cx, axis + 1, offset + i * stride, out);
        };
        if elide {
            for i in 0..EDGE_ITEMS {
                item(i, out);
            }
            out.push_str(", ...");
            for i in dim - EDGE_ITEMS..dim {
                item(i, out);
            }
        } else {
            for i in 0..dim {
                item(i, out);
            }
        }
        out.push(']');
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{from_vec, scalar, zeros};
    use proptest::prelude::*;

    /// Values and what C's `printf("%g")` prints for them (checked against glibc).
    const G_TABLE: &[(f64, &str)] = &[
        (0.0, "0"),
        (-0.0, "-0"),
        (1.0, "1"),
        (-3.0, "-3"),
        (2.5, "2.5"),
        (0.1, "0.1"),
        (0.1 + 0.2, "0.3"),
        (1.0 / 3.0, "0.333333"),
        (2.0 / 3.0, "0.666667"),
        (100000.0, "100000"),
        (999999.0, "999999"),
        (999999.4, "999999"),
        (999999.5, "1e+06"),
        (1e6, "1e+06"),
        (1234567.0, "1.23457e+06"),
        (123456789.0, "1.23457e+08"),
        (1234565.0, "1.23456e+06"),
        (1234575.0, "1.23458e+06"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (0.000123456789, "0.000123457"),
        (0.0000123456789, "1.23457e-05"),
        (0.00009999995, "0.0001"),
        (0.00009999994, "9.99999e-05"),
        (1e-8, "1e-08"),
        (1.5e10, "1.5e+10"),
        (1e100, "1e+100"),
        (1e-100, "1e-100"),
        (1.7976931348623157e308, "1.79769e+308"),
        (5e-324, "4.94066e-324"),
        (2.2250738585072014e-308, "2.22507e-308"),
        (std::f64::consts::PI, "3.14159"),
        (-std::f64::consts::E, "-2.71828"),
        (12345.678, "12345.7"),
        (123456.7, "123457"),
        (0.5, "0.5"),
        (1.5, "1.5"),
        (0.125, "0.125"),
        (1e5, "100000"),
        (1e-4, "0.0001"),
        (1e-5, "1e-05"),
        (1e15, "1e+15"),
        (1e21, "1e+21"),
        (123.456, "123.456"),
        (-0.000001, "-1e-06"),
        (9.9999999, "10"),
        (99999.95, "99999.9"),
        (99999.96, "100000"),
        (0.30000000000000004, "0.3"),
        (42.0, "42"),
        (-1e-300, "-1e-300"),
        (f64::INFINITY, "inf"),
        (f64::NEG_INFINITY, "-inf"),
        (f64::NAN, "nan"),
    ];

    #[test]
    fn g_matches_c_table() {
        for &(x, want) in G_TABLE {
            assert_eq!(fmt_g(x), want, "fmt_g({x:?})");
        }
    }

    #[test]
    fn repr_is_shortest_round_trip() {
        assert_eq!(repr_f64(1.0), "1.0");
        assert_eq!(repr_f64(0.1), "0.1");
        assert_eq!(repr_f64(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(repr_f64(1e-8), "1e-8");
        assert_eq!(repr_f64(1.5e20), "1.5e20");
        assert_eq!(repr_f64(-2.5), "-2.5");
        assert_eq!(repr_f64(-0.0), "-0.0");
        assert_eq!(repr_f64(100.0), "100.0");
        assert_eq!(repr_f64(f64::INFINITY), "inf");
        assert_eq!(repr_f64(f64::NEG_INFINITY), "-inf");
        assert_eq!(repr_f64(f64::NAN), "nan");
        assert_eq!(repr_f64(5e-324), "5e-324");
        assert_eq!(repr_f64(f64::MAX), "1.7976931348623157e308");
    }

    proptest! {
        #[test]
        fn repr_round_trips(bits in any::<u64>()) {
            let x = f64::from_bits(bits);
            prop_assume!(x.is_finite());
            let s = repr_f64(x);
            prop_assert_eq!(s.parse::<f64>().map(f64::to_bits), Ok(x.to_bits()), "{}", s);
            // A Float literal: it has a point or an exponent.
            prop_assert!(s.contains('.') || s.contains('e'));
        }

        #[test]
        fn repr_round_trips_ordinary(x in -1e6f64..1e6) {
            prop_assert_eq!(repr_f64(x).parse::<f64>(), Ok(x));
        }

        #[test]
        fn g_has_six_significant_digits(x in -1e30f64..1e30) {
            let s = fmt_g(x);
            let back: f64 = s.parse().map_err(|e| TestCaseError::fail(format!("{s}: {e}")))?;
            prop_assert!((back - x).abs() <= x.abs() * 5e-6, "{} -> {}", x, s);
            let digits = s.split('e').next().unwrap_or("").chars().filter(char::is_ascii_digit).count();
            prop_assert!(digits <= 7, "{}", s); // "0.000123457" has a leading 0
        }
    }

    fn g(t: &Tensor) -> String {
        fmt_tensor(t, fmt_g)
    }

    fn seq(shape: &[usize]) -> Tensor {
        let n: usize = shape.iter().product();
        from_vec(shape, (0..n).map(|i| i as f64).collect()).expect("tensor")
    }

    #[test]
    fn small_tensors() {
        assert_eq!(g(&seq(&[3]).mapv(|x| x + 1.0)), "[1, 2, 3]");
        assert_eq!(g(&seq(&[2, 2]).mapv(|x| x + 1.0)), "[[1, 2], [3, 4]]");
        assert_eq!(g(&scalar(2.5)), "2.5");
        assert_eq!(g(&zeros(&[0], 10).expect("t")), "[]");
        assert_eq!(g(&zeros(&[2, 0], 10).expect("t")), "[[], []]");
        assert_eq!(g(&zeros(&[0, 3], 10).expect("t")), "[]");
        assert_eq!(g(&seq(&[1, 1, 1])), "[[[0]]]");
        assert_eq!(fmt_tensor(&seq(&[2]), repr_f64), "[0.0, 1.0]");
        assert_eq!(
            g(&from_vec(&[3], vec![0.5, f64::NAN, -f64::INFINITY]).expect("t")),
            "[0.5, nan, -inf]"
        );
        // Logical order even for a transposed (Fortran-order) tensor.
        assert_eq!(g(&seq(&[2, 3]).t().to_owned()), "[[0, 3], [1, 4], [2, 5]]");
    }

    #[test]
    fn no_summary_up_to_1000() {
        let s = g(&seq(&[1000]));
        assert!(!s.contains("..."));
        assert!(s.ends_with("998, 999]"));
        assert_eq!(g(&seq(&[7])), "[0, 1, 2, 3, 4, 5, 6]");
    }

    #[test]
    fn summaries() {
        let n = 1001;
        let s = g(&seq(&[n]));
        assert_eq!(s, "[0, 1, 2, ..., 998, 999, 1000]");
        let m = seq(&[100, 20]);
        let s = g(&m);
        assert!(s.starts_with("[[0, 1, 2, ..., 17, 18, 19], [20, 21, 22, ..., 37, 38, 39], [40,"));
        assert!(s.ends_with("..., 1997, 1998, 1999]]"));
        assert_eq!(s.matches("...").count(), 7);
        // Short axes are not summarised.
        let s = g(&seq(&[2000, 2]));
        assert!(s.starts_with("[[0, 1], [2, 3], [4, 5], ..., [3994, 3995]"));
        let s = g(&seq(&[1, 1001]));
        assert_eq!(s, "[[0, 1, 2, ..., 998, 999, 1000]]");
    }

    #[test]
    fn long_empty_stacks_are_summarised() {
        let t = zeros(&[1 << 40, 0], 10).expect("tensor");
        assert_eq!(g(&t), "[[], [], [], ..., [], [], []]");
        let t = zeros(&[1000, 0], 10).expect("tensor");
        assert_eq!(g(&t).matches("[]").count(), 1000);
    }

    #[test]
    fn deep_rank_does_not_overflow() {
        let shape = vec![1usize; 5000];
        let t = from_vec(&shape, vec![1.0]).expect("tensor");
        let s = g(&t);
        assert_eq!(s.len(), 10001);
    }
}
