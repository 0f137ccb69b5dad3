//! The transport family: entropic optimal transport recognised in a problem as
//! written (`recognize.rs`) and solved by optl-transport's Sinkhorn methods
//! (`methods.rs`).

pub mod methods;
pub mod recognize;

pub use recognize::{TransportForm, recognize};

#[cfg(test)]
mod tests;
