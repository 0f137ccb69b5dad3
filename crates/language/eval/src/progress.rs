//! Progress of long-running operations (searches, first-order solves), reported to
//! whoever embeds the evaluator through `Interp::progress`; the CLI draws a bar on a
//! terminal. The evaluator itself never prints.

/// One progress report.
#[derive(Clone, Debug, PartialEq)]
pub enum Progress {
    /// A trial of a `search` finished.
    Search {
        done: usize,
        total: usize,
        best: Option<f64>,
        unique: usize,
        cache_hits: usize,
        failures: usize,
    },
    /// A step of a first-order `solve` with a rule finished.
    Steps { done: usize, total: usize, f: f64 },
    /// A native solver has evaluated the objective `evals` times (total unknown).
    Evals { evals: usize, f: f64 },
    /// The operation ended (the bar can be cleared).
    Done,
}

/// The callback type an embedder installs.
pub type ProgressFn = Box<dyn FnMut(&Progress)>;
