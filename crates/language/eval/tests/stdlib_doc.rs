//! `docs/stdlib.md` lists every builtin exactly as the builtin table defines it.
//! Regenerate the table with `OPTL_BLESS=1 cargo test -p optl-eval --test stdlib_doc`.

const BEGIN: &str = "<!-- builtins:begin -->\n";
const END: &str = "<!-- builtins:end -->";

#[test]
fn stdlib_page_lists_every_builtin() {
    let path = "../../../docs/stdlib.md";
    let page = std::fs::read_to_string(path).expect("docs/stdlib.md exists");
    let (start, end) = (
        page.find(BEGIN).expect("begin marker") + BEGIN.len(),
        page.find(END).expect("end marker"),
    );
    let table = optl_eval::builtins::reference_markdown();
    if std::env::var_os("OPTL_BLESS").is_some() {
        let updated = format!("{}{}{}", &page[..start], table, &page[end..]);
        std::fs::write(path, updated).expect("write docs/stdlib.md");
        return;
    }
    assert_eq!(
        &page[start..end],
        table,
        "docs/stdlib.md is stale: rerun with OPTL_BLESS=1"
    );
}
