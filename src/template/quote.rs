//! Go string quoting and unquoting (the parts of `strconv` that templates use):
//! `Quote`, `QuoteToASCII`, `QuoteRune`, `CanBackquote`, `IsPrint`, `Unquote`
//! and `UnquoteChar`, plus Go's integer and float literal parsing.

/// Approximates Go's `strconv.IsPrint`: letters, marks, numbers, punctuation,
/// symbols and the ASCII space. Non-ASCII spaces, control and format
/// characters, private-use code points and non-characters are not printable.
/// (Unassigned code points are treated as printable.)
pub fn is_print(c: char) -> bool {
    let u = c as u32;
    if u <= 0xFF {
        return (0x20..=0x7E).contains(&u) || ((0xA1..=0xFF).contains(&u) && u != 0xAD);
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(
        u,
        0x0600..=0x0605
            | 0x061C
            | 0x06DD
            | 0x070F
            | 0x08E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x206F
            | 0xFDD0..=0xFDEF
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0xFFFE..=0xFFFF
            | 0xE000..=0xF8FF
            | 0x110BD
            | 0x110CD
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
            | 0xF0000..=0x10FFFF
    ) && (u & 0xFFFE) != 0xFFFE
}

const LOWER_HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `r` escaped as Go does inside a quoted literal delimited by `quote`.
fn push_escaped(out: &mut String, r: char, quote: char, ascii_only: bool) {
    if r == quote || r == '\\' {
        out.push('\\');
        out.push(r);
        return;
    }
    if ascii_only {
        if r.is_ascii() && is_print(r) {
            out.push(r);
            return;
        }
    } else if is_print(r) {
        out.push(r);
        return;
    }
    match r {
        '\x07' => out.push_str("\\a"),
        '\x08' => out.push_str("\\b"),
        '\x0c' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\x0b' => out.push_str("\\v"),
        _ => {
            let u = r as u32;
            if u < 0x20 || u == 0x7F {
                out.push_str("\\x");
                out.push(LOWER_HEX[(u >> 4) as usize] as char);
                out.push(LOWER_HEX[(u & 0xF) as usize] as char);
            } else if u < 0x10000 {
                out.push_str("\\u");
                for shift in [12, 8, 4, 0] {
                    out.push(LOWER_HEX[((u >> shift) & 0xF) as usize] as char);
                }
            } else {
                out.push_str("\\U");
                for shift in [28, 24, 20, 16, 12, 8, 4, 0] {
                    out.push(LOWER_HEX[((u >> shift) & 0xF) as usize] as char);
                }
            }
        }
    }
}

/// Appends Go's `strconv.Quote(s)` (or `QuoteToASCII` when `ascii_only`).
pub fn quote_into(out: &mut String, s: &str, ascii_only: bool) {
    out.push('"');
    for c in s.chars() {
        push_escaped(out, c, '"', ascii_only);
    }
    out.push('"');
}

/// Go's `strconv.Quote(s)` (or `QuoteToASCII` when `ascii_only`).
pub fn quote(s: &str, ascii_only: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    quote_into(&mut out, s, ascii_only);
    out
}

/// Go's `strconv.QuoteRune` (or `QuoteRuneToASCII`); invalid runes become U+FFFD.
pub fn quote_rune(r: u64, ascii_only: bool) -> String {
    let c = u32::try_from(r)
        .ok()
        .and_then(char::from_u32)
        .unwrap_or('\u{FFFD}');
    let mut out = String::from("'");
    push_escaped(&mut out, c, '\'', ascii_only);
    out.push('\'');
    out
}

/// Go's `strconv.CanBackquote`.
pub fn can_backquote(s: &str) -> bool {
    s.chars().all(|c| {
        if c.len_utf8() > 1 {
            return c != '\u{FEFF}';
        }
        !((c < ' ' && c != '\t') || c == '`' || c == '\u{7F}')
    })
}

/// Go's `strconv.ErrSyntax`: a malformed quoted literal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidSyntax;

impl std::fmt::Display for InvalidSyntax {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("invalid syntax")
    }
}

/// One unquoted character: either a code point or (for `\x` and octal
/// escapes) a raw byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unquoted {
    /// A Unicode code point.
    Char(char),
    /// A raw byte from a `\xNN` or `\NNN` escape.
    Byte(u8),
}

impl Unquoted {
    /// The numeric value (what a Go rune constant evaluates to).
    pub fn value(self) -> u32 {
        match self {
            Unquoted::Char(c) => c as u32,
            Unquoted::Byte(b) => u32::from(b),
        }
    }
}

fn hex_val(b: u8) -> Option<u32> {
    (b as char).to_digit(16)
}

/// Go's `strconv.UnquoteChar`: decodes the first character or escape of `s`
/// (the body of a literal delimited by `quote`) and returns it with the rest.
pub fn unquote_char(s: &str, quote: char) -> Result<(Unquoted, &str), InvalidSyntax> {
    let mut chars = s.chars();
    let c = chars.next().ok_or(InvalidSyntax)?;
    if c == quote && (quote == '\'' || quote == '"') {
        return Err(InvalidSyntax);
    }
    if c != '\\' {
        return Ok((Unquoted::Char(c), chars.as_str()));
    }
    let bytes = s.as_bytes();
    if bytes.len() <= 1 {
        return Err(InvalidSyntax);
    }
    let esc = bytes[1];
    if !esc.is_ascii() {
        return Err(InvalidSyntax);
    }
    let rest = &s[2..];
    let simple = match esc {
        b'a' => Some('\x07'),
        b'b' => Some('\x08'),
        b'f' => Some('\x0c'),
        b'n' => Some('\n'),
        b'r' => Some('\r'),
        b't' => Some('\t'),
        b'v' => Some('\x0b'),
        b'\\' => Some('\\'),
        b'\'' | b'"' => {
            if esc as char != quote {
                return Err(InvalidSyntax);
            }
            Some(esc as char)
        }
        _ => None,
    };
    if let Some(ch) = simple {
        return Ok((Unquoted::Char(ch), rest));
    }
    match esc {
        b'x' | b'u' | b'U' => {
            let n = match esc {
                b'x' => 2,
                b'u' => 4,
                _ => 8,
            };
            let digits = rest.as_bytes().get(..n).ok_or(InvalidSyntax)?;
            let mut v: u32 = 0;
            for &d in digits {
                v = (v << 4) | hex_val(d).ok_or(InvalidSyntax)?;
            }
            let tail = &rest[n..];
            if esc == b'x' {
                return Ok((Unquoted::Byte(v as u8), tail));
            }
            let ch = char::from_u32(v).ok_or(InvalidSyntax)?;
            Ok((Unquoted::Char(ch), tail))
        }
        b'0'..=b'7' => {
            let digits = s.as_bytes().get(1..4).ok_or(InvalidSyntax)?;
            let mut v: u32 = 0;
            for &d in digits {
                if !(b'0'..=b'7').contains(&d) {
                    return Err(InvalidSyntax);
                }
                v = (v << 3) | u32::from(d - b'0');
            }
            if v > 255 {
                return Err(InvalidSyntax);
            }
            Ok((Unquoted::Byte(v as u8), &s[4..]))
        }
        _ => Err(InvalidSyntax),
    }
}

/// Go's `strconv.Unquote` for double-quoted and back-quoted literals. Bytes
/// from `\x`/octal escapes that do not form UTF-8 become U+FFFD.
pub fn unquote(s: &str) -> Result<String, InvalidSyntax> {
    let bytes = s.as_bytes();
    if bytes.len() < 2 {
        return Err(InvalidSyntax);
    }
    let q = bytes[0];
    if q != bytes[bytes.len() - 1] {
        return Err(InvalidSyntax);
    }
    let body = &s[1..s.len() - 1];
    match q {
        b'`' => {
            if body.contains('`') {
                return Err(InvalidSyntax);
            }
            Ok(body.replace('\r', ""))
        }
        b'"' => {
            if body.contains('\n') {
                return Err(InvalidSyntax);
            }
            if !body.contains('\\') && !body.contains('"') {
                return Ok(body.to_string());
            }
            let mut out: Vec<u8> = Vec::with_capacity(body.len());
            let mut rest = body;
            while !rest.is_empty() {
                let (u, tail) = unquote_char(rest, '"')?;
                match u {
                    Unquoted::Char(c) => {
                        let mut buf = [0u8; 4];
                        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    }
                    Unquoted::Byte(b) => out.push(b),
                }
                rest = tail;
            }
            Ok(match String::from_utf8(out) {
                Ok(s) => s,
                Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
            })
        }
        _ => Err(InvalidSyntax),
    }
}

/// Splits a Go integer literal into its base and digits, for `strconv`'s
/// base-0 parsing (prefixes `0x`, `0o`, `0b` and a leading `0` for octal;
/// underscores allowed only where Go allows them).
fn int_digits(s: &str) -> Option<(u32, String)> {
    let (base, body, prefixed) = if let Some(r) = s.strip_prefix("0x").or(s.strip_prefix("0X")) {
        (16, r, true)
    } else if let Some(r) = s.strip_prefix("0o").or(s.strip_prefix("0O")) {
        (8, r, true)
    } else if let Some(r) = s.strip_prefix("0b").or(s.strip_prefix("0B")) {
        (2, r, true)
    } else if s.len() > 1 && s.starts_with('0') {
        (8, &s[1..], true)
    } else {
        (10, s, false)
    };
    if s.contains('_') && !underscore_ok(s) {
        return None;
    }
    let digits: String = body.chars().filter(|&c| c != '_').collect();
    if digits.is_empty() && !(base == 8 && prefixed && !s[1..].starts_with(['o', 'O'])) {
        return None;
    }
    Some((base, digits))
}

/// Go's `underscoreOK`: underscores must separate digits (or follow a base prefix).
fn underscore_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let mut saw = b'^';
    let mut i = 0;
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1].to_ascii_lowercase(), b'x' | b'b' | b'o') {
        i = 2;
        saw = b'0';
    }
    let hex = b.len() >= 2 && b[0] == b'0' && b[1].eq_ignore_ascii_case(&b'x');
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// Go's `strconv.ParseUint(s, 0, 64)`.
pub fn parse_uint(s: &str) -> Option<u64> {
    if s.starts_with(['+', '-']) {
        return None;
    }
    let (base, digits) = int_digits(s)?;
    if digits.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(&digits, base).ok()
}

/// Go's `strconv.ParseInt(s, 0, 64)`.
pub fn parse_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let u = parse_uint(body)?;
    if neg {
        if u <= 1u64 << 63 {
            Some((u as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(u).ok()
    }
}

/// Go's `strconv.ParseFloat(s, 64)` for the literal forms the template lexer
/// produces: decimal (with optional exponent) and hexadecimal (with a `p`
/// exponent), optionally signed, with underscores between digits.
pub fn parse_float(s: &str) -> Option<f64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if body.contains('_') && !underscore_ok(body) {
        return None;
    }
    let clean: String = body.chars().filter(|&c| c != '_').collect();
    let v = if let Some(hex) = clean.strip_prefix("0x").or(clean.strip_prefix("0X")) {
        parse_hex_float(hex).filter(|f| f.is_finite())?
    } else {
        if clean.is_empty()
            || !clean
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        {
            return None;
        }
        clean.parse::<f64>().ok().filter(|f| f.is_finite())?
    };
    Some(if neg { -v } else { v })
}

/// Parses the part after `0x` of a hexadecimal float such as `1.8p3`.
fn parse_hex_float(s: &str) -> Option<f64> {
    let (mant, exp) = s.split_once(['p', 'P'])?;
    let exp: i32 = exp.parse().ok()?;
    let (int_part, frac_part) = mant.split_once('.').unwrap_or((mant, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut m: u64 = 0;
    let mut e = exp;
    let mut dropped = false;
    for (i, c) in int_part.chars().chain(frac_part.chars()).enumerate() {
        let d = u64::from(c.to_digit(16)?);
        let in_frac = i >= int_part.len();
        if m >> 56 == 0 {
            m = (m << 4) | d;
            if in_frac {
                e -= 4;
            }
        } else {
            dropped |= d != 0;
            if !in_frac {
                e += 4;
            }
        }
    }
    if dropped {
        m |= 1;
    }
    // m < 2^60 and an exact power-of-two scale: the only rounding is in the
    // conversion of m to f64 (sticky bit kept above).
    let mut v = m as f64;
    while e > 0 {
        let step = e.min(1000);
        v *= 2f64.powi(step);
        e -= step;
    }
    while e < 0 {
        let step = (-e).min(1000);
        v /= 2f64.powi(step);
        e += step;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote("a\"b\\c\n\t\x01é", false), r#""a\"b\\c\n\t\x01é""#);
        assert_eq!(quote("é☺\u{2028}", true), r#""\u00e9\u263a\u2028""#);
        assert_eq!(quote("\u{1F600}", true), r#""\U0001f600""#);
        assert_eq!(quote_rune(97, false), "'a'");
        assert_eq!(quote_rune(39, false), r"'\''");
        assert_eq!(quote_rune(0x110000, false), "'�'");
        assert!(can_backquote("a\tb"));
        assert!(!can_backquote("a`b"));
        assert!(!can_backquote("a\nb"));
    }

    #[test]
    fn printable() {
        assert!(is_print('a'));
        assert!(is_print(' '));
        assert!(!is_print('\u{a0}'));
        assert!(!is_print('\u{ad}'));
        assert!(is_print('é'));
        assert!(!is_print('\u{200b}'));
        assert!(!is_print('\u{e000}'));
        assert!(is_print('日'));
    }

    #[test]
    fn unquoting() {
        assert_eq!(
            unquote(r#""a\tb\x41\101\u00e9\U0001F600""#),
            Ok("a\tbAAé😀".into())
        );
        assert_eq!(unquote("`a\\n\r`"), Ok("a\\n".into()));
        assert_eq!(unquote(r#""\'""#), Err(InvalidSyntax));
        assert_eq!(unquote(r#""\q""#), Err(InvalidSyntax));
        assert_eq!(unquote(r#""\400""#), Err(InvalidSyntax));
        assert_eq!(unquote(r#""\xff""#), Ok("\u{FFFD}".into()));
        assert_eq!(unquote("\"\\é\""), Err(InvalidSyntax));
        assert_eq!(unquote("\"\\x4é\""), Err(InvalidSyntax));
        let (u, rest) = unquote_char(r"\''", '\'').unwrap_or((Unquoted::Byte(0), ""));
        assert_eq!((u.value(), rest), (39, "'"));
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_uint("0x1F"), Some(31));
        assert_eq!(parse_uint("0o17"), Some(15));
        assert_eq!(parse_uint("017"), Some(15));
        assert_eq!(parse_uint("0b101"), Some(5));
        assert_eq!(parse_uint("1_000"), Some(1000));
        assert_eq!(parse_uint("0_7"), Some(7));
        assert_eq!(parse_uint("1__0"), None);
        assert_eq!(parse_uint("_1"), None);
        assert_eq!(parse_uint("089"), None);
        assert_eq!(parse_uint("0"), Some(0));
        assert_eq!(parse_uint("0x"), None);
        assert_eq!(parse_int("-0x10"), Some(-16));
        assert_eq!(parse_int("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_int("9223372036854775808"), None);
        assert_eq!(parse_float("1e3"), Some(1000.0));
        assert_eq!(parse_float(".5"), Some(0.5));
        assert_eq!(parse_float("1_000.5"), Some(1000.5));
        assert_eq!(parse_float("0x1p-2"), Some(0.25));
        assert_eq!(parse_float("0x1.8p1"), Some(3.0));
        assert_eq!(parse_float("0x1.8"), None);
        assert_eq!(parse_float("089"), Some(89.0));
        assert_eq!(parse_float("1e"), None);
    }
}
