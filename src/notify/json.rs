//! JSON exactly as Go's `encoding/json` Encoder writes it, for request bodies
//! that receivers may compare byte for byte: `<`, `>`, `&`, U+2028 and U+2029
//! escaped as `\u003c`…, control characters other than `\n`, `\r`, `\t` as
//! `\u00XX`, a trailing newline, and times in RFC 3339 with nanoseconds and
//! trailing zeros dropped (`time.RFC3339Nano`).

use std::io;

use chrono::{Datelike, Timelike};
use serde::Serialize;
use serde_json::ser::{CharEscape, Formatter};

use crate::alert::Timestamp;

/// Encodes `value` the way Go's `json.NewEncoder(w).Encode(value)` does,
/// newline included.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::with_capacity(4096);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, GoFormatter);
    value.serialize(&mut ser)?;
    out.push(b'\n');
    Ok(out)
}

/// Compact output with Go's string escaping.
struct GoFormatter;

impl Formatter for GoFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // Byte scan: the characters Go escapes are ASCII, or U+2028/U+2029
        // (E2 80 A8/A9 in UTF-8), so no decoding is needed.
        let bytes = fragment.as_bytes();
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            let (escaped, len) = match bytes[i] {
                b'<' => ("\\u003c", 1),
                b'>' => ("\\u003e", 1),
                b'&' => ("\\u0026", 1),
                0xE2 if bytes.get(i + 1) == Some(&0x80) && bytes.get(i + 2) == Some(&0xA8) => {
                    ("\\u2028", 3)
                }
                0xE2 if bytes.get(i + 1) == Some(&0x80) && bytes.get(i + 2) == Some(&0xA9) => {
                    ("\\u2029", 3)
                }
                _ => {
                    i += 1;
                    continue;
                }
            };
            writer.write_all(&bytes[start..i])?;
            writer.write_all(escaped.as_bytes())?;
            i += len;
            start = i;
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    fn write_char_escape<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        char_escape: CharEscape,
    ) -> io::Result<()> {
        let byte = match char_escape {
            CharEscape::Quote => return writer.write_all(b"\\\""),
            CharEscape::ReverseSolidus => return writer.write_all(b"\\\\"),
            CharEscape::LineFeed => return writer.write_all(b"\\n"),
            CharEscape::CarriageReturn => return writer.write_all(b"\\r"),
            CharEscape::Tab => return writer.write_all(b"\\t"),
            CharEscape::Solidus => return writer.write_all(b"/"),
            CharEscape::Backspace => 0x08,
            CharEscape::FormFeed => 0x0c,
            CharEscape::AsciiControl(b) => b,
        };
        const HEX: &[u8; 16] = b"0123456789abcdef";
        writer.write_all(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX[usize::from(byte >> 4)],
            HEX[usize::from(byte & 0xf)],
        ])
    }
}

/// Go's `Time.MarshalJSON` refuses years it cannot print in four digits.
pub const YEAR_RANGE_ERROR: &str = "Time.MarshalJSON: year outside of range [0,9999]";

/// `t` in Go's `time.RFC3339Nano` layout (UTC: `Z`), e.g.
/// `2026-01-02T03:04:05.1234Z`; fails outside years 0..=9999 like Go's JSON
/// encoding of times.
pub fn format_rfc3339_nano(t: &Timestamp) -> Result<String, &'static str> {
    if !(0..=9999).contains(&t.year()) {
        return Err(YEAR_RANGE_ERROR);
    }
    let mut s = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    // A leap second is carried in the nanoseconds; Go has none.
    let nanos = t.nanosecond() % 1_000_000_000;
    if nanos != 0 {
        let digits = format!("{nanos:09}");
        s.push('.');
        s.push_str(digits.trim_end_matches('0'));
    }
    s.push('Z');
    Ok(s)
}

/// Go's zero `time.Time` as JSON text.
pub const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// Serializes a time with [`format_rfc3339_nano`] (for `serialize_with`).
pub fn serialize_time<S: serde::Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    match format_rfc3339_nano(t) {
        Ok(text) => s.serialize_str(&text),
        Err(e) => Err(serde::ser::Error::custom(e)),
    }
}

/// Serializes an optional time, `None` as Go's zero time.
pub fn serialize_opt_time<S: serde::Serializer>(
    t: &Option<Timestamp>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => serialize_time(t, s),
        None => s.serialize_str(ZERO_TIME),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn strings_are_escaped_like_go() {
        let v = serde_json::json!({
            "b": "<a href=\"x\">&amp;</a>",
            "a": "é†\u{2028}\u{2029}\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f}/\\",
        });
        let out = String::from_utf8(encode(&v).unwrap()).unwrap();
        assert_eq!(
            out,
            "{\"a\":\"é†\\u2028\\u2029\\n\\r\\t\\u0008\\u000c\\u0001\\u001f\u{7f}/\\\\\",\
             \"b\":\"\\u003ca href=\\\"x\\\"\\u003e\\u0026amp;\\u003c/a\\u003e\"}\n"
        );
    }

    #[test]
    fn times_use_rfc3339_nano() {
        let t = |s, n| Utc.timestamp_opt(s, n).unwrap();
        assert_eq!(
            format_rfc3339_nano(&t(1_767_323_045, 123_456_789)).unwrap(),
            "2026-01-02T03:04:05.123456789Z"
        );
        assert_eq!(
            format_rfc3339_nano(&t(1_767_323_400, 500_000_000)).unwrap(),
            "2026-01-02T03:10:00.5Z"
        );
        assert_eq!(
            format_rfc3339_nano(&t(1_767_323_045, 0)).unwrap(),
            "2026-01-02T03:04:05Z"
        );
        assert_eq!(
            format_rfc3339_nano(&t(1_767_323_045, 1_000)).unwrap(),
            "2026-01-02T03:04:05.000001Z"
        );
        let zero = Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(format_rfc3339_nano(&zero).unwrap(), ZERO_TIME);
        let far = Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(format_rfc3339_nano(&far), Err(YEAR_RANGE_ERROR));
    }
}
