//! Inbound HTTP signature checking (`signatures::verification`, draft-cavage and RFC 9421,
//! with `Digest`/`Content-Digest`) on a request made of fuzzed parts, and the round trip from
//! what we sign (`sign_cavage`, `sign_rfc9421`) to what we accept.
//!
//! Input: `selector, method \0 path \0 authority \0 header lines \0 body` (amplifiable).
#![no_main]
use libfuzzer_sys::fuzz_target;
use topi::activitypub::signatures::digest::{check_content_digest, check_digest};
use topi::activitypub::signatures::{
    cavage_header, http_date, rfc9421_headers, sign_cavage, sign_rfc9421, verification, RequestParts,
};
use topi_fuzz::{amplify, fields, text};

/// The seeds' dates: `Tue, 14 Nov 2023 22:13:20 GMT`.
const NOW_MS: i64 = 1_700_000_000_000;

fn nice(s: &str, extra: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || extra.as_bytes().contains(&b))
}

fuzz_target!(|data: &[u8]| {
    topi_fuzz::guard_stack();
    let data = amplify(data);
    let Some((&selector, rest)) = data.split_first() else { return };
    let f = fields(rest, 5);
    let (method, path, authority, header_block, body) = (text(f[0]), text(f[1]), text(f[2]), text(f[3]), f[4]);
    let scheme = if selector & 1 == 0 { "https" } else { "http" };
    let headers: Vec<(String, String)> = header_block
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    let req = RequestParts { method: &method, url_path_and_query: &path, authority: &authority, scheme, headers: &headers };
    if let Ok(v) = verification(&req, body, NOW_MS) {
        assert!(!v.signing_input.is_empty());
    }
    if let Some(value) = req.header("digest") {
        let _ = check_digest(&value, body);
    }
    if let Some(value) = req.header("content-digest") {
        let _ = check_content_digest(&value, body);
    }

    // What we send, we accept: sign with our own functions, verify what arrives.
    if !(nice(&method, "") && nice(&authority, ".-:") && path.starts_with('/') && nice(&path, "/?&=%._~-+,;!*'()@:$")) {
        return;
    }
    let method = method.to_ascii_uppercase();
    let authority = authority.to_ascii_lowercase();
    let url = format!("{scheme}://{authority}{path}");
    let body = (selector & 2 != 0).then_some(body);
    let key_id = format!("{scheme}://{authority}/actor#main-key");
    let signature = [selector; 7];
    let outgoing = if selector & 4 == 0 {
        let Ok(prepared) = sign_cavage(&method, &url, body, &http_date(NOW_MS)) else { return };
        let mut headers = prepared.headers.clone();
        headers.push(cavage_header(&prepared, &key_id, &signature));
        (prepared, headers)
    } else {
        let Ok(prepared) = sign_rfc9421(&method, &url, body, NOW_MS / 1000, &key_id) else { return };
        let mut headers = prepared.headers.clone();
        headers.extend(rfc9421_headers(&prepared, &signature));
        (prepared, headers)
    };
    let (prepared, mut headers) = outgoing;
    if !headers.iter().any(|(n, _)| n == "host") {
        headers.push(("host".into(), authority.clone()));
    }
    let req = RequestParts { method: &method, url_path_and_query: &path, authority: &authority, scheme, headers: &headers };
    let v = verification(&req, body.unwrap_or_default(), NOW_MS)
        .unwrap_or_else(|e| panic!("our own signature on {method} {url} is refused: {e}\n{headers:?}"));
    assert_eq!(v.key_id, key_id);
    assert_eq!(v.signature, signature);
    assert_eq!(v.signing_input, prepared.signing_input, "inbound and outbound signing inputs differ for {method} {url}");
});
