//! Shared helpers of the integration tests: a generator of random IR programs (DAGs
//! over 1–3 inputs of shapes [], [3] and [2, 3] that use every differentiable
//! operation), finite differences, and the distance of a point to the kinks of a
//! program's nonsmooth operations.

#![allow(dead_code)]

use optl_ir::interp::{DEFAULT_LIMIT, eval, eval_nodes};
use optl_ir::{AxisSlice, BinaryOp, Function, Graph, IrResult, NodeId, Op, UnaryOp};
use optl_tensor::Tensor;

pub const SHAPES: [&[usize]; 3] = [&[], &[3], &[2, 3]];

/// One random instruction: an operation kind, three operand selectors (taken modulo
/// the number of values so far) and a parameter (result shape and variant).
#[derive(Clone, Copy, Debug)]
pub struct Instr {
    pub kind: u8,
    pub a: u16,
    pub b: u16,
    pub c: u16,
    pub p: u8,
}

/// A random program: input shapes (indices into [`SHAPES`]) and instructions.
#[derive(Clone, Debug)]
pub struct Program {
    pub inputs: Vec<u8>,
    pub instrs: Vec<Instr>,
}

/// Number of smooth instruction kinds; kinds from here on up to [`KINDS`] are the
/// nonsmooth ones.
pub const SMOOTH_KINDS: u8 = 24;
pub const KINDS: u8 = 33;

fn sl(start: usize, step: i64, len: usize) -> AxisSlice {
    AxisSlice { start, step, len }
}

struct Builder<'a> {
    g: &'a mut Graph,
    vals: Vec<NodeId>,
}

impl Builder<'_> {
    fn pick(&self, k: u16) -> NodeId {
        self.vals[k as usize % self.vals.len()]
    }

    fn full(&mut self, v: f64, s: &[usize]) -> NodeId {
        self.g.full(v, s)
    }

    fn un(&mut self, op: UnaryOp, a: NodeId) -> NodeId {
        self.g.unary(op, a)
    }

    fn bin(&mut self, op: BinaryOp, a: NodeId, b: NodeId) -> IrResult<NodeId> {
        self.g.binary(op, a, b)
    }

    /// `a` brought to shape `to` by broadcasts, reductions or slices (`sel` picks the
    /// variant; `rough` allows max/min reductions).
    fn coerce(&mut self, a: NodeId, to: &[usize], sel: u8, rough: bool) -> IrResult<NodeId> {
        let from = self.g.shape(a).to_vec();
        if from == to {
            return Ok(a);
        }
        let g = &mut *self.g;
        let reduce = |g: &mut Graph, a: NodeId, axis: Option<usize>| match (rough, sel % 4) {
            (true, 1) => g.max(a, axis),
            (true, 2) => g.min(a, axis),
            _ => g.sum(a, axis),
        };
        match (from.as_slice(), to) {
            ([], _) => g.broadcast(a, to),
            ([3], [2, 3]) if sel.is_multiple_of(2) => g.broadcast(a, to),
            ([3], [2, 3]) => {
                let r = g.reshape(a, &[1, 3])?;
                g.broadcast(r, to)
            }
            ([2, 3], [3]) => match sel % 3 {
                0 => reduce(g, a, Some(0)),
                1 => {
                    let r = g.slice(a, vec![sl(1, 1, 1), sl(0, 1, 3)])?;
                    g.reshape(r, &[3])
                }
                _ => {
                    let t = g.transpose(a);
                    reduce(g, t, Some(1))
                }
            },
            ([2, 3] | [3], []) if sel % 3 == 1 => {
                let n = from.len();
                let mut s = vec![sl(1, 1, 1); n];
                s[n - 1] = sl(2, 1, 1);
                let r = g.slice(a, s)?;
                g.reshape(r, &[])
            }
            (_, []) => reduce(g, a, None),
            _ => Err(optl_ir::IrError::Invalid(format!(
                "no coercion {from:?} -> {to:?}"
            ))),
        }
    }

    fn instr(&mut self, ins: Instr) -> IrResult<NodeId> {
        use BinaryOp as B;
        use UnaryOp as U;
        let to = SHAPES[(ins.p % 3) as usize];
        let sel = ins.p / 3;
        let rough = ins.kind >= SMOOTH_KINDS;
        let a = self.pick(ins.a);
        let a = self.coerce(a, to, sel, rough)?;
        let b = self.pick(ins.b);
        let b = self.coerce(b, to, sel.wrapping_add(1), rough)?;
        let c = self.pick(ins.c);
        let c = self.coerce(c, to, sel.wrapping_add(2), rough)?;
        let one = self.full(1.0, to);
        // a*a + 1 >= 1: a safe denominator, logarithm argument or positive base.
        let pos = |s: &mut Self, a: NodeId| -> IrResult<NodeId> {
            let sq = s.bin(B::Mul, a, a)?;
            s.bin(B::Add, sq, one)
        };
        Ok(match ins.kind {
            0 => self.bin(B::Add, a, b)?,
            1 => self.bin(B::Sub, a, b)?,
            2 => self.bin(B::Mul, a, b)?,
            3 => {
                let d = pos(self, b)?;
                self.bin(B::Div, a, d)?
            }
            4 => {
                let base = pos(self, a)?;
                let base = self.un(U::Sqrt, base);
                let e = [2.0, 3.0, 0.5, -1.0, 1.7, -0.6][sel as usize % 6];
                let e = self.full(e, to);
                self.bin(B::Pow, base, e)?
            }
            5 => {
                let half = self.full(0.5, to);
                let t = self.un(U::Tanh, a);
                let t = self.bin(B::Mul, half, t)?;
                let base = self.un(U::Exp, t);
                let e = self.un(U::Tanh, b);
                self.bin(B::Pow, base, e)?
            }
            6 => self.un(U::Neg, a),
            7 => {
                let t = self.un(U::Tanh, a);
                self.un(U::Exp, t)
            }
            8 => {
                let p = pos(self, a)?;
                self.un(U::Log, p)
            }
            9 => {
                let sq = self.bin(B::Mul, a, a)?;
                self.un(U::Log1p, sq)
            }
            10 => {
                let p = pos(self, a)?;
                self.un(U::Sqrt, p)
            }
            11 => self.un(U::Sin, a),
            12 => self.un(U::Cos, a),
            13 => {
                let t = self.un(U::Tanh, a);
                self.un(U::Tan, t)
            }
            14 => self.un(U::Atan, a),
            15 => self.un(U::Tanh, a),
            16 => self.un(U::Sigmoid, a),
            17 => self.reverse(a, sel)?,
            18 => self.mix(a, b, sel)?,
            19 => self.matmul(a, b, c)?,
            20 => {
                // A permutation through reshape and transpose.
                if to == [2, 3] {
                    let t = self.g.transpose(a);
                    self.g.reshape(t, &[2, 3])?
                } else {
                    let p = self.bin(B::Mul, a, b)?;
                    self.bin(B::Sub, p, c)?
                }
            }
            21 => {
                // Unslice: scatter part of `a` into zeros, plus `b`.
                if to == [3] {
                    let s = self.g.slice(a, vec![sl(0, 1, 2)])?;
                    let u = self.g.unslice(s, vec![sl(2, -2, 2)], &[3])?;
                    self.bin(B::Add, u, b)?
                } else {
                    self.bin(B::Add, a, b)?
                }
            }
            22 => {
                // Broadcast of a reduction: a - mean-like centering.
                if to.is_empty() {
                    self.bin(B::Mul, a, c)?
                } else {
                    let s = self.g.sum(a, None)?;
                    let s = self.g.broadcast(s, to)?;
                    self.bin(B::Sub, b, s)?
                }
            }
            23 => {
                let p = self.bin(B::Mul, a, b)?;
                self.bin(B::Mul, p, c)?
            }
            // Nonsmooth operations.
            24 => self.un(U::Abs, a),
            25 => self.bin(B::Max, a, b)?,
            26 => self.bin(B::Min, a, b)?,
            27 => {
                let cond = self.bin([B::Gt, B::Lt, B::Ge, B::Le][sel as usize % 4], a, b)?;
                self.g.where_(cond, b, c)?
            }
            28 => {
                let s = self.un(U::Sign, a);
                self.bin(B::Mul, s, b)?
            }
            29 => {
                let f = self.un(
                    if sel.is_multiple_of(2) {
                        U::Floor
                    } else {
                        U::Ceil
                    },
                    a,
                );
                self.bin(B::Add, f, b)?
            }
            30 => {
                let m = self.bin(B::Max, a, b)?;
                self.bin(B::Mul, m, c)?
            }
            31 => {
                // A comparison used as a number.
                let cond = self.bin([B::Eq, B::Ne, B::Gt][sel as usize % 3], a, b)?;
                self.bin(B::Mul, cond, c)?
            }
            _ => {
                let w = self.g.where_(a, b, c)?;
                self.bin(B::Add, w, b)?
            }
        })
    }

    /// Reverses `a` along an axis with a negative-step slice.
    fn reverse(&mut self, a: NodeId, sel: u8) -> IrResult<NodeId> {
        match self.g.shape(a).to_vec().as_slice() {
            [3] => self.g.slice(a, vec![sl(2, -1, 3)]),
            [2, 3] if sel.is_multiple_of(2) => self.g.slice(a, vec![sl(1, -1, 2), sl(0, 1, 3)]),
            [2, 3] => self.g.slice(a, vec![sl(0, 1, 2), sl(2, -1, 3)]),
            _ => Ok(self.g.unary(UnaryOp::Neg, a)),
        }
    }

    /// Joins parts of `a` and `b` with slices and concat.
    fn mix(&mut self, a: NodeId, b: NodeId, sel: u8) -> IrResult<NodeId> {
        match self.g.shape(a).to_vec().as_slice() {
            [3] => {
                let x = self.g.slice(a, vec![sl(0, 1, 1)])?;
                let y = self.g.slice(b, vec![sl(1, 1, 2)])?;
                self.g.concat(&[x, y], 0)
            }
            [2, 3] if sel.is_multiple_of(2) => {
                let x = self.g.slice(a, vec![sl(0, 1, 1), sl(0, 1, 3)])?;
                let y = self.g.slice(b, vec![sl(1, 1, 1), sl(0, 1, 3)])?;
                self.g.concat(&[y, x], 0)
            }
            [2, 3] => {
                let x = self.g.slice(a, vec![sl(0, 1, 2), sl(0, 2, 2)])?;
                let y = self.g.slice(b, vec![sl(0, 1, 2), sl(1, 1, 1)])?;
                self.g.concat(&[x, y], 1)
            }
            _ => {
                let x = self.g.reshape(a, &[1])?;
                let y = self.g.reshape(b, &[1])?;
                let c = self.g.concat(&[x, y, x], 0)?;
                let r = self.g.slice(c, vec![sl(1, 1, 1)])?;
                self.g.reshape(r, &[])
            }
        }
    }

    fn matmul(&mut self, a: NodeId, b: NodeId, c: NodeId) -> IrResult<NodeId> {
        match self.g.shape(a).to_vec().as_slice() {
            [2, 3] => {
                let bt = self.g.transpose(b);
                let m = self.g.matmul(a, bt)?; // [2, 2]
                self.g.matmul(m, c)
            }
            [3] => {
                let col = self.g.reshape(a, &[3, 1])?;
                let row = self.g.reshape(b, &[1, 3])?;
                let outer = self.g.matmul(col, row)?; // [3, 3]
                self.g.sum(outer, Some(0))
            }
            _ => self.g.binary(BinaryOp::Mul, a, b),
        }
    }
}

/// Builds `p` into a function with a scalar output: the sum of every value, each
/// reduced to a scalar (so that every instruction matters).
pub fn build(p: &Program) -> IrResult<Function> {
    let mut g = Graph::new();
    let inputs: Vec<NodeId> = p
        .inputs
        .iter()
        .map(|&s| g.input(SHAPES[s as usize % 3].to_vec()))
        .collect();
    let mut b = Builder {
        g: &mut g,
        vals: inputs,
    };
    let mut total = None;
    for &ins in &p.instrs {
        let v = b.instr(ins)?;
        b.vals.push(v);
        let s = b.g.sum(v, None)?;
        total = Some(match total {
            None => s,
            Some(t) => b.g.binary(BinaryOp::Add, t, s)?,
        });
    }
    let out = match total {
        Some(t) => t,
        None => {
            let v = b.vals[0];
            b.g.sum(v, None)?
        }
    };
    Ok(Function {
        graph: g,
        outputs: vec![out],
    })
}

/// SplitMix64, for deterministic test data.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.next() >> 11) as f64 / (1u64 << 53) as f64)
    }
}

/// Random tensors of `f`'s input shapes, uniform in [-1.5, 1.5].
pub fn random_inputs(f: &Function, seed: u64) -> Vec<Tensor> {
    let mut rng = Rng(seed);
    f.input_shapes()
        .iter()
        .map(|s| {
            let n = s.iter().product();
            let data = (0..n).map(|_| rng.uniform(-1.5, 1.5)).collect();
            optl_tensor::from_vec(s, data).expect("input")
        })
        .collect()
}

/// All elements of several tensors, flattened.
pub fn flat(ts: &[Tensor]) -> Vec<f64> {
    ts.iter().flat_map(|t| t.iter().copied()).collect()
}

/// `xs` with flat element `k` (across all tensors) moved by `d`.
pub fn nudge(xs: &[Tensor], k: usize, d: f64) -> Vec<Tensor> {
    let mut out = xs.to_vec();
    let mut k = k;
    for t in &mut out {
        if k < t.len() {
            if let Some(x) = t.iter_mut().nth(k) {
                *x += d;
            }
            break;
        }
        k -= t.len();
    }
    out
}

/// `xs + d * v`, tensor by tensor.
pub fn axpy(xs: &[Tensor], d: f64, v: &[Tensor]) -> Vec<Tensor> {
    xs.iter().zip(v).map(|(x, v)| x + &(v * d)).collect()
}

/// The derivative of `f(t)` at 0 by central differences with one Richardson
/// extrapolation step: `(4 D(h/2) - D(h)) / 3` with `D(h) = (f(h) - f(-h)) / 2h`,
/// accurate to O(h^4) (so a larger `h` keeps rounding errors small).
pub fn richardson(f: &mut dyn FnMut(f64) -> Vec<f64>, h: f64) -> Vec<f64> {
    let d = |f: &mut dyn FnMut(f64) -> Vec<f64>, h: f64| {
        let (p, m) = (f(h), f(-h));
        p.iter()
            .zip(&m)
            .map(|(p, m)| (p - m) / (2.0 * h))
            .collect::<Vec<f64>>()
    };
    let d1 = d(f, h);
    let d2 = d(f, h / 2.0);
    d1.iter()
        .zip(&d2)
        .map(|(a, b)| (4.0 * b - a) / 3.0)
        .collect()
}

/// The scalar value of `f` (its first output) at `xs`.
pub fn value(f: &Function, xs: &[Tensor]) -> f64 {
    eval(f, xs)
        .ok()
        .and_then(|o| o.first().and_then(|t| t.iter().next().copied()))
        .unwrap_or(f64::NAN)
}

/// Smallest distance, at `xs`, of any nonsmooth operation's argument to its switch
/// point: `abs`/`sign`/`where` conditions to 0, `max`/`min`/comparison operands to
/// each other, `floor`/`ceil` arguments to the nearest integer, and the two largest
/// (smallest) elements of a `max` (`min`) reduction to each other.
pub fn kink_distance(f: &Function, xs: &[Tensor]) -> f64 {
    let Ok(vals) = eval_nodes(f, xs, DEFAULT_LIMIT) else {
        return 0.0;
    };
    let get = |id: NodeId| -> Vec<f64> {
        vals[id.index()]
            .as_ref()
            .map(|t| t.iter().copied().collect())
            .unwrap_or_default()
    };
    let mut best = f64::INFINITY;
    for (i, node) in f.graph.nodes().iter().enumerate() {
        if vals[i].is_none() {
            continue;
        }
        let mut see = |d: f64| best = best.min(if d.is_nan() { 0.0 } else { d });
        match &node.op {
            Op::Unary(UnaryOp::Floor | UnaryOp::Ceil) => get(node.args[0])
                .iter()
                .for_each(|x| see((x - x.round()).abs())),
            // The same node on both sides never switches.
            Op::Binary(b)
                if (b.is_comparison() || matches!(b, BinaryOp::Max | BinaryOp::Min))
                    && node.args[0] != node.args[1] =>
            {
                let (a, c) = (get(node.args[0]), get(node.args[1]));
                a.iter().zip(&c).for_each(|(a, c)| see((a - c).abs()));
            }
            // A comparison condition is 0 or 1; its own operands were checked.
            Op::Where if !is_comparison(f, node.args[0]) => {
                get(node.args[0]).iter().for_each(|x| see(x.abs()))
            }
            Op::Unary(UnaryOp::Abs | UnaryOp::Sign) if is_comparison(f, node.args[0]) => {}
            Op::Unary(UnaryOp::Abs | UnaryOp::Sign) => {
                get(node.args[0]).iter().for_each(|x| see(x.abs()))
            }
            Op::Max(axis) | Op::Min(axis) => {
                let x = vals[node.args[0].index()].as_ref().expect("live");
                let lanes: Vec<Vec<f64>> = match axis {
                    None => vec![x.iter().copied().collect()],
                    Some(ax) => x
                        .lanes(ndarray::Axis(*ax))
                        .into_iter()
                        .map(|l| l.iter().copied().collect())
                        .collect(),
                };
                for mut lane in lanes {
                    lane.sort_by(f64::total_cmp);
                    if matches!(node.op, Op::Max(_)) {
                        lane.reverse();
                    }
                    if lane.len() >= 2 {
                        see((lane[0] - lane[1]).abs());
                    }
                }
            }
            _ => {}
        }
    }
    best
}

fn is_comparison(f: &Function, id: NodeId) -> bool {
    matches!(f.graph.node(id).op, Op::Binary(b) if b.is_comparison())
}
