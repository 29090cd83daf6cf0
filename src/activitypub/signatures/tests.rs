//! Round trips through both formats with real RSA keys, and the ways a request can go wrong.
use std::sync::OnceLock;

use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::RsaPrivateKey;
use sha2::Sha256;

use super::*;
use crate::domain::time::http_date;

const NOW_MS: i64 = 1_795_953_600_000; // Tue, 24 Nov 2026 10:00:00 GMT
const INBOX: &str = "https://topi.example/users/me/inbox";
const KEY_ID: &str = "https://remote.example/users/alice#main-key";
const BODY: &[u8] = br#"{"type":"Follow","actor":"https://remote.example/users/alice"}"#;

fn key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 1024).unwrap())
}

fn rsa_sign(input: &[u8]) -> Vec<u8> {
    SigningKey::<Sha256>::new(key().clone()).sign(input).to_vec()
}

fn rsa_verifies(v: &Verification) -> bool {
    let Ok(signature) = Signature::try_from(v.signature.as_slice()) else { return false };
    VerifyingKey::<Sha256>::new(key().to_public_key()).verify(&v.signing_input, &signature).is_ok()
}

/// What the receiving Worker sees for a request sent to `INBOX`.
struct Incoming {
    method: &'static str,
    path: String,
    headers: Vec<(String, String)>,
}

impl Incoming {
    fn parts(&self) -> RequestParts<'_> {
        RequestParts { method: self.method, url_path_and_query: &self.path, authority: "topi.example", scheme: "https", headers: &self.headers }
    }

    fn verify(&self, body: &[u8]) -> Result<Verification, SignatureError> {
        verification(&self.parts(), body, NOW_MS)
    }

    fn set(&mut self, name: &str, value: &str) {
        self.headers.retain(|(n, _)| n != name);
        self.headers.push((name.to_string(), value.to_string()));
    }

    fn accepted(&self, body: &[u8]) -> bool {
        self.verify(body).is_ok_and(|v| rsa_verifies(&v))
    }
}

fn cavage_post(date_ms: i64) -> Incoming {
    let prepared = sign_cavage("POST", INBOX, Some(BODY), &http_date(date_ms)).unwrap();
    let mut headers = prepared.headers.clone();
    headers.push(("content-type".into(), "application/activity+json".into()));
    headers.push(cavage_header(&prepared, KEY_ID, &rsa_sign(&prepared.signing_input)));
    Incoming { method: "POST", path: "/users/me/inbox".into(), headers }
}

fn rfc9421_post(created_ms: i64) -> Incoming {
    let prepared = sign_rfc9421("POST", INBOX, Some(BODY), created_ms / 1000, KEY_ID).unwrap();
    let mut headers = prepared.headers.clone();
    headers.extend(rfc9421_headers(&prepared, &rsa_sign(&prepared.signing_input)));
    Incoming { method: "POST", path: "/users/me/inbox".into(), headers }
}

#[test]
fn cavage_round_trip_and_tampering() {
    let request = cavage_post(NOW_MS);
    let v = request.verify(BODY).unwrap();
    assert_eq!((v.key_id.as_str(), v.algorithm), (KEY_ID, Algorithm::RsaSha256));
    assert!(rsa_verifies(&v));

    let mut other_path = cavage_post(NOW_MS);
    other_path.path = "/users/me/outbox".into();
    assert!(!other_path.accepted(BODY));
    let mut other_host = cavage_post(NOW_MS);
    other_host.set("host", "evil.example");
    assert!(!other_host.accepted(BODY));
    let mut other_date = cavage_post(NOW_MS);
    other_date.set("date", &http_date(NOW_MS - 1000));
    assert!(!other_date.accepted(BODY));
    let mut other_method = cavage_post(NOW_MS);
    other_method.method = "PUT";
    assert!(!other_method.accepted(BODY));
    assert_eq!(cavage_post(NOW_MS).verify(b"{}"), Err(SignatureError::DigestMismatch));
    // A new body with a matching digest still fails: the digest is signed.
    let mut new_digest = cavage_post(NOW_MS);
    new_digest.set("digest", &digest::digest_header(b"{}"));
    assert!(new_digest.verify(b"{}").is_ok());
    assert!(!new_digest.accepted(b"{}"));
}

#[test]
fn rfc9421_round_trip_and_tampering() {
    let request = rfc9421_post(NOW_MS);
    let v = request.verify(BODY).unwrap();
    assert_eq!((v.key_id.as_str(), v.algorithm), (KEY_ID, Algorithm::RsaSha256));
    assert!(rsa_verifies(&v));

    let mut other_path = rfc9421_post(NOW_MS);
    other_path.path = "/users/me/inbox?x=1".into();
    assert!(!other_path.accepted(BODY));
    let mut other_method = rfc9421_post(NOW_MS);
    other_method.method = "PUT";
    assert!(!other_method.accepted(BODY));
    assert_eq!(rfc9421_post(NOW_MS).verify(b"{}"), Err(SignatureError::DigestMismatch));
    let mut new_digest = rfc9421_post(NOW_MS);
    new_digest.set("content-digest", &digest::content_digest_header(b"{}"));
    assert!(!new_digest.accepted(b"{}"));
    let mut other_params = rfc9421_post(NOW_MS);
    let input = other_params.parts().header("signature-input").unwrap().replace(&(NOW_MS / 1000).to_string(), &(NOW_MS / 1000 - 1).to_string());
    other_params.set("signature-input", &input);
    assert!(!other_params.accepted(BODY));
}

#[test]
fn signed_gets_need_no_digest() {
    let prepared = sign_cavage("GET", "https://topi.example/users/me?page=true", None, &http_date(NOW_MS)).unwrap();
    let mut headers = prepared.headers.clone();
    headers.push(cavage_header(&prepared, KEY_ID, &rsa_sign(&prepared.signing_input)));
    let request = Incoming { method: "GET", path: "/users/me?page=true".into(), headers };
    assert!(request.accepted(b""));

    let prepared = sign_rfc9421("GET", "https://topi.example/users/me", None, NOW_MS / 1000, KEY_ID).unwrap();
    let headers = rfc9421_headers(&prepared, &rsa_sign(&prepared.signing_input)).to_vec();
    let request = Incoming { method: "GET", path: "/users/me".into(), headers };
    assert!(request.accepted(b""));
}

#[test]
fn dates_outside_the_window_are_refused() {
    let hour = 3_600_000;
    assert!(cavage_post(NOW_MS - 11 * hour).accepted(BODY));
    assert!(cavage_post(NOW_MS + hour / 2).accepted(BODY));
    assert!(matches!(cavage_post(NOW_MS - 13 * hour).verify(BODY), Err(SignatureError::StaleDate(_))));
    assert!(matches!(cavage_post(NOW_MS + 2 * hour).verify(BODY), Err(SignatureError::StaleDate(_))));
    assert!(rfc9421_post(NOW_MS - 11 * hour).accepted(BODY));
    assert!(matches!(rfc9421_post(NOW_MS - 13 * hour).verify(BODY), Err(SignatureError::StaleDate(_))));
    assert!(matches!(rfc9421_post(NOW_MS + 2 * hour).verify(BODY), Err(SignatureError::StaleDate(_))));
    let mut garbage = cavage_post(NOW_MS);
    garbage.set("date", "yesterday");
    assert!(matches!(garbage.verify(BODY), Err(SignatureError::Malformed(_))));
}

/// Builds an RFC 9421 request by hand from a `Signature-Input` member value.
fn rfc9421_with(params: &str, body: &[u8]) -> Incoming {
    use base64::Engine;
    let mut request = Incoming {
        method: "POST",
        path: "/users/me/inbox".into(),
        headers: vec![("content-digest".into(), digest::content_digest_header(body)), ("signature-input".into(), format!("sig1={params}"))],
    };
    let dict = structured::parse_dictionary(&format!("sig1={params}")).unwrap();
    let structured::Member::InnerList(components, params) = &dict[0].1 else { panic!("not a list") };
    let base = rfc9421::signature_base(&request.parts(), components, params).unwrap();
    let signature = base64::engine::general_purpose::STANDARD.encode(rsa_sign(&base));
    request.headers.push(("signature".into(), format!("sig1=:{signature}:")));
    request
}

#[test]
fn rfc9421_expiry_missing_created_and_algorithms() {
    let created = NOW_MS / 1000;
    let expired = rfc9421_with(&format!(r#"("@method" "@target-uri" "content-digest");created={created};expires={};keyid="k""#, created - 1), BODY);
    assert!(matches!(expired.verify(BODY), Err(SignatureError::StaleDate(_))));
    let no_created = rfc9421_with(r#"("@method" "@target-uri" "content-digest");keyid="k""#, BODY);
    assert_eq!(no_created.verify(BODY), Err(SignatureError::MissingComponent("created".into())));
    let pss = rfc9421_with(&format!(r#"("@method" "@target-uri" "content-digest");created={created};keyid="k";alg="rsa-pss-sha512""#), BODY);
    assert!(matches!(pss.verify(BODY), Err(SignatureError::UnsupportedAlgorithm(_))));
    let ed = rfc9421_with(&format!(r#"("@method" "@authority" "@path" "content-digest");created={created};keyid="k";alg="ed25519""#), BODY);
    assert_eq!(ed.verify(BODY).unwrap().algorithm, Algorithm::Ed25519);
    let no_digest = rfc9421_with(&format!(r#"("@method" "@target-uri");created={created};keyid="k""#), BODY);
    assert_eq!(no_digest.verify(BODY), Err(SignatureError::MissingComponent("content-digest".into())));
    let no_target = rfc9421_with(&format!(r#"("@method" "@authority" "content-digest");created={created};keyid="k""#), BODY);
    assert!(matches!(no_target.verify(BODY), Err(SignatureError::MissingComponent(_))));
}

#[test]
fn cavage_requirements_and_algorithms() {
    let date = http_date(NOW_MS);
    let request = |headers_param: &str, algorithm: &str| Incoming {
        method: "POST",
        path: "/users/me/inbox".into(),
        headers: vec![
            ("host".into(), "topi.example".into()),
            ("date".into(), date.clone()),
            ("digest".into(), digest::digest_header(BODY)),
            ("signature".into(), format!(r#"keyId="k",algorithm="{algorithm}",headers="{headers_param}",signature="AQID""#)),
        ],
    };
    let full = "(request-target) host date digest";
    assert!(request(full, "rsa-sha256").verify(BODY).is_ok());
    assert_eq!(request(full, "hs2019").verify(BODY).unwrap().algorithm, Algorithm::RsaSha256);
    assert_eq!(request(full, "ed25519").verify(BODY).unwrap().algorithm, Algorithm::Ed25519);
    assert!(matches!(request(full, "rsa-sha1").verify(BODY), Err(SignatureError::UnsupportedAlgorithm(_))));
    assert_eq!(request("(request-target) host date", "rsa-sha256").verify(BODY), Err(SignatureError::MissingComponent("digest".into())));
    assert_eq!(request("host date digest", "rsa-sha256").verify(BODY), Err(SignatureError::MissingComponent("(request-target)".into())));
    assert_eq!(request("(request-target) date digest", "rsa-sha256").verify(BODY), Err(SignatureError::MissingComponent("host".into())));
    assert_eq!(request("(request-target) host digest", "rsa-sha256").verify(BODY), Err(SignatureError::MissingComponent("date".into())));
    let mut no_digest = request(full, "rsa-sha256");
    no_digest.headers.retain(|(n, _)| n != "digest");
    assert_eq!(no_digest.verify(BODY), Err(SignatureError::MissingHeader("digest".into())));
    let mut unsigned = request(full, "rsa-sha256");
    unsigned.headers.retain(|(n, _)| n != "signature");
    assert_eq!(unsigned.verify(BODY), Err(SignatureError::MissingHeader("signature".into())));
}

#[test]
fn header_names_are_case_insensitive() {
    let mut request = cavage_post(NOW_MS);
    for (name, _) in &mut request.headers {
        *name = name.to_uppercase();
    }
    assert!(request.accepted(BODY));
    let mut request = rfc9421_post(NOW_MS);
    request.headers[0].0 = "Content-Digest".into();
    request.headers[1].0 = "Signature-Input".into();
    assert!(request.accepted(BODY));
}

#[test]
fn the_first_sufficient_label_is_used() {
    let mut request = rfc9421_post(NOW_MS);
    // A proxy's signature that covers too little comes first, in its own header lines.
    request.headers.insert(0, ("signature-input".into(), r#"proxy=("@authority");created=1;keyid="proxy""#.into()));
    request.headers.insert(0, ("signature".into(), "proxy=:AQID:".into()));
    assert!(request.accepted(BODY));
    assert_eq!(request.verify(BODY).unwrap().key_id, KEY_ID);
    // With only the insufficient one, its shortcoming is reported.
    request.headers.retain(|(n, v)| !(n.starts_with("signature") && v.starts_with("sig1")));
    assert_eq!(request.verify(BODY), Err(SignatureError::MissingComponent("@method".into())));
}

#[test]
fn authority_normalisation() {
    let headers = vec![];
    let req = RequestParts { method: "GET", url_path_and_query: "", authority: "Topi.Example:443", scheme: "HTTPS", headers: &headers };
    assert_eq!(req.normalized_authority(), "topi.example");
    assert_eq!(req.target_uri(), "https://topi.example/");
    assert_eq!(req.path_and_query(), "/");
    let req = RequestParts { authority: "topi.example:8443", ..req };
    assert_eq!(req.normalized_authority(), "topi.example:8443");
}

#[test]
fn headers_that_would_multiply_the_work_before_verification_are_refused() {
    // Each repeated digest once hashed the whole body again; each repeated covered header was
    // copied into the signing string again.
    let digest = digest::digest_header(BODY);
    let repeated = [digest.as_str(); 500].join(",");
    assert!(matches!(digest::check_digest(&repeated, BODY), Err(SignatureError::Malformed(_))));
    assert!(digest::check_digest(&format!("{digest},{digest}"), BODY).is_ok());
    let content = digest::content_digest_header(BODY);
    let many = (0..40).map(|i| format!("x{i}=:AAAA:")).chain([content.clone()]).collect::<Vec<_>>().join(", ");
    assert!(digest::check_content_digest(&many, BODY).is_err());
    assert!(digest::check_content_digest(&content, BODY).is_ok());
    let signature = |headers: &str| format!("keyId=\"{KEY_ID}\",algorithm=\"rsa-sha256\",headers=\"{headers}\",signature=\"AAAA\"");
    assert!(cavage::parse(&signature(&["date"; 2].join(" "))).is_err());
    assert!(cavage::parse(&signature(&(0..40).map(|i| format!("x-{i}")).collect::<Vec<_>>().join(" "))).is_err());
    assert!(cavage::parse(&signature("(request-target) host date digest")).is_ok());
    let members = (0..100).map(|i| format!("k{i}=1")).collect::<Vec<_>>().join(", ");
    assert!(structured::parse_dictionary(&members).is_err());
}
