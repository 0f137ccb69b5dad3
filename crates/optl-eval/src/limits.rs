//! Resource limits, so that no script can crash or wedge its host.

use std::time::Duration;

/// Every limit is a setting of the embedding API and of the CLI.
#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    /// Nested calls of OptL functions.
    pub max_call_depth: usize,
    /// Elements in one tensor, list or string.
    pub max_elements: usize,
    /// Evaluation steps (roughly: expressions evaluated) per run.
    pub max_steps: u64,
    /// Wall-clock time per run.
    pub timeout: Option<Duration>,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_call_depth: 10_000,
            max_elements: 1 << 27,
            max_steps: 2_000_000_000,
            timeout: None,
        }
    }
}
