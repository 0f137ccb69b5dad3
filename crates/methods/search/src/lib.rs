//! The language-independent core of symbolic search (PyGlove-style): a
//! search space is a tree of decisions (`Space`), a point of it is a flat
//! list of decisions (`Dna`), and search algorithms (`algo`) see only the
//! tree, the DNA they propose and the scores observed. `run_search` drives an
//! algorithm against an `Objective`, never evaluating a candidate twice (by
//! key), and `Store` keeps studies in SQLite so an interrupted search resumes
//! exactly where it stopped; `PgStore` keeps them in PostgreSQL, so that
//! workers on several machines share one study.
//!
//! Determinism: one `ChaCha8Rng` seeded from `SearchOptions::seed` feeds the
//! algorithm; proposals come in batches of `Algorithm::batch()`, which depends
//! only on the algorithm's parameters, so evaluating a batch in parallel gives
//! the same study as evaluating it sequentially.
//!
//! Nothing here prints; the caller gets data and a progress callback.

#![forbid(unsafe_code)]

pub mod algo;
mod dna;
mod ledger;
mod mutate;
mod pg;
mod sources;
mod space;
mod store;
mod study;
mod walk;
mod worker;

pub use algo::{Algorithm, Evolution, Grid, ParetoEvolution, Random, Survival, Tpe};
pub use dna::{Decision, Dna};
pub use ledger::{Ledger, MemoryLedger};
pub use pg::PgStore;
pub use space::{MAX_DEPTH, PointKind, Space};
pub use store::{Store, StudyInfo};
pub use study::{Objective, SearchOptions, Stop, Study, StudySummary, Trial, run_search};
pub use worker::{HEARTBEAT, STALE};
