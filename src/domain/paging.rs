//! Mastodon pagination: `max_id`, `since_id`, `min_id`, `limit`, and the `Link` header that
//! points at the next (older) and previous (newer) pages.
use crate::domain::ids;
use crate::router::params::Params;

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 40;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Page {
    /// Only items older than this.
    pub max_id: Option<i64>,
    /// Only items newer than this, newest first (a gap may remain below them).
    pub since_id: Option<i64>,
    /// Only items newer than this, *the oldest of them* first in the query: the page just
    /// above `min_id`. Results are still returned newest first.
    pub min_id: Option<i64>,
    pub limit: i64,
}

impl Page {
    pub fn from_params(params: &Params) -> Page {
        Page::with_limits(params, DEFAULT_LIMIT, MAX_LIMIT)
    }

    /// Some lists have other limits (notifications allow 80 in Mastodon, accounts 80).
    pub fn with_limits(params: &Params, default: i64, max: i64) -> Page {
        let id = |key: &str| params.str(key).as_deref().and_then(ids::parse);
        let limit = params.str("limit").and_then(|l| l.trim().parse::<i64>().ok()).unwrap_or(default);
        Page { max_id: id("max_id"), since_id: id("since_id"), min_id: id("min_id"), limit: limit.clamp(1, max) }
    }

    /// The lower bound the query uses: `min_id` wins over `since_id` when both are given.
    pub fn lower(&self) -> Option<i64> {
        self.min_id.or(self.since_id)
    }

    /// Whether the query must walk upwards from `min_id` (ascending) and reverse the result.
    pub fn ascending(&self) -> bool {
        self.min_id.is_some()
    }
}

/// What a path must escape to sit in a URL inside a `Link` header: the path arrives
/// percent-decoded, so a `%0A` in a hashtag would otherwise end the header, and a header holds
/// no characters beyond Latin-1 (`#café`), which `utf8_percent_encode` always escapes.
const PATH: &percent_encoding::AsciiSet =
    &percent_encoding::CONTROLS.add(b' ').add(b'"').add(b'#').add(b'%').add(b'<').add(b'>').add(b'?').add(b'`').add(b'{').add(b'}');

/// `Link: <…max_id=OLDEST>; rel="next", <…min_id=NEWEST>; rel="prev"` for a page whose item
/// ids (in response order, newest first) are `ids`. No header for an empty page: a client that
/// follows `next` there would loop.
pub fn link_header(base_url: &str, path: &str, params: &[(String, String)], ids: &[i64]) -> Option<String> {
    let (newest, oldest) = (ids.first()?, ids.last()?);
    let url = |key: &str, id: i64| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (k, v) in params.iter().filter(|(k, _)| !["max_id", "min_id", "since_id"].contains(&k.as_str())) {
            query.append_pair(k, v);
        }
        query.append_pair(key, &id.to_string());
        format!("{base_url}{}?{}", percent_encoding::utf8_percent_encode(path, PATH), query.finish())
    };
    Some(format!("<{}>; rel=\"next\", <{}>; rel=\"prev\"", url("max_id", *oldest), url("min_id", *newest)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(q: &str) -> Params {
        Params::parse(q, None, b"").unwrap()
    }

    #[test]
    fn limits_are_clamped() {
        assert_eq!(Page::from_params(&params("")).limit, 20);
        assert_eq!(Page::from_params(&params("limit=100")).limit, 40);
        assert_eq!(Page::from_params(&params("limit=0")).limit, 1);
        assert_eq!(Page::from_params(&params("limit=x")).limit, 20);
    }

    #[test]
    fn bounds_are_parsed_and_min_id_wins() {
        let p = Page::from_params(&params("max_id=30&since_id=10&min_id=20"));
        assert_eq!((p.max_id, p.lower(), p.ascending()), (Some(30), Some(20), true));
        assert_eq!(Page::from_params(&params("max_id=abc")).max_id, None);
    }

    #[test]
    fn link_header_points_both_ways_and_keeps_other_params() {
        let kept = vec![("limit".to_string(), "2".to_string()), ("max_id".to_string(), "99".to_string()), ("types[]".to_string(), "mention".to_string())];
        let link = link_header("https://s.example", "/api/v1/timelines/home", &kept, &[9, 5]).unwrap();
        assert_eq!(
            link,
            "<https://s.example/api/v1/timelines/home?limit=2&types%5B%5D=mention&max_id=5>; rel=\"next\", \
             <https://s.example/api/v1/timelines/home?limit=2&types%5B%5D=mention&min_id=9>; rel=\"prev\""
        );
        assert_eq!(link_header("https://s.example", "/x", &[], &[]), None);
    }
}
