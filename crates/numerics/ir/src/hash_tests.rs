//! Unit tests for `hash.rs`: what the structural and functional hashes identify and
//! what they tell apart.

use super::*;
use crate::graph::{AxisSlice, BinaryOp, Graph, IrResult, NodeId, UnaryOp};

fn func(
    shapes: &[&[usize]],
    build: impl FnOnce(&mut Graph, &[NodeId]) -> IrResult<NodeId>,
) -> Function {
    let mut g = Graph::new();
    let xs: Vec<NodeId> = shapes.iter().map(|s| g.input(s.to_vec())).collect();
    let out = build(&mut g, &xs).expect("builds");
    Function {
        graph: g,
        outputs: vec![out],
    }
}

fn bin(g: &mut Graph, op: BinaryOp, a: NodeId, b: NodeId) -> IrResult<NodeId> {
    g.binary(op, a, b)
}

#[test]
fn hex_is_lowercase_and_32_digits() {
    let h = structural_hash(&Function::default());
    let s = hex(&h);
    assert_eq!(s.len(), 32);
    assert!(
        s.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
}

#[test]
fn structural_hash_ignores_operand_order_dead_code_and_build_order() {
    let ab = func(&[&[], &[]], |g, v| bin(g, BinaryOp::Mul, v[0], v[1]));
    let ba = func(&[&[], &[]], |g, v| bin(g, BinaryOp::Mul, v[1], v[0]));
    assert_eq!(structural_hash(&ab), structural_hash(&ba));
    let dead = func(&[&[], &[]], |g, v| {
        g.unary(UnaryOp::Exp, v[1]);
        g.unary(UnaryOp::Sin, v[0]);
        bin(g, BinaryOp::Mul, v[0], v[1])
    });
    assert_eq!(structural_hash(&ab), structural_hash(&dead));
    // (x + y) * exp(x), building exp(x) first or last: different node numbering and
    // different operand order in the graph.
    let first = func(&[&[3], &[3]], |g, v| {
        let e = g.unary(UnaryOp::Exp, v[0]);
        let s = bin(g, BinaryOp::Add, v[1], v[0])?;
        bin(g, BinaryOp::Mul, s, e)
    });
    let last = func(&[&[3], &[3]], |g, v| {
        let s = bin(g, BinaryOp::Add, v[0], v[1])?;
        let e = g.unary(UnaryOp::Exp, v[0]);
        bin(g, BinaryOp::Mul, e, s)
    });
    assert_ne!(first.graph.nodes(), last.graph.nodes());
    assert_eq!(structural_hash(&first), structural_hash(&last));
}

#[test]
fn structural_hash_tells_apart_constants_shapes_ops_and_arity() {
    let with_c = |c: f64| {
        func(&[&[]], |g, v| {
            let k = g.scalar(c);
            bin(g, BinaryOp::Add, v[0], k)
        })
    };
    let h = |f: &Function| structural_hash(f);
    assert_ne!(h(&with_c(1.0)), h(&with_c(2.0)));
    assert_eq!(h(&with_c(1.0)), h(&with_c(1.0)));
    let exp3 = func(&[&[3]], |g, v| Ok(g.unary(UnaryOp::Exp, v[0])));
    let exp2 = func(&[&[2]], |g, v| Ok(g.unary(UnaryOp::Exp, v[0])));
    let sin3 = func(&[&[3]], |g, v| Ok(g.unary(UnaryOp::Sin, v[0])));
    assert_ne!(h(&exp3), h(&exp2));
    assert_ne!(h(&exp3), h(&sin3));
    let sub = func(&[&[], &[]], |g, v| bin(g, BinaryOp::Sub, v[0], v[1]));
    let bus = func(&[&[], &[]], |g, v| bin(g, BinaryOp::Sub, v[1], v[0]));
    assert_ne!(h(&sub), h(&bus));
    let one = func(&[&[]], |g, v| Ok(g.unary(UnaryOp::Exp, v[0])));
    let two = func(&[&[], &[]], |g, v| Ok(g.unary(UnaryOp::Exp, v[0])));
    assert_ne!(h(&one), h(&two));
    let s0 = func(&[&[2, 3]], |g, v| g.sum(v[0], Some(0)));
    let s1 = func(&[&[2, 3]], |g, v| g.sum(v[0], Some(1)));
    assert_ne!(h(&s0), h(&s1));
}

fn fh(f: &Function) -> [u8; 16] {
    functional_hash(f, 0)
}

#[test]
fn functional_hash_identifies_equivalent_rewrites() {
    let a = func(&[&[], &[]], |g, v| {
        let p = bin(g, BinaryOp::Mul, v[0], v[1])?;
        bin(g, BinaryOp::Add, p, v[0])
    });
    let b = func(&[&[], &[]], |g, v| {
        let one = g.scalar(1.0);
        let s = bin(g, BinaryOp::Add, v[1], one)?;
        bin(g, BinaryOp::Mul, v[0], s)
    });
    assert_ne!(structural_hash(&a), structural_hash(&b));
    assert_eq!(fh(&a), fh(&b));
    let sq = func(&[&[3], &[3]], |g, v| {
        let d = bin(g, BinaryOp::Sub, v[0], v[1])?;
        let two = g.full(2.0, &[3]);
        let p = bin(g, BinaryOp::Pow, d, two)?;
        g.sum(p, None)
    });
    let expanded = func(&[&[3], &[3]], |g, v| {
        let xx = bin(g, BinaryOp::Mul, v[0], v[0])?;
        let xy = bin(g, BinaryOp::Mul, v[0], v[1])?;
        let two = g.full(2.0, &[3]);
        let xy2 = bin(g, BinaryOp::Mul, two, xy)?;
        let yy = bin(g, BinaryOp::Mul, v[1], v[1])?;
        let s = bin(g, BinaryOp::Sub, xx, xy2)?;
        let s = bin(g, BinaryOp::Add, s, yy)?;
        g.sum(s, None)
    });
    assert_eq!(fh(&sq), fh(&expanded));
    let sum = func(&[&[5]], |g, v| g.sum(v[0], None));
    let rev = func(&[&[5]], |g, v| {
        let r = g.slice(
            v[0],
            vec![AxisSlice {
                start: 4,
                step: -1,
                len: 5,
            }],
        )?;
        g.sum(r, None)
    });
    assert_eq!(fh(&sum), fh(&rev));
}

#[test]
fn functional_hash_tells_apart_near_misses() {
    let base = func(&[&[], &[]], |g, v| {
        let p = bin(g, BinaryOp::Mul, v[0], v[1])?;
        bin(g, BinaryOp::Add, p, v[0])
    });
    let minus = func(&[&[], &[]], |g, v| {
        let p = bin(g, BinaryOp::Mul, v[0], v[1])?;
        bin(g, BinaryOp::Sub, p, v[0])
    });
    let near = func(&[&[], &[]], |g, v| {
        let c = g.scalar(1.0001);
        let s = bin(g, BinaryOp::Add, v[1], c)?;
        bin(g, BinaryOp::Mul, v[0], s)
    });
    assert_ne!(fh(&base), fh(&minus));
    assert_ne!(fh(&base), fh(&near));
    let abs = func(&[&[]], |g, v| Ok(g.unary(UnaryOp::Abs, v[0])));
    let id = func(&[&[]], |_, v| Ok(v[0]));
    assert_ne!(fh(&abs), fh(&id));
    // Arity and shapes matter, names and seeds are deterministic.
    let id2 = func(&[&[], &[]], |_, v| Ok(v[0]));
    let id3 = func(&[&[3]], |_, v| Ok(v[0]));
    assert_ne!(fh(&id), fh(&id2));
    assert_ne!(fh(&id), fh(&id3));
    assert_eq!(fh(&id), fh(&id.clone()));
    assert_ne!(functional_hash(&id, 0), functional_hash(&id, 1));
}

#[test]
fn probes_are_deterministic_and_in_range() {
    let shapes = vec![vec![], vec![2, 3]];
    let p = probe_inputs(&shapes, 42);
    assert_eq!(p.len(), PROBES);
    assert_eq!(p, probe_inputs(&shapes, 42));
    assert_ne!(p, probe_inputs(&shapes, 43));
    let all: Vec<f64> = p.iter().flatten().flat_map(|t| t.iter().copied()).collect();
    assert_eq!(all.len(), PROBES * 7);
    assert!(all.iter().all(|x| (0.25..=2.0).contains(&x.abs())));
    assert!(all.iter().any(|&x| x < 0.0) && all.iter().any(|&x| x > 0.0));
    // Inputs do not share values.
    assert_ne!(p[0][0].iter().next(), p[0][1].iter().next());
    // Every element is positive in exactly half of the probe sets.
    for i in 0..shapes.len() {
        let n = p[0][i].len();
        for e in 0..n {
            let pos = p
                .iter()
                .filter(|set| set[i].iter().nth(e).is_some_and(|&x| x > 0.0))
                .count();
            assert_eq!(pos, PROBES / 2);
        }
    }
}

#[test]
fn abs_and_identity_differ_for_every_seed() {
    let abs = func(&[&[]], |g, v| Ok(g.unary(UnaryOp::Abs, v[0])));
    let id = func(&[&[]], |_, v| Ok(v[0]));
    let relu = func(&[&[]], |g, v| {
        let z = g.scalar(0.0);
        g.binary(BinaryOp::Max, v[0], z)
    });
    for seed in 0..200 {
        assert_ne!(functional_hash(&abs, seed), functional_hash(&id, seed));
        assert_ne!(functional_hash(&relu, seed), functional_hash(&id, seed));
    }
}

#[test]
fn quantization_tokens() {
    assert_eq!(quantize(0.0), quantize(-0.0));
    assert_ne!(quantize(f64::INFINITY), quantize(f64::NEG_INFINITY));
    assert_eq!(quantize(f64::NAN), quantize(-f64::NAN));
    let x = 1.2345678901234;
    assert_eq!(quantize(x), quantize(x * (1.0 + 4.0 * f64::EPSILON)));
    assert_ne!(quantize(x), quantize(x * (1.0 + 1e-7)));
    assert_ne!(quantize(x), quantize(-x));
    assert_eq!(quantize(f64::MAX).0, 0);
}

#[test]
fn failing_runs_hash_without_panicking() {
    let f = func(&[&[0]], |g, v| g.max(v[0], None));
    let _ = fh(&f);
    let bad = Function {
        graph: Graph::new(),
        outputs: vec![NodeId(9)],
    };
    assert_ne!(fh(&bad), fh(&Function::default()));
    assert_ne!(structural_hash(&bad), structural_hash(&Function::default()));
}
