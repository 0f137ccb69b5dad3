//! Hashes of functions: structural (the canonical graph) and functional (what the
//! function computes on fixed probe inputs). Both are 128-bit BLAKE3 digests.
//!
//! **Structural.** Each node the outputs depend on is hashed from its operation and
//! parameters, its shape and its arguments' hashes (sorted for commutative
//! operations); constants are hashed by content ([`canonical_bits`]), inputs by
//! index. The function's hash combines the input shapes and the output hashes in
//! order. So node numbering, dead code, and the order the graph was built in do not
//! matter; everything else does.
//!
//! **Functional** (Unified Functional Hashing). The function runs on [`PROBES`]
//! seeded probe input sets ([`probe_inputs`]); every value is drawn from
//! `[-2, -0.25] ∪ [0.25, 2]`: both signs (each element is positive in two probe sets
//! and negative in the other two, so `abs(x)` and `x` always differ), away from 0 and
//! from the edges of `log`/`sqrt`/division domains, and small enough that `exp` and
//! powers stay in range. The hash covers the input shapes (arity matters, names do
//! not), the output shapes, and every output value with its mantissa rounded to
//! nearest at [`MANTISSA_BITS`] = 28 bits. Why 28: reassociating a sum or a product
//! (`x*y + x` against `x*(y + 1)`) changes a result by a few ulps, 2^-52 relative,
//! far below the 2^-29 rounding step, so equivalent rewrites agree (unless a value
//! lands within a few ulps of a rounding boundary, about one chance in 10^7 per
//! value); near misses such as `a*(b + 1.0001)` against `a*(b + 1)` differ by 1e-4
//! relative, 10^4 rounding steps, and hash differently. NaN, +Inf and -Inf are
//! fixed tokens; -0.0 and 0.0 are one token (the simplifier does not keep the sign of
//! a zero). A run that fails (say `max` of an empty tensor) hashes its error message.
//! Probe inputs are not shaped for linear algebra: `cholesky` of a probe input fails
//! (it is not symmetric), and `logdet` of one fails when its determinant is negative,
//! so such functions are told apart only by the probes on which they run.

use optl_tensor::Tensor;

use crate::graph::{Function, Op, Shape, canonical_bits};
use crate::interp::eval;

/// Number of probe input sets of the functional hash.
pub const PROBES: usize = 4;

/// Mantissa bits kept by the functional hash (of the 52 stored).
pub const MANTISSA_BITS: u32 = 28;

/// Lowercase hex of a hash.
pub fn hex(h: &[u8; 16]) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

fn digest16(h: &blake3::Hasher) -> [u8; 16] {
    let full = h.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&full.as_bytes()[..16]);
    out
}

fn put_u64(h: &mut blake3::Hasher, x: u64) {
    h.update(&x.to_le_bytes());
}

fn put_shape(h: &mut blake3::Hasher, s: &[usize]) {
    put_u64(h, s.len() as u64);
    for &d in s {
        put_u64(h, d as u64);
    }
}

fn put_str(h: &mut blake3::Hasher, s: &str) {
    put_u64(h, s.len() as u64);
    h.update(s.as_bytes());
}

/// Hashes an operation with its parameters (not its arguments).
fn put_op(h: &mut blake3::Hasher, op: &Op) {
    let put_axis = |h: &mut blake3::Hasher, axis: &Option<usize>| match axis {
        None => put_u64(h, u64::MAX),
        Some(a) => put_u64(h, *a as u64),
    };
    match op {
        Op::Input(k) => {
            put_str(h, "input");
            put_u64(h, u64::from(*k));
        }
        Op::Const(_) => put_str(h, "const"),
        Op::Unary(u) => put_str(h, u.name()),
        Op::Binary(b) => put_str(h, b.name()),
        Op::Where => put_str(h, "where"),
        Op::Sum(a) => {
            put_str(h, "sum");
            put_axis(h, a);
        }
        Op::Max(a) => {
            put_str(h, "max");
            put_axis(h, a);
        }
        Op::Min(a) => {
            put_str(h, "min");
            put_axis(h, a);
        }
        Op::MatMul => put_str(h, "matmul"),
        Op::Broadcast => put_str(h, "broadcast"),
        Op::Reshape => put_str(h, "reshape"),
        Op::Transpose => put_str(h, "transpose"),
        Op::Slice(sl) | Op::Unslice(sl) => {
            put_str(
                h,
                if matches!(op, Op::Slice(_)) {
                    "slice"
                } else {
                    "unslice"
                },
            );
            put_u64(h, sl.len() as u64);
            for s in sl {
                put_u64(h, s.start as u64);
                put_u64(h, s.step as u64);
                put_u64(h, s.len as u64);
            }
        }
        Op::Concat(a) => {
            put_str(h, "concat");
            put_u64(h, *a as u64);
        }
        Op::Solve => put_str(h, "solve"),
        Op::EntropicOt { reg } => {
            put_str(h, "entropic_ot");
            put_u64(h, *reg);
        }
        Op::EntropicOtGrad { reg, wrt } => {
            put_str(h, "entropic_ot_grad");
            put_u64(h, *reg);
            put_u64(h, u64::from(*wrt));
        }
        Op::LogDet => put_str(h, "logdet"),
        Op::NuclearNorm => put_str(h, "nuclear_norm"),
        Op::NuclearNormGrad => put_str(h, "nuclear_norm_grad"),
        Op::Cholesky => put_str(h, "cholesky"),
        Op::SparseMatVec { ncols, transpose } => {
            put_str(h, "sparse_matvec");
            put_u64(h, *ncols as u64);
            put_u64(h, u64::from(*transpose));
        }
    }
}

/// A hash of the content of a constant tensor (shape and canonical bits).
pub(crate) fn tensor_hash(t: &Tensor) -> blake3::Hash {
    let mut h = blake3::Hasher::new();
    put_shape(&mut h, t.shape());
    for &x in t.iter() {
        put_u64(&mut h, canonical_bits(x));
    }
    h.finalize()
}

/// The structural hash of `f` (see the module documentation).
pub fn structural_hash(f: &Function) -> [u8; 16] {
    let g = &f.graph;
    let live = g.reachable(&f.outputs);
    let invalid = blake3::hash(b"optl-ir: invalid node");
    let mut hashes: Vec<Option<blake3::Hash>> = vec![None; g.len()];
    for (i, node) in g.nodes().iter().enumerate() {
        if !live[i] {
            continue;
        }
        let mut h = blake3::Hasher::new();
        put_op(&mut h, &node.op);
        put_shape(&mut h, &node.shape);
        if let Op::Const(c) = node.op {
            match g.get_constant(c) {
                Some(t) => h.update(tensor_hash(t).as_bytes()),
                None => h.update(invalid.as_bytes()),
            };
        }
        let mut args: Vec<blake3::Hash> = node
            .args
            .iter()
            .map(|a| {
                if a.index() < i {
                    hashes[a.index()].unwrap_or(invalid)
                } else {
                    invalid
                }
            })
            .collect();
        if let Op::Binary(b) = node.op
            && b.is_commutative()
        {
            args.sort_by(|x, y| x.as_bytes().cmp(y.as_bytes()));
        }
        put_u64(&mut h, args.len() as u64);
        for a in &args {
            h.update(a.as_bytes());
        }
        hashes[i] = Some(h.finalize());
    }
    let mut h = blake3::Hasher::new();
    put_str(&mut h, "optl-ir structural v1");
    put_u64(&mut h, f.input_shapes().len() as u64);
    for s in f.input_shapes() {
        put_shape(&mut h, s);
    }
    put_u64(&mut h, f.outputs.len() as u64);
    for o in &f.outputs {
        let oh = hashes.get(o.index()).copied().flatten().unwrap_or(invalid);
        h.update(oh.as_bytes());
    }
    digest16(&h)
}

/// SplitMix64: a tiny, well-mixed, seedable generator (Steele, Lea and Flood, 2014).
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }
}

fn mix(x: u64) -> u64 {
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The [`PROBES`] probe input sets for inputs of `shapes`. Input `i` draws from its
/// own generator, seeded from `(seed, i)`. Each element takes magnitudes uniform in
/// `[0.25, 2]` and signs that are balanced across the probe sets (a random
/// arrangement of two `+` and two `-`): every input element is seen both positive and
/// negative, so functions that differ on one sign of one variable (`abs(x)` and `x`)
/// never hash alike, as they would with independent signs once in 16 seeds. Inputs
/// with more than [`crate::interp::DEFAULT_LIMIT`] elements get no probe values (an
/// empty tensor), and evaluation then fails.
pub fn probe_inputs(shapes: &[Shape], seed: u64) -> Vec<Vec<Tensor>> {
    let mut sets: Vec<Vec<Tensor>> = (0..PROBES)
        .map(|_| Vec::with_capacity(shapes.len()))
        .collect();
    for (i, s) in shapes.iter().enumerate() {
        let mut rng = SplitMix64(mix(mix(seed) ^ i as u64));
        let n = optl_tensor::size_of(s);
        let n = if n <= crate::interp::DEFAULT_LIMIT as u128 {
            n as usize
        } else {
            0
        };
        let mut data: Vec<Vec<f64>> = (0..PROBES).map(|_| Vec::with_capacity(n)).collect();
        for _ in 0..n {
            let mut signs = [1.0f64; PROBES];
            for sign in signs.iter_mut().skip(PROBES / 2) {
                *sign = -1.0;
            }
            // Fisher-Yates shuffle of the balanced signs.
            for k in (1..PROBES).rev() {
                let j = (rng.next() % (k as u64 + 1)) as usize;
                signs.swap(k, j);
            }
            for (d, sign) in data.iter_mut().zip(signs) {
                let unit = (rng.next() >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
                d.push(sign * (0.25 + 1.75 * unit));
            }
        }
        for (set, d) in sets.iter_mut().zip(data) {
            let t = optl_tensor::from_vec(s, d).unwrap_or_else(|_| optl_tensor::scalar(f64::NAN));
            set.push(t);
        }
    }
    sets
}

/// The token hashed for one output value (see the module documentation).
pub fn quantize(x: f64) -> (u8, u64) {
    if x.is_nan() {
        (1, 0)
    } else if x == f64::INFINITY {
        (2, 0)
    } else if x == f64::NEG_INFINITY {
        (3, 0)
    } else if x == 0.0 {
        (4, 0)
    } else {
        let drop = 52 - MANTISSA_BITS;
        let bits = x.to_bits();
        let rounded = bits.wrapping_add(1 << (drop - 1)) & !((1u64 << drop) - 1);
        (0, rounded)
    }
}

/// The functional hash of `f` with probes drawn from `seed` (see the module
/// documentation).
pub fn functional_hash(f: &Function, seed: u64) -> [u8; 16] {
    let mut h = blake3::Hasher::new();
    put_str(&mut h, "optl-ir functional v1");
    put_u64(&mut h, seed);
    put_u64(&mut h, f.input_shapes().len() as u64);
    for s in f.input_shapes() {
        put_shape(&mut h, s);
    }
    put_u64(&mut h, f.outputs.len() as u64);
    for probe in probe_inputs(f.input_shapes(), seed) {
        match eval(f, &probe) {
            Ok(outs) => {
                for t in &outs {
                    put_shape(&mut h, t.shape());
                    for &x in t.iter() {
                        let (tag, bits) = quantize(x);
                        h.update(&[tag]);
                        put_u64(&mut h, bits);
                    }
                }
            }
            Err(e) => {
                put_str(&mut h, "error");
                put_str(&mut h, &e.to_string());
            }
        }
    }
    digest16(&h)
}

#[cfg(test)]
#[path = "hash_tests.rs"]
mod tests;
