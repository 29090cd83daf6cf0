//! Mastodon pagination: `max_id`, `since_id`, `min_id`, `limit`, and the `Link` header that
//! points at the next (older) and previous (newer) pages.

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
