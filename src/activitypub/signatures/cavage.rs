//! draft-cavage-http-signatures (version 12, with Mastodon's habits): a `Signature` header of
//! `keyId`, `algorithm`, `headers` and `signature` parameters over a newline-joined list of
//! `name: value` lines.
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::digest::{check_body, digest_header};
use super::{check_expires, check_window, split_url, Algorithm, Prepared, RequestParts, SignatureError, Verification};
use crate::domain::time::parse_http_date;

/// A parsed `Signature` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CavageSignature {
    pub key_id: String,
    pub algorithm: Option<String>,
    /// Lower-cased names from the `headers` parameter, in order.
    pub headers: Vec<String>,
    pub signature: Vec<u8>,
    pub created: Option<String>,
    pub expires: Option<String>,
}

/// Signatures cover a handful of headers; nobody signs more than this many.
pub const MAX_COVERED: usize = 32;

/// Parses `keyId="…",algorithm="…",headers="…",signature="…"`. Parameter names are matched
/// case-insensitively and unknown ones ignored; `headers` defaults to `date` as Mastodon's does.
pub fn parse(value: &str) -> Result<CavageSignature, SignatureError> {
    let mut rest = value.trim();
    let mut fields: Vec<(String, String)> = Vec::new();
    while !rest.is_empty() {
        let (name, after) = rest
            .split_once('=')
            .ok_or_else(|| SignatureError::Malformed(format!("Signature parameter without '=': {rest}")))?;
        let name = name.trim().to_ascii_lowercase();
        let after = after.trim_start();
        let (field, after) = if let Some(quoted) = after.strip_prefix('"') {
            let mut field = String::new();
            let mut chars = quoted.char_indices();
            let end = loop {
                match chars.next() {
                    Some((i, '"')) => break i,
                    Some((_, '\\')) => field.extend(chars.next().map(|(_, c)| c)),
                    Some((_, c)) => field.push(c),
                    None => return Err(SignatureError::Malformed(format!("unterminated {name}"))),
                }
            };
            (field, &quoted[end + 1..])
        } else {
            // `created` and `expires` are unquoted numbers.
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_string(), &after[end..])
        };
        if fields.len() == MAX_COVERED {
            return Err(SignatureError::Malformed("too many Signature parameters".into()));
        }
        fields.push((name, field));
        let after = after.trim_start();
        rest = match after.strip_prefix(',') {
            Some(next) => next.trim_start(),
            None if after.is_empty() => after,
            None => return Err(SignatureError::Malformed(format!("expected ',' before {after}"))),
        };
    }
    let get = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let key_id = get("keyid").ok_or_else(|| SignatureError::Malformed("keyId missing".into()))?;
    let signature = get("signature").ok_or_else(|| SignatureError::Malformed("signature missing".into()))?;
    let signature = STANDARD
        .decode(signature.trim())
        .map_err(|_| SignatureError::Malformed("signature is not base64".into()))?;
    let headers: Vec<String> = get("headers").unwrap_or_else(|| "date".into()).split_whitespace().map(str::to_ascii_lowercase).collect();
    // Each covered header is copied into the signing string: a long list naming one big header
    // again and again would make that string huge before anything is verified.
    if headers.len() > MAX_COVERED {
        return Err(SignatureError::Malformed(format!("more than {MAX_COVERED} covered headers")));
    }
    if headers.iter().enumerate().any(|(i, h)| headers[..i].contains(h)) {
        return Err(SignatureError::Malformed("a covered header is repeated".into()));
    }
    Ok(CavageSignature {
        key_id,
        algorithm: get("algorithm"),
        headers,
        signature,
        created: get("created"),
        expires: get("expires"),
    })
}

/// The signing string: `name: value` per covered header, joined with `\n`.
pub fn signing_string(req: &RequestParts, sig: &CavageSignature) -> Result<Vec<u8>, SignatureError> {
    let mut lines = Vec::with_capacity(sig.headers.len());
    for name in &sig.headers {
        let value = match name.as_str() {
            "(request-target)" => format!("{} {}", req.method.to_ascii_lowercase(), req.path_and_query()),
            "(created)" => sig.created.clone().ok_or_else(|| SignatureError::Malformed("created missing".into()))?,
            "(expires)" => sig.expires.clone().ok_or_else(|| SignatureError::Malformed("expires missing".into()))?,
            // Some platforms keep Host out of the header list; the URL's authority is the same.
            "host" => req.header("host").unwrap_or_else(|| req.authority.to_string()),
            pseudo if pseudo.starts_with('(') => return Err(SignatureError::UnsupportedComponent(pseudo.into())),
            field => req.header(field).ok_or_else(|| SignatureError::MissingHeader(field.into()))?,
        };
        if value.contains(['\n', '\r']) {
            return Err(SignatureError::Malformed(format!("{name} contains a line break")));
        }
        lines.push(format!("{name}: {value}"));
    }
    Ok(lines.join("\n").into_bytes())
}

fn algorithm(sig: &CavageSignature) -> Result<Algorithm, SignatureError> {
    match sig.algorithm.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("rsa-sha256" | "hs2019") => Ok(Algorithm::RsaSha256),
        Some("ed25519") => Ok(Algorithm::Ed25519),
        Some(other) => Err(SignatureError::UnsupportedAlgorithm(other.into())),
    }
}

/// Seconds (possibly with a fraction, as draft-12 allows) to milliseconds.
fn seconds_ms(what: &str, text: &str) -> Result<i64, SignatureError> {
    let seconds: f64 = text.trim().parse().map_err(|_| SignatureError::Malformed(format!("{what} {text:?}")))?;
    if !seconds.is_finite() {
        return Err(SignatureError::Malformed(format!("{what} {text:?}")));
    }
    Ok((seconds * 1000.0) as i64)
}

pub(super) fn verification(req: &RequestParts, body: &[u8], now_ms: i64) -> Result<Verification, SignatureError> {
    let header = match req.header("signature") {
        Some(value) => value,
        None => req
            .header("authorization")
            .and_then(|auth| auth.strip_prefix("Signature ").map(str::to_string))
            .ok_or(SignatureError::MissingHeader("signature".into()))?,
    };
    let sig = parse(&header)?;
    let algorithm = algorithm(&sig)?;
    let covers = |name: &str| sig.headers.iter().any(|h| h == name);
    for required in ["(request-target)", "host"] {
        if !covers(required) {
            return Err(SignatureError::MissingComponent(required.into()));
        }
    }
    if !covers("date") && !covers("(created)") {
        return Err(SignatureError::MissingComponent("date".into()));
    }
    if covers("date") {
        let date = req.header("date").ok_or(SignatureError::MissingHeader("date".into()))?;
        let at = parse_http_date(&date).ok_or_else(|| SignatureError::Malformed(format!("Date {date:?}")))?;
        check_window("Date", at, now_ms)?;
    }
    if let Some(created) = &sig.created {
        check_window("created", seconds_ms("created", created)?, now_ms)?;
    }
    if let Some(expires) = &sig.expires {
        check_expires(seconds_ms("expires", expires)?, now_ms)?;
    }
    // Either digest header will do, as long as the signature covers the one that is checked.
    let covered_digest: Vec<&str> = ["digest", "content-digest"].into_iter().filter(|d| covers(d)).collect();
    if !body.is_empty() && covered_digest.is_empty() {
        return Err(SignatureError::MissingComponent("digest".into()));
    }
    check_body(req, body, &covered_digest)?;
    let signing_input = signing_string(req, &sig)?;
    Ok(Verification { key_id: sig.key_id, algorithm, signing_input, signature: sig.signature })
}

/// Prepares a draft-cavage signature over `(request-target) host date`, plus `digest` when
/// there is a body. `date_http` is the `Date` header to send (`http_date(now)`).
pub fn sign_cavage(method: &str, url: &str, body: Option<&[u8]>, date_http: &str) -> Result<Prepared, SignatureError> {
    let (_, authority, path_and_query) = split_url(url)?;
    let mut headers = vec![("host".to_string(), authority), ("date".to_string(), date_http.to_string())];
    if let Some(body) = body {
        headers.push(("digest".to_string(), digest_header(body)));
    }
    let mut lines = vec![format!("(request-target): {} {path_and_query}", method.to_ascii_lowercase())];
    lines.extend(headers.iter().map(|(name, value)| format!("{name}: {value}")));
    let covered = std::iter::once("(request-target)").chain(headers.iter().map(|(n, _)| n.as_str())).collect::<Vec<_>>().join(" ");
    Ok(Prepared { headers, signing_input: lines.join("\n").into_bytes(), covered })
}

/// The `Signature` header for a prepared request, given the RSA signature over its
/// `signing_input`.
pub fn cavage_header(prepared: &Prepared, key_id: &str, signature: &[u8]) -> (String, String) {
    let key_id = key_id.replace('\\', "\\\\").replace('"', "\\\"");
    (
        "signature".to_string(),
        format!(
            "keyId=\"{key_id}\",algorithm=\"rsa-sha256\",headers=\"{}\",signature=\"{}\"",
            prepared.covered,
            STANDARD.encode(signature)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::pkcs8::DecodePublicKey;
    use rsa::signature::Verifier;
    use sha2::Sha256;

    /// The example request of draft-cavage-http-signatures-12 §2.1 and appendix C.
    fn draft_headers(signature: &str) -> Vec<(String, String)> {
        [
            ("host", "example.com"),
            ("date", "Sun, 05 Jan 2014 21:31:40 GMT"),
            ("content-type", "application/json"),
            ("digest", "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="),
            ("content-length", "18"),
            ("signature", signature),
        ]
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
    }

    fn draft_request(headers: &[(String, String)]) -> RequestParts<'_> {
        RequestParts { method: "POST", url_path_and_query: "/foo?param=value&pet=dog", authority: "example.com", scheme: "https", headers }
    }

    const DRAFT_NOW_MS: i64 = 1_388_957_500_000;
    const BODY: &[u8] = br#"{"hello": "world"}"#;

    /// The draft's appendix C public key.
    const DRAFT_PUBLIC_KEY: &str = "-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDCFENGw33yGihy92pDjZQhl0C3
6rPJj+CvfSC8+q28hxA161QFNUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6
Z4UMR7EOcpfdUE9Hf3m/hs+FUR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJw
oYi+1hqp1fIekaxsyQIDAQAB
-----END PUBLIC KEY-----";

    const BASIC_TEST: &str = "keyId=\"Test\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date\",signature=\"qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SbrQDMCJypxBLSPQR2aAjn7ndmw2iicw3HMbe8VfEdKFYRqzic+efkb3nndiv/x1xSHDJWeSWkx3ButlYSuBskLu6kd9Fswtemr3lgdDEmn04swr2Os0=\"";

    #[test]
    fn the_drafts_basic_test_verifies_over_our_signing_string() {
        let headers = draft_headers(BASIC_TEST);
        let req = draft_request(&headers);
        let sig = parse(BASIC_TEST).unwrap();
        let input = signing_string(&req, &sig).unwrap();
        assert_eq!(
            String::from_utf8(input.clone()).unwrap(),
            "(request-target): post /foo?param=value&pet=dog\nhost: example.com\ndate: Sun, 05 Jan 2014 21:31:40 GMT"
        );
        let key = VerifyingKey::<Sha256>::new(rsa::RsaPublicKey::from_public_key_pem(DRAFT_PUBLIC_KEY).unwrap());
        key.verify(&input, &Signature::try_from(sig.signature.as_slice()).unwrap()).unwrap();
        // A POST whose signature leaves out the digest is not enough for an inbox.
        assert_eq!(verification(&req, BODY, DRAFT_NOW_MS), Err(SignatureError::MissingComponent("digest".into())));
        // Without a body (and so without a digest header) it is.
        let bodiless: Vec<(String, String)> = headers.iter().filter(|(n, _)| n != "digest").cloned().collect();
        let v = verification(&draft_request(&bodiless), b"", DRAFT_NOW_MS).unwrap();
        assert_eq!((v.key_id.as_str(), v.algorithm, v.signing_input), ("Test", Algorithm::RsaSha256, input));
    }

    #[test]
    fn the_drafts_all_headers_signing_string() {
        let value = "keyId=\"Test\",algorithm=\"hs2019\",created=1402170695,expires=1402170699,headers=\"(request-target) (created) (expires) host date content-type digest content-length\",signature=\"AAAA\"";
        let headers = draft_headers(value);
        let sig = parse(value).unwrap();
        assert_eq!(
            String::from_utf8(signing_string(&draft_request(&headers), &sig).unwrap()).unwrap(),
            "(request-target): post /foo?param=value&pet=dog\n(created): 1402170695\n(expires): 1402170699\nhost: example.com\n\
             date: Sun, 05 Jan 2014 21:31:40 GMT\ncontent-type: application/json\n\
             digest: SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=\ncontent-length: 18"
        );
        // Expired four seconds after it was created.
        let now = 1_402_170_697_000;
        let mut req_headers = headers.clone();
        req_headers[1].1 = crate::domain::time::http_date(now);
        let req = draft_request(&req_headers);
        assert!(verification(&req, BODY, now).is_ok());
        assert!(matches!(verification(&req, BODY, now + 3_000), Err(SignatureError::StaleDate(_))));
    }

    #[test]
    fn parses_loose_headers() {
        let sig = parse(r#" KeyId = "a\"b" , algorithm="ED25519",headers="(Request-Target)  Host",signature="AQID" "#).unwrap();
        assert_eq!(sig.key_id, "a\"b");
        assert_eq!(sig.headers, vec!["(request-target)", "host"]);
        assert_eq!(algorithm(&sig), Ok(Algorithm::Ed25519));
        assert_eq!(parse(r#"keyId="a",signature="AQID""#).unwrap().headers, vec!["date"]);
        for bad in [r#"keyId="a""#, r#"signature="AQID""#, r#"keyId="a,signature="AQID""#, r#"keyId="a" signature="AQID""#, r#"keyId="a",signature="!!""#] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let sig = parse(r#"keyId="a",algorithm="hmac-sha256",signature="AQID""#).unwrap();
        assert_eq!(algorithm(&sig), Err(SignatureError::UnsupportedAlgorithm("hmac-sha256".into())));
    }

    #[test]
    fn prepares_what_mastodon_sends() {
        let date = "Tue, 24 Nov 2026 10:00:00 GMT";
        let post = sign_cavage("POST", "https://Remote.example:8443/users/a/inbox", Some(BODY), date).unwrap();
        assert_eq!(
            post.headers,
            vec![
                ("host".to_string(), "remote.example:8443".to_string()),
                ("date".to_string(), date.to_string()),
                ("digest".to_string(), "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=".to_string()),
            ]
        );
        assert_eq!(
            String::from_utf8(post.signing_input.clone()).unwrap(),
            format!("(request-target): post /users/a/inbox\nhost: remote.example:8443\ndate: {date}\ndigest: SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=")
        );
        assert_eq!(
            cavage_header(&post, "https://me.example/actor#main-key", &[1, 2, 3]),
            (
                "signature".to_string(),
                "keyId=\"https://me.example/actor#main-key\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date digest\",signature=\"AQID\"".to_string()
            )
        );
        let get = sign_cavage("GET", "https://remote.example", None, date).unwrap();
        assert_eq!(get.covered, "(request-target) host date");
        assert!(String::from_utf8(get.signing_input).unwrap().starts_with("(request-target): get /\n"));
    }
}
