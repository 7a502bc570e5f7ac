//! Go string literal quoting (`strconv.Quote`) and unquoting
//! (`strconv.Unquote` for double-quoted literals), as used by the UTF-8
//! matcher syntax and by `Matcher::String()` for names that need quotes.

use std::fmt::Write as _;
use std::sync::OnceLock;

/// Go's `strconv.IsPrint`: letters, marks, numbers, punctuation, symbols and
/// the ASCII space.
fn is_print(c: char) -> bool {
    let cp = c as u32;
    if cp <= 0xFF {
        return (0x20..=0x7E).contains(&cp) || ((0xA1..=0xFF).contains(&cp) && cp != 0xAD);
    }
    static GRAPHIC: OnceLock<regex::Regex> = OnceLock::new();
    let graphic = GRAPHIC.get_or_init(|| {
        regex::Regex::new(r"^[\p{L}\p{M}\p{N}\p{P}\p{S}]$").expect("static class compiles")
    });
    let mut buf = [0u8; 4];
    graphic.is_match(c.encode_utf8(&mut buf))
}

/// Go's `strconv.Quote`: a double-quoted string with Go escapes for `"`,
/// `\`, control and non-printable characters.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if is_print(c) => out.push(c),
            '\u{07}' => out.push_str(r"\a"),
            '\u{08}' => out.push_str(r"\b"),
            '\u{0C}' => out.push_str(r"\f"),
            '\n' => out.push_str(r"\n"),
            '\r' => out.push_str(r"\r"),
            '\t' => out.push_str(r"\t"),
            '\u{0B}' => out.push_str(r"\v"),
            c if (c as u32) < 0x20 || c == '\u{7F}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

fn hex_value(bytes: &[u8]) -> Option<u32> {
    bytes
        .iter()
        .try_fold(0u32, |acc, &b| Some(acc << 4 | (b as char).to_digit(16)?))
}

/// Go's `strconv.Unquote` restricted to double-quoted literals, followed by
/// the UTF-8 validity check the matcher parser applies. Returns `None` for
/// any syntax error (bad escape, raw newline, missing quotes, stray quote) or
/// if `\x`/octal escapes produce invalid UTF-8.
pub(crate) fn unquote(s: &str) -> Option<String> {
    let body = s.strip_prefix('"')?.strip_suffix('"')?;
    let bytes = body.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'"' | b'\n' => return None,
            b'\\' => {}
            _ => {
                out.push(b);
                i += 1;
                continue;
            }
        }
        let esc = *bytes.get(i + 1)?;
        i += 2;
        let simple = match esc {
            b'a' => Some(0x07),
            b'b' => Some(0x08),
            b'f' => Some(0x0C),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(0x0B),
            b'\\' => Some(b'\\'),
            b'"' => Some(b'"'),
            _ => None,
        };
        if let Some(byte) = simple {
            out.push(byte);
            continue;
        }
        match esc {
            b'x' => {
                let v = hex_value(bytes.get(i..i + 2)?)?;
                out.push(v as u8);
                i += 2;
            }
            b'u' | b'U' => {
                let n = if esc == b'u' { 4 } else { 8 };
                let v = hex_value(bytes.get(i..i + n)?)?;
                let c = char::from_u32(v)?;
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                i += n;
            }
            b'0'..=b'7' => {
                let digits = bytes.get(i - 1..i + 2)?;
                let v = digits.iter().try_fold(0u32, |acc, &d| match d {
                    b'0'..=b'7' => Some(acc * 8 + u32::from(d - b'0')),
                    _ => None,
                })?;
                out.push(u8::try_from(v).ok()?);
                i += 2;
            }
            _ => return None,
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_like_go() {
        let cases = [
            ("foo", r#""foo""#),
            ("foo bar", r#""foo bar""#),
            ("a\"b\\c", r#""a\"b\\c""#),
            (
                "tab\there\nnl\r\u{7}\u{8}\u{b}\u{c}",
                r#""tab\there\nnl\r\a\b\v\f""#,
            ),
            ("\u{1}\u{7f}", r#""\x01\x7f""#),
            ("é日本🙂", "\"é日本🙂\""),
            (
                "\u{a0}\u{ad}\u{2003}\u{200b}",
                r#""\u00a0\u00ad\u2003\u200b""#,
            ),
            ("\u{e000}\u{f0000}", r#""\ue000\U000f0000""#),
            ("", r#""""#),
        ];
        for (input, want) in cases {
            assert_eq!(quote(input), want, "input {input:?}");
        }
    }

    #[test]
    fn unquote_like_go() {
        let ok = [
            (r#""""#, ""),
            (r#""bar""#, "bar"),
            (r#""a\tb\n\"c\"\\""#, "a\tb\n\"c\"\\"),
            (r#""\a\b\f\r\v""#, "\u{7}\u{8}\u{c}\r\u{b}"),
            (r#""\u00e9\U0001f642""#, "é🙂"),
            (r#""\xf0\x9f\x99\x82""#, "🙂"),
            (r#""\101\060""#, "A0"),
            ("\"raw\ttab\rcr\"", "raw\ttab\rcr"),
            ("\"🙂\"", "🙂"),
        ];
        for (input, want) in ok {
            assert_eq!(unquote(input).as_deref(), Some(want), "input {input}");
        }
        let bad = [
            r#""\d""#,
            r#""\'""#,
            "\"a\nb\"",
            r#""\x4""#,
            r#""\xg0""#,
            r#""\ud800""#,
            r#""\U00110000""#,
            r#""\400""#,
            r#""\12""#,
            r#""\xf0\x9f""#,
            r#""a"b""#,
            r#""abc"#,
            r#"abc""#,
            r#"""#,
            r#""\""#,
        ];
        for input in bad {
            assert_eq!(unquote(input), None, "input {input}");
        }
    }
}
