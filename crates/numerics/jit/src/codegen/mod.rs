//! The translator: turns a [`Plan`] into one Cranelift function
//! `fn(inputs: *const *const f64, outputs: *const *mut f64, scratch: *mut f64,
//! ctx: *mut CallCtx)`.
//!
//! Each group becomes a loop nest (segments of length 1 are straight-line code, so a
//! scalar DAG is straight-line code); the innermost elementwise loop is unrolled by
//! four. Every index is `var + constant` with the constant folded into the load's
//! offset, and the address terms are added outermost loop first so that Cranelift's
//! loop-invariant code motion hoists the outer part. Reductions run in the
//! interpreter's order (see `pairwise.rs`), with the fused producer evaluated at
//! each lane index.

use std::collections::HashMap;

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::types::{F64, I64};
use cranelift_codegen::ir::{FuncRef, InstBuilder, MemFlagsData, StackSlot, Value};
use cranelift_frontend::FunctionBuilder;
use cranelift_jit::JITModule;
use cranelift_module::{FuncId, Module};
use optl_ir::{BinaryOp, UnaryOp};

use crate::JitError;
use crate::group::{Access, Cond, E, EId, Group};
use crate::plan::{Mem, Plan, RedOp, Step};
use crate::runtime;

mod reduce;
mod vector;

/// Depth of the stack of partial sums of long pairwise sums (at most ~25 is used).
const STACK_SLOTS: u32 = 64;

/// A loop index value: `var + k` (or just `k`).
#[derive(Clone, Copy)]
struct Idx {
    var: Option<Value>,
    k: i64,
}

impl Idx {
    fn c(k: i64) -> Idx {
        Idx { var: None, k }
    }
}

/// Index values and segment ranges of the domain axes in scope.
struct Env {
    idx: Vec<Option<Idx>>,
    range: Vec<(i64, i64)>,
    /// Axes with a variable index, outermost first.
    nest: Vec<usize>,
    /// The axis along which SIMD code computes two adjacent elements at once.
    vdim: Option<usize>,
}

pub(crate) struct Translator<'a, 'b> {
    b: FunctionBuilder<'b>,
    module: &'a mut JITModule,
    imports: &'a HashMap<&'static str, FuncId>,
    refs: HashMap<&'static str, FuncRef>,
    ins: Vec<Value>,
    outs: Vec<Value>,
    scratch: Value,
    ctx: Value,
    consts: Value,
    regs: Vec<Option<Value>>,
    /// Values stored in the current iteration of a fused loop nest, by access.
    fwd: Vec<(Access, Value)>,
    stack: Option<StackSlot>,
    /// Leaf tables of long pairwise sums; the kernel keeps them alive.
    pub tables: Vec<Box<[i64]>>,
    err: Option<JitError>,
}

fn flags() -> MemFlagsData {
    MemFlagsData::trusted()
}

/// Inputs and constants do not change during a call (outputs and scratch never
/// alias them), so their loads may be merged across stores.
fn load_flags(mem: Mem) -> MemFlagsData {
    match mem {
        Mem::In(_) | Mem::Const(_) => flags().with_readonly(),
        Mem::Out(_) | Mem::Scratch(_) => flags(),
    }
}

/// Translates `plan` into the function of `b` (whose signature is set). Returns the
/// data tables the code points into.
pub(crate) fn translate(
    mut b: FunctionBuilder<'_>,
    module: &mut JITModule,
    imports: &HashMap<&'static str, FuncId>,
    plan: &Plan,
    consts_addr: i64,
) -> Result<Vec<Box<[i64]>>, JitError> {
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let p = b.block_params(entry).to_vec();
    let ptrs = |b: &mut FunctionBuilder<'_>, base: Value, n: usize| -> Vec<Value> {
        (0..n)
            .map(|k| b.ins().load(I64, flags(), base, (8 * k) as i32))
            .collect()
    };
    let ins = ptrs(&mut b, p[0], plan.input_shapes.len());
    let outs = ptrs(&mut b, p[1], plan.output_shapes.len());
    let consts = b.ins().iconst(I64, consts_addr);
    let mut t = Translator {
        b,
        module,
        imports,
        refs: HashMap::new(),
        ins,
        outs,
        scratch: p[2],
        ctx: p[3],
        consts,
        regs: vec![None; plan.n_regs as usize],
        fwd: Vec::new(),
        stack: None,
        tables: Vec::new(),
        err: None,
    };
    for &(r, k) in &plan.reg_inputs {
        let v = t.b.ins().load(F64, flags(), t.ins[k as usize], 0);
        t.regs[r as usize] = Some(v);
    }
    for step in &plan.steps {
        match step {
            Step::Loop(gs) => t.group(gs),
            Step::Fill { mem, len } => t.fill(*mem, *len),
            Step::MatMul(id) => {
                let f = t.func_ref(runtime::MATMUL);
                let id = t.b.ins().iconst(I64, i64::from(*id));
                let ctx = t.ctx;
                t.b.ins().call(f, &[ctx, id]);
            }
        }
    }
    t.b.ins().return_(&[]);
    t.b.seal_all_blocks();
    if let Some(e) = t.err {
        return Err(e);
    }
    let tables = t.tables;
    let cfg = t.module.target_config();
    t.b.finalize(cfg);
    Ok(tables)
}

impl Translator<'_, '_> {
    fn func_ref(&mut self, name: &'static str) -> FuncRef {
        if let Some(&r) = self.refs.get(name) {
            return r;
        }
        let id = self.imports[name];
        let r = self.module.declare_func_in_func(id, self.b.func);
        self.refs.insert(name, r);
        r
    }

    fn call(&mut self, name: &'static str, args: &[Value]) -> Value {
        let f = self.func_ref(name);
        let inst = self.b.ins().call(f, args);
        self.b.inst_results(inst)[0]
    }

    fn iconst(&mut self, k: i64) -> Value {
        self.b.ins().iconst(I64, k)
    }

    fn fconst(&mut self, x: f64) -> Value {
        self.b.ins().f64const(x)
    }

    /// A counted loop `for i in (from..to).step_by(step)`, run at least once.
    fn count_loop(
        &mut self,
        from: Value,
        to: Value,
        step: i64,
        body: impl FnOnce(&mut Self, Value),
    ) {
        let var = self.b.declare_var(I64);
        self.b.def_var(var, from);
        let head = self.b.create_block();
        let exit = self.b.create_block();
        self.b.ins().jump(head, &[]);
        self.b.switch_to_block(head);
        let i = self.b.use_var(var);
        body(self, i);
        let next = self.b.ins().iadd_imm_s(i, step);
        self.b.def_var(var, next);
        let more = self.b.ins().icmp(IntCC::SignedLessThan, next, to);
        self.b.ins().brif(more, head, &[], exit, &[]);
        self.b.switch_to_block(exit);
    }

    /// One loop nest computing the groups `gs` (which share their loops).
    fn group(&mut self, gs: &[Group]) {
        let mut env = Env {
            idx: vec![None; gs[0].ndims],
            range: vec![(0, 1); gs[0].ndims],
            nest: Vec::new(),
            vdim: None,
        };
        self.loops(gs, 0, &mut env);
    }

    fn loops(&mut self, gs: &[Group], level: usize, env: &mut Env) {
        let g = &gs[0];
        if level == g.loops.len() {
            return self.inner(gs, env);
        }
        let l = &g.loops[level];
        let d = l.dim as usize;
        let innermost = level + 1 == g.loops.len() && g.lane.is_none();
        for w in l.cuts.windows(2) {
            let (a, b) = (w[0], w[1]);
            env.range[d] = (a, b);
            if b - a == 1 {
                env.idx[d] = Some(Idx::c(a));
                self.loops(gs, level + 1, env);
                continue;
            }
            // A light innermost loop does two pairs of elements per iteration with
            // SIMD; the remainder is straight-line code.
            let simd = innermost && g.light && b - a >= 4;
            let unroll = if simd { 4 } else { 1 };
            let main_end = a + (b - a) / unroll * unroll;
            let (from, to) = (self.iconst(a), self.iconst(main_end));
            env.nest.push(d);
            self.count_loop(from, to, unroll, |t, i| {
                if simd {
                    env.vdim = Some(d);
                    for u in [0, 2] {
                        env.idx[d] = Some(Idx { var: Some(i), k: u });
                        t.fwd.clear();
                        for g in gs {
                            t.element_pair(g, env);
                        }
                    }
                    env.vdim = None;
                } else {
                    env.idx[d] = Some(Idx { var: Some(i), k: 0 });
                    t.loops(gs, level + 1, env);
                }
            });
            env.nest.pop();
            for k in main_end..b {
                env.idx[d] = Some(Idx::c(k));
                self.loops(gs, level + 1, env);
            }
        }
        env.idx[d] = None;
    }

    /// The body at one point of the outer loops: an element of each group, or a
    /// whole lane.
    fn inner(&mut self, gs: &[Group], env: &mut Env) {
        self.fwd.clear();
        for g in gs {
            let v = match g.lane {
                None => self.element(g, env),
                Some(lane) => {
                    let n = lane.len as i64;
                    match lane.op {
                        RedOp::Sum if lane.pairwise => self.pairwise(g, env, n),
                        op => self.fold(g, env, n, op),
                    }
                }
            };
            if let Some(st) = &g.store {
                if !g.dead_store {
                    let (p, o) = self.address(st, env);
                    self.b.ins().store(flags(), v, p, o);
                }
                if gs.len() > 1 {
                    self.fwd.push((st.clone(), v));
                }
            }
            if let Some(r) = g.reg {
                self.regs[r as usize] = Some(v);
            }
        }
    }

    /// The value just computed for `acc` in this iteration of a fused nest.
    fn forwarded(&self, acc: &Access) -> Option<Value> {
        self.fwd.iter().find(|(a, _)| a == acc).map(|(_, v)| *v)
    }

    /// The root expression at the current indices.
    fn element(&mut self, g: &Group, env: &Env) -> Value {
        let mut memo = vec![None; g.exprs.len()];
        self.eval(g, g.root, env, &mut memo)
    }

    fn fill(&mut self, mem: Mem, len: usize) {
        if len == 0 {
            return;
        }
        let zero = self.fconst(0.0);
        let acc = Access {
            mem,
            off: 0,
            strides: vec![1],
        };
        let mut env = Env {
            idx: vec![None],
            range: vec![(0, len as i64)],
            nest: vec![0],
            vdim: None,
        };
        let (from, to) = (self.iconst(0), self.iconst(len as i64));
        self.count_loop(from, to, 1, |t, i| {
            env.idx[0] = Some(Idx { var: Some(i), k: 0 });
            let (p, o) = t.address(&acc, &env);
            t.b.ins().store(flags(), zero, p, o);
        });
    }

    /// Pointer and constant byte offset of an access at the current indices.
    fn address(&mut self, acc: &Access, env: &Env) -> (Value, i32) {
        let (mut base, mut k) = match acc.mem {
            Mem::In(i) => (self.ins[i as usize], 0),
            Mem::Out(i) => (self.outs[i as usize], 0),
            Mem::Scratch(o) => (self.scratch, o as i64),
            Mem::Const(o) => (self.consts, o as i64),
        };
        k += acc.off;
        for (d, ix) in env.idx.iter().enumerate() {
            if let Some(ix) = ix {
                k += acc.stride(d) * ix.k;
            }
        }
        for &d in &env.nest {
            let s = acc.stride(d);
            if let (Some(Idx { var: Some(v), .. }), true) = (env.idx[d], s != 0) {
                let by = s * 8;
                let term = if by > 0 && (by as u64).is_power_of_two() {
                    self.b.ins().ishl_imm_u(v, i64::from(by.trailing_zeros()))
                } else {
                    self.b.ins().imul_imm_s(v, by)
                };
                base = self.b.ins().iadd(base, term);
            }
        }
        match i32::try_from(k * 8) {
            Ok(o) => (base, o),
            Err(_) => (self.b.ins().iadd_imm_s(base, k * 8), 0),
        }
    }

    fn reg(&mut self, r: u32) -> Value {
        match self.regs[r as usize] {
            Some(v) => v,
            None => {
                self.err = Some(JitError::Codegen(format!("register {r} read before set")));
                self.fconst(f64::NAN)
            }
        }
    }

    /// Whether guards hold in the current segment (where they are constant).
    fn guard_holds(conds: &[Cond], env: &Env) -> bool {
        conds.iter().all(|c| {
            let (a, b) = env.range[c.dim as usize];
            c.lo <= a && b <= c.hi
        })
    }

    fn eval(&mut self, g: &Group, id: EId, env: &Env, memo: &mut [Option<Value>]) -> Value {
        if let Some(v) = memo[id as usize] {
            return v;
        }
        let v = stacker::maybe_grow(64 * 1024, 1024 * 1024, || match &g.exprs[id as usize] {
            E::Imm(x) => self.fconst(*x),
            E::Reg(r) => self.reg(*r),
            E::Load(acc) => match self.forwarded(acc) {
                Some(v) => v,
                None => {
                    let (p, o) = self.address(acc, env);
                    self.b.ins().load(F64, load_flags(acc.mem), p, o)
                }
            },
            E::Un(op, a) => {
                let x = self.eval(g, *a, env, memo);
                self.unary(*op, x)
            }
            E::Bin(op, a, b) => {
                let x = self.eval(g, *a, env, memo);
                let y = self.eval(g, *b, env, memo);
                self.binary(*op, x, y)
            }
            E::Where(c, a, b) => {
                let c = self.eval(g, *c, env, memo);
                let x = self.eval(g, *a, env, memo);
                let y = self.eval(g, *b, env, memo);
                let zero = self.fconst(0.0);
                let t = self.b.ins().fcmp(FloatCC::NotEqual, c, zero);
                self.b.ins().select(t, x, y)
            }
            E::Guard(conds, e) => {
                if Self::guard_holds(conds, env) {
                    self.eval(g, *e, env, memo)
                } else {
                    self.fconst(0.0)
                }
            }
        });
        memo[id as usize] = Some(v);
        v
    }

    fn unary(&mut self, op: UnaryOp, x: Value) -> Value {
        match op {
            // `-0.0 - x` is `-x` (bitwise, NaN aside) and needs no sign mask.
            UnaryOp::Neg => {
                let z = self.fconst(-0.0);
                self.b.ins().fsub(z, x)
            }
            UnaryOp::Abs => self.b.ins().fabs(x),
            UnaryOp::Sqrt => self.b.ins().sqrt(x),
            UnaryOp::Floor => self.b.ins().floor(x),
            UnaryOp::Ceil => self.b.ins().ceil(x),
            UnaryOp::Sign => {
                // 1 above 0, -1 below, 0 (positive) at ±0, NaN stays NaN.
                let (zero, one, minus) = (self.fconst(0.0), self.fconst(1.0), self.fconst(-1.0));
                let is0 = self.b.ins().fcmp(FloatCC::Equal, x, zero);
                let r = self.b.ins().select(is0, zero, x);
                let neg = self.b.ins().fcmp(FloatCC::LessThan, x, zero);
                let r = self.b.ins().select(neg, minus, r);
                let pos = self.b.ins().fcmp(FloatCC::GreaterThan, x, zero);
                self.b.ins().select(pos, one, r)
            }
            _ => match runtime::unary_symbol(op) {
                Some(name) => self.call(name, &[x]),
                None => {
                    self.err = Some(JitError::Codegen(format!("no code for {op:?}")));
                    x
                }
            },
        }
    }

    fn binary(&mut self, op: BinaryOp, x: Value, y: Value) -> Value {
        let cmp = |t: &mut Self, cc: FloatCC| {
            let c = t.b.ins().fcmp(cc, x, y);
            let (one, zero) = (t.fconst(1.0), t.fconst(0.0));
            t.b.ins().select(c, one, zero)
        };
        match op {
            BinaryOp::Add => self.b.ins().fadd(x, y),
            BinaryOp::Sub => self.b.ins().fsub(x, y),
            BinaryOp::Mul => self.b.ins().fmul(x, y),
            BinaryOp::Div => self.b.ins().fdiv(x, y),
            BinaryOp::Pow => self.call(runtime::POW, &[x, y]),
            // NumPy's maximum/minimum: NaN in `x` wins, ties give `x`.
            BinaryOp::Max | BinaryOp::Min => {
                let cc = if op == BinaryOp::Max {
                    FloatCC::GreaterThanOrEqual
                } else {
                    FloatCC::LessThanOrEqual
                };
                let keep = self.b.ins().fcmp(cc, x, y);
                let nan = self.b.ins().fcmp(FloatCC::Unordered, x, x);
                let c = self.b.ins().bor(keep, nan);
                self.b.ins().select(c, x, y)
            }
            BinaryOp::Lt => cmp(self, FloatCC::LessThan),
            BinaryOp::Le => cmp(self, FloatCC::LessThanOrEqual),
            BinaryOp::Gt => cmp(self, FloatCC::GreaterThan),
            BinaryOp::Ge => cmp(self, FloatCC::GreaterThanOrEqual),
            BinaryOp::Eq => cmp(self, FloatCC::Equal),
            BinaryOp::Ne => cmp(self, FloatCC::NotEqual),
        }
    }
}
