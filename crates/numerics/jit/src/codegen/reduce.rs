//! Reductions in the interpreter's order: left-to-right folds (max, min, sums of
//! non-contiguous lanes) and NumPy's pairwise sum (see `pairwise.rs`): eight
//! accumulators per block (four `f64x2` in light groups: lane `j % 2` of
//! accumulator `j / 2` adds exactly the elements `r[j]` adds), and for lanes longer
//! than one block, a table of leaf blocks run by a loop with a small stack of
//! partial sums.

use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::types::{F64, F64X2, I64};
use cranelift_codegen::ir::{InstBuilder, StackSlot, StackSlotData, StackSlotKind, Value};

use super::{Env, Idx, STACK_SLOTS, Translator, flags};
use crate::group::Group;
use crate::pairwise;
use crate::plan::RedOp;

impl Translator<'_, '_> {
    /// The root expression at lane index `k`.
    pub(super) fn lane_element(&mut self, g: &Group, env: &mut Env, k: Idx) -> Value {
        if let Some(d) = g.lane.and_then(|l| l.dim) {
            env.idx[d as usize] = Some(k);
            if k.var.is_some() {
                env.nest.push(d as usize);
            }
            let v = self.element(g, env);
            if k.var.is_some() {
                env.nest.pop();
            }
            env.idx[d as usize] = None;
            v
        } else {
            self.element(g, env)
        }
    }

    fn combine(&mut self, op: RedOp, acc: Value, x: Value) -> Value {
        match op {
            RedOp::Sum => self.b.ins().fadd(acc, x),
            // NaN wins (the first one met), ties keep the earlier element.
            RedOp::Max | RedOp::Min => {
                let cc = if op == RedOp::Max {
                    FloatCC::GreaterThan
                } else {
                    FloatCC::LessThan
                };
                let better = self.b.ins().fcmp(cc, x, acc);
                let nan = self.b.ins().fcmp(FloatCC::Unordered, x, x);
                let take = self.b.ins().bor(better, nan);
                self.b.ins().select(take, x, acc)
            }
        }
    }

    /// A left-to-right reduction of `n >= 1` lane elements.
    pub(super) fn fold(&mut self, g: &Group, env: &mut Env, n: i64, op: RedOp) -> Value {
        let first = self.lane_element(g, env, Idx::c(0));
        if n <= 8 {
            let mut acc = first;
            for k in 1..n {
                let x = self.lane_element(g, env, Idx::c(k));
                acc = self.combine(op, acc, x);
            }
            return acc;
        }
        let acc = self.b.declare_var(F64);
        self.b.def_var(acc, first);
        let (from, to) = (self.iconst(1), self.iconst(n));
        self.count_loop(from, to, 1, |t, i| {
            let x = t.lane_element(g, env, Idx { var: Some(i), k: 0 });
            let a = t.b.use_var(acc);
            let s = t.combine(op, a, x);
            t.b.def_var(acc, s);
        });
        self.b.use_var(acc)
    }

    /// NumPy's pairwise sum of `n >= 1` lane elements.
    pub(super) fn pairwise(&mut self, g: &Group, env: &mut Env, n: i64) -> Value {
        if n < 8 {
            return self.fold(g, env, n, RedOp::Sum);
        }
        if n as usize <= pairwise::BLOCK {
            let chunks = self.iconst(n / 8);
            let s = self.block(g, env, Idx::c(0), chunks);
            return self.tail(g, env, s, n - n % 8, n);
        }
        // Long lanes: a loop over a table of leaf blocks `(start, chunks, additions)`,
        // with a stack of partial sums; the last leaf's tail and additions are
        // static, after the loop.
        let leaves = pairwise::leaves(n as usize);
        let (before, _) = pairwise::depths(&leaves);
        let last = leaves[leaves.len() - 1];
        let table: Box<[i64]> = leaves
            .iter()
            .enumerate()
            .flat_map(|(i, l)| {
                let combines = if i + 1 == leaves.len() { 0 } else { l.combines };
                [l.start as i64, (l.len / 8) as i64, combines as i64]
            })
            .collect();
        let tab = self.iconst(table.as_ptr() as i64);
        self.tables.push(table);
        let ss = self.stack_slot();
        let sp = self.b.declare_var(I64);
        let zero = self.iconst(0);
        self.b.def_var(sp, zero);
        let (from, to) = (self.iconst(0), self.iconst(24 * leaves.len() as i64));
        self.count_loop(from, to, 24, |t, off| {
            let entry = t.b.ins().iadd(tab, off);
            let start = t.b.ins().load(I64, flags(), entry, 0);
            let chunks = t.b.ins().load(I64, flags(), entry, 8);
            let combines = t.b.ins().load(I64, flags(), entry, 16);
            let s = t.block(
                g,
                env,
                Idx {
                    var: Some(start),
                    k: 0,
                },
                chunks,
            );
            let top = t.b.declare_var(F64);
            t.b.def_var(top, s);
            let cnt = t.b.declare_var(I64);
            t.b.def_var(cnt, combines);
            let (head, body, done) = (t.b.create_block(), t.b.create_block(), t.b.create_block());
            t.b.ins().jump(head, &[]);
            t.b.switch_to_block(head);
            let c = t.b.use_var(cnt);
            t.b.ins().brif(c, body, &[], done, &[]);
            t.b.switch_to_block(body);
            let p = t.b.use_var(sp);
            let p1 = t.b.ins().iadd_imm_s(p, -1);
            t.b.def_var(sp, p1);
            let addr = t.stack_elem(ss, p1);
            let left = t.b.ins().load(F64, flags(), addr, 0);
            let right = t.b.use_var(top);
            let sum = t.b.ins().fadd(left, right);
            t.b.def_var(top, sum);
            let c1 = t.b.ins().iadd_imm_s(c, -1);
            t.b.def_var(cnt, c1);
            t.b.ins().jump(head, &[]);
            t.b.switch_to_block(done);
            let p = t.b.use_var(sp);
            let addr = t.stack_elem(ss, p);
            let v = t.b.use_var(top);
            t.b.ins().store(flags(), v, addr, 0);
            let p1 = t.b.ins().iadd_imm_s(p, 1);
            t.b.def_var(sp, p1);
        });
        let depth = before[before.len() - 1];
        let base = self.b.ins().stack_addr(I64, ss, 0);
        let s = self.b.ins().load(F64, flags(), base, (8 * depth) as i32);
        let end = (last.start + last.len) as i64;
        let mut top = self.tail(g, env, s, end - (last.len % 8) as i64, end);
        for slot in (0..depth).rev() {
            let left = self.b.ins().load(F64, flags(), base, (8 * slot) as i32);
            top = self.b.ins().fadd(left, top);
        }
        top
    }

    fn stack_slot(&mut self) -> StackSlot {
        if let Some(s) = self.stack {
            return s;
        }
        let data = StackSlotData::new(StackSlotKind::ExplicitSlot, 8 * STACK_SLOTS, 3);
        let s = self.b.create_sized_stack_slot(data);
        self.stack = Some(s);
        s
    }

    fn stack_elem(&mut self, ss: StackSlot, index: Value) -> Value {
        let base = self.b.ins().stack_addr(I64, ss, 0);
        let off = self.b.ins().ishl_imm_u(index, 3);
        self.b.ins().iadd(base, off)
    }

    /// The root expression at lane indices `k` and `k + 1` (SIMD).
    fn lane_pair(&mut self, g: &Group, env: &mut Env, k: Idx) -> Value {
        let Some(d) = g.lane.and_then(|l| l.dim).map(|d| d as usize) else {
            let x = self.element(g, env);
            return self.b.ins().splat(F64X2, x);
        };
        env.idx[d] = Some(k);
        env.vdim = Some(d);
        env.nest.push(d);
        let v = self.pair(g, env);
        env.nest.pop();
        env.vdim = None;
        env.idx[d] = None;
        v
    }

    /// Eight accumulators `r[j]` over `chunks >= 1` chunks of 8 elements from
    /// `start`, combined as NumPy does. Each starts at -0.0, which adds exactly:
    /// `-0.0 + x == x` for every `x`. Light groups keep them in four `f64x2`.
    fn block(&mut self, g: &Group, env: &mut Env, start: Idx, chunks: Value) -> Value {
        let width = if g.light { 2 } else { 1 };
        let ty = if g.light { F64X2 } else { F64 };
        let minus_zero = self.fconst(-0.0);
        let init = if g.light {
            self.b.ins().splat(F64X2, minus_zero)
        } else {
            minus_zero
        };
        let acc: Vec<_> = (0..8 / width)
            .map(|_| {
                let v = self.b.declare_var(ty);
                self.b.def_var(v, init);
                v
            })
            .collect();
        let from = match start.var {
            Some(s) => self.b.ins().iadd_imm_s(s, start.k),
            None => self.iconst(start.k),
        };
        let span = self.b.ins().ishl_imm_u(chunks, 3);
        let to = self.b.ins().iadd(from, span);
        self.count_loop(from, to, 8, |t, i| {
            for (j, &v) in acc.iter().enumerate() {
                let k = Idx {
                    var: Some(i),
                    k: (j * width) as i64,
                };
                let x = if width == 2 {
                    t.lane_pair(g, env, k)
                } else {
                    t.lane_element(g, env, k)
                };
                let a = t.b.use_var(v);
                let s = t.b.ins().fadd(a, x);
                t.b.def_var(v, s);
            }
        });
        let mut r: Vec<Value> = Vec::with_capacity(8);
        for &v in &acc {
            let x = self.b.use_var(v);
            if width == 2 {
                r.push(self.b.ins().extractlane(x, 0));
                r.push(self.b.ins().extractlane(x, 1));
            } else {
                r.push(x);
            }
        }
        let ins = &mut self.b;
        let p01 = ins.ins().fadd(r[0], r[1]);
        let p23 = ins.ins().fadd(r[2], r[3]);
        let p45 = ins.ins().fadd(r[4], r[5]);
        let p67 = ins.ins().fadd(r[6], r[7]);
        let q0 = ins.ins().fadd(p01, p23);
        let q1 = ins.ins().fadd(p45, p67);
        ins.ins().fadd(q0, q1)
    }

    /// Adds the lane elements `from..to` (static) to `s`, in order.
    fn tail(&mut self, g: &Group, env: &mut Env, mut s: Value, from: i64, to: i64) -> Value {
        for k in from..to {
            let x = self.lane_element(g, env, Idx::c(k));
            s = self.b.ins().fadd(s, x);
        }
        s
    }
}
