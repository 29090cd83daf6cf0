//! FEP-8b32 proofs (`activitypub::proofs`): JCS canonicalisation (RFC 8785) of arbitrary JSON,
//! ECMAScript number formatting, and proof verification. Canonical text must read back as the
//! same canonical text; numbers must read back as the same double; a proof we make must verify.
#![no_main]
use ed25519_dalek::SigningKey;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use topi::activitypub::proofs::{canonicalize, es_number, sign, verification_method, verify};
use topi_fuzz::amplify;

fuzz_target!(|data: &[u8]| {
    topi_fuzz::guard_stack();
    let data = amplify(data);
    let Some((&selector, rest)) = data.split_first() else { return };
    if selector & 1 == 1 && rest.len() >= 8 {
        let x = f64::from_le_bytes(rest[..8].try_into().expect("8 bytes"));
        if x.is_finite() {
            let s = es_number(x);
            let back: f64 = s.parse().unwrap_or_else(|_| panic!("es_number({x:e}) = {s:?} is not a number"));
            assert!(back == x, "es_number({x:e}) = {s:?} reads back as {back:e}");
        }
    }
    let Ok(doc) = serde_json::from_slice::<Value>(rest) else { return };
    let canonical = canonicalize(&doc);
    let reread: Value = serde_json::from_str(&canonical).unwrap_or_else(|e| panic!("canonical form {canonical:?} is not JSON: {e}"));
    assert_eq!(canonicalize(&reread), canonical, "canonical form is not a fixed point");

    let _ = verification_method(&doc);
    let seed = [selector; 32];
    let key = SigningKey::from_bytes(&seed);
    let _ = verify(&doc, key.verifying_key().as_bytes());
    if selector & 2 == 2 && doc.is_object() {
        let signed = sign(&doc, "https://local.example/users/owner#ed25519-key", "2024-01-01T00:00:00Z", &seed);
        if let Err(e) = verify(&signed, key.verifying_key().as_bytes()) {
            panic!("our own proof does not verify: {e}\n{signed}");
        }
    }
});
