//! The OptL evaluator: turns checked syntax trees into values.

pub mod format;
pub mod tensor;
