//! draft-cavage `Signature` header parsing (`signatures::cavage::parse`), and the header we
//! write for outgoing requests reading back as what was written.
#![no_main]
use libfuzzer_sys::fuzz_target;
use topi::activitypub::signatures::cavage::{cavage_header, parse, MAX_COVERED};
use topi::activitypub::signatures::Prepared;
use topi_fuzz::{amplify, fields, text};

fuzz_target!(|data: &[u8]| {
    topi_fuzz::guard_stack();
    let data = amplify(data);
    let value = text(&data);
    if let Ok(sig) = parse(&value) {
        assert!(sig.headers.iter().all(|h| !h.is_empty() && !h.contains(char::is_whitespace)));
        assert!(sig.headers.iter().all(|h| *h == h.to_ascii_lowercase()));
    }

    // Round trip: whatever key id and signature bytes we put in, parse gives them back.
    let f = fields(&data, 3);
    let key_id = text(f[0]);
    // What we sign covers each header once, and a handful of them.
    let mut names: Vec<String> = Vec::new();
    for name in text(f[1]).split_whitespace().map(str::to_ascii_lowercase) {
        if !names.contains(&name) && names.len() < MAX_COVERED {
            names.push(name);
        }
    }
    let covered = names.join(" ");
    if covered.contains(['"', '\\']) {
        return;
    }
    let prepared = Prepared { headers: Vec::new(), signing_input: Vec::new(), covered: covered.clone() };
    let (name, header) = cavage_header(&prepared, &key_id, f[2]);
    assert_eq!(name, "signature");
    let sig = parse(&header).unwrap_or_else(|e| panic!("our own header {header:?} does not parse: {e}"));
    assert_eq!(sig.key_id, key_id, "key id changed in {header:?}");
    assert_eq!(sig.signature, f[2]);
    assert_eq!(sig.algorithm.as_deref(), Some("rsa-sha256"));
    let expected: Vec<String> = if covered.is_empty() { Vec::new() } else { covered.split(' ').map(str::to_string).collect() };
    assert_eq!(sig.headers, expected);
});
