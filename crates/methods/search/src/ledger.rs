//! Shared studies: where the trials of a batch get their outcomes when several
//! workers (threads of one process, processes, machines) run the same search.
//!
//! Every worker runs the same `run_search` loop with the same seed, so every
//! worker proposes the same batches (an algorithm sees the observations of all
//! earlier batches, in trial order, whoever evaluated them). A batch is *posted*
//! to the ledger (inserted once; a second worker posting it finds it there and
//! its DNA must match), its new trials are *claimed* one at a time, atomically,
//! and *finished* by whoever claimed them, and a worker that has nothing left to
//! claim *collects* the batch once all of it is done. A claim whose worker stopped
//! (a thread that ended, a process whose heartbeat went stale) is put back in the
//! queue, so a dead worker costs its trial's time, never the trial.
//!
//! Invariants: a trial number is posted with one DNA for the life of the study; a
//! trial is done at most once (a late `finish` of a re-queued claim is ignored).

use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use crate::study::Trial;

/// The shared state of one study, as every worker sees it.
pub trait Ledger {
    /// Creates the study `name`, or joins it if it exists; fails if it exists
    /// with a different space text, algorithm or seed.
    fn join(&mut self, name: &str, space: &str, algo: &str, seed: u64) -> Result<(), String>;
    /// Posts trials of the current batch: each is queued for evaluation if
    /// `pending[i]`, else stored done with its outcome. A trial already posted
    /// keeps its stored form; returned (per trial) when it is done. Fails if a
    /// stored trial has another DNA.
    fn post(&mut self, trials: &[&Trial], pending: &[bool]) -> Result<Vec<Option<Trial>>, String>;
    /// Claims one queued trial with a number in `first..=last` for this worker.
    fn claim(&mut self, first: usize, last: usize) -> Result<Option<usize>, String>;
    /// Stores the outcome of a trial this worker claimed (ignored if the claim
    /// was taken away meanwhile).
    fn finish(&mut self, trial: &Trial) -> Result<(), String>;
    /// Gives back a claim of this worker unfinished (queued again).
    fn release(&mut self, number: usize) -> Result<(), String>;
    /// The trials `numbers` once all are done (in that order); `None` while some
    /// are queued or running. Re-queues claims of workers that stopped.
    fn collect(&mut self, numbers: &[usize]) -> Result<Option<Vec<Trial>>, String>;
    /// Blocks briefly, until the ledger may have changed.
    fn wait(&mut self) {
        std::thread::sleep(Duration::from_millis(2));
    }
    /// This worker's name, recorded with the trials it evaluates.
    fn worker(&self) -> &str;
}

/// The error of a posted trial whose stored DNA differs.
pub(crate) fn dna_mismatch(stored: &Trial, posted: &Trial) -> String {
    format!(
        "the stored study was made with a different space/seed/algorithm: \
         trial {} is stored as {} but now proposed as {}",
        posted.number, stored.dna, posted.dna
    )
}

/// The error of joining a stored study made with other texts.
pub(crate) fn study_mismatch(
    name: &str,
    stored: (&str, &str, u64),
    now: (&str, &str, u64),
) -> Option<String> {
    let mut diffs = Vec::new();
    if stored.0 != now.0 {
        diffs.push(format!("space {} (now {})", stored.0, now.0));
    }
    if stored.1 != now.1 {
        diffs.push(format!("algorithm {} (now {})", stored.1, now.1));
    }
    if stored.2 != now.2 {
        diffs.push(format!("seed {} (now {})", stored.2, now.2));
    }
    (!diffs.is_empty()).then(|| {
        format!(
            "the stored study '{name}' was made with a different {}; use another study name",
            diffs.join(", ")
        )
    })
}

#[derive(Clone, Debug, PartialEq)]
enum State {
    Queued,
    Running(usize),
    Done,
}

#[derive(Debug, Default)]
struct Book {
    study: Option<(String, String, String, u64)>,
    rows: BTreeMap<usize, (Trial, State)>,
    closed: bool,
    workers: usize,
}

/// A ledger in memory, shared by the threads of one process: `handle` gives
/// each thread its own participant. Dropping a handle (its thread ended, even by
/// a panic) re-queues its claims; `close` makes every later call fail, which is
/// how the thread that owns the search stops its helpers.
pub struct MemoryLedger {
    shared: Arc<(Mutex<Book>, Condvar)>,
    id: usize,
    name: String,
}

impl MemoryLedger {
    /// A new, empty ledger and its first participant.
    pub fn new() -> MemoryLedger {
        let shared = Arc::new((Mutex::new(Book::default()), Condvar::new()));
        MemoryLedger::participant(shared)
    }

    fn participant(shared: Arc<(Mutex<Book>, Condvar)>) -> MemoryLedger {
        let id = {
            let mut book = lock(&shared.0);
            book.workers += 1;
            book.workers
        };
        MemoryLedger {
            shared,
            id,
            name: format!("thread {id}"),
        }
    }

    /// A ledger holding the done trials of a finished study, whose one
    /// participant replays that study without evaluating anything.
    pub fn with_trials(trials: &[Trial]) -> MemoryLedger {
        let me = MemoryLedger::new();
        let rows = trials
            .iter()
            .map(|t| (t.number, (t.clone(), State::Done)))
            .collect();
        lock(&me.shared.0).rows = rows;
        me
    }

    /// Another participant of the same ledger (for another thread).
    pub fn handle(&self) -> MemoryLedger {
        MemoryLedger::participant(self.shared.clone())
    }

    /// Makes every later call of every participant fail with "closed".
    pub fn close(&self) {
        lock(&self.shared.0).closed = true;
        self.shared.1.notify_all();
    }

    fn book(&self) -> Result<MutexGuard<'_, Book>, String> {
        let book = lock(&self.shared.0);
        if book.closed {
            return Err("the search was closed by its owner".into());
        }
        Ok(book)
    }
}

impl Default for MemoryLedger {
    fn default() -> Self {
        MemoryLedger::new()
    }
}

/// Locks a mutex, also after a participant panicked holding it (the book is
/// plain data, updated in single assignments).
fn lock(m: &Mutex<Book>) -> MutexGuard<'_, Book> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Drop for MemoryLedger {
    fn drop(&mut self) {
        let mut book = lock(&self.shared.0);
        for (_, state) in book.rows.values_mut() {
            if *state == State::Running(self.id) {
                *state = State::Queued;
            }
        }
        drop(book);
        self.shared.1.notify_all();
    }
}

impl Ledger for MemoryLedger {
    fn join(&mut self, name: &str, space: &str, algo: &str, seed: u64) -> Result<(), String> {
        let mut book = self.book()?;
        match &book.study {
            None => {
                book.study = Some((name.into(), space.into(), algo.into(), seed));
                Ok(())
            }
            Some((n, s, a, sd)) if n == name => {
                match study_mismatch(name, (s, a, *sd), (space, algo, seed)) {
                    Some(e) => Err(e),
                    None => Ok(()),
                }
            }
            Some((n, ..)) => Err(format!("this ledger holds study '{n}', not '{name}'")),
        }
    }

    fn post(&mut self, trials: &[&Trial], pending: &[bool]) -> Result<Vec<Option<Trial>>, String> {
        let mut book = self.book()?;
        let mut out = Vec::with_capacity(trials.len());
        for (t, &p) in trials.iter().zip(pending) {
            match book.rows.get(&t.number) {
                Some((stored, state)) => {
                    if stored.dna != t.dna {
                        return Err(dna_mismatch(stored, t));
                    }
                    out.push((*state == State::Done).then(|| stored.clone()));
                }
                None => {
                    let state = if p { State::Queued } else { State::Done };
                    book.rows.insert(t.number, ((*t).clone(), state));
                    out.push(None);
                }
            }
        }
        Ok(out)
    }

    fn claim(&mut self, first: usize, last: usize) -> Result<Option<usize>, String> {
        let id = self.id;
        let mut book = self.book()?;
        let found = book
            .rows
            .range_mut(first..=last)
            .find(|(_, (_, s))| *s == State::Queued);
        Ok(found.map(|(&n, (_, s))| {
            *s = State::Running(id);
            n
        }))
    }

    fn finish(&mut self, trial: &Trial) -> Result<(), String> {
        let id = self.id;
        let mut book = self.book()?;
        if let Some((t, s)) = book.rows.get_mut(&trial.number)
            && *s == State::Running(id)
        {
            *t = trial.clone();
            *s = State::Done;
        }
        drop(book);
        self.shared.1.notify_all();
        Ok(())
    }

    fn release(&mut self, number: usize) -> Result<(), String> {
        let id = self.id;
        let mut book = self.book()?;
        if let Some((_, s)) = book.rows.get_mut(&number)
            && *s == State::Running(id)
        {
            *s = State::Queued;
        }
        drop(book);
        self.shared.1.notify_all();
        Ok(())
    }

    fn collect(&mut self, numbers: &[usize]) -> Result<Option<Vec<Trial>>, String> {
        let book = self.book()?;
        let mut out = Vec::with_capacity(numbers.len());
        for n in numbers {
            match book.rows.get(n) {
                Some((t, State::Done)) => out.push(t.clone()),
                Some(_) => return Ok(None),
                None => return Err(format!("trial {n} was never posted")),
            }
        }
        Ok(Some(out))
    }

    fn wait(&mut self) {
        let book = lock(&self.shared.0);
        if !book.closed {
            let _ = self.shared.1.wait_timeout(book, Duration::from_millis(50));
        }
    }

    fn worker(&self) -> &str {
        &self.name
    }
}
