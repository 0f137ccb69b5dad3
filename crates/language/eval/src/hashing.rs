//! `hash(v)`: the structural hash of a value's canonical form (LANGUAGE.md §8).
//!
//! Data hashes by content (Floats by canonical bits, so `1.0` and `1` differ but all
//! NaNs agree, and -0.0 hashes as 0.0). Numeric functions hash by their traced IR, so parameter and local
//! names do not matter; functions that cannot be traced hash by their source form.
//! Symbolic objects hash by constructor and arguments.

use crate::evaluator::Interp;
use crate::value::{Func, Hyper, Value};
use optl_syntax::span::Span;

/// The bits a Float hashes by: equal values hash alike, so every NaN is one NaN and
/// -0.0 is 0.0 (`-0.0 == 0.0`). (IR constants keep -0.0 apart: `1 / c` tells them
/// apart, and a function hashes by its IR.)
fn value_bits(x: f64) -> u64 {
    optl_ir::graph::canonical_bits(if x == 0.0 { 0.0 } else { x })
}

/// 128-bit structural hash of a value, as 32 hex digits.
pub fn value_hash(interp: &mut Interp, v: &Value, span: Span) -> String {
    let mut h = blake3::Hasher::new();
    feed(interp, v, span, &mut h, 0);
    let bytes = h.finalize();
    hex(&bytes.as_bytes()[..16])
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Values nest at most this deep in a hash (deeper parts hash by their type only).
const MAX_DEPTH: usize = 64;

fn feed(interp: &mut Interp, v: &Value, span: Span, h: &mut blake3::Hasher, depth: usize) {
    h.update(v.type_name().as_bytes());
    if depth > MAX_DEPTH {
        return;
    }
    let text = |h: &mut blake3::Hasher, s: &str| {
        h.update(&(s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    };
    match v {
        Value::Unit => {}
        Value::Bool(b) => {
            h.update(&[u8::from(*b)]);
        }
        Value::Int(n) => {
            h.update(&n.to_le_bytes());
        }
        Value::Float(x) => {
            h.update(&value_bits(*x).to_le_bytes());
        }
        Value::Str(s) => text(h, s),
        Value::Sparse(a) => {
            let (m, n) = a.shape();
            for k in [m, n, a.nnz()] {
                h.update(&(k as u64).to_le_bytes());
            }
            for &p in a.indptr() {
                h.update(&(p as u64).to_le_bytes());
            }
            for &j in a.indices() {
                h.update(&j.to_le_bytes());
            }
            for &x in a.values() {
                h.update(&value_bits(x).to_le_bytes());
            }
        }
        Value::Tensor(t) => {
            h.update(&(t.ndim() as u64).to_le_bytes());
            for d in t.shape() {
                h.update(&(*d as u64).to_le_bytes());
            }
            for x in t.iter() {
                h.update(&value_bits(*x).to_le_bytes());
            }
        }
        Value::List(items) => {
            h.update(&(items.len() as u64).to_le_bytes());
            for i in items.iter() {
                feed(interp, i, span, h, depth + 1);
            }
        }
        Value::Record(r) | Value::Result(r) => {
            h.update(&(r.fields.len() as u64).to_le_bytes());
            for (n, x) in &r.fields {
                text(h, n);
                feed(interp, x, span, h, depth + 1);
            }
        }
        Value::Sym(s) => {
            text(h, s.family.kind.word());
            text(h, s.name());
            for (n, x) in &s.args {
                text(h, n);
                feed(interp, x, span, h, depth + 1);
            }
        }
        Value::Family(f) => {
            text(h, f.kind.word());
            text(h, f.name());
            for p in f.params() {
                text(h, &p.name.name);
            }
            for s in f.decl.body.iter() {
                text(h, &optl_syntax::print::stmt_to_sexpr(s));
            }
        }
        Value::Module(m) => text(h, &m.name),
        Value::Hyper(x) => match &**x {
            Hyper::OneOf(c) => {
                text(h, "oneof");
                feed(interp, &Value::list(c.clone()), span, h, depth + 1);
            }
            Hyper::ManyOf {
                k,
                candidates,
                distinct,
                sorted,
            } => {
                text(h, "manyof");
                h.update(&(*k as u64).to_le_bytes());
                h.update(&[u8::from(*distinct), u8::from(*sorted)]);
                feed(interp, &Value::list(candidates.clone()), span, h, depth + 1);
            }
            Hyper::Float { lo, hi, log } => {
                text(h, "floatv");
                h.update(&value_bits(*lo).to_le_bytes());
                h.update(&value_bits(*hi).to_le_bytes());
                h.update(&[u8::from(*log)]);
            }
            Hyper::Int { lo, hi } => {
                text(h, "intv");
                h.update(&lo.to_le_bytes());
                h.update(&hi.to_le_bytes());
            }
        },
        Value::Tracer(t) => {
            h.update(&t.trace.to_le_bytes());
            h.update(&t.node.0.to_le_bytes());
        }
        Value::Func(f) => match &**f {
            Func::Builtin(b) => text(h, b.name),
            Func::Host(x) => text(h, &x.name),
            Func::Derived(d) => {
                text(h, &format!("{:?}", d.kind));
                feed(interp, &d.f, span, h, depth + 1);
            }
            Func::Closure(c) => {
                let shapes = vec![Vec::new(); c.params.len()];
                match interp.trace_function(v, &shapes, span) {
                    Ok(ir) => {
                        text(h, "ir");
                        h.update(&optl_ir::hash::structural_hash(&ir));
                    }
                    Err(_) => {
                        // Not numeric: the source form, with the parameter count.
                        text(h, "source");
                        h.update(&(c.params.len() as u64).to_le_bytes());
                        text(h, &optl_syntax::print::expr_to_sexpr(&c.body));
                    }
                }
            }
        },
    }
}
