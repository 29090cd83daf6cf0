//! `app::imports::formats::parse`: an uploaded CSV file read as each kind of import, as
//! `POST /api/v1/topi/imports` reads it. Input: `selector, file` (amplifiable, see
//! `topi_fuzz::amplify`); the selector picks the kind. What a row stores must write back as a
//! row of the same kind (the failures file) and read again.
#![no_main]
use libfuzzer_sys::fuzz_target;
use topi::app::imports::formats::{parse, write_row, Kind, MAX_ROWS};
use topi_fuzz::amplify;

fuzz_target!(|data: &[u8]| {
    topi_fuzz::guard_stack();
    let data = amplify(data);
    let Some((&selector, file)) = data.split_first() else { return };
    let kind = Kind::ALL[selector as usize % Kind::ALL.len()];
    let Ok(parsed) = parse(kind, file, "f.csv", &["social.example", "social.example"]) else { return };
    assert!(parsed.rows.len() <= MAX_ROWS, "more rows than a file may hold");
    let mut lines = 0;
    for row in &parsed.rows {
        assert!(row.line > lines, "rows out of order: line {} after {lines}", row.line);
        lines = row.line;
        assert_eq!(row.error.is_none(), !row.key.is_empty(), "a row without an error has a key: {row:?}");
        let mut out = String::new();
        write_row(&mut out, kind, &row.data);
        let stored = serde_json::to_string(&row.data).expect("row data serialises");
        let back: topi::app::imports::formats::RowData = serde_json::from_str(&stored).expect("row data reads back");
        assert_eq!(back, row.data);
    }
});
