//! Unit tests for `print.rs`: the text form of small functions.

use super::*;
use crate::graph::{AxisSlice, Graph};

/// `sum(100 * (x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)` for `x` of shape [3].
fn rosenbrock() -> Function {
    let mut g = Graph::new();
    let x = g.input(vec![3]);
    let tail = g
        .slice(
            x,
            vec![AxisSlice {
                start: 1,
                step: 1,
                len: 2,
            }],
        )
        .expect("slice");
    let head = g
        .slice(
            x,
            vec![AxisSlice {
                start: 0,
                step: 1,
                len: 2,
            }],
        )
        .expect("slice");
    let two = g.full(2.0, &[2]);
    let sq = g.binary(BinaryOp::Pow, head, two).expect("pow");
    let d = g.binary(BinaryOp::Sub, tail, sq).expect("sub");
    let d2 = g.binary(BinaryOp::Pow, d, two).expect("pow");
    let hundred = g.full(100.0, &[2]);
    let a = g.binary(BinaryOp::Mul, hundred, d2).expect("mul");
    let one = g.full(1.0, &[2]);
    let e = g.binary(BinaryOp::Sub, one, head).expect("sub");
    let e2 = g.binary(BinaryOp::Pow, e, two).expect("pow");
    let s = g.binary(BinaryOp::Add, a, e2).expect("add");
    let total = g.sum(s, None).expect("sum");
    Function {
        graph: g,
        outputs: vec![total],
    }
}

#[test]
fn rosenbrock_text() {
    let want = "\
fn(%0: [3]) -> ([])
  %1 = slice [1:2:1] %0 : [2]
  %2 = slice [0:2:1] %0 : [2]
  %3 = mul %2, %2 : [2]
  %4 = sub %1, %3 : [2]
  %5 = mul %4, %4 : [2]
  %6 = const 100.0 : []
  %7 = broadcast %6 : [2]
  %8 = mul %5, %7 : [2]
  %9 = const 1.0 : []
  %10 = broadcast %9 : [2]
  %11 = sub %10, %2 : [2]
  %12 = mul %11, %11 : [2]
  %13 = add %8, %12 : [2]
  %14 = sum %13 : []
  return %14
";
    assert_eq!(to_text(&rosenbrock()), want);
}

#[test]
fn constants_and_parameters() {
    let mut g = Graph::new();
    let m = g.input(vec![2, 2]);
    let _unused = g.input(vec![]);
    let c = g.constant(optl_tensor::from_vec(&[2, 2], vec![1.0, -0.0, 0.1, f64::NAN]).expect("t"));
    let big = g.constant(optl_tensor::from_vec(&[9], (0..9).map(f64::from).collect()).expect("t"));
    let p = g.binary(BinaryOp::Max, m, c).expect("max");
    let r = g.sum(p, Some(1)).expect("sum");
    let rev = g
        .slice(
            r,
            vec![AxisSlice {
                start: 1,
                step: -1,
                len: 2,
            }],
        )
        .expect("slice");
    let un = g
        .unslice(
            rev,
            vec![AxisSlice {
                start: 0,
                step: 4,
                len: 2,
            }],
            &[5],
        )
        .expect("unslice");
    let cat = g.concat(&[un, big], 0).expect("concat");
    let text = to_text(&Function {
        graph: g,
        outputs: vec![cat, r],
    });
    let hash = &crate::hash::tensor_hash(
        &optl_tensor::from_vec(&[9], (0..9).map(f64::from).collect()).expect("t"),
    )
    .to_hex()[..8];
    let want = format!(
        "\
fn(%0: [2, 2], %1: []) -> ([14], [2])
  %2 = const [[1.0, -0.0], [0.1, NaN]] : [2, 2]
  %3 = const #{hash} : [9]
  %4 = maximum %0, %2 : [2, 2]
  %5 = sum axis=1 %4 : [2]
  %6 = slice [1:2:-1] %5 : [2]
  %7 = unslice [0:2:4] %6 : [5]
  %8 = concat axis=0 %7, %3 : [14]
  return %8, %5
"
    );
    assert_eq!(text, want);
}

#[test]
fn printing_is_deterministic_and_total() {
    let f = rosenbrock();
    assert_eq!(to_text(&f), to_text(&f.clone()));
    assert_eq!(to_text(&crate::simplify::simplify(&f)), to_text(&f));
    let bad = Function {
        graph: Graph::new(),
        outputs: vec![NodeId(4)],
    };
    assert_eq!(to_text(&bad), "fn() -> (?)\n  return %?\n");
    let mut g = Graph::new();
    let e = g.constant(optl_tensor::from_vec(&[0, 3], vec![]).expect("t"));
    let s = g.scalar(-2.5);
    let text = to_text(&Function {
        graph: g,
        outputs: vec![e, s],
    });
    assert_eq!(
        text,
        "fn() -> ([0, 3], [])\n  %0 = const [] : [0, 3]\n  %1 = const -2.5 : []\n  return %0, %1\n"
    );
}
