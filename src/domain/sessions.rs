//! The rules of the owner's browser sessions (docs/web.md, "Signing in"): how long one lasts,
//! when its last use is written down, the cookie that carries it and the CSRF token tied to it.
//! Pure: no storage, no clock of its own.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// `__Host-`: browsers take the cookie only if it is `Secure`, has `Path=/` and no `Domain`, so
/// no other host (a sibling subdomain, a page over plain http) can set or replace it. Chromium
/// and Firefox count `http://localhost` and `127.0.0.1` as secure, so it works in development.
pub const COOKIE: &str = "__Host-topi_session";
/// The sign-in form's CSRF token before there is a session (a double-submit cookie).
pub const SIGN_IN_CSRF_COOKIE: &str = "__Host-topi_sign_in";

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// A session not used for two weeks ends (Mastodon's `remember_for` is two weeks too).
pub const IDLE_MS: i64 = 14 * DAY_MS;
/// However often it is used, a session ends a year after the sign-in.
pub const ABSOLUTE_MS: i64 = 365 * DAY_MS;
/// The password was right; the second factor must follow within five minutes.
pub const SECOND_FACTOR_MS: i64 = 5 * 60 * 1000;
/// Last use is written at most once an hour per session: a D1 write on every page view would
/// cost more than the idle limit's precision is worth.
pub const TOUCH_EVERY_MS: i64 = 60 * 60 * 1000;
/// How much of a User-Agent is kept to tell devices apart.
pub const USER_AGENT_CHARS: usize = 255;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    Live,
    /// Signed in with the password; the second factor is still owed.
    AwaitingSecondFactor,
    Expired,
}

/// What a stored session is at `now`.
pub fn standing(created_at: i64, last_used_at: i64, awaiting_second_factor: bool, now: i64) -> Standing {
    if awaiting_second_factor {
        return if now - created_at < SECOND_FACTOR_MS { Standing::AwaitingSecondFactor } else { Standing::Expired };
    }
    if now - last_used_at >= IDLE_MS || now - created_at >= ABSOLUTE_MS {
        return Standing::Expired;
    }
    Standing::Live
}

/// Whether this use should be written down (see `TOUCH_EVERY_MS`).
pub fn needs_touch(last_used_at: i64, now: i64) -> bool {
    now - last_used_at >= TOUCH_EVERY_MS
}

/// The CSRF token of a session: derived from its secret token (which only the browser holding
/// the HttpOnly cookie knows), so it needs no storage and dies with the session.
pub fn csrf_token(session_token: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"topi csrf\0");
    hasher.update(session_token.as_bytes());
    URL_SAFE_NO_PAD.encode(hasher.finalize())
}

/// The `Set-Cookie` value for a session token, kept for `max_age_ms` (the absolute lifetime:
/// the idle limit is the server's to enforce). `SameSite=Lax`: sent when the owner follows a
/// link here from elsewhere, never with another site's form or fetch.
pub fn cookie(name: &str, token: &str, max_age_ms: i64) -> String {
    format!("{name}={token}; Max-Age={}; Path=/; Secure; HttpOnly; SameSite=Lax", max_age_ms / 1000)
}

/// A `Set-Cookie` value that makes the browser drop the cookie.
pub fn cleared_cookie(name: &str) -> String {
    format!("{name}=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Lax")
}

/// The User-Agent as stored: at most `USER_AGENT_CHARS` characters, on a character boundary.
pub fn device(user_agent: Option<&str>) -> String {
    user_agent.unwrap_or("").chars().take(USER_AGENT_CHARS).collect()
}

/// Whether a request's `Origin` (when the browser sent one) is ours: browsers send it with every
/// form POST, so a mismatch is another site's form, whatever the CSRF token says.
pub fn origin_allowed(origin: Option<&str>, public_url: &str) -> bool {
    let Some(origin) = origin else { return true };
    let ours = url::Url::parse(public_url).map(|u| u.origin().ascii_serialization());
    ours.is_ok_and(|ours| ours == origin.trim_end_matches('/'))
}

/// A recovery code as typed: case, spaces and dashes do not matter.
pub fn normalise_recovery_code(typed: &str) -> String {
    typed.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_ends_after_two_idle_weeks_or_a_year() {
        let start = 1_000_000;
        assert_eq!(standing(start, start, false, start + IDLE_MS - 1), Standing::Live);
        assert_eq!(standing(start, start, false, start + IDLE_MS), Standing::Expired);
        let used_weekly = start + ABSOLUTE_MS - 7 * DAY_MS;
        assert_eq!(standing(start, used_weekly, false, start + ABSOLUTE_MS - 1), Standing::Live);
        assert_eq!(standing(start, used_weekly, false, start + ABSOLUTE_MS), Standing::Expired);
    }

    #[test]
    fn the_second_factor_is_owed_for_five_minutes() {
        assert_eq!(standing(0, 0, true, SECOND_FACTOR_MS - 1), Standing::AwaitingSecondFactor);
        assert_eq!(standing(0, 0, true, SECOND_FACTOR_MS), Standing::Expired);
    }

    #[test]
    fn last_use_is_written_hourly() {
        assert!(!needs_touch(0, TOUCH_EVERY_MS - 1));
        assert!(needs_touch(0, TOUCH_EVERY_MS));
    }

    #[test]
    fn the_csrf_token_is_the_sessions_alone() {
        assert_eq!(csrf_token("a"), csrf_token("a"));
        assert_ne!(csrf_token("a"), csrf_token("b"));
        assert_ne!(csrf_token("a"), "a");
        assert_eq!(csrf_token("a").len(), 43);
    }

    #[test]
    fn the_cookie_is_secure_http_only_lax_and_host_bound() {
        let set = cookie(COOKIE, "tok", ABSOLUTE_MS);
        assert_eq!(set, "__Host-topi_session=tok; Max-Age=31536000; Path=/; Secure; HttpOnly; SameSite=Lax");
        assert!(cleared_cookie(COOKIE).contains("Max-Age=0"));
    }

    #[test]
    fn only_our_origin_or_none_may_post() {
        let ours = "https://social.example";
        assert!(origin_allowed(None, ours));
        assert!(origin_allowed(Some("https://social.example"), ours));
        assert!(origin_allowed(Some("http://127.0.0.1:8787"), "http://127.0.0.1:8787"));
        assert!(!origin_allowed(Some("https://evil.example"), ours));
        assert!(!origin_allowed(Some("http://social.example"), ours));
        assert!(!origin_allowed(Some("null"), ours));
    }

    #[test]
    fn devices_are_cut_on_a_character_boundary() {
        assert_eq!(device(None), "");
        assert_eq!(device(Some(&"é".repeat(300))).chars().count(), USER_AGENT_CHARS);
    }

    #[test]
    fn recovery_codes_ignore_case_and_separators() {
        assert_eq!(normalise_recovery_code(" AB12-cd34 "), "ab12cd34");
    }
}
