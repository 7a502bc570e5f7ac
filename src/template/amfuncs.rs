//! Alertmanager's template functions (`template.DefaultFuncs`, up to 0.34):
//! `toUpper toLower title trimSpace join match safeHtml safeUrl urlUnescape
//! reReplaceAll stringSlice date tz now since humanizeDuration toDate
//! mustToDate toJson base64encode base64decode list append dict
//! routeLabels`, with Go's semantics and error texts.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::sync::{Arc, Mutex, OnceLock};

use super::data::to_json;
use super::fmt::sprintf;
use super::gotime::objects::as_time;
use super::gotime::{DurationValue, GoTime, Loc, TimeValue, parse::parse_in_utc};
use super::html::{Content, ContentType};
use super::quote::{can_backquote, quote};
use super::{FuncMap, Signature, Type, Value};
use crate::matcher::Regex;

fn str_arg(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

fn time_arg(v: &Value) -> GoTime {
    as_time(v).cloned().unwrap_or_else(GoTime::zero)
}

fn strings_arg(v: &Value) -> Vec<&str> {
    match v {
        Value::Slice(s) => s.items.iter().map(str_arg).collect(),
        _ => Vec::new(),
    }
}

/// Go's `strings.ToUpper` (simple case mapping, rune by rune).
pub fn to_upper(s: &str) -> String {
    s.chars()
        .map(|c| {
            let mut up = c.to_uppercase();
            match (up.next(), up.next()) {
                (Some(u), None) => u,
                _ => c,
            }
        })
        .collect()
}

/// Go's `strings.ToLower` (simple case mapping, rune by rune).
pub fn to_lower(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c == '\u{130}' {
                return 'i';
            }
            let mut low = c.to_lowercase();
            match (low.next(), low.next()) {
                (Some(l), None) => l,
                _ => c,
            }
        })
        .collect()
}

/// Word-break "mid" characters (MidLetter, MidNumLet, Single_Quote): they
/// do not end a word unless two follow each other.
fn is_mid(c: char) -> bool {
    matches!(
        c,
        '\'' | '.'
            | ':'
            | '\u{B7}'
            | '\u{387}'
            | '\u{55F}'
            | '\u{5F4}'
            | '\u{2018}'
            | '\u{2019}'
            | '\u{2024}'
            | '\u{2027}'
            | '\u{FE13}'
            | '\u{FE52}'
            | '\u{FE55}'
            | '\u{FF07}'
            | '\u{FF0E}'
            | '\u{FF1A}'
    )
}

/// Whether a character continues a word (word-break classes ALetter,
/// Numeric, ExtendNumLet, Extend, Format, ZWJ), approximated from the
/// standard library's character properties.
fn is_word_char(c: char) -> bool {
    if is_mid(c) {
        return true;
    }
    if matches!(
        c,
        '_' | '\u{200D}' | '\u{202F}' | '\u{203F}' | '\u{2040}' | '\u{2054}'
    ) {
        return true;
    }
    let u = c as u32;
    let cjk = (0x2E80..=0x9FFF).contains(&u)
        || (0xF900..=0xFAFF).contains(&u)
        || (0x20000..=0x3FFFF).contains(&u)
        || (0x3040..=0x30FF).contains(&u);
    if cjk {
        return false;
    }
    c.is_alphanumeric() || is_mark(c)
}

/// Combining marks (approximate ranges of the common blocks).
fn is_mark(c: char) -> bool {
    let u = c as u32;
    (0x300..=0x36F).contains(&u)
        || (0x1AB0..=0x1AFF).contains(&u)
        || (0x1DC0..=0x1DFF).contains(&u)
        || (0x20D0..=0x20FF).contains(&u)
        || (0xFE20..=0xFE2F).contains(&u)
}

/// Titlecase of a character (uppercase, except for the Latin digraphs and
/// the sharp s, whose titlecase differs).
fn title_char(c: char, out: &mut String) {
    match c {
        'ǆ' | 'ǅ' | 'Ǆ' => out.push('ǅ'),
        'ǉ' | 'ǈ' | 'Ǉ' => out.push('ǈ'),
        'ǌ' | 'ǋ' | 'Ǌ' => out.push('ǋ'),
        'ǳ' | 'ǲ' | 'Ǳ' => out.push('ǲ'),
        'ß' => out.push_str("Ss"),
        c => out.extend(c.to_uppercase()),
    }
}

fn is_cased(c: char) -> bool {
    c.is_lowercase() || c.is_uppercase() || matches!(c, 'ǅ' | 'ǈ' | 'ǋ' | 'ǲ')
}

/// `cases.Title(language.AmericanEnglish).String`: the first cased letter
/// of each word in titlecase, the rest of the word in lowercase.
pub fn title(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut mid_word = false;
    let mut prev_mid = false;
    for (i, &c) in chars.iter().enumerate() {
        let mid = is_mid(c);
        if prev_mid && mid {
            mid_word = false;
        }
        if is_cased(c) {
            if !mid_word {
                title_char(c, &mut out);
                mid_word = true;
            } else if c == 'Σ' {
                let next_cased = chars[i + 1..]
                    .iter()
                    .find(|x| !is_mid(**x) && !is_mark(**x))
                    .is_some_and(|x| is_cased(*x));
                out.push(if next_cased { 'σ' } else { 'ς' });
            } else {
                out.extend(c.to_lowercase());
            }
        } else {
            out.push(c);
            if !is_word_char(c) {
                mid_word = false;
            }
        }
        prev_mid = mid;
    }
    out
}

/// A cache of compiled regular expressions for `match` and `reReplaceAll`
/// (Go compiles them on every call; the results are the same).
fn compiled(pattern: &str) -> Result<Regex, String> {
    static CACHE: OnceLock<Mutex<HashMap<String, Result<Regex, String>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Ok(c) = cache.lock()
        && let Some(r) = c.get(pattern)
    {
        return r.clone();
    }
    let r = Regex::new_unanchored(pattern).map_err(|e| e.message().to_string());
    if let Ok(mut c) = cache.lock() {
        if c.len() >= 512 {
            c.clear();
        }
        c.insert(pattern.to_string(), r.clone());
    }
    r
}

/// Go's `Regexp.Expand` of `template` for one match.
fn expand(out: &mut String, template: &str, re: &regex::Regex, caps: &regex::Captures<'_>) {
    let mut rest = template;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        if let Some(r) = rest.strip_prefix('$') {
            out.push('$');
            rest = r;
            continue;
        }
        let is_name = |c: char| c == '_' || c.is_alphanumeric();
        let (name, after) = if let Some(r) = rest.strip_prefix('{') {
            match r.find('}') {
                Some(end) if end > 0 && r[..end].chars().all(is_name) => (&r[..end], &r[end + 1..]),
                _ => {
                    out.push('$');
                    continue;
                }
            }
        } else {
            let end = rest.find(|c: char| !is_name(c)).unwrap_or(rest.len());
            if end == 0 {
                out.push('$');
                continue;
            }
            (&rest[..end], &rest[end..])
        };
        rest = after;
        let group = match name.parse::<usize>() {
            Ok(n) => caps.get(n),
            Err(_) => re
                .capture_names()
                .position(|n| n == Some(name))
                .and_then(|i| caps.get(i)),
        };
        if let Some(m) = group {
            out.push_str(m.as_str());
        }
    }
    out.push_str(rest);
}

/// Go's `Regexp.ReplaceAllString`.
fn replace_all(re: &regex::Regex, text: &str, repl: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for caps in re.captures_iter(text) {
        let Some(m) = caps.get(0) else { continue };
        out.push_str(&text[last..m.start()]);
        expand(&mut out, repl, re, &caps);
        last = m.end();
    }
    out.push_str(&text[last..]);
    out
}

/// Go's `url.QueryUnescape`.
fn query_unescape(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                if i + 2 >= b.len()
                    || !b[i + 1].is_ascii_hexdigit()
                    || !b[i + 2].is_ascii_hexdigit()
                {
                    let end = (i + 3).min(b.len());
                    let bad = String::from_utf8_lossy(&b[i..end]);
                    return Err(format!("invalid URL escape {}", quote(&bad, false)));
                }
                let hex = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
                out.push(hex(b[i + 1]) << 4 | hex(b[i + 2]));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Go's `base64.URLEncoding.EncodeToString`.
fn base64_encode(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len().div_ceil(3) * 4);
    for chunk in b.chunks(3) {
        let v = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(B64[((v >> (18 - 6 * k)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Go's `base64.URLEncoding.DecodeString` (padding required, `\r` and
/// `\n` ignored), with its error offsets.
fn base64_decode(s: &str) -> Result<Vec<u8>, String> {
    let src = s.as_bytes();
    let decode = |c: u8| B64.iter().position(|&x| x == c).map(|p| p as u32);
    let corrupt = |at: usize| format!("illegal base64 data at input byte {at}");
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0;
    while si < src.len() {
        let mut dbuf = [0u32; 4];
        let mut dlen = 4;
        let mut j = 0;
        let mut trailing_err: Option<usize> = None;
        while j < 4 {
            if si == src.len() {
                if j == 0 {
                    return Ok(out);
                }
                return Err(corrupt(si - j));
            }
            let c = src[si];
            si += 1;
            if let Some(v) = decode(c) {
                dbuf[j] = v;
                j += 1;
                continue;
            }
            if c == b'\n' || c == b'\r' {
                continue;
            }
            if c != b'=' {
                return Err(corrupt(si - 1));
            }
            match j {
                0 | 1 => return Err(corrupt(si - 1)),
                2 => {
                    while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
                        si += 1;
                    }
                    if si == src.len() {
                        return Err(corrupt(src.len()));
                    }
                    if src[si] != b'=' {
                        return Err(corrupt(si - 1));
                    }
                    si += 1;
                }
                _ => {}
            }
            while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
                si += 1;
            }
            if si < src.len() {
                trailing_err = Some(si);
            }
            dlen = j;
            break;
        }
        let val = (dbuf[0] << 18) | (dbuf[1] << 12) | (dbuf[2] << 6) | dbuf[3];
        let bytes = [(val >> 16) as u8, (val >> 8) as u8, val as u8];
        out.extend_from_slice(&bytes[..dlen - 1]);
        if let Some(at) = trailing_err {
            return Err(corrupt(at));
        }
        if dlen < 4 {
            break;
        }
        // Skip newlines before the next quantum, as Go's loop does.
        while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
            si += 1;
        }
    }
    Ok(out)
}

/// prometheus/common's `ConvertToFloat`.
fn convert_to_float(v: &Value) -> Result<f64, String> {
    match v {
        Value::Float(f) => Ok(*f),
        Value::Int(i) => Ok(*i as f64),
        Value::Uint(u) => Ok(*u as f64),
        Value::String(s) => parse_float_go(s),
        Value::Object(o) => match o.as_any().downcast_ref::<DurationValue>() {
            Some(d) => Ok(d.0 as f64 / 1e9),
            None => Err(format!("can't convert {} to float", o.type_name())),
        },
        other => Err(format!("can't convert {} to float", other.type_name())),
    }
}

/// Go's `strconv.ParseFloat(s, 64)`, with its error messages.
fn parse_float_go(s: &str) -> Result<f64, String> {
    if let Some(f) = super::quote::parse_float(s) {
        return Ok(f);
    }
    let (sign, body) = match s.as_bytes().first() {
        Some(b'-') => (-1.0, &s[1..]),
        Some(b'+') => (1.0, &s[1..]),
        _ => (1.0, s),
    };
    let lower = body.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return Ok(sign * f64::INFINITY);
    }
    if lower == "nan" && body.len() == s.len() {
        return Ok(f64::NAN);
    }
    let reason = match s.parse::<f64>() {
        Ok(f) if f.is_infinite() => "value out of range",
        _ => "invalid syntax",
    };
    Err(format!(
        "strconv.ParseFloat: parsing {}: {reason}",
        quote(s, false)
    ))
}

fn g4(v: f64) -> String {
    sprintf("%.4g", &[Value::Float(v)])
}

/// prometheus/common's `HumanizeDuration`: seconds as `1d 2h 3m 4s`,
/// `1.234s`, `100ms`.
pub fn humanize_duration(v: &Value) -> Result<String, String> {
    let mut v = convert_to_float(v)?;
    if v.is_nan() || v.is_infinite() {
        return Ok(g4(v));
    }
    if v == 0.0 {
        return Ok(format!("{}s", g4(v)));
    }
    if v.abs() >= 1.0 {
        let mut sign = "";
        if v < 0.0 {
            sign = "-";
            v = -v;
        }
        let duration = v as i64;
        let seconds = duration % 60;
        let minutes = (duration / 60) % 60;
        let hours = (duration / 60 / 60) % 24;
        let days = duration / 60 / 60 / 24;
        if days != 0 {
            return Ok(format!("{sign}{days}d {hours}h {minutes}m {seconds}s"));
        }
        if hours != 0 {
            return Ok(format!("{sign}{hours}h {minutes}m {seconds}s"));
        }
        if minutes != 0 {
            return Ok(format!("{sign}{minutes}m {seconds}s"));
        }
        return Ok(format!("{sign}{}s", g4(v)));
    }
    let mut prefix = "";
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
        if v.abs() >= 1.0 {
            break;
        }
        prefix = p;
        v *= 1000.0;
    }
    Ok(format!("{}{prefix}s", g4(v)))
}

/// A `routeLabels` implementation: the rendered value of a route label.
pub type RouteLabelFn = Rc<dyn Fn(&str) -> Result<String, String>>;

thread_local! {
    /// The `routeLabels` resolvers of the executions running on this thread
    /// (innermost last).
    static ROUTE_LABELS: RefCell<Vec<RouteLabelFn>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with `resolver` answering `routeLabels` calls.
pub fn with_route_labels<T>(resolver: RouteLabelFn, f: impl FnOnce() -> T) -> T {
    struct Pop;
    impl Drop for Pop {
        fn drop(&mut self) {
            ROUTE_LABELS.with(|r| {
                r.borrow_mut().pop();
            });
        }
    }
    ROUTE_LABELS.with(|r| r.borrow_mut().push(resolver));
    let _pop = Pop;
    f()
}

fn route_label(name: &str) -> Result<String, String> {
    let top = ROUTE_LABELS.with(|r| r.borrow().last().cloned());
    match top {
        Some(resolve) => resolve(name),
        None => Ok(String::new()),
    }
}

/// Alertmanager's `template.DefaultFuncs`.
pub fn default_funcs() -> FuncMap {
    let mut f = FuncMap::new();
    let s = || Type::String;
    let time = || Type::named("time.Time", false);
    f.add("toUpper", Signature::new(vec![s()]), |a| {
        Ok(Value::from(to_upper(str_arg(&a[0]))))
    });
    f.add("toLower", Signature::new(vec![s()]), |a| {
        Ok(Value::from(to_lower(str_arg(&a[0]))))
    });
    f.add("title", Signature::new(vec![s()]), |a| {
        Ok(Value::from(title(str_arg(&a[0]))))
    });
    f.add("trimSpace", Signature::new(vec![s()]), |a| {
        Ok(Value::from(str_arg(&a[0]).trim()))
    });
    f.add(
        "join",
        Signature::new(vec![s(), Type::named("[]string", true)]),
        |a| Ok(Value::from(strings_arg(&a[1]).join(str_arg(&a[0])))),
    );
    f.add("match", Signature::new(vec![s(), s()]), |a| {
        let re = compiled(str_arg(&a[0]))?;
        Ok(Value::Bool(re.is_match(str_arg(&a[1]))))
    });
    f.add("safeHtml", Signature::new(vec![s()]), |a| {
        Ok(Content::value(ContentType::Html, str_arg(&a[0])))
    });
    f.add("safeUrl", Signature::new(vec![s()]), |a| {
        Ok(Content::value(ContentType::Url, str_arg(&a[0])))
    });
    f.add("urlUnescape", Signature::new(vec![s()]), |a| {
        query_unescape(str_arg(&a[0])).map(Value::from)
    });
    f.add("reReplaceAll", Signature::new(vec![s(), s(), s()]), |a| {
        let pattern = str_arg(&a[0]);
        let re = compiled(pattern).map_err(|e| {
            let q = if can_backquote(pattern) {
                format!("`{pattern}`")
            } else {
                quote(pattern, false)
            };
            format!("regexp: Compile({q}): {e}")
        })?;
        Ok(Value::from(replace_all(
            re.inner(),
            str_arg(&a[2]),
            str_arg(&a[1]),
        )))
    });
    f.add("stringSlice", Signature::variadic(vec![], s()), |a| {
        Ok(Value::string_slice(a.iter().map(str_arg)))
    });
    f.add("routeLabels", Signature::new(vec![s()]), |a| {
        route_label(str_arg(&a[0])).map(Value::from)
    });
    f.add("date", Signature::new(vec![s(), time()]), |a| {
        Ok(Value::from(time_arg(&a[1]).format(str_arg(&a[0]))))
    });
    f.add("tz", Signature::new(vec![s(), time()]), |a| {
        let loc = Loc::load(str_arg(&a[0]))?;
        Ok(TimeValue::value(time_arg(&a[1]).in_loc(loc)))
    });
    f.add("now", Signature::default(), |_| {
        Ok(TimeValue::value(GoTime::now()))
    });
    f.add("since", Signature::new(vec![time()]), |a| {
        Ok(DurationValue::value(GoTime::now().sub(&time_arg(&a[0]))))
    });
    f.add("humanizeDuration", Signature::new(vec![Type::Any]), |a| {
        humanize_duration(&a[0]).map(Value::from)
    });
    f.add("toDate", Signature::new(vec![s(), s()]), |a| {
        let t = parse_in_utc(str_arg(&a[0]), str_arg(&a[1])).unwrap_or_else(|_| GoTime::zero());
        Ok(TimeValue::value(t))
    });
    f.add("mustToDate", Signature::new(vec![s(), s()]), |a| {
        parse_in_utc(str_arg(&a[0]), str_arg(&a[1])).map(TimeValue::value)
    });
    f.add("toJson", Signature::new(vec![Type::Any]), |a| {
        to_json(&a[0]).map(Value::from)
    });
    f.add("base64encode", Signature::new(vec![s()]), |a| {
        Ok(Value::from(base64_encode(str_arg(&a[0]).as_bytes())))
    });
    f.add("base64decode", Signature::new(vec![s()]), |a| {
        base64_decode(str_arg(&a[0])).map(|b| Value::from(String::from_utf8_lossy(&b).into_owned()))
    });
    f.add("list", Signature::variadic(vec![], Type::Any), |a| {
        Ok(Value::slice(a.to_vec()))
    });
    f.add(
        "append",
        Signature::variadic(vec![Type::named("[]interface {}", true)], Type::Any),
        |a| {
            let mut items = match &a[0] {
                Value::Slice(s) => s.items.clone(),
                _ => Vec::new(),
            };
            items.extend_from_slice(&a[1..]);
            Ok(Value::slice(items))
        },
    );
    f.add("dict", Signature::variadic(vec![], Type::Any), |a| {
        if a.len() % 2 != 0 {
            return Err("dict requires an even number of arguments".into());
        }
        let mut m = BTreeMap::new();
        for pair in a.chunks(2) {
            let Value::String(k) = &pair[0] else {
                return Err("dict keys must be strings".into());
            };
            m.insert(k.to_string(), pair[1].clone());
        }
        Ok(Value::map(m))
    });
    f
}

/// A shared instance of [`default_funcs`].
pub fn shared_default_funcs() -> Arc<FuncMap> {
    static FUNCS: OnceLock<Arc<FuncMap>> = OnceLock::new();
    FUNCS.get_or_init(|| Arc::new(default_funcs())).clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_mapping() {
        assert_eq!(to_upper("straße ǆ"), "STRAßE Ǆ");
        assert_eq!(to_lower("İSTANBUL"), "istanbul");
        assert_eq!(
            title("hello wORLD foo-bar o'neil x.y 3rd"),
            "Hello World Foo-Bar O'neil X.y 3Rd"
        );
        assert_eq!(title("ΣΊΣΥΦΟΣ"), "Σίσυφος");
    }

    #[test]
    fn regex_replace() {
        let re = compiled("(?P<k>[a-z]+)=(\\d+)").unwrap();
        assert_eq!(
            replace_all(re.inner(), "a=1, bb=22", "$2:${k}$$ $3x$"),
            "1:a$ $, 22:bb$ $"
        );
        let re = compiled("x*").unwrap();
        assert_eq!(replace_all(re.inner(), "abxd", "-"), "-a-b-d-");
        assert_eq!(
            compiled("(").unwrap_err(),
            "error parsing regexp: missing closing ): `(`"
        );
    }

    #[test]
    fn unescape_and_base64() {
        assert_eq!(query_unescape("a+b%20c%2F").unwrap(), "a b c/");
        assert_eq!(
            query_unescape("a%zz").unwrap_err(),
            "invalid URL escape \"%zz\""
        );
        assert_eq!(
            query_unescape("a%2").unwrap_err(),
            "invalid URL escape \"%2\""
        );
        assert_eq!(base64_encode(b"flush>>"), "Zmx1c2g-Pg==");
        assert_eq!(base64_encode(b"test"), "dGVzdA==");
        assert_eq!(base64_decode("dGVzdA==").unwrap(), b"test");
        assert_eq!(
            base64_decode("not-valid-base64!").unwrap_err(),
            "illegal base64 data at input byte 16"
        );
        assert_eq!(
            base64_decode("dGVzdA").unwrap_err(),
            "illegal base64 data at input byte 4"
        );
    }

    #[test]
    fn humanize() {
        let h = |v: Value| humanize_duration(&v).unwrap();
        assert_eq!(h(Value::Float(0.0)), "0s");
        assert_eq!(h(Value::Float(86400.0 + 3600.0)), "1d 1h 0m 0s");
        assert_eq!(
            h(Value::Float(
                -(86400.0 * 2.0 + 3600.0 * 3.0 + 60.0 * 4.0 + 5.0)
            )),
            "-2d 3h 4m 5s"
        );
        assert_eq!(h(Value::Float(899.99)), "14m 59s");
        assert_eq!(h(Value::Float(0.12345)), "123.5ms");
        assert_eq!(h(Value::Float(0.0001)), "100us");
        assert_eq!(h(Value::Float(1.2345)), "1.234s");
        assert_eq!(h(Value::from("60.5")), "1m 0s");
        assert_eq!(h(Value::Int(1_234_567)), "14d 6h 56m 7s");
        assert_eq!(
            humanize_duration(&Value::from("one")).unwrap_err(),
            "strconv.ParseFloat: parsing \"one\": invalid syntax"
        );
        assert_eq!(
            humanize_duration(&Value::Bool(true)).unwrap_err(),
            "can't convert bool to float"
        );
    }
}
