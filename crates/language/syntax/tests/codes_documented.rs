//! Keeps `docs/errors.md` and the code catalogue in step: every code is documented
//! under its own heading, and nothing else is.

use optl_syntax::codes::ALL;

#[test]
fn every_code_is_documented() {
    let doc = include_str!("../../../../docs/errors.md");
    let documented: Vec<&str> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .filter_map(|l| l.split(':').next())
        .collect();
    let catalogue: Vec<&str> = ALL.iter().map(|c| c.id).collect();
    assert_eq!(
        documented, catalogue,
        "docs/errors.md headings must list the catalogue in order"
    );
    for c in ALL {
        assert!(
            doc.contains(&format!("## {}: {}", c.id, c.title)),
            "{} title differs",
            c.id
        );
    }
}

#[test]
fn codes_are_unique() {
    let mut ids: Vec<&str> = ALL.iter().map(|c| c.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), ALL.len());
}
