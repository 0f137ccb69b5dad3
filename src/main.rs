//! The optl binary.
fn main() {}
