//! RFC 9421 HTTP Message Signatures: `Signature-Input` names the covered components and the
//! parameters, `Signature` carries the bytes, both as structured-field dictionaries keyed by a
//! label.
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::digest::{check_body, content_digest_header};
use super::structured::{param, parse_dictionary, serialize_inner_list, BareItem, Member, Parameters};
use super::{check_expires, check_window, split_url, Algorithm, Prepared, RequestParts, SignatureError, Verification};
use crate::domain::time::parse_http_date;

const LABEL: &str = "sig1";

/// The value of one covered component (RFC 9421 §2.1 and §2.2). Components with parameters
/// (`;sf`, `;key`, `;bs`, `;req`, `@query-param;name`) are refused rather than half-supported.
fn component_value(req: &RequestParts, name: &str, params: &Parameters) -> Result<String, SignatureError> {
    if !params.is_empty() {
        return Err(SignatureError::UnsupportedComponent(format!("{name} with parameters")));
    }
    let value = match name {
        "@method" => req.method.to_string(),
        "@target-uri" => req.target_uri(),
        "@authority" => req.normalized_authority(),
        "@scheme" => req.scheme.to_ascii_lowercase(),
        "@request-target" => req.path_and_query(),
        "@path" => req.path().to_string(),
        "@query" => format!("?{}", req.query().unwrap_or_default()),
        derived if derived.starts_with('@') => return Err(SignatureError::UnsupportedComponent(derived.into())),
        field => req.header(field).ok_or_else(|| SignatureError::MissingHeader(field.into()))?,
    };
    if value.contains(['\n', '\r']) {
        return Err(SignatureError::Malformed(format!("{name} contains a line break")));
    }
    Ok(value)
}

/// The signature base (RFC 9421 §2.5): one `"name": value` line per covered component, then
/// `"@signature-params"` with the inner list and its parameters, serialised in the order received.
pub fn signature_base(
    req: &RequestParts,
    components: &[(BareItem, Parameters)],
    params: &Parameters,
) -> Result<Vec<u8>, SignatureError> {
    let mut base = String::new();
    let mut seen: Vec<&str> = Vec::new();
    for (item, item_params) in components {
        let BareItem::String(name) = item else {
            return Err(SignatureError::Malformed("a covered component is not a string".into()));
        };
        if name.bytes().any(|b| b.is_ascii_uppercase()) || seen.contains(&name.as_str()) {
            return Err(SignatureError::Malformed(format!("covered component {name:?} is upper case or repeated")));
        }
        seen.push(name);
        let value = component_value(req, name, item_params)?;
        base.push_str(&format!("\"{name}\": {value}\n"));
    }
    base.push_str("\"@signature-params\": ");
    base.push_str(&serialize_inner_list(components, params));
    Ok(base.into_bytes())
}

fn covered_names(components: &[(BareItem, Parameters)]) -> Vec<&str> {
    components
        .iter()
        .filter_map(|(item, _)| match item {
            BareItem::String(name) => Some(name.as_str()),
            _ => None,
        })
        .collect()
}

/// What an ActivityPub request's signature must cover: the method, the target (whole, or as
/// authority plus path), and the body's digest when there is a body.
fn check_coverage(covered: &[&str], has_body: bool) -> Result<(), SignatureError> {
    let missing = |name: &str| Err(SignatureError::MissingComponent(name.into()));
    if !covered.contains(&"@method") {
        return missing("@method");
    }
    if !covered.contains(&"@target-uri") {
        for part in ["@authority", "@path"] {
            if !covered.contains(&part) {
                return missing(&format!("@target-uri (or {part})"));
            }
        }
    }
    if has_body && !covered.contains(&"content-digest") {
        return missing("content-digest");
    }
    Ok(())
}

pub(super) fn verification(req: &RequestParts, body: &[u8], now_ms: i64) -> Result<Verification, SignatureError> {
    let inputs = parse_dictionary(&req.header("signature-input").unwrap_or_default())?;
    let signatures = parse_dictionary(&req.header("signature").ok_or(SignatureError::MissingHeader("signature".into()))?)?;
    // The first label that covers what we need is the one we check; others (a proxy's, an
    // application's) are ignored. If none does, the first one's complaint is the answer.
    let mut first_error = None;
    for (label, member) in &inputs {
        let Member::InnerList(components, params) = member else { continue };
        let covered = covered_names(components);
        if let Err(e) = check_coverage(&covered, !body.is_empty()) {
            first_error.get_or_insert(e);
            continue;
        }
        let signature = match signatures.iter().find(|(l, _)| l == label) {
            Some((_, Member::Item(BareItem::Bytes(bytes), _))) => bytes.clone(),
            Some(_) => return Err(SignatureError::Malformed(format!("Signature {label} is not a byte sequence"))),
            None => {
                first_error.get_or_insert(SignatureError::MissingHeader(format!("signature for {label}")));
                continue;
            }
        };
        return check_label(req, body, now_ms, components, params, &covered, signature);
    }
    Err(first_error.unwrap_or_else(|| SignatureError::Malformed("Signature-Input has no signature".into())))
}

fn check_label(
    req: &RequestParts,
    body: &[u8],
    now_ms: i64,
    components: &[(BareItem, Parameters)],
    params: &Parameters,
    covered: &[&str],
    signature: Vec<u8>,
) -> Result<Verification, SignatureError> {
    let algorithm = match param(params, "alg") {
        None => Algorithm::RsaSha256,
        Some(BareItem::String(alg)) if alg == "rsa-v1_5-sha256" => Algorithm::RsaSha256,
        Some(BareItem::String(alg)) if alg == "ed25519" => Algorithm::Ed25519,
        Some(other) => return Err(SignatureError::UnsupportedAlgorithm(format!("{other:?}"))),
    };
    let key_id = match param(params, "keyid") {
        Some(BareItem::String(key_id)) => key_id.clone(),
        _ => return Err(SignatureError::Malformed("keyid parameter missing".into())),
    };
    let seconds = |name: &str| match param(params, name) {
        None => Ok(None),
        Some(BareItem::Integer(s)) => Ok(Some(s.saturating_mul(1000))),
        Some(_) => Err(SignatureError::Malformed(format!("{name} is not an integer"))),
    };
    let created = seconds("created")?;
    if let Some(created) = created {
        check_window("created", created, now_ms)?;
    }
    if let Some(expires) = seconds("expires")? {
        check_expires(expires, now_ms)?;
    }
    if covered.contains(&"date") {
        let date = req.header("date").ok_or(SignatureError::MissingHeader("date".into()))?;
        let at = parse_http_date(&date).ok_or_else(|| SignatureError::Malformed(format!("Date {date:?}")))?;
        check_window("Date", at, now_ms)?;
    } else if created.is_none() {
        return Err(SignatureError::MissingComponent("created".into()));
    }
    let required_digest: &[&str] = if body.is_empty() { &[] } else { &["content-digest"] };
    check_body(req, body, required_digest)?;
    Ok(Verification { key_id, algorithm, signing_input: signature_base(req, components, params)?, signature })
}

/// Prepares an RFC 9421 signature (label `sig1`) over the method, the target URI and, with a
/// body, its `Content-Digest`; RSASSA-PKCS1-v1_5 SHA-256.
pub fn sign_rfc9421(
    method: &str,
    url: &str,
    body: Option<&[u8]>,
    created_s: i64,
    key_id: &str,
) -> Result<Prepared, SignatureError> {
    let (scheme, authority, path_and_query) = split_url(url)?;
    let mut headers = Vec::new();
    let mut names = vec!["@method", "@target-uri"];
    if let Some(body) = body {
        headers.push(("content-digest".to_string(), content_digest_header(body)));
        names.push("content-digest");
    }
    let components: Vec<(BareItem, Parameters)> =
        names.iter().map(|n| (BareItem::String((*n).to_string()), Vec::new())).collect();
    let params: Parameters = vec![
        ("created".into(), BareItem::Integer(created_s)),
        ("keyid".into(), BareItem::String(key_id.to_string())),
        ("alg".into(), BareItem::String("rsa-v1_5-sha256".into())),
    ];
    let req = RequestParts { method, url_path_and_query: &path_and_query, authority: &authority, scheme: &scheme, headers: &headers };
    let signing_input = signature_base(&req, &components, &params)?;
    Ok(Prepared { headers, signing_input, covered: serialize_inner_list(&components, &params) })
}

/// The `Signature-Input` and `Signature` headers for a prepared request, given the signature
/// over its `signing_input`.
pub fn rfc9421_headers(prepared: &Prepared, signature: &[u8]) -> [(String, String); 2] {
    [
        ("signature-input".to_string(), format!("{LABEL}={}", prepared.covered)),
        ("signature".to_string(), format!("{LABEL}=:{}:", STANDARD.encode(signature))),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signature, Verifier, VerifyingKey};

    /// The `test-request` of RFC 9421 §2.
    fn spec_headers(signature_input: &str, signature: &str) -> Vec<(String, String)> {
        [
            ("host", "example.com"),
            ("date", "Tue, 20 Apr 2021 02:07:55 GMT"),
            ("content-type", "application/json"),
            (
                "content-digest",
                "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
            ),
            ("content-length", "18"),
            ("signature-input", signature_input),
            ("signature", signature),
        ]
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
    }

    const BODY: &[u8] = br#"{"hello": "world"}"#;
    const CREATED_MS: i64 = 1_618_884_473_000;

    fn spec_request(headers: &[(String, String)]) -> RequestParts<'_> {
        RequestParts { method: "POST", url_path_and_query: "/foo?param=Value&Pet=dog", authority: "example.com", scheme: "https", headers }
    }

    fn base_of(headers: &[(String, String)]) -> String {
        let req = spec_request(headers);
        let dict = parse_dictionary(&req.header("signature-input").unwrap()).unwrap();
        let Member::InnerList(components, params) = &dict[0].1 else { panic!("not a list") };
        String::from_utf8(signature_base(&req, components, params).unwrap()).unwrap()
    }

    #[test]
    fn minimal_base_of_b_2_1() {
        let headers = spec_headers(r#"sig-b21=();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd""#, "sig-b21=:AA==:");
        assert_eq!(
            base_of(&headers),
            r#""@signature-params": ();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd""#
        );
    }

    #[test]
    fn full_coverage_base_of_b_2_3_and_it_passes_the_checks() {
        let input = r#"sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss""#;
        let headers = spec_headers(input, "sig-b23=:AQID:");
        let expected = concat!(
            "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n",
            "\"@method\": POST\n",
            "\"@path\": /foo\n",
            "\"@query\": ?param=Value&Pet=dog\n",
            "\"@authority\": example.com\n",
            "\"content-type\": application/json\n",
            "\"content-digest\": sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:\n",
            "\"content-length\": 18\n",
            "\"@signature-params\": (\"date\" \"@method\" \"@path\" \"@query\" \"@authority\" \"content-type\" ",
            "\"content-digest\" \"content-length\");created=1618884473;keyid=\"test-key-rsa-pss\""
        );
        assert_eq!(base_of(&headers), expected);
        let v = verification(&spec_request(&headers), BODY, CREATED_MS).unwrap();
        assert_eq!(v.key_id, "test-key-rsa-pss");
        assert_eq!(v.algorithm, Algorithm::RsaSha256);
        assert_eq!(v.signing_input, expected.as_bytes());
        assert_eq!(v.signature, vec![1, 2, 3]);
    }

    #[test]
    fn the_ed25519_signature_of_b_2_6_verifies_over_our_base() {
        let input = r#"sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519""#;
        let signature = "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:";
        let headers = spec_headers(input, signature);
        let base = base_of(&headers);
        // test-key-ed25519 of RFC 9421 §B.1.4: the last 32 bytes of its SubjectPublicKeyInfo.
        let spki = STANDARD.decode("MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=").unwrap();
        let key = VerifyingKey::from_bytes(spki[12..].try_into().unwrap()).unwrap();
        let Member::Item(BareItem::Bytes(sig), _) = &parse_dictionary(signature).unwrap()[0].1 else { panic!() };
        let sig = Signature::from_slice(sig).unwrap();
        key.verify(base.as_bytes(), &sig).unwrap();
        assert!(key.verify(base.replace("/foo", "/bar").as_bytes(), &sig).is_err());
        // It does not cover the body's digest, so an ActivityPub inbox would not take it.
        assert_eq!(
            verification(&spec_request(&headers), BODY, CREATED_MS),
            Err(SignatureError::MissingComponent("content-digest".into()))
        );
    }

    #[test]
    fn parameterised_and_unknown_components_are_refused() {
        let headers = spec_headers(r#"sig-b22=("@authority" "content-digest" "@query-param";name="Pet");created=1618884473;keyid="test-key-rsa-pss";tag="header-example""#, "");
        let req = spec_request(&headers);
        let dict = parse_dictionary(&req.header("signature-input").unwrap()).unwrap();
        let Member::InnerList(components, params) = &dict[0].1 else { panic!("not a list") };
        assert!(matches!(signature_base(&req, components, params), Err(SignatureError::UnsupportedComponent(_))));
    }

    #[test]
    fn prepared_request_serialises_as_the_spec_describes() {
        let prepared = sign_rfc9421("POST", "https://Remote.example/users/a/inbox", Some(BODY), 1_700_000_000, "https://me.example/actor#main-key").unwrap();
        assert_eq!(prepared.headers, vec![("content-digest".to_string(), content_digest_header(BODY))]);
        let params = r#"("@method" "@target-uri" "content-digest");created=1700000000;keyid="https://me.example/actor#main-key";alg="rsa-v1_5-sha256""#;
        assert_eq!(
            String::from_utf8(prepared.signing_input.clone()).unwrap(),
            format!(
                "\"@method\": POST\n\"@target-uri\": https://remote.example/users/a/inbox\n\"content-digest\": {}\n\"@signature-params\": {params}",
                content_digest_header(BODY)
            )
        );
        let [input, signature] = rfc9421_headers(&prepared, &[0xff, 0x00]);
        assert_eq!(input, ("signature-input".to_string(), format!("sig1={params}")));
        assert_eq!(signature, ("signature".to_string(), "sig1=:/wA=:".to_string()));
        let get = sign_rfc9421("GET", "https://remote.example/users/a?page=1#x", None, 1, "k").unwrap();
        assert!(get.headers.is_empty());
        assert!(String::from_utf8(get.signing_input).unwrap().starts_with(
            "\"@method\": GET\n\"@target-uri\": https://remote.example/users/a?page=1\n\"@signature-params\": (\"@method\" \"@target-uri\");"
        ));
        assert!(sign_rfc9421("GET", "not a url", None, 1, "k").is_err());
    }
}
