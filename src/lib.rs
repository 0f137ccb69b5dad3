//! The OptL facade crate.
