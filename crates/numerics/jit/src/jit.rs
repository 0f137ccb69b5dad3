//! The JIT proper, shaped like `cranelift-jit-demo`: one [`Jit`] owns the Cranelift
//! module and the reusable contexts; each function is planned (`plan.rs`),
//! translated (`codegen.rs`) and defined in the module; [`Kernel`] is the callable
//! result. [`Kernel::call`] reaches compiled code through [`invoke`], one of the
//! crate's two `unsafe` blocks.
//!
//! Code memory is bounded by generations: a module takes [`GENERATION_KERNELS`]
//! functions, then the [`Jit`] starts a new one and retires the old. Every kernel
//! holds its module's token, so a retired module whose token the `Jit` alone holds
//! has no callable kernel left, and its memory is freed (the crate's second `unsafe`
//! call); [`crate::KernelCache`] forgets kernels older than the previous generation
//! so that their modules can go. A module still in use when the `Jit` is dropped is
//! leaked, as `cranelift-jit` does, so a [`Kernel`] stays callable after its `Jit`
//! is gone. A kernel holds its constant and pairwise tables itself, and its scratch
//! space is a per-thread buffer, so kernels are `Send + Sync` and cheap to clone.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use cranelift_codegen::ir::AbiParam;
use cranelift_codegen::ir::types::F64;
use cranelift_codegen::ir::types::I64;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{FuncId, Linkage, Module, default_libcall_names};
use optl_ir::Function;
use optl_tensor::Tensor;

use crate::JitError;
use crate::plan::{MatMulOp, Plan, Step, numel};
use crate::runtime::{self, CallCtx, Kind};

/// The compiler: Cranelift JIT modules for the host, and the contexts reused for
/// every function.
pub struct Jit {
    /// Functions up to [`QUICK_WEIGHT`]: fully optimized (`None` only while dropped).
    opt: Option<Backend>,
    /// Larger functions: register allocation by Cranelift's single-pass allocator,
    /// which compiles about three times faster (made when first needed).
    quick: Option<Backend>,
    /// Modules of earlier generations that still have live kernels.
    retired: Vec<Backend>,
    /// Generations started so far (0 for the first).
    generation: u64,
    /// Functions defined in this generation's modules.
    defined: usize,
    ctx: cranelift_codegen::Context,
    fctx: FunctionBuilderContext,
    /// Keep timings and disassembly in kernels (see [`Jit::set_debug`]).
    debug: bool,
}

/// Plans heavier than this (see `Plan::weight`: about one unit per generated
/// instruction group) use the quick register allocator: on a 1,000-node value and
/// gradient the backtracking allocator takes most of the ~8 ms compile time.
pub const QUICK_WEIGHT: usize = 1500;

/// Functions compiled into one generation of modules before the next starts: at
/// about 6 KB of code and tables each (measured), a generation is about 1.5 MB.
pub const GENERATION_KERNELS: usize = 256;

/// One Cranelift module, its imported host functions, and the token its kernels
/// hold (see the module header).
struct Backend {
    module: JITModule,
    imports: HashMap<&'static str, FuncId>,
    token: Arc<()>,
}

impl Backend {
    fn new(quick: bool) -> Result<Backend, JitError> {
        let mut flags = settings::builder();
        let verify = if cfg!(debug_assertions) {
            "true"
        } else {
            "false"
        };
        let regalloc = if quick { "single_pass" } else { "backtracking" };
        for (k, v) in [
            ("opt_level", "speed"),
            ("is_pic", "false"),
            ("use_colocated_libcalls", "false"),
            ("enable_verifier", verify),
            ("regalloc_algorithm", regalloc),
        ] {
            flags.set(k, v).map_err(codegen_error)?;
        }
        let isa = cranelift_native::builder()
            .map_err(codegen_error)?
            .finish(settings::Flags::new(flags))
            .map_err(codegen_error)?;
        let mut jb = JITBuilder::with_isa(isa, default_libcall_names());
        let symbols = runtime::symbols();
        for (name, ptr, _) in &symbols {
            jb.symbol(*name, *ptr);
        }
        let mut module = JITModule::new(jb);
        let mut imports = HashMap::new();
        for (name, _, kind) in &symbols {
            let mut sig = module.make_signature();
            match kind {
                Kind::Unary => sig.params.push(AbiParam::new(F64)),
                Kind::Binary => sig.params.extend([AbiParam::new(F64), AbiParam::new(F64)]),
                Kind::Context => sig.params.extend([AbiParam::new(I64), AbiParam::new(I64)]),
            }
            if !matches!(kind, Kind::Context) {
                sig.returns.push(AbiParam::new(F64));
            }
            let id = module
                .declare_function(name, Linkage::Import, &sig)
                .map_err(codegen_error)?;
            imports.insert(*name, id);
        }
        Ok(Backend {
            module,
            imports,
            token: Arc::new(()),
        })
    }
}

/// A function validated and planned for compilation: plain data (`Send`), so that
/// planning can happen where the IR lives and compiling on another thread
/// ([`Jit::compile_planned`]).
pub struct Planned {
    plan: Plan,
    /// How long validating and planning took (for [`Kernel::debug_text`]).
    took: std::time::Duration,
}

impl Planned {
    pub fn new(f: &Function) -> Result<Planned, JitError> {
        let t0 = std::time::Instant::now();
        crate::validate::validate(f)?;
        let plan = crate::plan::plan(f)?;
        Ok(Planned {
            plan,
            took: t0.elapsed(),
        })
    }
}

/// Facts about a compiled kernel, for tests and diagnostics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelStats {
    /// Loop nests over memory (steps with at least one loop): passes over data.
    pub loops: usize,
    /// Straight-line steps (scalar code).
    pub straight: usize,
    /// Matrix products run by the runtime.
    pub matmuls: usize,
    /// Elements of scratch memory (materialized temporaries) per call.
    pub scratch: usize,
}

struct Inner {
    code: usize,
    /// Keeps the module holding `code` from being freed.
    _module: Arc<()>,
    input_shapes: Vec<Vec<usize>>,
    output_shapes: Vec<Vec<usize>>,
    input_lens: Vec<usize>,
    output_lens: Vec<usize>,
    scratch_len: usize,
    consts: Box<[f64]>,
    _tables: Vec<Box<[i64]>>,
    matmuls: Vec<MatMulOp>,
    stats: KernelStats,
    debug: Option<String>,
    /// No scratch memory and no matrix products: the context is never read.
    simple: bool,
}

/// A compiled function. Call it with flat row-major slices ([`Kernel::call`]) or
/// tensors ([`Kernel::eval`]).
#[derive(Clone)]
pub struct Kernel {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kernel")
            .field("inputs", &self.inner.input_shapes)
            .field("outputs", &self.inner.output_shapes)
            .field("stats", &self.inner.stats)
            .finish()
    }
}

/// The error of a compile that finds no module to define code in (never expected:
/// modules are only taken away when the `Jit` is dropped).
fn no_module() -> JitError {
    JitError::Codegen("no code module".into())
}

fn codegen_error(e: impl std::fmt::Display) -> JitError {
    JitError::Codegen(e.to_string())
}

impl Jit {
    /// A JIT for the host machine (`opt_level=speed`; the verifier runs in debug
    /// builds).
    pub fn new() -> Result<Jit, JitError> {
        let opt = Backend::new(false)?;
        Ok(Jit {
            ctx: opt.module.make_context(),
            opt: Some(opt),
            quick: None,
            retired: Vec::new(),
            generation: 0,
            defined: 0,
            fctx: FunctionBuilderContext::new(),
            debug: false,
        })
    }

    /// Makes later kernels keep their compile timings and disassembly
    /// ([`Kernel::debug_text`]); for diagnosing the JIT, not for production.
    #[doc(hidden)]
    pub fn set_debug(&mut self, on: bool) {
        self.debug = on;
    }

    /// The current generation of code modules (0 at first; see the module header).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Modules holding code: the current generation's and the retired ones that
    /// still have live kernels.
    pub fn code_modules(&self) -> usize {
        usize::from(self.opt.is_some()) + usize::from(self.quick.is_some()) + self.retired.len()
    }

    /// Starts a new generation when this one is full, and frees the retired modules
    /// that no kernel uses any more.
    fn next_generation_if_full(&mut self) -> Result<(), JitError> {
        if self.defined >= GENERATION_KERNELS {
            let old = self.opt.replace(Backend::new(false)?);
            self.retired.extend(old);
            self.retired.extend(self.quick.take());
            self.generation += 1;
            self.defined = 0;
        }
        let (unused, used) = std::mem::take(&mut self.retired)
            .into_iter()
            .partition(|b| Arc::strong_count(&b.token) == 1);
        self.retired = used;
        free_modules(unused);
        Ok(())
    }

    /// Compiles one function.
    pub fn compile(&mut self, f: &Function) -> Result<Kernel, JitError> {
        self.compile_many(&[f])
            .pop()
            .unwrap_or_else(|| Err(JitError::Codegen("nothing compiled".into())))
    }

    /// Compiles several functions at once: the module's code is made executable once
    /// for all of them, which is cheaper than one [`Jit::compile`] each.
    pub fn compile_many(&mut self, fs: &[&Function]) -> Vec<Result<Kernel, JitError>> {
        self.compile_plans(fs.iter().map(|f| Planned::new(f)).collect(), false)
    }

    /// Compiles a function planned with [`Planned::new`] (possibly on another thread).
    pub fn compile_planned(&mut self, planned: Planned) -> Result<Kernel, JitError> {
        self.compile_plans(vec![Ok(planned)], false)
            .pop()
            .unwrap_or_else(|| Err(JitError::Codegen("nothing compiled".into())))
    }

    /// Compiles functions planned with [`Planned::new`] that will run only a few
    /// times each: all with the quick register allocator, whatever their weight,
    /// and made executable at once. The code computes the same values (the
    /// allocator places values, it does not change the operations).
    pub fn compile_planned_once(&mut self, plans: Vec<Planned>) -> Vec<Result<Kernel, JitError>> {
        self.compile_plans(plans.into_iter().map(Ok).collect(), true)
    }

    /// Defines the planned functions, then makes their code executable at once.
    fn compile_plans(
        &mut self,
        plans: Vec<Result<Planned, JitError>>,
        all_quick: bool,
    ) -> Vec<Result<Kernel, JitError>> {
        if let Err(e) = self.next_generation_if_full() {
            return plans.iter().map(|_| Err(e.clone())).collect();
        }
        self.defined += plans.len();
        let n = plans.len();
        let mut pending = Vec::with_capacity(n);
        for plan in plans {
            pending.push(plan.and_then(|plan| self.define(plan, all_quick)));
        }
        let used_quick = pending.iter().any(|p| matches!(p, Ok((true, _, _))));
        let mut finalized = match self.opt.as_mut() {
            Some(b) => b.module.finalize_definitions(),
            None => Ok(()),
        };
        if let (true, Some(q), Ok(())) = (used_quick, self.quick.as_mut(), &finalized) {
            finalized = q.module.finalize_definitions();
        }
        if let Err(e) = finalized {
            let e = codegen_error(e);
            return (0..n).map(|_| Err(e.clone())).collect();
        }
        pending
            .into_iter()
            .map(|p| {
                p.and_then(|(quick, id, mut inner)| {
                    let module = match (quick, &self.quick, &self.opt) {
                        (true, Some(b), _) | (false, _, Some(b)) => &b.module,
                        _ => return Err(no_module()),
                    };
                    inner.code = module.get_finalized_function(id).expose_provenance();
                    Ok(Kernel {
                        inner: Arc::new(inner),
                    })
                })
            })
            .collect()
    }

    /// Translates and defines one planned function; its address is known after the
    /// module is finalized.
    fn define(&mut self, planned: Planned, quick: bool) -> Result<(bool, FuncId, Inner), JitError> {
        let Planned { plan, took: t_plan } = planned;
        let now = std::time::Instant::now();
        let t0 = now.checked_sub(t_plan).unwrap_or(now);
        let quick = quick || plan.weight() > QUICK_WEIGHT;
        if quick && self.quick.is_none() {
            self.quick = Some(Backend::new(true)?);
        }
        let backend = match (quick, self.quick.as_mut(), self.opt.as_mut()) {
            (true, Some(b), _) | (false, _, Some(b)) => b,
            _ => return Err(no_module()),
        };
        let consts: Box<[f64]> = plan.consts.clone().into_boxed_slice();
        let token = backend.token.clone();
        let mut sig = backend.module.make_signature();
        sig.params.extend([AbiParam::new(I64); 4]);
        let id = backend
            .module
            .declare_anonymous_function(&sig)
            .map_err(codegen_error)?;
        backend.module.clear_context(&mut self.ctx);
        self.ctx.func.signature = sig;
        let builder = FunctionBuilder::new(&mut self.ctx.func, &mut self.fctx);
        let translated = crate::codegen::translate(
            builder,
            &mut backend.module,
            &backend.imports,
            &plan,
            consts.as_ptr() as i64,
        );
        let t_translate = t0.elapsed();
        let tables = match translated {
            Ok(t) => t,
            Err(e) => {
                backend.module.clear_context(&mut self.ctx);
                return Err(e);
            }
        };
        self.ctx.set_disasm(self.debug);
        let defined = backend.module.define_function(id, &mut self.ctx);
        let t_define = t0.elapsed();
        let debug = self.debug.then(|| {
            let code = self.ctx.compiled_code().and_then(|c| c.vcode.clone());
            format!(
                "plan {:?}, translate {:?}, define {:?} (weight {}, {} register allocation)\n{}",
                t_plan,
                t_translate - t_plan,
                t_define - t_translate,
                plan.weight(),
                if quick { "single-pass" } else { "backtracking" },
                code.unwrap_or_default()
            )
        });
        backend.module.clear_context(&mut self.ctx);
        defined.map_err(|e| match e {
            cranelift_module::ModuleError::Compilation(c) => JitError::Codegen(format!("{c:?}")),
            other => codegen_error(other),
        })?;
        let mut inner = inner_of(&plan, consts, tables, token);
        inner.debug = debug;
        Ok((quick, id, inner))
    }
}

impl Drop for Jit {
    /// Frees the modules no kernel uses; the others leak, so their kernels stay
    /// callable.
    fn drop(&mut self) {
        let mut all = std::mem::take(&mut self.retired);
        all.extend(self.opt.take());
        all.extend(self.quick.take());
        free_modules(
            all.into_iter()
                .filter(|b| Arc::strong_count(&b.token) == 1)
                .collect(),
        );
    }
}

/// Frees the code memory of modules that no kernel holds.
#[allow(unsafe_code)]
fn free_modules(unused: Vec<Backend>) {
    for b in unused {
        debug_assert_eq!(Arc::strong_count(&b.token), 1);
        // SAFETY: every kernel defined in `b.module` holds a clone of `b.token`, and
        // the count is 1 (ours), so no kernel, hence no pointer to this code, is left.
        unsafe { b.module.free_memory() }
    }
}

fn inner_of(plan: &Plan, consts: Box<[f64]>, tables: Vec<Box<[i64]>>, module: Arc<()>) -> Inner {
    let mut stats = KernelStats {
        scratch: plan.scratch_len,
        matmuls: plan.matmuls.len(),
        ..KernelStats::default()
    };
    for s in &plan.steps {
        match s {
            Step::Loop(gs) if gs[0].loops.is_empty() && gs[0].lane.is_none_or(|l| l.len == 1) => {
                stats.straight += 1
            }
            Step::Loop(_) | Step::Fill { .. } => stats.loops += 1,
            Step::MatMul(_) => {}
        }
    }
    Inner {
        code: 0,
        _module: module,
        input_lens: plan.input_shapes.iter().map(|s| numel(s)).collect(),
        output_lens: plan.output_shapes.iter().map(|s| numel(s)).collect(),
        input_shapes: plan.input_shapes.clone(),
        output_shapes: plan.output_shapes.clone(),
        scratch_len: plan.scratch_len,
        consts,
        _tables: tables,
        matmuls: plan.matmuls.clone(),
        stats,
        debug: None,
        simple: plan.scratch_len == 0 && plan.matmuls.is_empty(),
    }
}

thread_local! {
    /// Scratch memory of kernel calls on this thread, reused across calls.
    static SCRATCH: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

/// At most this many pointers are passed from the stack; more take a `Vec`.
const INLINE_ARGS: usize = 8;
/// Most inputs (and outputs) of the fast call path.
const FAST_ARGS: usize = 4;

impl Kernel {
    pub fn input_shapes(&self) -> &[Vec<usize>] {
        &self.inner.input_shapes
    }

    pub fn output_shapes(&self) -> &[Vec<usize>] {
        &self.inner.output_shapes
    }

    pub fn stats(&self) -> KernelStats {
        self.inner.stats
    }

    /// Compile timings and disassembly, when compiled by a [`Jit::set_debug`] JIT.
    #[doc(hidden)]
    pub fn debug_text(&self) -> Option<&str> {
        self.inner.debug.as_deref()
    }

    fn check(&self, inputs: &[&[f64]], outputs: &[&mut [f64]]) -> Result<(), JitError> {
        let k = &self.inner;
        let fits = inputs.len() == k.input_lens.len()
            && outputs.len() == k.output_lens.len()
            && inputs.iter().zip(&k.input_lens).all(|(s, &n)| s.len() == n)
            && outputs
                .iter()
                .zip(&k.output_lens)
                .all(|(s, &n)| s.len() == n);
        if fits {
            return Ok(());
        }
        let lens = |v: &mut dyn Iterator<Item = usize>| {
            v.map(|n| n.to_string()).collect::<Vec<_>>().join(", ")
        };
        Err(JitError::Arguments(format!(
            "the kernel takes inputs of lengths [{}] and outputs of lengths [{}], given [{}] and [{}]",
            lens(&mut k.input_lens.iter().copied()),
            lens(&mut k.output_lens.iter().copied()),
            lens(&mut inputs.iter().map(|s| s.len())),
            lens(&mut outputs.iter().map(|s| s.len())),
        )))
    }

    /// Runs the kernel on flat row-major inputs, writing every element of every
    /// output. Lengths must match the static shapes.
    #[inline]
    pub fn call(&self, inputs: &[&[f64]], outputs: &mut [&mut [f64]]) -> Result<(), JitError> {
        let k = &*self.inner;
        // Fast path: few arguments, no scratch memory, no runtime calls needing a
        // context.
        if k.simple
            && inputs.len() == k.input_lens.len()
            && outputs.len() == k.output_lens.len()
            && inputs.len() <= FAST_ARGS
            && outputs.len() <= FAST_ARGS
        {
            let mut ins = [std::ptr::null::<f64>(); FAST_ARGS];
            let mut outs = [std::ptr::null_mut::<f64>(); FAST_ARGS];
            let mut fits = true;
            for (d, (s, &n)) in ins.iter_mut().zip(inputs.iter().zip(&k.input_lens)) {
                fits &= s.len() == n;
                *d = s.as_ptr();
            }
            for (d, (s, &n)) in outs.iter_mut().zip(outputs.iter_mut().zip(&k.output_lens)) {
                fits &= s.len() == n;
                *d = s.as_mut_ptr();
            }
            if fits {
                let (scratch, ctx) = (std::ptr::null_mut(), std::ptr::null_mut());
                invoke(k.code, ins.as_ptr(), outs.as_ptr(), scratch, ctx);
                return Ok(());
            }
        }
        self.call_general(inputs, outputs)
    }

    #[inline(never)]
    fn call_general(&self, inputs: &[&[f64]], outputs: &mut [&mut [f64]]) -> Result<(), JitError> {
        self.check(inputs, outputs)?;
        let n = self.inner.scratch_len;
        if n == 0 {
            return self.run(inputs, outputs, &mut []);
        }
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut buf) => {
                if buf.len() < n {
                    buf.resize(n, 0.0);
                }
                self.run(inputs, outputs, &mut buf[..n])
            }
            // A call from inside a call (not done today) gets its own buffer.
            Err(_) => self.run(inputs, outputs, &mut vec![0.0; n]),
        })
    }

    fn run(
        &self,
        inputs: &[&[f64]],
        outputs: &mut [&mut [f64]],
        scratch: &mut [f64],
    ) -> Result<(), JitError> {
        let k = &*self.inner;
        let mut in_buf = [std::ptr::null::<f64>(); INLINE_ARGS];
        let mut out_buf = [std::ptr::null_mut::<f64>(); INLINE_ARGS];
        let in_vec: Vec<*const f64>;
        let out_vec: Vec<*mut f64>;
        let ins: &[*const f64] = if inputs.len() <= INLINE_ARGS {
            for (d, s) in in_buf.iter_mut().zip(inputs) {
                *d = s.as_ptr();
            }
            &in_buf[..inputs.len()]
        } else {
            in_vec = inputs.iter().map(|s| s.as_ptr()).collect();
            &in_vec
        };
        let outs: &[*mut f64] = if outputs.len() <= INLINE_ARGS {
            for (d, s) in out_buf.iter_mut().zip(outputs.iter_mut()) {
                *d = s.as_mut_ptr();
            }
            &out_buf[..outputs.len()]
        } else {
            out_vec = outputs.iter_mut().map(|s| s.as_mut_ptr()).collect();
            &out_vec
        };
        let scratch_ptr = scratch.as_mut_ptr();
        let mut ctx = CallCtx {
            inputs,
            outputs,
            scratch,
            consts: &k.consts,
            matmuls: &k.matmuls,
            error: None,
        };
        invoke(k.code, ins.as_ptr(), outs.as_ptr(), scratch_ptr, &mut ctx);
        match ctx.error {
            None => Ok(()),
            Some(e) => Err(e),
        }
    }

    /// Runs the kernel on tensors of the input shapes (any layout), returning the
    /// outputs as row-major tensors.
    pub fn eval(&self, inputs: &[Tensor]) -> Result<Vec<Tensor>, JitError> {
        let k = &self.inner;
        if inputs.len() != k.input_shapes.len() {
            return Err(JitError::Arguments(format!(
                "the kernel takes {} inputs, {} given",
                k.input_shapes.len(),
                inputs.len()
            )));
        }
        let mut owned: Vec<Vec<f64>> = Vec::new();
        for (t, s) in inputs.iter().zip(&k.input_shapes) {
            if t.shape() != s.as_slice() {
                return Err(JitError::Arguments(format!(
                    "input of shape {:?} where {s:?} is expected",
                    t.shape()
                )));
            }
            if t.as_slice().is_none() {
                owned.push(t.iter().copied().collect());
            }
        }
        let mut owned_iter = owned.iter();
        let ins: Vec<&[f64]> = inputs
            .iter()
            .map(|t| match t.as_slice() {
                Some(s) => s,
                None => owned_iter.next().map(|v| v.as_slice()).unwrap_or(&[]),
            })
            .collect();
        let mut outs: Vec<Vec<f64>> = k.output_lens.iter().map(|&n| vec![0.0; n]).collect();
        let mut out_refs: Vec<&mut [f64]> = outs.iter_mut().map(|v| v.as_mut_slice()).collect();
        self.call(&ins, &mut out_refs)?;
        outs.into_iter()
            .zip(&k.output_shapes)
            .map(|(v, s)| optl_tensor::from_vec(s, v).map_err(|e| JitError::Runtime(e.to_string())))
            .collect()
    }
}

/// The compiled entry point: `(inputs, outputs, scratch, ctx)`.
type Entry =
    unsafe extern "C" fn(*const *const f64, *const *mut f64, *mut f64, *mut CallCtx<'_, '_, '_>);

/// Calls compiled code: one of the crate's two `unsafe` blocks (the other frees
/// unused code, [`free_modules`]).
///
/// `code` is the address of a function that `Jit::define` built for a plan, with the
/// `Entry` signature. The caller (`Kernel::run`) passes one pointer per input and per
/// output, to slices whose lengths `Kernel::check` compared with the plan's static
/// shapes, a scratch slice of the plan's `scratch_len`, and the call context. Every
/// index in the code was computed and bounds-checked at compile time against those
/// shapes (`validate.rs`, `group.rs`), so the code reads only inputs, constants,
/// tables and scratch, and writes only outputs and scratch, within bounds. `ctx`
/// is only passed on to `runtime::rt_matmul`, and may be null (as may `scratch`)
/// for kernels without matrix products (and without scratch). The code memory lives
/// as long as the kernel: the kernel holds its module's token (see `free_modules`).
#[allow(unsafe_code)]
#[inline]
fn invoke(
    code: usize,
    ins: *const *const f64,
    outs: *const *mut f64,
    scratch: *mut f64,
    ctx: *mut CallCtx<'_, '_, '_>,
) {
    let ptr = std::ptr::with_exposed_provenance::<u8>(code);
    // SAFETY: see above; `ptr` is a finalized function of the `Entry` signature.
    unsafe {
        let f = std::mem::transmute::<*const u8, Entry>(ptr);
        f(ins, outs, scratch, ctx);
    }
}
