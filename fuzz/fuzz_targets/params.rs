//! `edge::params::Params::parse`: query string plus a form, JSON or multipart body, as every
//! client request arrives. Input: `selector, query \0 content-type-or-boundary \0 body`
//! (amplifiable, see `topi_fuzz::amplify`).
#![no_main]
use libfuzzer_sys::fuzz_target;
use topi::edge::params::Params;
use topi_fuzz::{amplify, fields, text};

fuzz_target!(|data: &[u8]| {
    topi_fuzz::guard_stack();
    let data = amplify(data);
    let Some((&selector, rest)) = data.split_first() else { return };
    let f = fields(rest, 3);
    let (query, param, body) = (text(f[0]), text(f[1]), f[2]);
    let content_type = match selector % 8 {
        0 => None,
        1 => Some("application/x-www-form-urlencoded".to_string()),
        2 => Some("application/json".to_string()),
        3 => Some("application/json; charset=utf-8".to_string()),
        4 | 5 => Some(format!("multipart/form-data; boundary={param}")),
        6 => Some(format!("multipart/form-data; boundary=\"{param}\"")),
        _ => Some(param.to_string()),
    };
    let Ok(params) = Params::parse(&query, content_type.as_deref(), body) else { return };

    // Files are pieces of the body.
    let file_bytes: usize = params.files.iter().map(|f| f.data.len()).sum();
    assert!(file_bytes <= body.len(), "files hold more bytes than the body");

    // Every accessor on every key, as handlers call them.
    let value = params.to_value();
    let object = value.as_object().expect("to_value is an object");
    for key in object.keys() {
        let _ = params.str(key);
        let _ = params.non_empty(key);
        let _ = params.bool(key);
        let _ = params.strings(key);
        let _ = params.file(key);
    }
    // What gets stored and replayed later (scheduled statuses) must serialise and read back.
    let stored = serde_json::to_string(&value).expect("params serialise");
    if topi_fuzz::depth(&value) < 120 {
        let back: serde_json::Value = serde_json::from_str(&stored).expect("stored params read back");
        assert_eq!(back, value, "stored params changed on the way back");
    }
});
