//! FEP-8b32 object integrity proofs with the `eddsa-jcs-2022` cryptosuite (W3C vc-di-eddsa):
//! an Ed25519 signature over the JSON Canonicalization Scheme (RFC 8785) forms of the proof's
//! options and of the document, carried in the document's `proof`.
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::crypto::keys::{base58btc, base58btc_decode};
use crate::domain::time::parse_iso8601;

pub const PROOF_TYPE: &str = "DataIntegrityProof";
pub const CRYPTOSUITE: &str = "eddsa-jcs-2022";
pub const PROOF_PURPOSE: &str = "assertionMethod";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("the document has no eddsa-jcs-2022 proof")]
    Missing,
    #[error("unsupported proof: {0}")]
    Unsupported(String),
    #[error("malformed proof: {0}")]
    Malformed(String),
    #[error("the proof's signature does not verify")]
    BadSignature,
}

/// RFC 8785: object members sorted by their UTF-16 code units, no whitespace, strings escaped
/// as ECMAScript's `JSON.stringify` does, numbers in ECMAScript's shortest form.
pub fn canonicalize(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&canonical_number(n)),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if c < ' ' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Integers that a double holds exactly print as integers; everything else goes through the
/// double, as a JavaScript verifier would see it.
fn canonical_number(n: &serde_json::Number) -> String {
    const EXACT: u64 = 1 << 53;
    if let Some(i) = n.as_i64().filter(|i| i.unsigned_abs() <= EXACT) {
        return i.to_string();
    }
    if let Some(u) = n.as_u64().filter(|u| *u <= EXACT) {
        return u.to_string();
    }
    es_number(n.as_f64().unwrap_or(0.0))
}

/// ECMAScript's Number::toString (ECMA-262 §6.1.6.1.20) for finite doubles. Rust's `{:e}`
/// gives the shortest round-tripping digits, closest to the value; only exact ties differ
/// (Rust rounds them up, ECMAScript to even), and the rest is placing the decimal point.
pub fn es_number(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return "0".into();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    let scientific = format!("{:e}", x.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent = exponent.parse::<i32>().unwrap_or(0);
    let digits = even_on_ties(x.abs(), mantissa.replace('.', ""), exponent);
    let k = digits.len() as i32;
    let n = exponent + 1;
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        format!("{}.{}", &digits[..n as usize], &digits[n as usize..])
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let e = n - 1;
        let e = if e >= 0 { format!("+{e}") } else { e.to_string() };
        if k == 1 {
            format!("{digits}e{e}")
        } else {
            format!("{}.{}e{e}", &digits[..1], &digits[1..])
        }
    };
    format!("{sign}{body}")
}

/// When the value lies exactly halfway between `digits` and the candidate one below it, and
/// both read back as the same double, ECMAScript takes the even one.
fn even_on_ties(x: f64, digits: String, exponent: i32) -> String {
    if !digits.ends_with(['1', '3', '5', '7', '9']) {
        return digits;
    }
    // A double's exact decimal expansion has at most 767 significant digits.
    let exact = format!("{x:.767e}");
    let exact: String = exact.split_once('e').map_or(&exact[..], |(m, _)| m).replace('.', "");
    let exact = exact.trim_end_matches('0');
    if exact.len() != digits.len() + 1 || !exact.ends_with('5') {
        return digits;
    }
    let lower = &exact[..digits.len()];
    let candidate = format!("{}.{}e{exponent}", &lower[..1], &lower[1..]);
    if candidate.parse::<f64>() == Ok(x) {
        lower.to_string()
    } else {
        digits
    }
}

/// SHA-256 of the canonical proof configuration, then of the canonical document (vc-di-eddsa
/// §3.3.4): what the Ed25519 key signs.
fn hash_data(proof_config: &Value, document: &Value) -> Vec<u8> {
    let mut data = Sha256::digest(canonicalize(proof_config)).to_vec();
    data.extend_from_slice(&Sha256::digest(canonicalize(document)));
    data
}

fn without(value: &Value, key: &str) -> Value {
    let mut value = value.clone();
    if let Value::Object(map) = &mut value {
        map.remove(key);
    }
    value
}

/// Adds an `eddsa-jcs-2022` proof, replacing any proof already there. The proof carries the
/// document's `@context` too: verifiers copy it into the proof configuration either way, and
/// older ones only look in the proof.
pub fn sign(document: &Value, verification_method: &str, created_iso: &str, seed: &[u8; 32]) -> Value {
    let mut unsecured = without(document, "proof");
    let mut config = Map::new();
    if let Some(context) = unsecured.get("@context") {
        config.insert("@context".into(), context.clone());
    }
    config.insert("type".into(), PROOF_TYPE.into());
    config.insert("cryptosuite".into(), CRYPTOSUITE.into());
    config.insert("verificationMethod".into(), verification_method.into());
    config.insert("proofPurpose".into(), PROOF_PURPOSE.into());
    config.insert("created".into(), created_iso.into());
    let mut proof = Value::Object(config);
    let signature = SigningKey::from_bytes(seed).sign(&hash_data(&proof, &unsecured));
    if let Value::Object(map) = &mut proof {
        map.insert("proofValue".into(), format!("z{}", base58btc(&signature.to_bytes())).into());
    }
    if let Value::Object(map) = &mut unsecured {
        map.insert("proof".into(), proof);
    }
    unsecured
}

/// The document's proof: the object, or from a proof set the first `eddsa-jcs-2022` one.
fn proof_of(document: &Value) -> Option<&Value> {
    match document.get("proof")? {
        Value::Array(proofs) => proofs.iter().find(|p| p.get("cryptosuite").and_then(Value::as_str) == Some(CRYPTOSUITE)),
        proof @ Value::Object(_) => Some(proof),
        _ => None,
    }
}

/// Which key to fetch for `verify`.
pub fn verification_method(document: &Value) -> Option<&str> {
    proof_of(document)?.get("verificationMethod")?.as_str()
}

/// Checks the document's `eddsa-jcs-2022` proof with the Ed25519 key the caller resolved from
/// `verification_method` (and checked belongs to the document's actor).
pub fn verify(document: &Value, public_key: &[u8; 32]) -> Result<(), ProofError> {
    let proof = proof_of(document).ok_or(ProofError::Missing)?;
    let field = |name: &str| proof.get(name).and_then(Value::as_str);
    for (name, expected) in [("type", PROOF_TYPE), ("cryptosuite", CRYPTOSUITE), ("proofPurpose", PROOF_PURPOSE)] {
        if field(name) != Some(expected) {
            return Err(ProofError::Unsupported(format!("{name} {:?}", field(name))));
        }
    }
    if field("created").is_some_and(|created| parse_iso8601(created).is_none()) {
        return Err(ProofError::Malformed("created is not a date-time".into()));
    }
    let proof_value = field("proofValue").ok_or_else(|| ProofError::Malformed("proofValue missing".into()))?;
    let signature = proof_value
        .strip_prefix('z')
        .and_then(base58btc_decode)
        .and_then(|bytes| Signature::from_slice(&bytes).ok())
        .ok_or_else(|| ProofError::Malformed("proofValue is not a base58btc Ed25519 signature".into()))?;

    let mut config = without(proof, "proofValue");
    let mut unsecured = without(document, "proof");
    // vc-di-eddsa §3.3.2: a proof's own context must prefix the document's, and then stands in
    // for it; otherwise the document's context is the configuration's (§3.3.5).
    if let Some(context) = config.get("@context") {
        let as_list = |v: &Value| match v {
            Value::Array(items) => items.clone(),
            other => vec![other.clone()],
        };
        let document_context = unsecured.get("@context").map(as_list).unwrap_or_default();
        if !document_context.starts_with(&as_list(context)) {
            return Err(ProofError::Malformed("the proof's @context is not a prefix of the document's".into()));
        }
        if let Value::Object(map) = &mut unsecured {
            map.insert("@context".into(), context.clone());
        }
    } else if let (Some(context), Value::Object(map)) = (unsecured.get("@context").cloned(), &mut config) {
        map.insert("@context".into(), context);
    }
    let key = VerifyingKey::from_bytes(public_key).map_err(|_| ProofError::Malformed("not an Ed25519 key".into()))?;
    key.verify(&hash_data(&config, &unsecured), &signature).map_err(|_| ProofError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn jcs_of_the_rfc_8785_sample() {
        // RFC 8785 §3.2.2, with its numbers, escapes and literals.
        let input = r#"{
            "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
            "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
            "literals": [null, true, false]
        }"#;
        let value: Value = serde_json::from_str(input).unwrap();
        assert_eq!(
            canonicalize(&value),
            r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
    }

    #[test]
    fn jcs_sorts_keys_by_utf16_code_units() {
        // RFC 8785 §3.2.3: the emoji (a surrogate pair, D83D) sorts before U+FB33, unlike in UTF-8.
        let input = r#"{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}"#;
        let value: Value = serde_json::from_str(input).unwrap();
        assert_eq!(
            canonicalize(&value),
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\"ö\":\"Latin Small Letter O With Diaeresis\",\
             \"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning Face\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}"
        );
    }

    #[test]
    fn numbers_print_like_ecmascript() {
        // RFC 8785 appendix B (IEEE 754 bit patterns and their expected text).
        let cases: [(u64, &str); 23] = [
            (0x0000000000000000, "0"),
            (0x8000000000000000, "0"),
            (0x0000000000000001, "5e-324"),
            (0x8000000000000001, "-5e-324"),
            (0x7fefffffffffffff, "1.7976931348623157e+308"),
            (0xffefffffffffffff, "-1.7976931348623157e+308"),
            (0x4340000000000000, "9007199254740992"),
            (0xc340000000000000, "-9007199254740992"),
            (0x4430000000000000, "295147905179352830000"),
            (0x44b52d02c7e14af5, "9.999999999999997e+22"),
            (0x44b52d02c7e14af6, "1e+23"),
            (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
            (0x444b1ae4d6e2ef4e, "999999999999999700000"),
            (0x444b1ae4d6e2ef4f, "999999999999999900000"),
            (0x444b1ae4d6e2ef50, "1e+21"),
            (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
            (0x3eb0c6f7a0b5ed8d, "0.000001"),
            (0x41b3de4355555553, "333333333.3333332"),
            (0x41b3de4355555554, "333333333.33333325"),
            (0x41b3de4355555555, "333333333.3333333"),
            (0x41b3de4355555556, "333333333.3333334"),
            (0x41b3de4355555557, "333333333.33333343"),
            (0xbecbf647612f3696, "-0.0000033333333333333333"),
        ];
        for (bits, expected) in cases {
            assert_eq!(es_number(f64::from_bits(bits)), expected, "{bits:#x}");
        }
        assert_eq!(es_number(f64::from_bits(0x43143ff3c1cb0959)), "1424953923781206.2");
        assert_eq!(es_number(1.5), "1.5");
        assert_eq!(es_number(-0.1), "-0.1");
        assert_eq!(es_number(100.0), "100");
        // Exactly halfway between two 17-digit candidates: ECMAScript picks the even one.
        // (Sums, because the exact literals are longer than clippy allows.)
        assert_eq!(es_number(-(233_891_771_783_429.0 + 0.625)), "-233891771783429.62");
        assert_eq!(es_number(1_205_434_237_988_825.0 + 0.25), "1205434237988825.2");
        assert_eq!(es_number(0.5), "0.5");
        // Integers print exactly; past 2^53 they go through the double, as in JavaScript.
        let value = json!([0, -1, 42, 9007199254740992_u64, 9007199254740993_u64, u64::MAX, 1.0, -2.50]);
        assert_eq!(canonicalize(&value), "[0,-1,42,9007199254740992,9007199254740992,18446744073709552000,1,-2.5]");
    }

    #[test]
    fn strings_escape_only_what_json_stringify_does() {
        let value = json!({"s": "a\u{0}\u{1f}\u{7f}\u{2028}é\"\\/\t"});
        assert_eq!(canonicalize(&value), "{\"s\":\"a\\u0000\\u001f\u{7f}\u{2028}é\\\"\\\\/\\t\"}");
    }

    /// vc-di-eddsa's example key pair (secret key multibase `z3u2en7t5LR2…`).
    fn spec_key() -> ([u8; 32], [u8; 32]) {
        let secret = base58btc_decode("3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq").unwrap();
        let seed: [u8; 32] = secret[2..].try_into().unwrap();
        (seed, SigningKey::from_bytes(&seed).verifying_key().to_bytes())
    }

    fn alumni_credential() -> Value {
        json!({
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
            "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
            "type": ["VerifiableCredential", "AlumniCredential"],
            "name": "Alumni Credential",
            "description": "A minimum viable example of an Alumni Credential.",
            "issuer": "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
            "validFrom": "2023-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"}
        })
    }

    const SPEC_METHOD: &str = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";
    /// The eddsa-jcs-2022 proof value published for this credential and key.
    const SPEC_PROOF_VALUE: &str = "z5EhYRJkfPLkoT92FPXN8KK6M9rsBhq3xs19GBSsA6VdNYH4QMKSyNuA2Gfznz9QthVD7Rz3HTAfqxxay23htUpTg";

    #[test]
    fn reproduces_and_verifies_the_published_test_vector() {
        let (seed, public) = spec_key();
        let signed = sign(&alumni_credential(), SPEC_METHOD, "2023-02-24T23:36:38Z", &seed);
        assert_eq!(signed["proof"]["proofValue"], SPEC_PROOF_VALUE);
        assert_eq!(signed["proof"]["@context"], alumni_credential()["@context"]);
        assert_eq!(verification_method(&signed), Some(SPEC_METHOD));
        verify(&signed, &public).unwrap();
    }

    #[test]
    fn sign_then_verify_and_tampering() {
        let seed = [7u8; 32];
        let public = SigningKey::from_bytes(&seed).verifying_key().to_bytes();
        let note = json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/data-integrity/v2"],
            "id": "https://topi.example/statuses/1/activity",
            "type": "Create",
            "actor": "https://topi.example/users/me",
            "object": {"type": "Note", "content": "<p>héllo</p>", "sensitive": false, "n": 1.5}
        });
        let signed = sign(&note, "https://topi.example/users/me#ed25519-key", "2026-11-24T10:00:00Z", &seed);
        verify(&signed, &public).unwrap();
        // Round trip through text, as it travels.
        let reparsed: Value = serde_json::from_str(&serde_json::to_string_pretty(&signed).unwrap()).unwrap();
        verify(&reparsed, &public).unwrap();

        let mut changed = signed.clone();
        changed["object"]["content"] = "<p>hello</p>".into();
        assert_eq!(verify(&changed, &public), Err(ProofError::BadSignature));
        let mut changed = signed.clone();
        changed["proof"]["created"] = "2026-11-24T10:00:01Z".into();
        assert_eq!(verify(&changed, &public), Err(ProofError::BadSignature));
        let mut changed = signed.clone();
        changed["proof"]["verificationMethod"] = "https://evil.example/key".into();
        assert_eq!(verify(&changed, &public), Err(ProofError::BadSignature));
        let other = SigningKey::from_bytes(&[8u8; 32]).verifying_key().to_bytes();
        assert_eq!(verify(&signed, &other), Err(ProofError::BadSignature));

        let mut changed = signed.clone();
        changed["proof"]["cryptosuite"] = "eddsa-rdfc-2022".into();
        assert!(matches!(verify(&changed, &public), Err(ProofError::Unsupported(_))));
        let mut changed = signed.clone();
        changed["proof"]["proofPurpose"] = "authentication".into();
        assert!(matches!(verify(&changed, &public), Err(ProofError::Unsupported(_))));
        let mut changed = signed.clone();
        changed["proof"]["proofValue"] = "z0OIl".into();
        assert!(matches!(verify(&changed, &public), Err(ProofError::Malformed(_))));
        let mut changed = signed.clone();
        changed["@context"] = json!(["https://www.w3.org/ns/activitystreams"]);
        assert!(matches!(verify(&changed, &public), Err(ProofError::Malformed(_))));
        assert_eq!(verify(&note, &public), Err(ProofError::Missing));
    }

    #[test]
    fn proofs_without_their_own_context_and_proof_sets() {
        let seed = [9u8; 32];
        let public = SigningKey::from_bytes(&seed).verifying_key().to_bytes();
        let doc = json!({"@context": "https://www.w3.org/ns/activitystreams", "type": "Note"});
        let signed = sign(&doc, "https://topi.example/users/me#ed25519-key", "2026-11-24T10:00:00Z", &seed);
        // The proof's context may be left out: the document's stands in for it.
        let mut bare = signed.clone();
        bare["proof"].as_object_mut().unwrap().remove("@context");
        verify(&bare, &public).unwrap();
        // Extra contexts appended after signing are allowed.
        let mut extended = signed.clone();
        extended["@context"] = json!(["https://www.w3.org/ns/activitystreams", {"x": "https://x.example/"}]);
        verify(&extended, &public).unwrap();
        // In a proof set, the eddsa-jcs-2022 proof is found.
        let mut set = signed.clone();
        set["proof"] = json!([{"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022"}, signed["proof"].clone()]);
        verify(&set, &public).unwrap();
        assert_eq!(verification_method(&set), Some("https://topi.example/users/me#ed25519-key"));
        // A document without a context signs and verifies too.
        let plain = sign(&json!({"a": 1}), "k", "2026-11-24T10:00:00Z", &seed);
        assert!(plain["proof"].get("@context").is_none());
        verify(&plain, &public).unwrap();
    }
}
