//! `search(..., parallel = k)`: helper threads for one search.
//!
//! OptL values are `Rc`-based and stay on the thread that made them, so a helper
//! cannot be handed the objective. Instead it runs the same script again on an
//! interpreter of its own (same limits, seed and engine; output discarded) up to
//! the same `search` call (counted in execution order), and joins that search as
//! one more worker on a shared ledger: the study's store when it has `storage`,
//! else a `MemoryLedger`. Every worker proposes the same batches (the same seed,
//! and the batch fixed by the algorithm and `k`), so the study is the one a single
//! thread would make, evaluated by whoever claims each trial first. Many `optl
//! run` processes on one stored study work the same way, across machines.
//!
//! A helper stops at its search's end (the run is not its to finish), when the
//! owner closes the ledger, or at its next step once the owner set `cancel`. The
//! prelude before the search runs again in each helper (on its own core); earlier
//! searches with storage replay from the store rather than run again.

use crate::limits::Limits;
use optl_search::{MemoryLedger, Trial};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Stack of a helper thread: the evaluator recurses as deep as the main thread's.
const HELPER_STACK: usize = 64 << 20;

/// One top-level evaluation of the session (a file, a REPL input), as replayed.
#[derive(Clone, Debug)]
pub(crate) struct ReplayStep {
    pub name: String,
    pub src: String,
    pub base_dir: Option<PathBuf>,
}

/// What a helper needs to redo the session up to a search: plain data only.
#[derive(Clone, Debug)]
pub(crate) struct Replay {
    pub steps: Vec<ReplayStep>,
    pub limits: Limits,
    pub seed: u64,
    pub engine: optl_jit::Engine,
}

/// The role of a helper's interpreter: which search it joins, and how.
pub(crate) struct WorkerRole {
    /// The search call it joins (0 for the run's first `search`).
    pub ordinal: usize,
    /// The shared ledger, when the study has no storage.
    pub ledger: Option<MemoryLedger>,
    /// Set by the owner when the search is over.
    pub cancel: Arc<AtomicBool>,
    /// Set once the helper's search has ended: the helper stops there.
    pub done: bool,
    /// The trials of the owner's earlier searches, by call number: the helper
    /// replays those searches from them instead of evaluating again.
    pub earlier: Vec<Arc<Vec<Trial>>>,
}

impl WorkerRole {
    pub(crate) fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

/// Starts `count` helpers for the search call `ordinal`; they run detached and
/// end on their own (see the module documentation).
pub(crate) fn spawn_helpers(
    replay: &Arc<Replay>,
    ordinal: usize,
    count: usize,
    ledger: Option<&MemoryLedger>,
    cancel: &Arc<AtomicBool>,
    earlier: &[Arc<Vec<Trial>>],
) {
    for i in 0..count {
        let replay = replay.clone();
        let role = WorkerRole {
            ordinal,
            ledger: ledger.map(MemoryLedger::handle),
            cancel: cancel.clone(),
            done: false,
            earlier: earlier.to_vec(),
        };
        // A helper that cannot start leaves its share to the others.
        let _ = std::thread::Builder::new()
            .name(format!("optl-search-{ordinal}-{i}"))
            .stack_size(HELPER_STACK)
            .spawn(move || run_helper(&replay, role));
    }
}

fn run_helper(replay: &Replay, role: WorkerRole) {
    let mut me = crate::session::Interpreter::new();
    me.set_limits(replay.limits.clone());
    me.set_seed(replay.seed);
    me.set_engine(replay.engine);
    me.set_output(|_| {});
    me.interp.worker = Some(role);
    for step in &replay.steps {
        // Errors of the replay are the owner's to report (it met them too).
        let _ = me.eval_source(&step.name, &step.src, step.base_dir.as_deref());
        match &me.interp.worker {
            Some(w) if !w.done && !w.cancelled() => {}
            _ => break,
        }
    }
}
