//! Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP) as authenticator apps compute
//! them by default: HMAC-SHA-1, 6 digits, 30-second steps. Pure: the caller brings the time and
//! the last step it accepted.
use hmac::{Hmac, Mac};
use sha1::Sha1;

pub const STEP_SECONDS: i64 = 30;
pub const DIGITS: u32 = 6;
/// Steps accepted on either side of now: a code typed as it changes, or a phone's clock a few
/// seconds off (RFC 6238 §5.2 recommends at most one).
const DRIFT_STEPS: i64 = 1;

/// The step that `unix_ms` falls in.
pub fn step_at(unix_ms: i64) -> i64 {
    unix_ms.div_euclid(1000).div_euclid(STEP_SECONDS)
}

/// RFC 4226 §5.3: the code for one counter value (the step, for TOTP).
pub fn code(secret: &[u8], step: i64) -> u32 {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let truncated = u32::from_be_bytes([digest[offset] & 0x7f, digest[offset + 1], digest[offset + 2], digest[offset + 3]]);
    truncated % 10u32.pow(DIGITS)
}

/// The step whose code `typed` is, within the drift window around `unix_ms` and later than
/// `last_used_step`, so that a code seen over the owner's shoulder cannot be used again. Spaces
/// and dashes that apps show inside codes are ignored.
pub fn verify(secret: &[u8], typed: &str, unix_ms: i64, last_used_step: i64) -> Option<i64> {
    let digits: String = typed.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if digits.len() != DIGITS as usize || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let typed: u32 = digits.parse().ok()?;
    let now = step_at(unix_ms);
    // Every step in the window is computed, so that the time taken does not tell which matched.
    (now - DRIFT_STEPS..=now + DRIFT_STEPS)
        .filter(|step| *step > last_used_step)
        .fold(None, |found, step| if code(secret, step) == typed { found.or(Some(step)) } else { found })
}

/// The secret as authenticator apps take it: base32 without padding (RFC 4648 §6).
pub fn secret_text(secret: &[u8]) -> String {
    data_encoding::BASE32_NOPAD.encode(secret)
}

/// The secret back from `secret_text` (case and spaces as people copy it).
pub fn parse_secret(text: &str) -> Option<Vec<u8>> {
    let cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
    data_encoding::BASE32_NOPAD.decode(cleaned.trim_end_matches('=').as_bytes()).ok().filter(|s| !s.is_empty())
}

/// The `otpauth://` URI of Google Authenticator's key-URI format, which every app scans from a
/// QR code: `issuer` names the server, `account` the handle.
pub fn provisioning_uri(secret: &[u8], issuer: &str, account: &str) -> String {
    use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
    let issuer = utf8_percent_encode(issuer, NON_ALPHANUMERIC).to_string();
    let account = utf8_percent_encode(account, NON_ALPHANUMERIC).to_string();
    format!(
        "otpauth://totp/{issuer}:{account}?secret={}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        secret_text(secret)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B's SHA-1 seed and vectors (8 digits there: the last 6 are ours).
    const SEED: &[u8] = b"12345678901234567890";

    #[test]
    fn codes_match_the_rfc_6238_vectors() {
        for (unix_seconds, eight_digits) in [
            (59, 94287082),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
            (20000000000, 65353130),
        ] {
            assert_eq!(code(SEED, step_at(unix_seconds * 1000)), eight_digits % 1_000_000, "T = {unix_seconds}");
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_only_once() {
        let now = 1_111_111_111_000;
        let step = step_at(now);
        let typed = |s: i64| format!("{:06}", code(SEED, s));
        assert_eq!(verify(SEED, &typed(step), now, 0), Some(step));
        assert_eq!(verify(SEED, &typed(step - 1), now, 0), Some(step - 1));
        assert_eq!(verify(SEED, &typed(step + 1), now, 0), Some(step + 1));
        assert_eq!(verify(SEED, &typed(step - 2), now, 0), None);
        assert_eq!(verify(SEED, &typed(step + 2), now, 0), None);
        assert_eq!(verify(SEED, &typed(step), now, step), None, "the same step twice");
        assert_eq!(verify(SEED, &typed(step - 1), now, step), None, "an older step after a newer one");
    }

    #[test]
    fn only_six_digits_are_a_code() {
        let now = 59_000;
        let right = format!("{:06}", code(SEED, step_at(now)));
        assert_eq!(verify(SEED, &format!("{} {}", &right[..3], &right[3..]), now, 0), Some(1));
        for wrong in ["", "12345", "1234567", "abcdef", "+12345", &format!("{right}0")] {
            assert_eq!(verify(SEED, wrong, now, 0), None, "{wrong:?}");
        }
    }

    #[test]
    fn the_secret_round_trips_as_base32_and_names_the_server_in_the_uri() {
        let text = secret_text(SEED);
        assert_eq!(text, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(parse_secret(&text.to_lowercase()).as_deref(), Some(SEED));
        assert_eq!(parse_secret("not base32!"), None);
        assert_eq!(
            provisioning_uri(SEED, "My Social", "alice@social.example"),
            "otpauth://totp/My%20Social:alice%40social%2Eexample?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=My%20Social&algorithm=SHA1&digits=6&period=30"
        );
    }
}
