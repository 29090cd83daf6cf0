//! Request parameters the way Rails (and so Mastodon) reads them: query string and body merged
//! (body wins), bracket keys (`a[]`, `a[b]`, `a[0][b]`) built into arrays and objects, and bodies
//! in JSON, form or multipart encoding. Every client in shared/CLIENT-COMPAT.md §2.2 sends one of
//! these shapes.
use serde_json::{Map, Value};

use crate::domain::ids;
use crate::domain::paging::{self, Page};

/// A file part of a multipart body.
#[derive(Clone, Debug, PartialEq)]
pub struct FilePart {
    pub name: String,
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

impl FilePart {
    pub fn upload(&self) -> crate::app::media::Upload<'_> {
        crate::app::media::Upload { filename: &self.filename, declared_type: &self.content_type, data: &self.data }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Params {
    values: Map<String, Value>,
    pub files: Vec<FilePart>,
}

/// Limits on what one request's parameters may hold (Rack's own defaults are 4,096 keys and a
/// depth of 32; no Mastodon client comes near these).
pub const MAX_KEYS: usize = 1000;
pub const MAX_KEY_DEPTH: usize = 16;
pub const MAX_PARTS: usize = 256;
/// RFC 2046 §5.1.1 caps a boundary at 70 characters.
const MAX_BOUNDARY: usize = 70;
const MAX_PART_HEADERS: usize = 8 * 1024;

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum ParamsError {
    #[error("malformed JSON body: {0}")]
    Json(String),
    #[error("malformed multipart body: {0}")]
    Multipart(String),
    #[error("too many parameters (at most {MAX_KEYS})")]
    TooMany,
    #[error("parameter nested too deeply: {0}")]
    TooDeep(String),
}

impl Params {
    /// Builds parameters from a query string and a body of the given content type.
    pub fn parse(query: &str, content_type: Option<&str>, body: &[u8]) -> Result<Params, ParamsError> {
        let mut params = Params::default();
        params.add_pairs(form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())))?;
        let media_type = content_type.unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        match media_type.as_str() {
            _ if body.iter().all(u8::is_ascii_whitespace) => {}
            "application/json" => {
                let value: Value =
                    serde_json::from_slice(body).map_err(|e| ParamsError::Json(e.to_string()))?;
                match value {
                    Value::Object(map) => params.values.extend(map),
                    _ => return Err(ParamsError::Json("expected an object".into())),
                }
            }
            "multipart/form-data" => {
                let boundary = content_type
                    .and_then(multipart_boundary)
                    .ok_or_else(|| ParamsError::Multipart("no boundary".into()))?;
                let (fields, files) = parse_multipart(body, &boundary)?;
                params.add_pairs(fields.into_iter())?;
                params.files = files;
            }
            // Form encoding is also what we assume when a client sends no content type.
            _ => params.add_pairs(form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())))?,
        }
        Ok(params)
    }

    /// Parameters from a nested object (`source[privacy]` arrives as `{"source": {...}}`).
    pub fn from_value(value: serde_json::Value) -> Params {
        match value {
            Value::Object(values) => Params { values, files: Vec::new() },
            _ => Params::default(),
        }
    }

    fn add_pairs(&mut self, pairs: impl Iterator<Item = (String, String)>) -> Result<(), ParamsError> {
        let mut added = Map::new();
        for (count, (key, value)) in pairs.enumerate() {
            if count + self.values.len() >= MAX_KEYS {
                return Err(ParamsError::TooMany);
            }
            let segments = key_segments(&key);
            if segments.len() > MAX_KEY_DEPTH {
                return Err(ParamsError::TooDeep(key.chars().take(40).collect()));
            }
            insert_at(&mut added, &segments, Value::String(value));
        }
        for (key, value) in added {
            self.values.insert(key, numbered_objects_to_arrays(value));
        }
        Ok(())
    }

    /// The parameters as one JSON object (files left out), to store and replay later.
    pub fn to_value(&self) -> Value {
        Value::Object(self.values.clone())
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.values.get(key).filter(|v| !v.is_null())
    }

    /// A scalar as text (numbers and booleans from JSON bodies too).
    pub fn str(&self, key: &str) -> Option<String> {
        scalar_text(self.get(key)?)
    }

    /// A non-blank scalar, trimmed.
    pub fn non_empty(&self, key: &str) -> Option<String> {
        self.str(key).map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
    }

    /// Booleans as clients send them: `true/false`, `1/0` (Mastodon.py), `on`, JSON booleans.
    /// `Err` carries the key when the value is not a boolean at all.
    pub fn bool(&self, key: &str) -> Result<Option<bool>, String> {
        let Some(value) = self.get(key) else { return Ok(None) };
        match value {
            Value::Bool(b) => Ok(Some(*b)),
            _ => match scalar_text(value).as_deref().map(str::to_ascii_lowercase).as_deref() {
                Some("1" | "true" | "t" | "on" | "yes") => Ok(Some(true)),
                Some("0" | "false" | "f" | "off" | "no" | "") => Ok(Some(false)),
                _ => Err(key.to_string()),
            },
        }
    }

    /// A list of strings from `key[]=a&key[]=b`, a JSON array, or a single value.
    pub fn strings(&self, key: &str) -> Vec<String> {
        match self.get(key) {
            Some(Value::Array(items)) => items.iter().filter_map(scalar_text).collect(),
            Some(value) => scalar_text(value).into_iter().collect(),
            None => Vec::new(),
        }
    }

    pub fn file(&self, name: &str) -> Option<&FilePart> {
        self.files.iter().find(|f| f.name == name)
    }
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `a[b][]` → `["a", "b", ""]`. A key without brackets is one segment.
fn key_segments(key: &str) -> Vec<&str> {
    let Some(open) = key.find('[') else { return vec![key] };
    if open == 0 || !key.ends_with(']') {
        return vec![key];
    }
    let mut segments = vec![&key[..open]];
    segments.extend(key[open + 1..key.len() - 1].split("]["));
    segments
}

fn insert_at(map: &mut Map<String, Value>, segments: &[&str], value: Value) {
    let (head, rest) = match segments {
        [] => return,
        [head, rest @ ..] => (*head, rest),
    };
    match rest {
        [] => {
            map.insert(head.to_string(), value);
        }
        ["", tail @ ..] => {
            let slot = map.entry(head.to_string()).or_insert_with(|| Value::Array(Vec::new()));
            if !slot.is_array() {
                *slot = Value::Array(Vec::new());
            }
            let Value::Array(items) = slot else { return };
            if tail.is_empty() {
                items.push(value);
            } else {
                // `a[][name]=x&a[][value]=y`: Rails starts a new element when the key repeats.
                let start_new = match items.last() {
                    Some(Value::Object(last)) => last.contains_key(tail[0]),
                    _ => true,
                };
                if start_new {
                    items.push(Value::Object(Map::new()));
                }
                if let Some(Value::Object(last)) = items.last_mut() {
                    insert_at(last, tail, value);
                }
            }
        }
        _ => {
            let slot = map.entry(head.to_string()).or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            if let Value::Object(inner) = slot {
                insert_at(inner, rest, value);
            }
        }
    }
}

/// `{"0": …, "1": …}` (Rails' `fields_attributes[0][name]`) becomes an array in index order,
/// so handlers see the same shape as a JSON array.
fn numbered_objects_to_arrays(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let numbered = !map.is_empty() && map.keys().all(|k| k.parse::<usize>().is_ok());
            if numbered {
                let mut entries: Vec<(usize, Value)> = map
                    .into_iter()
                    .filter_map(|(k, v)| Some((k.parse().ok()?, numbered_objects_to_arrays(v))))
                    .collect();
                entries.sort_by_key(|(k, _)| *k);
                Value::Array(entries.into_iter().map(|(_, v)| v).collect())
            } else {
                Value::Object(map.into_iter().map(|(k, v)| (k, numbered_objects_to_arrays(v))).collect())
            }
        }
        Value::Array(items) => Value::Array(items.into_iter().map(numbered_objects_to_arrays).collect()),
        other => other,
    }
}

/// The boundary parameter of a multipart content type, quoted (as the iOS SDK sends it) or not.
fn multipart_boundary(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        (name.trim().eq_ignore_ascii_case("boundary")).then(|| value.trim().trim_matches('"').to_string())
    })
}

type Multipart = (Vec<(String, String)>, Vec<FilePart>);

/// Splits a multipart body in one pass: every delimiter that starts a line is found once, and
/// each part is read between two of them. Parts may end lines with CRLF (the RFC) or a bare LF
/// (some clients), which only changes how many bytes before a delimiter belong to it.
fn parse_multipart(body: &[u8], boundary: &str) -> Result<Multipart, ParamsError> {
    if boundary.is_empty() || boundary.len() > MAX_BOUNDARY {
        return Err(ParamsError::Multipart("boundary must be 1 to 70 characters".into()));
    }
    let delimiter = format!("--{boundary}");
    let starts: Vec<usize> = memchr::memmem::find_iter(body, delimiter.as_bytes())
        .filter(|&at| at == 0 || body[at - 1] == b'\n')
        .take(MAX_PARTS + 2)
        .collect();
    if starts.len() > MAX_PARTS + 1 {
        return Err(ParamsError::Multipart(format!("more than {MAX_PARTS} parts")));
    }
    if starts.is_empty() {
        return Err(ParamsError::Multipart("boundary not found".into()));
    }
    let mut fields = Vec::new();
    let mut files = Vec::new();
    let mut closed = false;
    for (index, &at) in starts.iter().enumerate() {
        let after = &body[at + delimiter.len()..];
        if after.starts_with(b"--") {
            closed = true;
            break;
        }
        let Some(&next) = starts.get(index + 1) else { break };
        let content_start = at + delimiter.len();
        let content = &body[content_start..next.max(content_start)];
        let content = content.strip_prefix(b"\r\n").or_else(|| content.strip_prefix(b"\n")).unwrap_or(content);
        // The line break before the next delimiter belongs to the delimiter.
        let content = content.strip_suffix(b"\n").map(|c| c.strip_suffix(b"\r").unwrap_or(c)).unwrap_or(content);
        let (head, data) = split_part(content)?;
        let mut name = None;
        let mut filename = None;
        let mut content_type = "application/octet-stream".to_string();
        for line in String::from_utf8_lossy(head).lines() {
            let Some((header, value)) = line.split_once(':') else { continue };
            if header.trim().eq_ignore_ascii_case("content-disposition") {
                name = disposition_param(value, "name");
                filename = disposition_param(value, "filename");
            } else if header.trim().eq_ignore_ascii_case("content-type") {
                content_type = value.trim().to_string();
            }
        }
        let name = name.ok_or_else(|| ParamsError::Multipart("part without a name".into()))?;
        match filename {
            Some(filename) => files.push(FilePart { name, filename, content_type, data: data.to_vec() }),
            None => fields.push((name, String::from_utf8_lossy(data).into_owned())),
        }
    }
    if !closed {
        return Err(ParamsError::Multipart("unterminated part".into()));
    }
    Ok((fields, files))
}

/// A part's headers and data, separated by the first empty line (CRLF or LF line ends).
fn split_part(part: &[u8]) -> Result<(&[u8], &[u8]), ParamsError> {
    let mut line_start = 0;
    while line_start <= part.len().min(MAX_PART_HEADERS) {
        let line_end = memchr::memchr(b'\n', &part[line_start..]).map(|i| line_start + i);
        let Some(line_end) = line_end else { break };
        let line = &part[line_start..line_end];
        if line.is_empty() || line == b"\r" {
            return Ok((&part[..line_start], &part[line_end + 1..]));
        }
        line_start = line_end + 1;
    }
    Err(ParamsError::Multipart("part without headers".into()))
}

fn disposition_param(value: &str, wanted: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        (name.trim() == wanted).then(|| value.trim().trim_matches('"').to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form(query: &str, body: &str) -> Params {
        Params::parse(query, Some("application/x-www-form-urlencoded"), body.as_bytes()).unwrap()
    }

    #[test]
    fn body_overrides_query_and_both_are_read() {
        let p = form("client_name=from-query&website=w", "client_name=from-body");
        assert_eq!(p.str("client_name").as_deref(), Some("from-body"));
        assert_eq!(p.str("website").as_deref(), Some("w"));
    }

    #[test]
    fn rails_arrays_and_hashes() {
        let p = form("", "media_ids[]=1&media_ids[]=2&poll[options][]=a&poll[options][]=b&poll[expires_in]=60");
        assert_eq!(p.strings("media_ids"), ["1", "2"]);
        assert_eq!(p.get("poll"), Some(&json!({"options": ["a", "b"], "expires_in": "60"})));
    }

    #[test]
    fn indexed_hashes_become_arrays_in_index_order() {
        let p = form(
            "",
            "fields_attributes[1][name]=b&fields_attributes[0][name]=a&fields_attributes[0][value]=x&fields_attributes[1][value]=y",
        );
        assert_eq!(
            p.get("fields_attributes"),
            Some(&json!([{"name": "a", "value": "x"}, {"name": "b", "value": "y"}]))
        );
    }

    #[test]
    fn array_of_hashes_starts_new_element_on_repeated_key() {
        let p = form("", "f[][name]=a&f[][value]=1&f[][name]=b&f[][value]=2");
        assert_eq!(p.get("f"), Some(&json!([{"name": "a", "value": "1"}, {"name": "b", "value": "2"}])));
    }

    #[test]
    fn booleans_in_every_client_spelling() {
        let p = form("", "a=1&b=0&c=true&d=False&e=maybe");
        assert_eq!(p.bool("a"), Ok(Some(true)));
        assert_eq!(p.bool("b"), Ok(Some(false)));
        assert_eq!(p.bool("c"), Ok(Some(true)));
        assert_eq!(p.bool("d"), Ok(Some(false)));
        assert_eq!(p.bool("e"), Err("e".to_string()));
        assert_eq!(p.bool("missing"), Ok(None));
        let j = Params::parse("", Some("application/json"), br#"{"locked": true, "n": 5}"#).unwrap();
        assert_eq!(j.bool("locked"), Ok(Some(true)));
        assert_eq!(j.str("n").as_deref(), Some("5"));
    }

    #[test]
    fn json_bodies_must_be_objects_and_well_formed() {
        assert!(matches!(Params::parse("", Some("application/json"), b"{oops"), Err(ParamsError::Json(_))));
        assert!(matches!(Params::parse("", Some("application/json"), b"[1]"), Err(ParamsError::Json(_))));
        assert!(Params::parse("", Some("application/json; charset=utf-8"), b"  ").is_ok());
    }

    #[test]
    fn multipart_with_quoted_boundary_fields_and_files() {
        let body: &[u8] = b"--XyZ\r\nContent-Disposition: form-data; name=\"display_name\"\r\n\r\nAlice\r\n\
                    --XyZ\r\nContent-Disposition: form-data; name=\"fields_attributes[0][name]\"\r\n\r\nweb\r\n\
                    --XyZ\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\
                    --XyZ--\r\n";
        let p = Params::parse("", Some("multipart/form-data; boundary=\"XyZ\""), body).unwrap();
        assert_eq!(p.str("display_name").as_deref(), Some("Alice"));
        assert_eq!(p.get("fields_attributes"), Some(&json!([{"name": "web"}])));
        let avatar = p.file("avatar").unwrap();
        assert_eq!((avatar.filename.as_str(), avatar.content_type.as_str()), ("a.png", "image/png"));
        assert_eq!(avatar.data, b"\x89PNG");
    }

    #[test]
    fn multipart_with_bare_lf_line_ends() {
        let body: &[u8] = b"--b\nContent-Disposition: form-data; name=\"a\"\n\none\n--b\nContent-Disposition: form-data; name=\"c\"\n\ntwo\n--b--\n";
        let p = Params::parse("", Some("multipart/form-data; boundary=b"), body).unwrap();
        assert_eq!((p.str("a").as_deref(), p.str("c").as_deref()), (Some("one"), Some("two")));
        let unterminated: &[u8] = b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\none\r\n";
        assert!(Params::parse("", Some("multipart/form-data; boundary=b"), unterminated).is_err());
    }

    /// The smallest of three timings, so that one descheduling does not decide a ratio.
    fn best_of_three(f: impl Fn()) -> std::time::Duration {
        (0..3).map(|_| {
            let start = std::time::Instant::now();
            f();
            start.elapsed()
        }).min().unwrap()
    }

    #[test]
    fn multipart_parsing_is_linear_in_the_body() {
        // Parts separated by bare LF once made every part search the rest of the body for CRLF.
        let body = |parts: usize| {
            let mut body = Vec::new();
            for i in 0..parts {
                body.extend_from_slice(format!("--b\nContent-Disposition: form-data; name=\"f{i}\"\n\nx\n").as_bytes());
            }
            body.extend_from_slice(b"--b--\n");
            body
        };
        let (small, large) = (body(200), body(200 * 16));
        let parse = |b: &[u8]| {
            let _ = parse_multipart(b, "b");
        };
        let ratio = best_of_three(|| parse(&large)).as_secs_f64() / best_of_three(|| parse(&small)).as_secs_f64().max(1e-9);
        // Linear is 16x; quadratic would be 256x.
        assert!(ratio < 64.0, "16x the body took {ratio:.0}x the time");
        assert!(matches!(Params::parse("", Some("multipart/form-data; boundary=b"), &body(MAX_PARTS + 1)), Err(ParamsError::Multipart(_))));
    }

    #[test]
    fn bracket_keys_have_a_depth_and_a_count_limit() {
        let deep = format!("a{}=1", "[b]".repeat(3000));
        assert!(matches!(Params::parse("", None, deep.as_bytes()), Err(ParamsError::TooDeep(_))));
        let ok = format!("a{}=1", "[b]".repeat(MAX_KEY_DEPTH - 1));
        assert!(Params::parse("", None, ok.as_bytes()).is_ok());
        let many: Vec<String> = (0..=MAX_KEYS).map(|i| format!("k{i}=v")).collect();
        assert_eq!(Params::parse("", None, many.join("&").as_bytes()).unwrap_err(), ParamsError::TooMany);
        assert_eq!(Params::parse(&many.join("&"), None, b"").unwrap_err(), ParamsError::TooMany);
        let few: Vec<String> = (0..MAX_KEYS / 2).map(|i| format!("ids[]={i}")).collect();
        assert_eq!(Params::parse("", None, few.join("&").as_bytes()).unwrap().strings("ids").len(), MAX_KEYS / 2);
    }

    #[test]
    fn multipart_without_boundary_is_an_error() {
        assert!(Params::parse("", Some("multipart/form-data"), b"x").is_err());
    }

    #[test]
    fn strings_accepts_single_values_and_json_arrays() {
        let p = Params::parse("", Some("application/json"), br#"{"redirect_uris": ["a", "b"], "one": "x"}"#).unwrap();
        assert_eq!(p.strings("redirect_uris"), ["a", "b"]);
        assert_eq!(p.strings("one"), ["x"]);
        assert!(p.strings("none").is_empty());
    }
}

impl Params {
    /// `max_id`, `since_id`, `min_id` and `limit` (20 by default, at most 40).
    pub fn page(&self) -> Page {
        self.page_with_limits(paging::DEFAULT_LIMIT, paging::MAX_LIMIT)
    }

    /// Some lists have other limits (notifications allow 80 in Mastodon, accounts 80).
    pub fn page_with_limits(&self, default: i64, max: i64) -> Page {
        let id = |key: &str| self.str(key).as_deref().and_then(ids::parse);
        let limit = self.str("limit").and_then(|l| l.trim().parse::<i64>().ok()).unwrap_or(default);
        Page { max_id: id("max_id"), since_id: id("since_id"), min_id: id("min_id"), limit: limit.clamp(1, max) }
    }
}

#[cfg(test)]
mod paging_tests {
    use super::Params;

    fn params(q: &str) -> Params {
        Params::parse(q, None, b"").unwrap()
    }

    #[test]
    fn limits_are_clamped() {
        assert_eq!(params("").page().limit, 20);
        assert_eq!(params("limit=100").page().limit, 40);
        assert_eq!(params("limit=0").page().limit, 1);
        assert_eq!(params("limit=x").page().limit, 20);
    }

    #[test]
    fn bounds_are_parsed_and_min_id_wins() {
        let p = params("max_id=30&since_id=10&min_id=20").page();
        assert_eq!((p.max_id, p.lower(), p.ascending()), (Some(30), Some(20), true));
        assert_eq!(params("max_id=abc").page().max_id, None);
    }
}
