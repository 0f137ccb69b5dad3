//! Generates the OptL parser from `grammar/optl.lalrpop` at the workspace root.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-env-changed=LALRPOP_LANE_TABLE");
    lalrpop::Configuration::new()
        .set_in_dir("../../../grammar")
        .set_out_dir(std::env::var("OUT_DIR")?)
        .emit_rerun_directives(true)
        .process()?;
    Ok(())
}
