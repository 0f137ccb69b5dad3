//! Differential test: 10⁴ random IR programs, each run by the JIT and by the
//! interpreter on random inputs (with signed zeros, ties, NaN and infinities), must
//! agree bit for bit (any NaN equals any NaN).
//!
//! Programs are random DAGs built with the `optl-ir` builders over every operation
//! and the shapes [], [3], [2, 3] and [5, 4] (and the shapes reductions, slices,
//! reshapes and concatenations derive from them); about a third are then
//! differentiated with `optl_ir::grad`, which exercises the unslices, reshapes and
//! broadcasts of gradient programs. Programs are compiled in batches
//! (`Jit::compile_many`), so the test stays fast in debug builds.

mod common;

use std::collections::BTreeMap;

use common::{diff, sl};
use optl_ir::{AxisSlice, BinaryOp, Function, Graph, NodeId, UnaryOp};
use optl_jit::{Jit, JitError};
use optl_tensor::Tensor;
use rand::rngs::ChaCha8Rng;
use rand::{Rng, SeedableRng};

struct R(ChaCha8Rng);

impl R {
    fn below(&mut self, n: usize) -> usize {
        (self.0.next_u64() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
}

const SHAPES: [&[usize]; 4] = [&[], &[3], &[2, 3], &[5, 4]];

/// Larger shapes: long pairwise sums (leaf tables), SIMD loops with remainders.
const LARGE: [&[usize]; 4] = [&[], &[130], &[3, 150], &[300]];

/// A value for a test input or constant: often a "special" one.
fn value(r: &mut R) -> f64 {
    if r.chance(0.3) {
        r.pick(&[
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            2.0,
            -2.0,
            f64::NAN,
            f64::INFINITY,
            -1e300,
            3.0,
        ])
    } else {
        (r.unit() - 0.5) * 6.0
    }
}

fn tensor(r: &mut R, shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    let data = (0..n).map(|_| value(r)).collect();
    optl_tensor::from_vec(shape, data).expect("tensor")
}

/// A random valid slice of an axis of length `n` (rarely empty).
fn axis_slice(r: &mut R, n: usize) -> AxisSlice {
    if n == 0 || r.chance(0.02) {
        return sl(0, 1, 0);
    }
    let step = r.pick(&[1i64, 1, 1, -1, -1, 2, -2, 3]);
    let start = r.below(n);
    let room = if step > 0 {
        (n - 1 - start) / step as usize
    } else {
        start / (-step) as usize
    };
    let len = 1 + r.below(room + 1);
    sl(start, step, len)
}

/// Nodes whose shape is `s`.
fn with_shape(g: &Graph, nodes: &[NodeId], s: &[usize]) -> Vec<NodeId> {
    nodes.iter().copied().filter(|&n| g.shape(n) == s).collect()
}

/// One random node from the existing ones, or `None` if the draw does not apply.
fn step(r: &mut R, g: &mut Graph, nodes: &[NodeId]) -> Option<NodeId> {
    let a = r.pick(nodes);
    let sa = g.shape(a).to_vec();
    let same = |r: &mut R, g: &mut Graph| -> NodeId {
        let c = with_shape(g, nodes, &sa);
        if r.chance(0.25) {
            // Broadcast a smaller node (a scalar, or a row) instead.
            let src = nodes
                .iter()
                .copied()
                .filter(|&n| g.shape(n).len() < sa.len() && sa.ends_with(g.shape(n)))
                .collect::<Vec<_>>();
            if !src.is_empty() {
                let b = r.pick(&src);
                return g.broadcast(b, &sa).expect("broadcast");
            }
        }
        r.pick(&c)
    };
    Some(match r.below(14) {
        0 | 1 => g.unary(r.pick(&UnaryOp::ALL), a),
        2..=4 => {
            let b = same(r, g);
            let (x, y) = if r.chance(0.5) { (a, b) } else { (b, a) };
            g.binary(r.pick(&BinaryOp::ALL), x, y).ok()?
        }
        5 => {
            let (b, c) = (same(r, g), same(r, g));
            g.where_(a, b, c).ok()?
        }
        6 => {
            let axis = if sa.is_empty() || r.chance(0.4) {
                None
            } else {
                Some(r.below(sa.len()))
            };
            match r.below(3) {
                0 | 1 => g.sum(a, axis).ok()?,
                2 if r.chance(0.5) => g.max(a, axis).ok()?,
                _ => g.min(a, axis).ok()?,
            }
        }
        7 if sa.len() == 2 => {
            let b = r.pick(&with_shape(g, nodes, &sa));
            if r.chance(0.5) {
                let bt = g.transpose(b);
                g.matmul(a, bt).ok()?
            } else {
                let at = g.transpose(a);
                g.matmul(at, b).ok()?
            }
        }
        8 => {
            let mut target = sa.clone();
            if r.chance(0.5) || target.is_empty() {
                target.insert(0, 1 + r.below(3));
            } else if let Some(i) = target.iter().position(|&d| d == 1) {
                target[i] = 2 + r.below(2);
            } else {
                target.insert(0, 2);
            }
            g.broadcast(a, &target).ok()?
        }
        9 => {
            let n: usize = sa.iter().product();
            let shapes: Vec<Vec<usize>> = match n {
                1 => vec![vec![], vec![1], vec![1, 1]],
                6 => vec![vec![6], vec![3, 2], vec![2, 3], vec![1, 6]],
                20 => vec![vec![20], vec![4, 5], vec![5, 4], vec![2, 10]],
                300 => vec![vec![300], vec![2, 150], vec![150, 2], vec![3, 100]],
                450 => vec![vec![450], vec![150, 3], vec![9, 50]],
                n => vec![vec![n], vec![1, n], vec![n, 1]],
            };
            let k = r.below(shapes.len());
            g.reshape(a, &shapes[k]).ok()?
        }
        10 => g.transpose(a),
        11 => {
            let slices = sa.iter().map(|&n| axis_slice(r, n)).collect();
            g.slice(a, slices).ok()?
        }
        12 => {
            // Unslice into a larger shape.
            let mut target = Vec::new();
            let mut slices = Vec::new();
            for &n in &sa {
                let big = n + r.below(3);
                let step = if n <= 1 { 1 } else { r.pick(&[1i64, 1, -1, 2]) };
                let span = if n == 0 {
                    0
                } else {
                    (n - 1) * step.unsigned_abs() as usize + 1
                };
                let big = big.max(span);
                let start = if step > 0 {
                    r.below(big - span + 1)
                } else {
                    span - 1 + r.below(big - span + 1)
                };
                target.push(big);
                slices.push(sl(start, step, n));
            }
            g.unslice(a, slices, &target).ok()?
        }
        _ => {
            if sa.is_empty() {
                return None;
            }
            let axis = r.below(sa.len());
            let parts: Vec<NodeId> = nodes
                .iter()
                .copied()
                .filter(|&n| {
                    let s = g.shape(n);
                    s.len() == sa.len()
                        && s.iter()
                            .zip(&sa)
                            .enumerate()
                            .all(|(d, (x, y))| d == axis || x == y)
                })
                .collect();
            let k = 2 + r.below(2);
            let chosen: Vec<NodeId> = (0..k).map(|_| r.pick(&parts)).collect();
            g.concat(&chosen, axis).ok()?
        }
    })
}

/// A random program and inputs for it.
fn program(r: &mut R, shape_set: &[&[usize]]) -> (Function, Vec<Tensor>) {
    let mut g = Graph::new();
    let n_in = 1 + r.below(3);
    let shapes: Vec<Vec<usize>> = (0..n_in).map(|_| r.pick(shape_set).to_vec()).collect();
    let mut nodes: Vec<NodeId> = shapes.iter().map(|s| g.input(s.clone())).collect();
    for _ in 0..1 + r.below(3) {
        let s = r.pick(shape_set);
        let c = if r.chance(0.6) {
            g.full(value(r), s)
        } else {
            g.constant(tensor(r, s))
        };
        nodes.push(c);
    }
    let target = 4 + r.below(20);
    let mut tries = 0;
    while nodes.len() < target + n_in && tries < 200 {
        tries += 1;
        if let Some(n) = step(r, &mut g, &nodes)
            && !nodes.contains(&n)
        {
            nodes.push(n);
        }
    }
    let mut outputs = Vec::new();
    for _ in 0..1 + r.below(3) {
        let k = nodes.len() - 1 - r.below(nodes.len().min(4));
        outputs.push(nodes[k]);
    }
    let mut f = Function { graph: g, outputs };
    if r.chance(0.35) {
        let y = f.outputs[0];
        let s = f.graph.sum(y, None).expect("sum");
        let scalar = Function {
            graph: f.graph.clone(),
            outputs: vec![s],
        };
        if let Ok(gf) = optl_ir::grad(&scalar) {
            f = gf;
        }
    }
    let inputs = shapes.iter().map(|s| tensor(r, s)).collect();
    (f, inputs)
}

/// Runs `total` random programs over `shape_set` through both engines.
fn run(seed: u64, total: usize, shape_set: &[&[usize]]) -> BTreeMap<String, usize> {
    let mut jit = Jit::new().expect("jit");
    let mut r = R(ChaCha8Rng::seed_from_u64(seed));
    let (mut compared, mut refused) = (0usize, 0usize);
    let mut ops: BTreeMap<String, usize> = BTreeMap::new();
    let batch = 250.min(total);
    for b in 0..total / batch {
        let cases: Vec<(Function, Vec<Tensor>)> =
            (0..batch).map(|_| program(&mut r, shape_set)).collect();
        let fs: Vec<&Function> = cases.iter().map(|c| &c.0).collect();
        let kernels = jit.compile_many(&fs);
        for (i, ((f, inputs), k)) in cases.iter().zip(kernels).enumerate() {
            let want = optl_ir::eval(f, inputs);
            let ctx = || format!("program {} of batch {b}:\n{}", i, optl_ir::to_text(f));
            match (k, want) {
                (Ok(k), Ok(want)) => {
                    let got = k.eval(inputs).unwrap_or_else(|e| panic!("{e}\n{}", ctx()));
                    if let Some(d) = diff(&got, &want) {
                        panic!("{d}\n{}\ninputs: {inputs:?}", ctx());
                    }
                    compared += 1;
                    let live = f.graph.reachable(&f.outputs);
                    for (node, _) in f.graph.nodes().iter().zip(live).filter(|x| x.1) {
                        let key = match &node.op {
                            optl_ir::Op::Unary(u) => format!("{u:?}"),
                            optl_ir::Op::Binary(b) => format!("{b:?}"),
                            optl_ir::Op::Max(_) => "ReduceMax".into(),
                            optl_ir::Op::Min(_) => "ReduceMin".into(),
                            op => format!("{op:?}")
                                .split(['(', ' '])
                                .next()
                                .unwrap_or("")
                                .into(),
                        };
                        *ops.entry(key).or_default() += 1;
                    }
                }
                // The interpreter's errors (max of nothing) are not compiled.
                (Err(JitError::Unsupported(_)), Err(_)) => refused += 1,
                (k, want) => panic!(
                    "JIT {:?} but interpreter {:?}\n{}",
                    k.map(|_| ()),
                    want.map(|_| ()),
                    ctx()
                ),
            }
        }
    }
    assert_eq!(compared + refused, total / batch * batch);
    assert!(refused < total / 100 + 1, "{refused} refused");
    ops
}

/// OPTL_JIT_SEED and OPTL_JIT_PROGRAMS explore other programs.
fn env(k: &str, d: u64) -> u64 {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

#[test]
fn ten_thousand_random_programs_agree_bitwise() {
    let total = env("OPTL_JIT_PROGRAMS", 10_000) as usize;
    let ops = run(env("OPTL_JIT_SEED", 20240611), total, &SHAPES);
    // Every operation is exercised: 15 unary, 13 binary, 13 others.
    assert!(ops.len() >= 41 && ops.values().all(|&c| c >= 20), "{ops:?}");
}

#[test]
fn programs_over_larger_shapes_agree_bitwise() {
    let total = env("OPTL_JIT_PROGRAMS", 10_000) as usize / 10;
    run(env("OPTL_JIT_SEED", 7) + 1, total, &LARGE);
}
