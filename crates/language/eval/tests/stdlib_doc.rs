//! `docs/stdlib.md` lists every builtin exactly as the builtin table defines it:
//! the prelude's between the `builtins` markers, each namespace's (`linalg`, `ot`)
//! between markers of its name. Regenerate the tables with
//! `OPTL_BLESS=1 cargo test -p optl-eval --test stdlib_doc`.

const PAGE: &str = "../../../docs/stdlib.md";

/// Checks (or, with `OPTL_BLESS`, rewrites) the table between `<!-- {marker}:begin -->`
/// and `<!-- {marker}:end -->`.
fn check_table(marker: &str, module: Option<&str>) {
    let page = std::fs::read_to_string(PAGE).expect("docs/stdlib.md exists");
    let (begin, end) = (
        format!("<!-- {marker}:begin -->\n"),
        format!("<!-- {marker}:end -->"),
    );
    let (start, stop) = (
        page.find(&begin).expect("begin marker") + begin.len(),
        page.find(&end).expect("end marker"),
    );
    let table = optl_eval::builtins::reference_markdown(module);
    if std::env::var_os("OPTL_BLESS").is_some() {
        let updated = format!("{}{}{}", &page[..start], table, &page[stop..]);
        std::fs::write(PAGE, updated).expect("write docs/stdlib.md");
        return;
    }
    assert_eq!(
        &page[start..stop],
        table,
        "docs/stdlib.md is stale: rerun with OPTL_BLESS=1"
    );
}

/// One test for both tables, so that blessing never writes the page twice at once.
#[test]
fn stdlib_page_lists_every_builtin_and_linalg_member() {
    check_table("builtins", None);
    check_table("linalg", Some("linalg"));
    check_table("ot", Some("ot"));
}
