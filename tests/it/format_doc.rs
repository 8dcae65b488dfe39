//! docs/FORMAT.md's record tables agree with the Rust records, row by row,
//! and cover every field.

use layout_meta::format::offsets::ALL;

#[test]
fn format_doc_tables_match_the_records() {
    let doc = std::fs::read_to_string(resilient_testkit::workspace_root().join("docs/FORMAT.md"))
        .unwrap();
    let mut rows = Vec::new();
    for line in doc.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // | record | field | offset | size | type | meaning |
        if cells.len() >= 7 && cells[1].starts_with("rsl_") {
            rows.push((
                cells[1].to_owned(),
                cells[2].to_owned(),
                cells[3].parse::<usize>().unwrap(),
            ));
        }
    }
    let expected: Vec<(String, String, usize)> = ALL
        .iter()
        .map(|(r, f, o)| ((*r).to_owned(), (*f).to_owned(), *o))
        .collect();
    assert_eq!(
        rows, expected,
        "docs/FORMAT.md tables vs layout_meta::format::offsets::ALL"
    );
}
