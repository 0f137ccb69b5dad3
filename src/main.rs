//! The `optl` binary: a thin shell around `optl_cli`.

fn main() {
    std::process::exit(optl_cli::main());
}
