//! OAuth's rules that every surface shares (the API's endpoints, the consent page).

/// The out-of-band redirect: the code is shown to the person instead of sent to an app.
pub const OOB_REDIRECT_URI: &str = "urn:ietf:wg:oauth:2.0:oob";
/// Authorization codes are short-lived (RFC 6749 §4.1.2 recommends at most ten minutes).
pub const CODE_LIFETIME_MS: i64 = 10 * 60 * 1000;


pub const MAX_URI_CHARS: usize = 2000;

/// Schemes that run or read something in the browser rather than reach an app: a redirect
/// there would run the attacker's code on the consent page's behalf.
const FORBIDDEN_SCHEMES: &[&str] = &["javascript", "data", "vbscript", "file", "blob", "about", "filesystem"];

pub fn is_forbidden_scheme(uri: &str) -> bool {
    url::Url::parse(uri.trim()).is_ok_and(|url| FORBIDDEN_SCHEMES.contains(&url.scheme()))
}

/// An absolute URI without a fragment (RFC 6749 §3.1.2): `https://…`, a custom scheme such as
/// `icecubesapp://` or `com.tapbots.Ivory.10217:/request_token`, or the out-of-band URN; never
/// one of `FORBIDDEN_SCHEMES`. Checked on the raw text first, as the URL parser quietly drops
/// tabs and newlines that would then reach the `Location` header.
pub fn is_valid_redirect_uri(uri: &str) -> bool {
    if uri == OOB_REDIRECT_URI {
        return true;
    }
    if uri.len() > MAX_URI_CHARS || uri.contains('#') || uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let nothing_after_scheme = uri.split_once(':').is_none_or(|(_, rest)| rest.is_empty());
    !nothing_after_scheme && url::Url::parse(uri).is_ok_and(|url| !FORBIDDEN_SCHEMES.contains(&url.scheme()))
}

