//! Helpers shared by the fuzz targets: splitting one input into several fields, and
//! "amplification", which lets a short input stand for a long, repetitive one so that the
//! fuzzer can find quadratic behaviour (and deep recursion) without growing inputs to a
//! megabyte itself.
use std::borrow::Cow;
use std::sync::Once;

/// Lets libFuzzer report a stack overflow like any other crash. libFuzzer's own `main` runs
/// the targets, so Rust's guard-page handler is never installed, and libFuzzer's SIGSEGV
/// handler runs on the overflowed stack and dies before saving the input. This gives the
/// main thread an alternate signal stack and moves the handlers libFuzzer installed onto it.
/// Call it first in every target (it runs once).
pub fn guard_stack() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| unsafe {
        const SIZE: usize = 1 << 20;
        let stack = Box::leak(vec![0u8; SIZE].into_boxed_slice());
        let alt = libc::stack_t { ss_sp: stack.as_mut_ptr().cast(), ss_flags: 0, ss_size: SIZE };
        if libc::sigaltstack(&alt, std::ptr::null_mut()) != 0 {
            return;
        }
        for signal in [libc::SIGSEGV, libc::SIGBUS] {
            let mut action: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(signal, std::ptr::null(), &mut action) == 0 && action.sa_sigaction != libc::SIG_DFL {
                action.sa_flags |= libc::SA_ONSTACK;
                libc::sigaction(signal, &action, std::ptr::null_mut());
            }
        }
    });
}

/// The largest input an amplified one may stand for: the Worker's request-body limit
/// (`router::MAX_BODY_BYTES`) and its fetched-document limit (`federation::fetch::MAX_DOCUMENT_BYTES`).
pub const MAX_AMPLIFIED: usize = 1024 * 1024;

/// First byte of an amplified input.
pub const AMPLIFY: u8 = 0xFF;

/// `0xFF, count_hi, count_lo, prefix_len, unit_len, prefix…, unit…, tail…` stands for
/// `prefix + unit × count + tail`, at most [`MAX_AMPLIFIED`] bytes (the count is cut to fit).
/// Any other input stands for itself.
pub fn amplify(data: &[u8]) -> Cow<'_, [u8]> {
    let [AMPLIFY, count_hi, count_lo, prefix_len, unit_len, rest @ ..] = data else {
        return Cow::Borrowed(data);
    };
    let (prefix_len, unit_len) = (usize::from(*prefix_len), usize::from(*unit_len).max(1));
    let count = usize::from(u16::from_be_bytes([*count_hi, *count_lo]));
    if rest.len() < prefix_len + unit_len {
        return Cow::Borrowed(data);
    }
    let (prefix, rest) = rest.split_at(prefix_len);
    let (unit, tail) = rest.split_at(unit_len);
    let room = MAX_AMPLIFIED.saturating_sub(prefix.len() + tail.len());
    let count = count.min(room / unit.len());
    let mut out = Vec::with_capacity(prefix.len() + unit.len() * count + tail.len());
    out.extend_from_slice(prefix);
    for _ in 0..count {
        out.extend_from_slice(unit);
    }
    out.extend_from_slice(tail);
    Cow::Owned(out)
}

/// Encodes an amplified input (for writing seeds and reproducers).
pub fn amplified(prefix: &[u8], unit: &[u8], count: u16, tail: &[u8]) -> Vec<u8> {
    assert!(prefix.len() <= 255 && (1..=255).contains(&unit.len()));
    let mut out = vec![AMPLIFY];
    out.extend_from_slice(&count.to_be_bytes());
    out.push(prefix.len() as u8);
    out.push(unit.len() as u8);
    out.extend_from_slice(prefix);
    out.extend_from_slice(unit);
    out.extend_from_slice(tail);
    out
}

/// Splits `data` into at most `n` fields at NUL bytes (the last field keeps any further NULs).
pub fn fields(data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out: Vec<&[u8]> = data.splitn(n, |b| *b == 0).collect();
    out.resize(n, &[]);
    out
}

pub fn text(bytes: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// One tag of serialised HTML.
#[derive(Debug)]
pub struct Tag<'a> {
    /// Lower-cased.
    pub name: String,
    pub closing: bool,
    /// `(name, value)`, values as written (entities not decoded).
    pub attributes: Vec<(&'a str, &'a str)>,
}

/// The tags of serialised HTML whose text is escaped (every `<` in text is `&lt;`, as
/// html5ever's serialiser and our renderer write it), so each `<` starts a tag. Attribute
/// values are double-quoted; a `>` inside quotes does not end the tag.
pub fn tags(html: &str) -> Vec<Tag<'_>> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        let (closing, after) = match rest.strip_prefix('/') {
            Some(after) => (true, after),
            None => (false, rest),
        };
        let name_len = after.bytes().take_while(|b| b.is_ascii_alphanumeric()).count();
        let mut tag = Tag { name: after[..name_len].to_ascii_lowercase(), closing, attributes: Vec::new() };
        let mut inner = &after[name_len..];
        loop {
            inner = inner.trim_start_matches([' ', '/']);
            if inner.is_empty() || inner.starts_with('>') {
                break;
            }
            let name_end = inner.find(['=', ' ', '>']).unwrap_or(inner.len());
            let name = &inner[..name_end];
            inner = &inner[name_end..];
            let value = match inner.strip_prefix("=\"") {
                Some(quoted) => {
                    let end = quoted.find('"').unwrap_or(quoted.len());
                    inner = quoted.get(end + 1..).unwrap_or("");
                    &quoted[..end]
                }
                None => "",
            };
            tag.attributes.push((name, value));
        }
        rest = inner.strip_prefix('>').unwrap_or(inner);
        out.push(tag);
    }
    out
}

/// The values of every `href` attribute in serialised HTML, entities left as they are.
pub fn hrefs(html: &str) -> Vec<&str> {
    tags(html).into_iter().flat_map(|t| t.attributes).filter(|(n, _)| *n == "href").map(|(_, v)| v).collect()
}

/// Depth of a JSON value (a scalar is 0).
pub fn depth(value: &serde_json::Value) -> usize {
    // Iterative: the value may be deeper than the stack allows recursion.
    let mut max = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((v, d)) = stack.pop() {
        max = max.max(d);
        match v {
            serde_json::Value::Array(items) => stack.extend(items.iter().map(|i| (i, d + 1))),
            serde_json::Value::Object(map) => stack.extend(map.values().map(|i| (i, d + 1))),
            _ => {}
        }
    }
    max
}
