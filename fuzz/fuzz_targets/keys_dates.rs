//! Small readers of untrusted text: base58btc (FEP-8b32 proof values, Multikeys), PEM public
//! keys, and the HTTP and ISO 8601 dates in signatures and documents. Input:
//! `selector, text` (amplifiable).
#![no_main]
use libfuzzer_sys::fuzz_target;
use topi::crypto::keys::{base58btc, base58btc_decode, ed25519_from_multibase, pem_to_der, rsa_public_spki_der};
use topi::domain::time::{http_date, iso8601, parse_http_date, parse_iso8601};
use topi_fuzz::{amplify, text};

fuzz_target!(|data: &[u8]| {
    topi_fuzz::guard_stack();
    let data = amplify(data);
    let Some((&selector, rest)) = data.split_first() else { return };
    let input = text(rest);
    match selector % 4 {
        0 => {
            if let Some(bytes) = base58btc_decode(&input) {
                assert_eq!(base58btc(&bytes), input, "base58btc does not re-encode");
            }
            // Encoding is quadratic too, but only ever sees our own 64-byte signatures.
            if rest.len() <= 128 {
                assert_eq!(base58btc_decode(&base58btc(rest)).as_deref(), Some(rest), "base58btc does not round-trip");
            }
            let _ = ed25519_from_multibase(&input);
        }
        1 => {
            let _ = pem_to_der(&input);
            let _ = rsa_public_spki_der(&input);
        }
        2 => {
            if let Some(ms) = parse_http_date(&input) {
                let again = http_date(ms);
                assert_eq!(parse_http_date(&again), Some(ms), "{input:?} → {ms} → {again:?}");
            }
        }
        _ => {
            if let Some(ms) = parse_iso8601(&input) {
                // 0000-01-01 to 9999-12-31: what iso8601 writes with four-digit years.
                if (-62_167_219_200_000..253_402_300_800_000).contains(&ms) {
                    let again = iso8601(ms);
                    assert_eq!(parse_iso8601(&again), Some(ms), "{input:?} → {ms} → {again:?}");
                }
            }
        }
    }
});
