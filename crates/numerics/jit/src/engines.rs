//! Engine selection for numeric code: each IR program (objective value and gradient,
//! Hessian-vector products, constraints, `grad(f)`) runs either compiled by the
//! Cranelift JIT or on the IR interpreter, per `--engine jit|interp|auto`. A program
//! the JIT cannot compile falls back to the interpreter, visibly: it is counted.
//! Under `auto`, a very big program (`crate::AUTO_DEFER_NODES`) is interpreted on
//! its first run and compiled when it runs again, so that a one-off `grad(f)(x)` of
//! an unrolled objective does not pay a compile many times its run (both engines
//! give the same bits, so switching is invisible but for `--stats`). A deferred
//! program whose kernel is already in the cache runs compiled from the start.

use crate::{Choice, Engine, Jit, Kernel, KernelCache, Planned};
use optl_ir::{Function, IrError, IrResult, RowSplit};
use optl_tensor::Tensor;
use rayon::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;

/// Data (elements of the largest constant) from which a program is split over its
/// rows (`optl_ir::split_rows`): about 2 MB, where a second pass over memory starts
/// to cost more than the blocks' bookkeeping.
const SPLIT_MIN_ELEMENTS: usize = 1 << 18;

/// Elements of batched data per block: 256 KB, so that a block stays in the L2 cache
/// between the passes over it.
const BLOCK_ELEMENTS: usize = 1 << 15;

/// How numeric code ran during a session (`optl run --stats`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EngineStats {
    pub jit_runs: u64,
    pub interp_runs: u64,
    /// Programs compiled (cache misses that succeeded).
    pub compiled: u64,
    /// Kernel-cache hits.
    pub cache_hits: u64,
    /// Programs the JIT was asked for but could not compile.
    pub fallbacks: u64,
}

/// The engine setting, the JIT (created on first use) and its kernel cache.
pub struct Engines {
    pub engine: Engine,
    jit: Option<Jit>,
    cache: KernelCache,
    pub stats: EngineStats,
}

impl Default for Engines {
    fn default() -> Engines {
        Engines {
            engine: Engine::Auto,
            jit: None,
            cache: KernelCache::new(),
            stats: EngineStats::default(),
        }
    }
}

/// An IR program ready to run: compiled when the engine chose (and managed) to.
/// Clones share their state, so a program cached by `grad` and run through clones
/// is compiled once, when its deferred compilation comes due (`Choice::JitAfter`).
#[derive(Clone)]
pub struct Program {
    pub function: Rc<Function>,
    state: Rc<RefCell<State>>,
    /// The program split over the rows of its data, which is how it runs when set.
    rows: Option<Rc<RowProgram>>,
}

/// A program split over the rows of its data (`optl_ir::split_rows`): its block
/// programs run per block (in parallel when compiled), their partial sums are
/// added in block order, and the post program finishes from those sums.
struct RowProgram {
    rows: usize,
    block_rows: usize,
    /// Row-major (standard layout) batched constants.
    batched: Vec<Rc<Tensor>>,
    block: Program,
    tail: Option<Program>,
    post: Program,
}

/// Which engine runs a program.
#[derive(Clone)]
enum State {
    Jit(Kernel),
    Interp,
    /// Interpreted for this many more runs, then compiled.
    Deferred(u32),
}

impl Program {
    /// The kernel this program runs as, when it is compiled and whole (not
    /// interpreted, not yet due, not split over rows).
    pub fn compiled(&self) -> Option<Kernel> {
        if self.rows.is_some() {
            return None;
        }
        match &*self.state.borrow() {
            State::Jit(k) => Some(k.clone()),
            State::Interp | State::Deferred(_) => None,
        }
    }
}

impl std::fmt::Debug for Program {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let engine = match &*self.state.borrow() {
            State::Jit(_) => "jit",
            State::Interp => "interp",
            State::Deferred(_) => "interp (jit later)",
        };
        write!(
            f,
            "<program on {engine}, {} nodes>",
            self.function.graph.len()
        )
    }
}

impl Engines {
    /// Chooses the engine for `f` and compiles it when that is the JIT, now or (for a
    /// very big program under `Auto`) when it runs again.
    pub fn prepare(&mut self, f: Function) -> Program {
        self.prepare_with(f, false)
    }

    /// [`Engines::prepare`] for a program the caller will run many times (a solver's
    /// objective and gradient, a rule's update): under `auto` it is compiled at once,
    /// whatever its size, instead of after its first interpreted runs.
    pub fn prepare_hot(&mut self, f: Function) -> Program {
        self.prepare_with(f, true)
    }

    /// [`Engines::prepare`], or [`Engines::prepare_hot`] when `hot`.
    pub fn prepare_with(&mut self, f: Function, hot: bool) -> Program {
        if let Some(split) = optl_ir::split_rows(&f, SPLIT_MIN_ELEMENTS, BLOCK_ELEMENTS) {
            // The whole program never runs: its blocks and post program do.
            return Program {
                function: Rc::new(f),
                state: Rc::new(RefCell::new(State::Interp)),
                rows: Some(Rc::new(self.prepare_rows(split, hot))),
            };
        }
        let choice = match crate::choose(self.engine, &f) {
            Choice::JitAfter(_) if hot => Choice::Jit,
            choice => choice,
        };
        let state = match choice {
            Choice::Interp => State::Interp,
            Choice::Jit => self.compile(&f).map_or(State::Interp, State::Jit),
            Choice::JitAfter(0) => self.compile(&f).map_or(State::Interp, State::Jit),
            // A small program compiled before (the same rule with another learning
            // rate, the same problem in another trial) runs compiled at once. A big
            // one is not hashed here: it may only ever run once.
            Choice::JitAfter(n) if n > crate::AUTO_DEFER_RUNS => match self.cache.lookup(&f) {
                Some(Ok(k)) => {
                    self.stats.cache_hits += 1;
                    State::Jit(k)
                }
                Some(Err(_)) => State::Interp,
                None => State::Deferred(n),
            },
            Choice::JitAfter(n) => State::Deferred(n),
        };
        Program {
            function: Rc::new(f),
            state: Rc::new(RefCell::new(state)),
            rows: None,
        }
    }

    fn prepare_rows(&mut self, split: RowSplit, hot: bool) -> RowProgram {
        let RowSplit {
            rows,
            block_rows,
            block,
            tail,
            batched,
            post,
        } = split;
        let batched = batched
            .into_iter()
            .map(|t| match t.as_slice() {
                Some(_) => t,
                None => Rc::new(t.as_standard_layout().to_owned()),
            })
            .collect();
        RowProgram {
            rows,
            block_rows,
            batched,
            block: self.prepare_with(block, hot),
            tail: tail.map(|t| self.prepare_with(t, hot)),
            post: self.prepare_with(post, hot),
        }
    }

    /// Compiles `fs` on all cores, each worker thread with a JIT of its own, for
    /// programs that each serve a few runs (a discovery's candidate updates): the
    /// kernels are not cached, and they are compiled for compile speed (the quick
    /// register allocator, one finalization per worker). `None` where the engine is `interp` or the JIT
    /// cannot compile the function (counted as a fallback).
    pub fn compile_all(&mut self, fs: &[Function]) -> Vec<Option<Kernel>> {
        thread_local! {
            static WORKER_JIT: RefCell<Option<Jit>> = const { RefCell::new(None) };
        }
        if self.engine == Engine::Interp {
            return vec![None; fs.len()];
        }
        // The IR stays on this thread; plans are plain data. Each worker compiles
        // a contiguous share of them and makes its code executable once.
        let plans: Vec<Option<Planned>> = fs.iter().map(|f| Planned::new(f).ok()).collect();
        let share = plans
            .len()
            .div_ceil(rayon::current_num_threads().max(1))
            .max(1);
        let kernels: Vec<Option<Kernel>> = plans
            .into_par_iter()
            .chunks(share)
            .flat_map_iter(|chunk| {
                WORKER_JIT.with(|jit| {
                    let mut jit = jit.borrow_mut();
                    if jit.is_none() {
                        *jit = Jit::new().ok();
                    }
                    let Some(jit) = jit.as_mut() else {
                        return vec![None; chunk.len()];
                    };
                    let planned: Vec<bool> = chunk.iter().map(Option::is_some).collect();
                    let present: Vec<Planned> = chunk.into_iter().flatten().collect();
                    let mut compiled = jit.compile_planned_once(present).into_iter();
                    planned
                        .into_iter()
                        .map(|p| if p { compiled.next()?.ok() } else { None })
                        .collect()
                })
            })
            .collect();
        let compiled = kernels.iter().filter(|k| k.is_some()).count() as u64;
        self.stats.compiled += compiled;
        self.stats.fallbacks += kernels.len() as u64 - compiled;
        kernels
    }

    fn compile(&mut self, f: &Function) -> Option<Kernel> {
        if self.jit.is_none() {
            self.jit = Jit::new().ok();
        }
        let jit = self.jit.as_mut()?;
        let misses = self.cache.misses();
        let hits = self.cache.hits();
        let result = self.cache.get_or_compile(jit, f);
        self.stats.cache_hits += self.cache.hits() - hits;
        match result {
            Ok(k) => {
                self.stats.compiled += self.cache.misses() - misses;
                Some(k)
            }
            Err(_) => {
                self.stats.fallbacks += 1;
                None
            }
        }
    }

    /// Runs a program on the engine it was prepared for (compiling it first when its
    /// deferred compilation is due).
    pub fn run(&mut self, p: &Program, inputs: &[Tensor]) -> IrResult<Vec<Tensor>> {
        if let Some(rows) = &p.rows {
            return self.run_rows(rows, inputs);
        }
        if let Some(k) = self.kernel(p) {
            self.stats.jit_runs += 1;
            return k.eval(inputs).map_err(|e| IrError::Invalid(e.to_string()));
        }
        self.stats.interp_runs += 1;
        optl_ir::eval(&p.function, inputs)
    }

    /// Runs `p` compiled on flat row-major slices, building no tensors: `None` when
    /// it does not run as one compiled kernel (split over rows, interpreted, or
    /// compiled only later), and the caller then uses [`Engines::run`].
    pub fn run_flat(
        &mut self,
        p: &Program,
        inputs: &[&[f64]],
        outputs: &mut [&mut [f64]],
    ) -> Option<IrResult<()>> {
        if p.rows.is_some() {
            return None;
        }
        let State::Jit(k) = &*p.state.borrow() else {
            return None;
        };
        self.stats.jit_runs += 1;
        Some(
            k.call(inputs, outputs)
                .map_err(|e| IrError::Invalid(e.to_string())),
        )
    }

    /// Runs `p` compiled on many points at once, split over the cores: point `i`
    /// is `xs[i·n..(i + 1)·n]`, cut into the program's inputs at `spans`
    /// (start, length), and its outputs are written flat, in order, to its
    /// `out` row (the sum of the outputs' sizes a point). Each point runs alone
    /// through the same kernel, so the values do not depend on how the points are
    /// split. `None` when `p` does not run as one compiled kernel (the caller
    /// then runs point by point with [`Engines::run`]).
    pub fn run_flat_many(
        &mut self,
        p: &Program,
        xs: &[f64],
        n: usize,
        spans: &[(usize, usize)],
        out: &mut [f64],
    ) -> Option<IrResult<()>> {
        if p.rows.is_some() || n == 0 {
            return None;
        }
        let k = match &*p.state.borrow() {
            State::Jit(k) => k.clone(),
            _ => return None,
        };
        let lens: Vec<usize> = k
            .output_shapes()
            .iter()
            .map(|s| s.iter().product())
            .collect();
        let per: usize = lens.iter().sum();
        let points = xs.len() / n;
        if xs.len() != points * n
            || out.len() != points * per
            || spans.iter().any(|&(s, l)| s + l > n)
        {
            return Some(Err(IrError::Invalid(format!(
                "run_flat_many: {} inputs of {n} and {} outputs of {per} do not fit",
                xs.len(),
                out.len()
            ))));
        }
        self.stats.jit_runs += points as u64;
        // Enough points per task that a cheap objective does not drown in
        // scheduling; the chunking changes no value.
        let chunk = (points / (4 * rayon::current_num_threads())).max(16);
        let run = |x: &[f64], o: &mut [f64]| -> Result<(), crate::JitError> {
            let ins: Vec<&[f64]> = spans.iter().map(|&(s, l)| &x[s..s + l]).collect();
            let mut outs: Vec<&mut [f64]> = Vec::with_capacity(lens.len());
            let mut rest = o;
            for &len in &lens {
                let (head, tail) = rest.split_at_mut(len);
                outs.push(head);
                rest = tail;
            }
            k.call(&ins, &mut outs)
        };
        let result = xs
            .par_chunks(n * chunk)
            .zip(out.par_chunks_mut((per * chunk).max(1)))
            .try_for_each(|(xc, oc)| {
                xc.chunks_exact(n)
                    .zip(oc.chunks_exact_mut(per.max(1)))
                    .try_for_each(|(x, o)| run(x, o))
            });
        Some(result.map_err(|e| IrError::Invalid(e.to_string())))
    }

    /// The kernel a run of `p` uses, or `None` for the interpreter (compiling `p`
    /// first when its deferred compilation is due; counting down otherwise).
    fn kernel(&mut self, p: &Program) -> Option<Kernel> {
        let due = matches!(*p.state.borrow(), State::Deferred(0));
        if due {
            let next = self.compile(&p.function).map_or(State::Interp, State::Jit);
            *p.state.borrow_mut() = next;
        }
        match &mut *p.state.borrow_mut() {
            State::Jit(k) => Some(k.clone()),
            State::Interp => None,
            State::Deferred(n) => {
                *n -= 1;
                None
            }
        }
    }

    /// Runs a program split over rows: the blocks (on all cores when compiled), their
    /// partial sums added in block order, then the post program.
    fn run_rows(&mut self, p: &RowProgram, inputs: &[Tensor]) -> IrResult<Vec<Tensor>> {
        let blocks = optl_ir::split::row_blocks(p.rows, p.block_rows);
        let full = self.kernel(&p.block);
        let tail = match &p.tail {
            Some(t) => self.kernel(t).map(Some),
            None => Some(None),
        };
        let partials = match (full, tail) {
            (Some(full), Some(tail)) => {
                self.stats.jit_runs += blocks.len() as u64;
                run_blocks_compiled(p, &blocks, &full, tail.as_ref(), inputs)?
            }
            _ => {
                self.stats.interp_runs += blocks.len() as u64;
                run_blocks_interpreted(p, &blocks, inputs)?
            }
        };
        let mut sums = partials.into_iter();
        let mut total = sums.next().unwrap_or_default();
        for part in sums {
            for (t, q) in total.iter_mut().zip(part) {
                *t += &q;
            }
        }
        let mut post_inputs = inputs.to_vec();
        post_inputs.extend(total);
        self.run(&p.post, &post_inputs)
    }
}

/// The rows `range` of a standard-layout batched constant.
fn row_slice<'a>(t: &'a Tensor, range: &std::ops::Range<usize>) -> &'a [f64] {
    let per_row: usize = t.shape()[1..].iter().product();
    let data = t.as_slice().unwrap_or(&[]);
    data.get(range.start * per_row..range.end * per_row)
        .unwrap_or(&[])
}

/// The blocks on all cores through their kernels (which are `Send + Sync`).
fn run_blocks_compiled(
    p: &RowProgram,
    blocks: &[std::ops::Range<usize>],
    full: &Kernel,
    tail: Option<&Kernel>,
    inputs: &[Tensor],
) -> IrResult<Vec<Vec<Tensor>>> {
    let owned: Vec<Tensor> = inputs
        .iter()
        .map(|t| t.as_standard_layout().to_owned())
        .collect();
    let args: Vec<&[f64]> = owned.iter().map(|t| t.as_slice().unwrap_or(&[])).collect();
    let batched: Vec<&Tensor> = p.batched.iter().map(|t| &**t).collect();
    let rows: Vec<Vec<&[f64]>> = blocks
        .iter()
        .map(|r| batched.iter().map(|t| row_slice(t, r)).collect())
        .collect();
    let shapes = full.output_shapes().to_vec();
    let block_len = p.block_rows;
    rows.par_iter()
        .enumerate()
        .map(|(b, block_rows)| {
            let kernel = match tail {
                Some(t) if blocks[b].len() != block_len => t,
                _ => full,
            };
            let mut ins = args.clone();
            ins.extend(block_rows.iter().copied());
            let mut outs: Vec<Vec<f64>> = shapes
                .iter()
                .map(|s| vec![0.0; s.iter().product()])
                .collect();
            let mut out_refs: Vec<&mut [f64]> = outs.iter_mut().map(|o| &mut o[..]).collect();
            kernel
                .call(&ins, &mut out_refs)
                .map_err(|e| IrError::Invalid(e.to_string()))?;
            shapes
                .iter()
                .zip(outs)
                .map(|(s, o)| {
                    Tensor::from_shape_vec(ndarray::IxDyn(s), o)
                        .map_err(|e| IrError::Invalid(e.to_string()))
                })
                .collect()
        })
        .collect()
}

/// The blocks one after the other on the IR interpreter.
fn run_blocks_interpreted(
    p: &RowProgram,
    blocks: &[std::ops::Range<usize>],
    inputs: &[Tensor],
) -> IrResult<Vec<Vec<Tensor>>> {
    blocks
        .iter()
        .map(|r| {
            let program = match &p.tail {
                Some(t) if r.len() != p.block_rows => t,
                _ => &p.block,
            };
            let mut ins = inputs.to_vec();
            for t in &p.batched {
                let mut shape = t.shape().to_vec();
                shape[0] = r.len();
                let block =
                    Tensor::from_shape_vec(ndarray::IxDyn(&shape), row_slice(t, r).to_vec())
                        .map_err(|e| IrError::Invalid(e.to_string()))?;
                ins.push(block);
            }
            optl_ir::eval(&program.function, &ins)
        })
        .collect()
}
