//! Helpers shared by the JIT tests: bitwise comparison with the interpreter.
#![allow(dead_code)]

use optl_ir::{AxisSlice, BinaryOp as B, Function, Graph, NodeId, UnaryOp as U};
use optl_jit::{Jit, Kernel};
use optl_tensor::Tensor;

/// Bitwise equality, with every NaN equal to every NaN.
pub fn same_bits(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// First difference between two lists of tensors, as a message.
pub fn diff(got: &[Tensor], want: &[Tensor]) -> Option<String> {
    if got.len() != want.len() {
        return Some(format!("{} outputs, expected {}", got.len(), want.len()));
    }
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        if g.shape() != w.shape() {
            return Some(format!(
                "output {k}: shape {:?}, expected {:?}",
                g.shape(),
                w.shape()
            ));
        }
        for (i, (x, y)) in g.iter().zip(w.iter()).enumerate() {
            if !same_bits(*x, *y) {
                return Some(format!(
                    "output {k}[{i}]: {x:e} ({:#x}), expected {y:e} ({:#x})",
                    x.to_bits(),
                    y.to_bits()
                ));
            }
        }
    }
    None
}

/// Compiles `f`, runs it and the interpreter on `inputs`, and asserts bitwise
/// equality. Returns the kernel.
pub fn check(jit: &mut Jit, f: &Function, inputs: &[Tensor]) -> Kernel {
    let k = jit
        .compile(f)
        .unwrap_or_else(|e| panic!("compile: {e}\n{}", optl_ir::to_text(f)));
    check_kernel(&k, f, inputs);
    k
}

pub fn check_kernel(k: &Kernel, f: &Function, inputs: &[Tensor]) {
    let want = optl_ir::eval(f, inputs).expect("interpreter");
    let got = k.eval(inputs).expect("kernel");
    if let Some(d) = diff(&got, &want) {
        panic!("{d}\n{}", optl_ir::to_text(f));
    }
}

pub fn t(shape: &[usize], data: &[f64]) -> Tensor {
    optl_tensor::from_vec(shape, data.to_vec()).expect("tensor")
}

/// Deterministic test values of a shape, with a few signed zeros.
pub fn values(shape: &[usize], seed: u64) -> Tensor {
    let n: usize = shape.iter().product();
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let data = (0..n)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match (x >> 56) % 16 {
                0 => 0.0,
                1 => -0.0,
                _ => ((x >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 4.0 + (i % 3) as f64 * 0.25,
            }
        })
        .collect();
    optl_tensor::from_vec(shape, data).expect("tensor")
}

pub fn sl(start: usize, step: i64, len: usize) -> AxisSlice {
    AxisSlice { start, step, len }
}

/// The chained Rosenbrock function of `n` variables and its gradient, as IR:
/// `sum(100 (x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)`.
pub fn rosenbrock(n: usize) -> (Function, Function) {
    let mut g = Graph::new();
    let x = g.input(vec![n]);
    let y = rosen_body(&mut g, x, n);
    let f = Function {
        graph: g,
        outputs: vec![y],
    };
    let gf = optl_ir::grad(&f).expect("grad");
    (f, gf)
}

fn rosen_body(g: &mut Graph, x: NodeId, n: usize) -> NodeId {
    let hi = g.slice(x, vec![sl(1, 1, n - 1)]).unwrap();
    let lo = g.slice(x, vec![sl(0, 1, n - 1)]).unwrap();
    let lo2 = g.binary(B::Mul, lo, lo).unwrap();
    let d = g.binary(B::Sub, hi, lo2).unwrap();
    let d2 = g.binary(B::Mul, d, d).unwrap();
    let c = g.full(100.0, &[n - 1]);
    let t1 = g.binary(B::Mul, c, d2).unwrap();
    let one = g.full(1.0, &[n - 1]);
    let e = g.binary(B::Sub, one, lo).unwrap();
    let e2 = g.binary(B::Mul, e, e).unwrap();
    let s = g.binary(B::Add, t1, e2).unwrap();
    g.sum(s, None).unwrap()
}

/// A pseudo-random DAG of `nodes` nodes over an input of shape `[m]`, summed.
pub fn dag(nodes: usize, m: usize, seed: u64) -> Function {
    let mut s = seed;
    let mut next = |k: usize| {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 33) as usize) % k
    };
    let mut g = Graph::new();
    let x = g.input(vec![m]);
    let mut pool: Vec<NodeId> = vec![x];
    let unary = [
        U::Sin,
        U::Cos,
        U::Tanh,
        U::Exp,
        U::Neg,
        U::Sqrt,
        U::Abs,
        U::Atan,
    ];
    let binary = [B::Add, B::Sub, B::Mul, B::Max, B::Add, B::Mul];
    while g.len() < nodes {
        let a = pool[pool.len() - 1 - next(pool.len().min(8))];
        let n = match next(10) {
            0..=2 => {
                let y = g.unary(unary[next(unary.len())], a);
                if matches!(g.node(y).op, optl_ir::Op::Unary(U::Exp)) {
                    g.unary(U::Tanh, y)
                } else {
                    y
                }
            }
            3 => {
                let c = g.full(0.5 + next(100) as f64 / 50.0, &[m]);
                g.binary(B::Mul, a, c).unwrap()
            }
            4 => {
                let s = g.sum(a, None).unwrap();
                let b = g.broadcast(s, &[m]).unwrap();
                let c = g.full(1e-3, &[m]);
                let sc = g.binary(B::Mul, b, c).unwrap();
                g.binary(B::Add, a, sc).unwrap()
            }
            _ => {
                let b = pool[next(pool.len())];
                g.binary(binary[next(binary.len())], a, b).unwrap()
            }
        };
        pool.push(n);
    }
    let last = *pool.last().unwrap();
    let y = g.sum(last, None).unwrap();
    Function {
        graph: g,
        outputs: vec![y],
    }
}
