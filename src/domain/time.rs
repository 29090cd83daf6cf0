//! Timestamps. Stored as Unix milliseconds; sent as ISO 8601 with exactly three fractional
//! digits and `Z`, which Ice Cubes' and the iOS app's date decoders require.
//! Hand-written on purpose: on wasm32 (opt-level z, gzip -9) `time` 0.3 adds 7.6 KB, `chrono`
//! 11.0 KB and `jiff` 52.4 KB (measured), and only jiff accepts the `+0530` and seconds-less forms
//! peers send and this parser takes; `httpdate` alone would add 2.1 KB for the HTTP-date half.

/// `2023-05-01T12:34:56.789Z`
/// `2026-11-24T18:40:00Z`: whole seconds, as XSD dateTime readers print it back. A proof's
/// `created` must survive a verifier's parse and reprint (Fedify's Temporal drops trailing
/// zeros of milliseconds, which would change the signed bytes).
pub fn iso8601_seconds(ms: i64) -> String {
    let full = iso8601(ms - ms.rem_euclid(1000));
    format!("{}Z", &full[..full.len() - 5])
}

pub fn iso8601(ms: i64) -> String {
    let (days, ms_of_day) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (y, m, d) = civil_from_days(days);
    let secs = ms_of_day / 1000;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        ms_of_day % 1000
    )
}

/// `2023-05-01`: the day of a timestamp, as Mastodon's `last_status_at` and history use.
pub fn date(ms: i64) -> String {
    let (y, m, d) = civil_from_days(ms.div_euclid(86_400_000));
    format!("{y:04}-{m:02}-{d:02}")
}

/// `Mon, 01 May 2023 12:34:56 GMT` for HTTP `Date` headers and signatures.
pub fn http_date(ms: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let days = ms.div_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let secs = ms.rem_euclid(86_400_000) / 1000;
    format!(
        "{}, {d:02} {} {y:04} {:02}:{:02}:{:02} GMT",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(m - 1) as usize],
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Parses an IMF-fixdate (`Tue, 14 Nov 2023 22:13:20 GMT`), the only HTTP date form senders
/// may generate (RFC 9110 §5.6.7), to Unix milliseconds. The weekday is not checked.
pub fn parse_http_date(text: &str) -> Option<i64> {
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (_, rest) = text.trim().split_once(", ")?;
    let mut parts = rest.split(' ');
    let (day, month, year, clock, zone) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || zone != "GMT" || day.len() != 2 || year.len() != 4 {
        return None;
    }
    let m = MONTHS.iter().position(|name| *name == month)? as i64 + 1;
    let (d, y) = (day.parse::<i64>().ok()?, year.parse::<i64>().ok()?);
    let mut t = clock.splitn(3, ':').map(|p| if p.len() == 2 { p.parse::<i64>().ok() } else { None });
    let (h, min, sec) = (t.next()??, t.next()??, t.next()??);
    if !(1..=31).contains(&d) || h > 23 || min > 59 || sec > 60 {
        return None;
    }
    Some(((days_from_civil(y, m, d) * 24 + h) * 60 + min) * 60_000 + sec * 1000)
}

/// Parses an ISO 8601 / RFC 3339 date-time (`2026-11-24T16:00:00Z`, fractions and `+02:00`
/// offsets allowed) to Unix milliseconds.
pub fn parse_iso8601(text: &str) -> Option<i64> {
    let text = text.trim();
    // Every well-formed timestamp is short ASCII; anything else would only reach the byte slicing
    // and arithmetic below with characters or magnitudes they were not written for.
    if !text.is_ascii() || text.len() > 40 {
        return None;
    }
    let (date, rest) = text.split_once(['T', 't', ' '])?;
    let mut d = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    if !(-9999..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return None;
    }
    let (clock, offset_ms) = if let Some(clock) = rest.strip_suffix(['Z', 'z']) {
        (clock, 0)
    } else {
        let at = rest.rfind(['+', '-'])?;
        let (clock, offset) = rest.split_at(at);
        let sign = if offset.starts_with('-') { -1 } else { 1 };
        let (oh, om) = offset[1..].split_once(':').unwrap_or((&offset[1..3.min(offset.len())], &offset[3.min(offset.len())..]));
        let (oh, om) = (oh.parse::<i64>().ok()?, om.parse::<i64>().unwrap_or(0));
        if !(0..=23).contains(&oh) || !(0..=59).contains(&om) {
            return None;
        }
        let minutes = oh * 60 + om;
        (clock, sign * minutes * 60_000)
    };
    let (hms, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let mut t = hms.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (h, min, sec) = (t.next()??, t.next()??, t.next().unwrap_or(Some(0))?);
    if h > 23 || min > 59 || sec > 60 {
        return None;
    }
    let millis = format!("{fraction:0<3}").get(..3)?.parse::<i64>().ok()?;
    let days = days_from_civil(y, m, day);
    Some(((days * 24 + h) * 60 + min) * 60_000 + sec * 1000 + millis - offset_ms)
}

/// (year, month, day) to days since 1970-01-01; the inverse of `civil_from_days`.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to (year, month, day); Howard Hinnant's `civil_from_days`.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    #[test]
    fn whole_seconds_have_no_fraction() {
        assert_eq!(super::iso8601_seconds(1_700_000_000_120), "2023-11-14T22:13:20Z");
    }

    use super::*;

    #[test]
    fn formats_with_three_fractional_digits() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_700_000_000_007), "2023-11-14T22:13:20.007Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn parses_what_it_formats_and_offsets() {
        for ms in [0, 951_782_400_000, 1_700_000_000_007, 1_795_531_264_123] {
            assert_eq!(parse_iso8601(&iso8601(ms)), Some(ms));
        }
        assert_eq!(parse_iso8601("2023-11-14T23:13:20+01:00"), Some(1_700_000_000_000));
        assert_eq!(parse_iso8601("2023-11-14T22:13:20Z"), Some(1_700_000_000_000));
        assert_eq!(parse_iso8601("2023-11-14T22:13:20.5Z"), Some(1_700_000_000_500));
        assert_eq!(parse_iso8601("tomorrow"), None);
        // Found by the fuzzer: a multi-byte offset sliced mid-character, and offsets and years
        // that overflowed the arithmetic.
        assert_eq!(parse_iso8601("2020-01-01T00:00+1é"), None);
        assert_eq!(parse_iso8601("2020-01-01T00:00+9999999999999999999"), None);
        assert_eq!(parse_iso8601("99999999999999-01-01T00:00:00Z"), None);
        assert_eq!(parse_iso8601("2020-01-01T00:00:00+0530"), Some(1_577_836_800_000 - (5 * 60 + 30) * 60_000));
        assert_eq!(parse_iso8601("2023-13-14T22:13:20Z"), None);
    }

    #[test]
    fn formats_http_dates() {
        assert_eq!(http_date(1_700_000_000_000), "Tue, 14 Nov 2023 22:13:20 GMT");
        assert_eq!(date(1_700_000_000_000), "2023-11-14");
    }

    #[test]
    fn parses_http_dates() {
        for ms in [0, 951_782_400_000, 1_700_000_000_000, 1_795_531_264_000] {
            assert_eq!(parse_http_date(&http_date(ms)), Some(ms));
        }
        assert_eq!(parse_http_date("Sun, 05 Jan 2014 21:31:40 GMT"), Some(1_388_957_500_000));
        assert_eq!(parse_http_date("Sunday, 05-Jan-14 21:31:40 GMT"), None);
        assert_eq!(parse_http_date("Sun, 05 Jan 2014 21:31:40 +0000"), None);
        assert_eq!(parse_http_date("Sun, 05 Foo 2014 21:31:40 GMT"), None);
        assert_eq!(parse_http_date("Sun, 5 Jan 2014 21:31:40 GMT"), None);
    }
}
