//! Finding the items of `outbox.json` in text that arrives a piece at a time: the collection's
//! head up to `"orderedItems":[`, then one complete JSON value after another. Only the bytes of
//! the item being read are held; a piece that ends inside an item leaves it for the next.

/// Where the items begin: the offset just after the `[` of the top-level `orderedItems`, and the
/// collection's head (its other members, for `totalItems`). `None` until that much has arrived.
pub fn items_start(text: &[u8]) -> Option<(usize, serde_json::Value)> {
    const KEY: &[u8] = b"\"orderedItems\"";
    let mut depth = 0usize;
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'"' => {
                let end = string_end(text, i)?;
                if depth == 1 && &text[i..end] == KEY {
                    let mut j = end;
                    while j < text.len() && (text[j].is_ascii_whitespace() || text[j] == b':') {
                        j += 1;
                    }
                    return match text.get(j)? {
                        b'[' => {
                            // The head, closed where the items would have been.
                            let mut head = text[..i].to_vec();
                            while head.last().is_some_and(|b| b.is_ascii_whitespace() || *b == b',') {
                                head.pop();
                            }
                            head.push(b'}');
                            Some((j + 1, serde_json::from_slice(&head).unwrap_or_default()))
                        }
                        _ => None,
                    };
                }
                i = end;
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// The offset just past the string starting at `start` (a `"`), or `None` if it does not end
/// in `text`.
fn string_end(text: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    while i < text.len() {
        match text[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// The offset just past the JSON value starting at `start`, or `None` if it does not end in
/// `text`.
fn value_end(text: &[u8], start: usize) -> Option<usize> {
    match text[start] {
        b'"' => string_end(text, start),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = start;
            while i < text.len() {
                match text[i] {
                    b'"' => {
                        i = string_end(text, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            None
        }
        _ => {
            // A number, true, false, null: up to the next delimiter.
            let end = text[start..].iter().position(|b| matches!(b, b',' | b']' | b'}') || b.is_ascii_whitespace())?;
            // Not a value at all (a stray `}`): no item, rather than an empty one forever.
            (end > 0).then_some(start + end)
        }
    }
}

/// What `items` found: the items' byte ranges, where the text not yet used begins, and whether
/// the array ended.
#[derive(Debug, PartialEq, Eq)]
pub struct Found {
    pub items: Vec<std::ops::Range<usize>>,
    pub rest: usize,
    pub ended: bool,
}

/// Up to `max` complete items of the array whose items `text` continues (it starts between two
/// items, or just after the `[`).
pub fn items(text: &[u8], max: usize) -> Found {
    let mut found = Found { items: Vec::new(), rest: 0, ended: false };
    let mut i = 0;
    while found.items.len() < max {
        while i < text.len() && (text[i].is_ascii_whitespace() || text[i] == b',') {
            i += 1;
        }
        if i >= text.len() {
            break;
        }
        if text[i] == b']' {
            found.ended = true;
            found.rest = i + 1;
            return found;
        }
        let Some(end) = value_end(text, i) else { break };
        found.items.push(i..end);
        i = end;
        found.rest = end;
    }
    found
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn items_are_found_whole_whatever_the_pieces() {
        let outbox = br#"{"@context":["https://www.w3.org/ns/activitystreams",{"x":"]}"}],"id":"outbox.json","type":"OrderedCollection","totalItems":3,"orderedItems":[{"type":"Create","object":{"content":"<p>a \"quoted\" ] { brace</p>","tag":[]}},"https://x.example/1" , {"type":"Announce","n":[1,[2]]}]}"#;
        let (start, head) = items_start(outbox).unwrap();
        assert_eq!((head["totalItems"].as_i64(), head["id"].as_str()), (Some(3), Some("outbox.json")));
        assert!(items_start(&outbox[..40]).is_none(), "the key has not arrived");
        // Every cut: what is found before it, then the rest after it, is every item once.
        let all = items(&outbox[start..], 100);
        assert_eq!((all.items.len(), all.ended), (3, true));
        let texts: Vec<&[u8]> = all.items.iter().map(|r| &outbox[start..][r.clone()]).collect();
        assert!(serde_json::from_slice::<serde_json::Value>(texts[0]).unwrap()["object"]["content"].as_str().unwrap().contains("brace"));
        assert_eq!(texts[1], b"\"https://x.example/1\"");
        for cut in start..outbox.len() {
            let first = items(&outbox[start..cut], 100);
            let rest = &outbox[start + first.rest..];
            let second = items(rest, 100);
            assert_eq!(first.items.len() + second.items.len(), 3, "cut at {cut}");
            assert!(first.ended || second.ended);
        }
        let two = items(&outbox[start..], 2);
        assert_eq!((two.items.len(), two.ended), (2, false));
    }
}
