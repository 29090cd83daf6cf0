//! Mastodon-style snowflake ids: `(unix_ms << 16) | sequence`.
//!
//! Why TEXT at the D1 boundary: D1's JS API has no BigInt, so an INTEGER above 2^53 comes back
//! rounded, and these ids are about 2^57. Ids are bound as decimal strings (the column's INTEGER
//! affinity converts them) and read back with `CAST(id AS TEXT)`; an end-to-end test pins this.

use std::cell::Cell;

/// Builds ids for one isolate. The sequence starts at a random point so that two isolates
/// writing in the same millisecond are unlikely to collide; the primary key catches the rest.
pub struct IdGenerator {
    last_ms: Cell<u64>,
    sequence: Cell<u16>,
}

impl IdGenerator {
    pub fn new(random_start: u16) -> Self {
        IdGenerator { last_ms: Cell::new(0), sequence: Cell::new(random_start) }
    }

    pub fn next(&self, now_ms: u64) -> i64 {
        // A clock that steps back must not produce an id below one already issued.
        let ms = now_ms.max(self.last_ms.get());
        let seq = self.sequence.get().wrapping_add(1);
        self.sequence.set(seq);
        self.last_ms.set(ms);
        from_parts(ms, seq)
    }
}

pub fn from_parts(ms: u64, sequence: u16) -> i64 {
    ((ms << 16) | u64::from(sequence)) as i64
}

/// The smallest id that can belong to something created at `ms`: turns a date into an id bound.
pub fn lower_bound_for(ms: u64) -> i64 {
    from_parts(ms, 0)
}

/// Parses an id from a URL path or parameter. Mastodon answers 404 for anything not numeric.
pub fn parse(text: &str) -> Option<i64> {
    if text.is_empty() || text.len() > 19 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<i64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_grow_with_time_and_within_a_millisecond() {
        let ids = IdGenerator::new(65_534);
        let a = ids.next(1_700_000_000_000);
        let b = ids.next(1_700_000_000_000);
        let c = ids.next(1_700_000_000_001);
        assert!(a != b && b < c, "{a} {b} {c}");
        assert!(a > 1 << 53, "snowflakes exceed JavaScript's safe integers");
    }

    #[test]
    fn clock_going_back_does_not_reorder_ids() {
        let ids = IdGenerator::new(0);
        let a = ids.next(2_000);
        let b = ids.next(1_000);
        assert!(b > a);
    }

    #[test]
    fn parse_accepts_only_decimal_ids() {
        assert_eq!(parse("110000000000000001"), Some(110_000_000_000_000_001));
        assert_eq!(parse("abc"), None);
        assert_eq!(parse("-1"), None);
        assert_eq!(parse(""), None);
        assert_eq!(parse("99999999999999999999"), None);
    }
}
