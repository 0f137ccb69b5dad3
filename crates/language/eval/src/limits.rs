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

/// A time limit given in seconds: `None` (no limit) for infinity and for anything
/// longer than a `Duration` holds; an error message for NaN, zero or a negative
/// number (a limit of zero would stop before anything ran, and say nothing).
pub fn time_limit(seconds: f64) -> Result<Option<Duration>, String> {
    if seconds.is_nan() || seconds <= 0.0 {
        return Err(format!(
            "a time limit must be a number of seconds > 0 (or inf), found {seconds}"
        ));
    }
    Ok(Duration::try_from_secs_f64(seconds).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_limits_are_checked_not_converted_blindly() {
        assert_eq!(time_limit(1.5), Ok(Some(Duration::from_millis(1500))));
        assert!(time_limit(0.0).is_err());
        assert_eq!(time_limit(f64::INFINITY), Ok(None));
        assert_eq!(time_limit(1e300), Ok(None));
        assert!(time_limit(-1.0).is_err());
        assert!(time_limit(f64::NAN).is_err());
    }
}
