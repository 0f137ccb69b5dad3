//! The optl command line (being written).
