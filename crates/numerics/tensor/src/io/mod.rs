//! Reading and writing tensors in common interchange formats: numeric CSV text and
//! NumPy `.npy` files.
//!
//! These functions are pure: they take text or bytes already read by the caller and
//! never touch the file system or print anything. They never panic on any input:
//! every malformed input is reported as an [`IoError`] whose message names the line
//! and column (CSV) or the header field (`.npy`) at fault. Both readers take an
//! element limit and refuse oversized inputs before allocating the result.
//!
//! * [`parse_csv`] reads a rectangular table of numbers into a 2-D `[rows, cols]`
//!   tensor; [`header_names`] returns its header row, if any.
//! * [`parse_npy`] reads `.npy` format versions 1.0, 2.0 and 3.0 with boolean,
//!   integer and floating point dtypes (converted to `f64`).
//! * [`write_npy`] writes a tensor as a version 1.0 `.npy` file of `<f8` values.

mod csv;
mod npy;

pub use csv::{CsvOptions, Header, header_names, parse_csv};
pub use npy::{parse_npy, write_npy};

use std::fmt;

/// Why reading a CSV or `.npy` input failed; the message is meant for humans.
#[derive(Debug, Clone, PartialEq)]
pub struct IoError(pub String);

impl fmt::Display for IoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for IoError {}

pub(crate) fn err<T>(msg: impl Into<String>) -> Result<T, IoError> {
    Err(IoError(msg.into()))
}

/// Shortens text quoted in an error message to a readable length.
pub(crate) fn excerpt(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{head}...")
    }
}
