//! Tests of `composite.rs`: the split of an objective adds back up to it (smooth
//! program plus weighted penalties, at random points, for every recognised form),
//! and what is not prox-friendly is reported, not split.

use super::*;
use crate::constraints::*;
use crate::graph::{BinaryOp, UnaryOp};
use crate::interp::eval;
use optl_tensor::Tensor;

fn data(shape: &[usize], seed: u64) -> Tensor {
    let n: usize = shape.iter().product();
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let v = (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect();
    Tensor::from_shape_vec(ndarray::IxDyn(shape), v).unwrap()
}

/// A builder for objectives over one input of `shape`.
struct Obj {
    g: Graph,
    x: NodeId,
    total: Option<NodeId>,
}

impl Obj {
    fn new(shape: &[usize]) -> Obj {
        let mut g = Graph::new();
        let x = g.input(shape.to_vec());
        Obj { g, x, total: None }
    }
    fn add(&mut self, w: f64, term: NodeId) {
        let c = self.g.scalar(w);
        let t = self.g.binary(BinaryOp::Mul, term, c).unwrap();
        self.total = Some(match self.total {
            None => t,
            Some(s) => self.g.binary(BinaryOp::Add, s, t).unwrap(),
        });
    }
    fn l1(&mut self, b: NodeId) -> NodeId {
        let a = self.g.unary(UnaryOp::Abs, b);
        self.g.sum(a, None).unwrap()
    }
    fn sq(&mut self, b: NodeId) -> NodeId {
        self.g.binary(BinaryOp::Mul, b, b).unwrap()
    }
    fn l2(&mut self, b: NodeId) -> NodeId {
        let s = self.sq(b);
        let s = self.g.sum(s, None).unwrap();
        self.g.unary(UnaryOp::Sqrt, s)
    }
    /// `sum((A @ x - b)^2)` for a 1-d `x` of `n`.
    fn least_squares(&mut self, m: usize, n: usize) -> NodeId {
        let a = self.g.constant(data(&[m, n], 7));
        let b = self.g.constant(data(&[m], 8));
        let xc = self.g.reshape(self.x, &[n, 1]).unwrap();
        let ax = self.g.matmul(a, xc).unwrap();
        let ax = self.g.reshape(ax, &[m]).unwrap();
        let r = self.g.binary(BinaryOp::Sub, ax, b).unwrap();
        let r2 = self.sq(r);
        self.g.sum(r2, None).unwrap()
    }
    fn slice(&mut self, start: usize, len: usize) -> NodeId {
        self.g
            .slice(
                self.x,
                vec![AxisSlice {
                    start,
                    step: 1,
                    len,
                }],
            )
            .unwrap()
    }
    fn function(self) -> Function {
        Function {
            graph: self.g,
            outputs: vec![self.total.unwrap()],
        }
    }
}

/// The objective equals the smooth program plus the weighted penalties.
fn adds_up(f: &Function, split: &Split, shape: &[usize]) {
    for seed in 0..5 {
        let x = data(shape, 100 + seed);
        let whole = eval(f, std::slice::from_ref(&x)).unwrap()[0].sum();
        let smooth = eval(&split.smooth, std::slice::from_ref(&x)).unwrap()[0].sum();
        let flat: Vec<f64> = x.iter().copied().collect();
        let penalties: f64 = split
            .terms
            .iter()
            .map(|t| {
                let block: Vec<f64> = t.indices.iter().map(|&i| flat[i]).collect();
                t.weight * t.penalty.value(&block)
            })
            .sum();
        assert!(
            (whole - smooth - penalties).abs() <= 1e-12 * whole.abs().max(1.0),
            "{whole} != {smooth} + {penalties}"
        );
    }
}

#[test]
fn lasso_is_least_squares_plus_l1() {
    let (m, n) = (6, 4);
    let mut o = Obj::new(&[n]);
    let ls = o.least_squares(m, n);
    o.add(0.5, ls);
    let l1 = o.l1(o.x);
    o.add(0.1, l1);
    let f = o.function();
    let s = split_objective(&f, 0);
    assert_eq!(s.terms.len(), 1);
    assert_eq!(s.terms[0].penalty, Penalty::L1);
    assert_eq!(s.terms[0].weight, 0.1);
    assert_eq!(s.terms[0].indices, vec![0, 1, 2, 3]);
    assert_eq!(s.terms[0].text("x"), "0.1 * norm(x, 1)");
    assert!(s.nonsmooth.is_empty());
    let (ls, c) = s.least_squares.clone().expect("least squares");
    assert_eq!(c, 0.0);
    assert_eq!(ls.len(), 1);
    assert_eq!(ls[0].weight, 0.5);
    assert_eq!(ls[0].a.as_ref().unwrap().shape(), &[m, n]);
    assert_eq!(**ls[0].b.as_ref().unwrap(), data(&[m], 8));
    adds_up(&f, &s, &[n]);
}

#[test]
fn every_penalty_form_adds_up() {
    let n = 12;
    // ℓ1 on a slice, ℓ2 on another, ℓ∞, ℓ0, ℓq on the rest, ridge everywhere.
    let mut o = Obj::new(&[n]);
    let r = o.sq(o.x);
    let ridge = o.g.sum(r, None).unwrap();
    o.add(0.3, ridge);
    let a = o.slice(0, 3);
    let t = o.l1(a);
    o.add(0.2, t);
    let b = o.slice(3, 3);
    let t = o.l2(b);
    o.add(0.7, t);
    let c = o.slice(6, 2);
    let abs = o.g.unary(UnaryOp::Abs, c);
    let t = o.g.max(abs, None).unwrap();
    o.add(1.5, t);
    let d = o.slice(8, 2);
    let zero = o.g.full(0.0, &[2]);
    let ne = o.g.binary(BinaryOp::Ne, d, zero).unwrap();
    let t = o.g.sum(ne, None).unwrap();
    o.add(0.05, t);
    let e = o.slice(10, 2);
    let abs = o.g.unary(UnaryOp::Abs, e);
    let q = o.g.full(0.3, &[2]);
    let p = o.g.binary(BinaryOp::Pow, abs, q).unwrap();
    let t = o.g.sum(p, None).unwrap();
    o.add(0.4, t);
    let f = o.function();
    let s = split_objective(&f, 0);
    assert!(s.nonsmooth.is_empty(), "{:?}", s.nonsmooth);
    let kinds: Vec<Penalty> = s.terms.iter().map(|t| t.penalty).collect();
    for k in [
        Penalty::L1,
        Penalty::L2,
        Penalty::LInf,
        Penalty::L0,
        Penalty::Lq { q: 0.3 },
    ] {
        assert!(kinds.contains(&k), "{k:?} in {kinds:?}");
    }
    let l2 = s.terms.iter().find(|t| t.penalty == Penalty::L2).unwrap();
    assert_eq!(l2.indices, vec![3, 4, 5]);
    assert_eq!(l2.text("x"), "0.7 * norm(x[3:6])");
    let (ls, _) = s.least_squares.clone().expect("the ridge is least squares");
    assert!(ls[0].a.is_none() && ls[0].b.is_none());
    adds_up(&f, &s, &[n]);
}

#[test]
fn group_lasso_over_rows_and_columns() {
    for axis in [0, 1] {
        let mut o = Obj::new(&[3, 4]);
        let sq = o.sq(o.x);
        let rows = o.g.sum(sq, Some(axis)).unwrap();
        let norms = o.g.unary(UnaryOp::Sqrt, rows);
        let t = o.g.sum(norms, None).unwrap();
        o.add(0.5, t);
        let w = o.g.constant(data(&[3, 4], 3));
        let xw = o.g.binary(BinaryOp::Mul, o.x, w).unwrap();
        let lin = o.g.sum(xw, None).unwrap();
        o.add(1.0, lin);
        let f = o.function();
        let s = split_objective(&f, 0);
        assert_eq!(s.terms.len(), 1, "{:?}", s.nonsmooth);
        let size = if axis == 1 { 4 } else { 3 };
        assert_eq!(s.terms[0].penalty, Penalty::GroupL2 { size });
        if axis == 0 {
            assert_eq!(&s.terms[0].indices[..3], &[0, 4, 8]);
        }
        assert!(s.least_squares.is_none());
        adds_up(&f, &s, &[3, 4]);
    }
}

#[test]
fn half_power_is_lq() {
    let mut o = Obj::new(&[5]);
    let abs = o.g.unary(UnaryOp::Abs, o.x);
    let r = o.g.unary(UnaryOp::Sqrt, abs);
    let t = o.g.sum(r, None).unwrap();
    o.add(0.25, t);
    let f = o.function();
    let s = split_objective(&f, 0);
    assert_eq!(s.terms[0].penalty, Penalty::Lq { q: 0.5 });
    adds_up(&f, &s, &[5]);
}

#[test]
fn same_block_terms_merge_and_overlapping_ones_are_nonsmooth() {
    let mut o = Obj::new(&[4]);
    let t = o.l1(o.x);
    o.add(0.1, t);
    let sq = o.sq(o.x);
    let q = o.g.sum(sq, None).unwrap();
    o.add(1.0, q);
    let t2 = o.l1(o.x);
    o.add(0.2, t2);
    let f = o.function();
    let s = split_objective(&f, 0);
    assert_eq!(s.terms.len(), 1);
    assert!((s.terms[0].weight - 0.3).abs() < 1e-15);
    adds_up(&f, &s, &[4]);

    let mut o = Obj::new(&[4]);
    let t = o.l1(o.x);
    o.add(0.1, t);
    let part = o.slice(1, 2);
    let t2 = o.l2(part);
    o.add(0.2, t2);
    let s = split_objective(&o.function(), 0);
    assert!(s.terms.is_empty());
    assert_eq!(s.nonsmooth.len(), 2, "{:?}", s.nonsmooth);
}

#[test]
fn other_nonsmooth_terms_are_named() {
    let mut o = Obj::new(&[3]);
    let m = o.g.max(o.x, None).unwrap();
    o.add(2.0, m);
    let neg = o.l1(o.x);
    o.add(-1.0, neg);
    let f = o.function();
    let s = split_objective(&f, 0);
    assert!(s.terms.is_empty());
    let names: Vec<String> = s
        .nonsmooth
        .iter()
        .map(|t| Split::nonsmooth_text(t, &["x"]))
        .collect();
    assert!(names.contains(&"2 * max(x)".to_string()), "{names:?}");
    assert!(names.contains(&"-1 * sum(abs(x))".to_string()), "{names:?}");
    assert!(!s.is_smooth());
}

#[test]
fn nonsmooth_operations_on_constants_are_smooth() {
    let mut o = Obj::new(&[3]);
    let c = o.g.constant(data(&[3], 5));
    let ac = o.g.unary(UnaryOp::Abs, c);
    let w = o.g.binary(BinaryOp::Mul, o.x, ac).unwrap();
    let sq = o.sq(w);
    let t = o.g.sum(sq, None).unwrap();
    o.add(1.0, t);
    let s = split_objective(&o.function(), 0);
    assert!(s.is_smooth());
}

/// `softplus` is traced with `abs` (to avoid overflow) and is smooth all the same.
#[test]
fn softplus_as_traced_is_smooth() {
    let mut o = Obj::new(&[3]);
    let x = o.x;
    let a = o.g.unary(UnaryOp::Abs, x);
    let half = o.g.full(0.5, &[3]);
    let hx = o.g.binary(BinaryOp::Mul, x, half).unwrap();
    let ha = o.g.binary(BinaryOp::Mul, a, half).unwrap();
    let m = o.g.binary(BinaryOp::Add, hx, ha).unwrap();
    let n = o.g.unary(UnaryOp::Neg, a);
    let e = o.g.unary(UnaryOp::Exp, n);
    let l = o.g.unary(UnaryOp::Log1p, e);
    let sp = o.g.binary(BinaryOp::Add, m, l).unwrap();
    let t = o.g.sum(sp, None).unwrap();
    o.add(1.0, t);
    let l1 = o.l1(o.x);
    o.add(0.1, l1);
    let s = split_objective(&o.function(), 0);
    assert!(s.nonsmooth.is_empty(), "{:?}", s.nonsmooth);
    assert_eq!(s.terms.len(), 1);
    // Without the log1p(exp(-|x|)) part it is |x|/2: nonsmooth.
    let mut o = Obj::new(&[3]);
    let x = o.x;
    let a = o.g.unary(UnaryOp::Abs, x);
    let half = o.g.full(0.5, &[3]);
    let ha = o.g.binary(BinaryOp::Mul, a, half).unwrap();
    let m = o.g.binary(BinaryOp::Add, x, ha).unwrap();
    let t = o.g.sum(m, None).unwrap();
    let t2 = o.g.unary(UnaryOp::Exp, t);
    o.add(1.0, t2);
    assert_eq!(split_objective(&o.function(), 0).nonsmooth.len(), 1);
}

/// `D @ x - z + c`, `2 * x - y` and constants are read back as affine; products
/// of inputs are not.
#[test]
fn affine_constraints_are_read_back() {
    let mut g = Graph::new();
    let x = g.input(vec![3]);
    let z = g.input(vec![2]);
    let d = g.constant(data(&[2, 3], 4));
    let xc = g.reshape(x, &[3, 1]).unwrap();
    let dx = g.matmul(d, xc).unwrap();
    let dx = g.reshape(dx, &[2]).unwrap();
    let r = g.binary(BinaryOp::Sub, dx, z).unwrap();
    let c = g.constant(data(&[2], 5));
    let r = g.binary(BinaryOp::Add, r, c).unwrap();
    let two = g.full(2.0, &[2]);
    let zz = g.binary(BinaryOp::Mul, z, two).unwrap();
    let bad = g.binary(BinaryOp::Mul, z, z).unwrap();
    let f = Function {
        graph: g,
        outputs: vec![r, zz, bad],
    };
    let a = affine_output(&f, 0).expect("affine");
    assert_eq!(a.rows, 2);
    assert_eq!(a.terms.len(), 2);
    assert!(matches!(&a.terms[0], (0, Coefficient::Dense(m)) if **m == data(&[2, 3], 4)));
    assert!(matches!(a.terms[1], (1, Coefficient::Scaled(s)) if s == -1.0));
    assert_eq!(**a.offset.as_ref().unwrap(), data(&[2], 5));
    let b = affine_output(&f, 1).expect("a multiple of an input");
    assert!(matches!(b.terms[0], (1, Coefficient::Scaled(s)) if s == 2.0));
    assert!(affine_output(&f, 2).is_none());
    // Evaluated, the reading equals the program.
    let (xv, zv) = (data(&[3], 6), data(&[2], 7));
    let out = eval(&f, &[xv.clone(), zv.clone()]).unwrap();
    let dm = data(&[2, 3], 4);
    for r in 0..2 {
        let dx: f64 = (0..3).map(|k| dm[[r, k]] * xv[[k]]).sum();
        let want = dx - zv[[r]] + data(&[2], 5)[[r]];
        assert!((out[0][[r]] - want).abs() < 1e-12);
    }
}

/// Sets written as constraints are read back; other constraints are not sets.
#[test]
fn sets_written_as_constraints() {
    let mut g = Graph::new();
    let x = g.input(vec![3]);
    let s = g.sum(x, None).unwrap();
    let one = g.scalar(1.0);
    let eq = g.binary(BinaryOp::Sub, s, one).unwrap();
    let eq = g.reshape(eq, &[1]).unwrap();
    let nonneg = g.unary(UnaryOp::Neg, x);
    let a = g.unary(UnaryOp::Abs, x);
    let l1 = g.sum(a, None).unwrap();
    let two = g.scalar(2.0);
    let l1 = g.binary(BinaryOp::Sub, l1, two).unwrap();
    let sq = g.binary(BinaryOp::Mul, x, x).unwrap();
    let ss = g.sum(sq, None).unwrap();
    let four = g.scalar(4.0);
    let l2 = g.binary(BinaryOp::Sub, ss, four).unwrap();
    let m = g.max(x, None).unwrap();
    let other = g.binary(BinaryOp::Sub, m, two).unwrap();
    let f = Function {
        graph: g,
        outputs: vec![eq, nonneg, l1, l2, other],
    };
    assert_eq!(
        set_constraint(&f, 0, true),
        Some(SetConstraint::SumEquals { input: 0, r: 1.0 })
    );
    assert_eq!(
        set_constraint(&f, 1, false),
        Some(SetConstraint::NonNegative { input: 0 })
    );
    assert_eq!(
        set_constraint(&f, 2, false),
        Some(SetConstraint::L1Ball { input: 0, r: 2.0 })
    );
    assert_eq!(
        set_constraint(&f, 3, false),
        Some(SetConstraint::L2Ball { input: 0, r: 2.0 })
    );
    assert_eq!(set_constraint(&f, 4, false), None);
    // An equality read as an inequality is not a set.
    assert_eq!(set_constraint(&f, 2, true), None);
}
