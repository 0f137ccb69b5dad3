//! SIMD code for light groups: two adjacent elements along one axis
//! ([`Env::vdim`]) computed at once as an `f64x2`. Every lane does exactly the
//! scalar operation (IEEE arithmetic is the same in SIMD registers), so results are
//! bitwise those of scalar code. Contiguous accesses are vector loads and stores,
//! broadcast ones a splat, strided ones two scalar accesses; operations without a
//! vector form (floor, ceil, sign) run lane by lane.

use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::types::{F64, F64X2};
use cranelift_codegen::ir::{Endianness, InstBuilder, MemFlagsData, Value};
use optl_ir::{BinaryOp, UnaryOp};

use super::{Env, Translator, flags, load_flags};
use crate::group::{Access, E, EId, Group};
use crate::plan::Mem;

/// Vector accesses are not aligned to 16 bytes.
fn vflags() -> MemFlagsData {
    MemFlagsData::new().with_notrap()
}

impl Translator<'_, '_> {
    /// Computes and stores the elements at the current index and the next one along
    /// `env.vdim`.
    pub(super) fn element_pair(&mut self, g: &Group, env: &Env) {
        let mut memo = vec![None; g.exprs.len()];
        let v = self.eval2(g, g.root, env, &mut memo);
        if let Some(st) = &g.store {
            if !g.dead_store {
                self.store2(st, env, v);
            }
            self.fwd.push((st.clone(), v));
        }
    }

    /// The root expression at the current index and the next one along `env.vdim`.
    pub(super) fn pair(&mut self, g: &Group, env: &Env) -> Value {
        let mut memo = vec![None; g.exprs.len()];
        self.eval2(g, g.root, env, &mut memo)
    }

    /// `(p, o)` moved by `elems` elements.
    fn shifted(&mut self, p: Value, o: i32, elems: i64) -> (Value, i32) {
        match i32::try_from(i64::from(o) + 8 * elems) {
            Ok(o1) => (p, o1),
            Err(_) => (self.b.ins().iadd_imm_s(p, 8 * elems), o),
        }
    }

    fn stride_along(acc: &Access, env: &Env) -> i64 {
        env.vdim.map_or(0, |d| acc.stride(d))
    }

    fn store2(&mut self, st: &Access, env: &Env, v: Value) {
        let (p, o) = self.address(st, env);
        match Self::stride_along(st, env) {
            1 => {
                self.b.ins().store(vflags(), v, p, o);
            }
            s => {
                let (a, b) = self.unpack(v);
                self.b.ins().store(flags(), a, p, o);
                let (p1, o1) = self.shifted(p, o, s);
                self.b.ins().store(flags(), b, p1, o1);
            }
        }
    }

    fn splat(&mut self, x: Value) -> Value {
        self.b.ins().splat(F64X2, x)
    }

    fn unpack(&mut self, v: Value) -> (Value, Value) {
        let a = self.b.ins().extractlane(v, 0);
        let b = self.b.ins().extractlane(v, 1);
        (a, b)
    }

    fn pack(&mut self, a: Value, b: Value) -> Value {
        let v = self.b.ins().scalar_to_vector(F64X2, a);
        self.b.ins().insertlane(v, b, 1)
    }

    /// A lane mask (from a vector comparison) as a float vector, for `bitselect`.
    fn mask(&mut self, m: Value) -> Value {
        let le = MemFlagsData::new().with_endianness(Endianness::Little);
        self.b.ins().bitcast(F64X2, le, m)
    }

    fn eval2(&mut self, g: &Group, id: EId, env: &Env, memo: &mut [Option<Value>]) -> Value {
        if let Some(v) = memo[id as usize] {
            return v;
        }
        let v = stacker::maybe_grow(64 * 1024, 1024 * 1024, || match &g.exprs[id as usize] {
            E::Imm(x) => {
                let c = self.fconst(*x);
                self.splat(c)
            }
            E::Reg(r) => {
                let c = self.reg(*r);
                self.splat(c)
            }
            E::Load(acc) => {
                if let Some(v) = self.forwarded(acc) {
                    return v;
                }
                let (p, o) = self.address(acc, env);
                let ro = matches!(acc.mem, Mem::In(_) | Mem::Const(_));
                let vf = if ro {
                    vflags().with_readonly()
                } else {
                    vflags()
                };
                let sf = load_flags(acc.mem);
                match Self::stride_along(acc, env) {
                    1 => self.b.ins().load(F64X2, vf, p, o),
                    0 => {
                        let x = self.b.ins().load(F64, sf, p, o);
                        self.splat(x)
                    }
                    s => {
                        let a = self.b.ins().load(F64, sf, p, o);
                        let (p1, o1) = self.shifted(p, o, s);
                        let b = self.b.ins().load(F64, sf, p1, o1);
                        self.pack(a, b)
                    }
                }
            }
            E::Un(op, a) => {
                let x = self.eval2(g, *a, env, memo);
                match op {
                    UnaryOp::Neg => {
                        let z = self.fconst(-0.0);
                        let z = self.splat(z);
                        self.b.ins().fsub(z, x)
                    }
                    UnaryOp::Abs => self.b.ins().fabs(x),
                    UnaryOp::Sqrt => self.b.ins().sqrt(x),
                    op => {
                        let (a, b) = self.unpack(x);
                        let (a, b) = (self.unary(*op, a), self.unary(*op, b));
                        self.pack(a, b)
                    }
                }
            }
            E::Bin(op, a, b) => {
                let x = self.eval2(g, *a, env, memo);
                let y = self.eval2(g, *b, env, memo);
                self.binary2(*op, x, y)
            }
            E::Where(c, a, b) => {
                let c = self.eval2(g, *c, env, memo);
                let x = self.eval2(g, *a, env, memo);
                let y = self.eval2(g, *b, env, memo);
                let zero = self.fconst(0.0);
                let zero = self.splat(zero);
                let m = self.b.ins().fcmp(FloatCC::NotEqual, c, zero);
                let m = self.mask(m);
                self.b.ins().bitselect(m, x, y)
            }
            E::Guard(conds, e) => {
                if Self::guard_holds(conds, env) {
                    self.eval2(g, *e, env, memo)
                } else {
                    let zero = self.fconst(0.0);
                    self.splat(zero)
                }
            }
        });
        memo[id as usize] = Some(v);
        v
    }

    fn binary2(&mut self, op: BinaryOp, x: Value, y: Value) -> Value {
        let cmp = |t: &mut Self, cc: FloatCC| {
            let m = t.b.ins().fcmp(cc, x, y);
            let m = t.mask(m);
            let (one, zero) = (t.fconst(1.0), t.fconst(0.0));
            let (one, zero) = (t.splat(one), t.splat(zero));
            t.b.ins().bitselect(m, one, zero)
        };
        match op {
            BinaryOp::Add => self.b.ins().fadd(x, y),
            BinaryOp::Sub => self.b.ins().fsub(x, y),
            BinaryOp::Mul => self.b.ins().fmul(x, y),
            BinaryOp::Div => self.b.ins().fdiv(x, y),
            BinaryOp::Max | BinaryOp::Min => {
                let cc = if op == BinaryOp::Max {
                    FloatCC::GreaterThanOrEqual
                } else {
                    FloatCC::LessThanOrEqual
                };
                let keep = self.b.ins().fcmp(cc, x, y);
                let nan = self.b.ins().fcmp(FloatCC::Unordered, x, x);
                let m = self.b.ins().bor(keep, nan);
                let m = self.mask(m);
                self.b.ins().bitselect(m, x, y)
            }
            BinaryOp::Lt => cmp(self, FloatCC::LessThan),
            BinaryOp::Le => cmp(self, FloatCC::LessThanOrEqual),
            BinaryOp::Gt => cmp(self, FloatCC::GreaterThan),
            BinaryOp::Ge => cmp(self, FloatCC::GreaterThanOrEqual),
            BinaryOp::Eq => cmp(self, FloatCC::Equal),
            BinaryOp::Ne => cmp(self, FloatCC::NotEqual),
            BinaryOp::Pow => {
                let (a0, a1) = self.unpack(x);
                let (b0, b1) = self.unpack(y);
                let (r0, r1) = (self.binary(op, a0, b0), self.binary(op, a1, b1));
                self.pack(r0, r1)
            }
        }
    }
}
