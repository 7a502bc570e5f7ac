//! Go's `fmt` printing for template values: `Sprint`, `Sprintln`, `Sprintf`
//! and the default `%v` rendering (`map[a:b]`, `[a b]`, `<nil>`, struct
//! braces), with Go's verbs, flags, widths, precisions, argument indexes and
//! error forms (`%!d(string=x)`, `%!v(MISSING)`, `%!(EXTRA ...)`).

use std::sync::Arc;

use super::quote;
use super::value::Value;

/// The formatting flags of one verb.
#[derive(Clone, Copy, Default)]
struct Flags {
    wid_present: bool,
    prec_present: bool,
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    plus_v: bool,
    sharp_v: bool,
}

/// Go's `fmt.pp`: the printer state for one call.
struct Printer<'o> {
    buf: &'o mut String,
    f: Flags,
    wid: usize,
    prec: usize,
    reordered: bool,
    good_arg_num: bool,
    erroring: bool,
}

const LDIGITS: &[u8; 17] = b"0123456789abcdefx";
const UDIGITS: &[u8; 17] = b"0123456789ABCDEFX";

/// Go's `fmt.Sprint`: operands formatted with `%v`, with a space between two
/// operands when neither is a string.
pub fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    let mut p = Printer::new(&mut out);
    let mut prev_string = false;
    for (i, arg) in args.iter().enumerate() {
        let is_string = is_string_kind(arg);
        if i > 0 && !is_string && !prev_string {
            p.buf.push(' ');
        }
        p.print_arg(arg, 'v');
        prev_string = is_string;
    }
    out
}

/// Go's `fmt.Sprintln`: operands formatted with `%v`, separated by spaces,
/// followed by a newline.
pub fn sprintln(args: &[Value]) -> String {
    let mut out = String::new();
    let mut p = Printer::new(&mut out);
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            p.buf.push(' ');
        }
        p.print_arg(arg, 'v');
    }
    out.push('\n');
    out
}

/// Go's `fmt.Sprintf`.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    Printer::new(&mut out).do_printf(format, args);
    out
}

/// Appends `fmt.Sprint(v)` for a single value to `out`.
pub fn write_value(out: &mut String, v: &Value) {
    Printer::new(out).print_arg(v, 'v');
}

fn is_string_kind(v: &Value) -> bool {
    matches!(v, Value::String(_)) || matches!(&*v.base(), Value::String(_))
}

/// Go's `tooLarge`: widths and precisions beyond a million are rejected.
fn too_large(n: usize) -> bool {
    n > 1_000_000
}

/// Go's `parsenum`: returns (number, found, new index). On overflow the index
/// jumps to `end`, as Go does.
fn parse_num(s: &[u8], start: usize, end: usize) -> (usize, bool, usize) {
    if start >= end {
        return (0, false, end);
    }
    let mut num = 0usize;
    let mut found = false;
    let mut i = start;
    while i < end && s[i].is_ascii_digit() {
        if too_large(num) {
            return (0, false, end);
        }
        num = num * 10 + usize::from(s[i] - b'0');
        found = true;
        i += 1;
    }
    (num, found, i)
}

/// Go's `parseArgNumber` on `s` (which starts with `[`): (zero-based index,
/// bytes consumed, ok).
fn parse_arg_number(s: &[u8]) -> (isize, usize, bool) {
    if s.len() < 3 {
        return (0, 1, false);
    }
    for i in 1..s.len() {
        if s[i] == b']' {
            let (width, ok, newi) = parse_num(s, 1, i);
            if !ok || newi != i {
                return (0, i + 1, false);
            }
            return (width as isize - 1, i + 1, true);
        }
    }
    (0, 1, false)
}

/// Go's `intFromArg`: (value, is an int, next argument number).
fn int_from_arg(args: &[Value], arg_num: usize) -> (i64, bool, usize) {
    if arg_num >= args.len() {
        return (0, false, arg_num);
    }
    let (mut num, mut ok) = match &*args[arg_num].base() {
        Value::Int(i) => (*i, true),
        Value::Uint(u) => match i64::try_from(*u) {
            Ok(i) => (i, true),
            Err(_) => (0, false),
        },
        _ => (0, false),
    };
    if num.unsigned_abs() > 1_000_000 {
        num = 0;
        ok = false;
    }
    (num, ok, arg_num + 1)
}

impl<'o> Printer<'o> {
    fn new(buf: &'o mut String) -> Self {
        Printer {
            buf,
            f: Flags::default(),
            wid: 0,
            prec: 0,
            reordered: false,
            good_arg_num: true,
            erroring: false,
        }
    }

    fn write_padding(&mut self, n: isize) {
        if n <= 0 {
            return;
        }
        let c = if self.f.zero { '0' } else { ' ' };
        self.buf.extend(std::iter::repeat_n(c, n as usize));
    }

    /// Go's `fmt.pad`/`padString`: pads to the width, counting runes.
    fn pad(&mut self, s: &str) {
        if !self.f.wid_present || self.wid == 0 {
            self.buf.push_str(s);
            return;
        }
        let width = self.wid as isize - s.chars().count() as isize;
        if !self.f.minus {
            self.write_padding(width);
            self.buf.push_str(s);
        } else {
            self.buf.push_str(s);
            self.write_padding(width);
        }
    }

    fn pad_no_zero(&mut self, s: &str) {
        let old = self.f.zero;
        self.f.zero = false;
        self.pad(s);
        self.f.zero = old;
    }

    fn fmt_boolean(&mut self, v: bool) {
        self.pad(if v { "true" } else { "false" });
    }

    /// Go's `fmt.fmtUnicode`: `U+0041`, with `#` also the quoted character.
    fn fmt_unicode(&mut self, u: u64) {
        let mut prec = 4usize;
        if self.f.prec_present && self.prec > 4 {
            prec = self.prec;
        }
        let hex = format!("{u:X}");
        let mut s = String::from("U+");
        for _ in hex.len()..prec {
            s.push('0');
        }
        s.push_str(&hex);
        if self.f.sharp
            && let Some(c) = u32::try_from(u).ok().and_then(char::from_u32)
            && quote::is_print(c)
        {
            s.push_str(" '");
            s.push(c);
            s.push('\'');
        }
        self.pad_no_zero(&s);
    }

    /// Go's `fmt.fmtInteger`.
    fn fmt_integer(&mut self, u: u64, base: u64, signed: bool, verb: char, digits: &[u8; 17]) {
        let negative = signed && (u as i64) < 0;
        let mut u = if negative {
            (u as i64).unsigned_abs()
        } else {
            u
        };
        let mut prec = 0usize;
        if self.f.prec_present {
            prec = self.prec;
            if prec == 0 && u == 0 {
                let old = self.f.zero;
                self.f.zero = false;
                self.write_padding(self.wid as isize);
                self.f.zero = old;
                return;
            }
        } else if self.f.zero && self.f.wid_present {
            prec = self.wid;
            if negative || self.f.plus || self.f.space {
                prec = prec.saturating_sub(1);
            }
        }
        // Digits are produced right to left.
        let mut rev: Vec<u8> = Vec::with_capacity(24);
        loop {
            rev.push(digits[(u % base) as usize]);
            u /= base;
            if u == 0 {
                break;
            }
        }
        while rev.len() < prec {
            rev.push(b'0');
        }
        if self.f.sharp {
            match base {
                2 => rev.extend_from_slice(b"b0"),
                8 if rev.last() != Some(&b'0') => rev.push(b'0'),
                16 => {
                    rev.push(digits[16]);
                    rev.push(b'0');
                }
                _ => {}
            }
        }
        if verb == 'O' {
            rev.extend_from_slice(b"o0");
        }
        if negative {
            rev.push(b'-');
        } else if self.f.plus {
            rev.push(b'+');
        } else if self.f.space {
            rev.push(b' ');
        }
        rev.reverse();
        let s: String = rev.into_iter().map(char::from).collect();
        self.pad_no_zero(&s);
    }

    fn truncate<'s>(&self, s: &'s str) -> &'s str {
        if self.f.prec_present
            && let Some((i, _)) = s.char_indices().nth(self.prec)
        {
            return &s[..i];
        }
        s
    }

    fn fmt_s(&mut self, s: &str) {
        let s = self.truncate(s);
        self.pad(s);
    }

    /// Go's `fmt.fmtSbx` for strings: hexadecimal bytes.
    fn fmt_sx(&mut self, s: &str, digits: &[u8; 17]) {
        let b = s.as_bytes();
        let mut length = b.len();
        if self.f.prec_present && self.prec < length {
            length = self.prec;
        }
        let mut width = 2 * length;
        if width > 0 {
            if self.f.space {
                if self.f.sharp {
                    width *= 2;
                }
                width += length - 1;
            } else if self.f.sharp {
                width += 2;
            }
        } else {
            if self.f.wid_present {
                self.write_padding(self.wid as isize);
            }
            return;
        }
        if self.f.wid_present && self.wid > width && !self.f.minus {
            self.write_padding((self.wid - width) as isize);
        }
        if self.f.sharp {
            self.buf.push('0');
            self.buf.push(digits[16] as char);
        }
        for (i, &c) in b[..length].iter().enumerate() {
            if self.f.space && i > 0 {
                self.buf.push(' ');
                if self.f.sharp {
                    self.buf.push('0');
                    self.buf.push(digits[16] as char);
                }
            }
            self.buf.push(digits[usize::from(c >> 4)] as char);
            self.buf.push(digits[usize::from(c & 0xF)] as char);
        }
        if self.f.wid_present && self.wid > width && self.f.minus {
            self.write_padding((self.wid - width) as isize);
        }
    }

    fn fmt_q(&mut self, s: &str) {
        let s = self.truncate(s);
        if self.f.sharp && quote::can_backquote(s) {
            let q = format!("`{s}`");
            self.pad(&q);
            return;
        }
        let q = quote::quote(s, self.f.plus);
        self.pad(&q);
    }

    fn fmt_c(&mut self, c: u64) {
        let ch = u32::try_from(c)
            .ok()
            .and_then(char::from_u32)
            .unwrap_or('\u{FFFD}');
        let mut tmp = [0u8; 4];
        let s: &str = ch.encode_utf8(&mut tmp);
        self.pad(s);
    }

    fn fmt_qc(&mut self, c: u64) {
        let q = quote::quote_rune(c, self.f.plus);
        self.pad(&q);
    }

    /// Go's `fmt.fmtFloat`: formats with `strconv` rules, then applies the
    /// sign, `#`, and padding flags.
    fn fmt_float(&mut self, v: f64, verb: char, default_prec: i32) {
        let prec = if self.f.prec_present {
            self.prec as i32
        } else {
            default_prec
        };
        let formatted = format_float(v, verb, prec);
        let mut num: Vec<u8> = Vec::with_capacity(formatted.len() + 8);
        if formatted.starts_with(['-', '+']) {
            num.extend_from_slice(formatted.as_bytes());
        } else {
            num.push(b'+');
            num.extend_from_slice(formatted.as_bytes());
        }
        if self.f.space && num[0] == b'+' && !self.f.plus {
            num[0] = b' ';
        }
        if num[1] == b'I' || num[1] == b'N' {
            let mut start = 0;
            if num[1] == b'N' && !self.f.space && !self.f.plus {
                start = 1;
            }
            let s = String::from_utf8_lossy(&num[start..]).into_owned();
            self.pad_no_zero(&s);
            return;
        }
        if self.f.sharp && verb != 'b' {
            let mut digits: i32 = 0;
            if matches!(verb, 'v' | 'g' | 'G' | 'x') {
                digits = if prec == -1 { 6 } else { prec };
            }
            let mut tail: Vec<u8> = Vec::new();
            let mut has_point = false;
            let mut saw_nonzero = false;
            let mut i = 1;
            while i < num.len() {
                match num[i] {
                    b'.' => has_point = true,
                    b'p' | b'P' => {
                        tail.extend_from_slice(&num[i..]);
                        num.truncate(i);
                        break;
                    }
                    b'e' | b'E' if verb != 'x' && verb != 'X' => {
                        tail.extend_from_slice(&num[i..]);
                        num.truncate(i);
                        break;
                    }
                    c => {
                        if c != b'0' {
                            saw_nonzero = true;
                        }
                        if saw_nonzero {
                            digits -= 1;
                        }
                    }
                }
                i += 1;
            }
            if !has_point {
                if num.len() == 2 && num[1] == b'0' {
                    digits -= 1;
                }
                num.push(b'.');
            }
            while digits > 0 {
                num.push(b'0');
                digits -= 1;
            }
            num.extend_from_slice(&tail);
        }
        let s = String::from_utf8_lossy(&num).into_owned();
        if self.f.plus || num[0] != b'+' {
            if self.f.zero && self.f.wid_present && self.wid > num.len() {
                self.buf.push(num[0] as char);
                self.write_padding((self.wid - num.len()) as isize);
                self.buf.push_str(&s[1..]);
                return;
            }
            self.pad(&s);
            return;
        }
        self.pad(&s[1..]);
    }

    fn bad_verb(&mut self, verb: char, v: &Value) {
        self.erroring = true;
        self.buf.push_str("%!");
        self.buf.push(verb);
        self.buf.push('(');
        if v.is_nil() {
            self.buf.push_str("<nil>");
        } else {
            let t = v.type_name().into_owned();
            self.buf.push_str(&t);
            self.buf.push('=');
            self.print_value(v, 'v', 0);
        }
        self.buf.push(')');
        self.erroring = false;
    }

    fn fmt_bool(&mut self, b: bool, verb: char, v: &Value) {
        match verb {
            't' | 'v' => self.fmt_boolean(b),
            _ => self.bad_verb(verb, v),
        }
    }

    fn fmt_int_verb(&mut self, u: u64, signed: bool, verb: char, v: &Value) {
        match verb {
            'v' => {
                if self.f.sharp_v && !signed {
                    let sharp = self.f.sharp;
                    self.f.sharp = true;
                    self.fmt_integer(u, 16, false, 'v', LDIGITS);
                    self.f.sharp = sharp;
                } else {
                    self.fmt_integer(u, 10, signed, verb, LDIGITS);
                }
            }
            'd' => self.fmt_integer(u, 10, signed, verb, LDIGITS),
            'b' => self.fmt_integer(u, 2, signed, verb, LDIGITS),
            'o' | 'O' => self.fmt_integer(u, 8, signed, verb, LDIGITS),
            'x' => self.fmt_integer(u, 16, signed, verb, LDIGITS),
            'X' => self.fmt_integer(u, 16, signed, verb, UDIGITS),
            'c' => self.fmt_c(u),
            'q' => self.fmt_qc(u),
            'U' => self.fmt_unicode(u),
            _ => self.bad_verb(verb, v),
        }
    }

    fn fmt_float_verb(&mut self, f: f64, verb: char, v: &Value) {
        match verb {
            'v' => self.fmt_float(f, 'g', -1),
            'b' | 'g' | 'G' | 'x' | 'X' => self.fmt_float(f, verb, -1),
            'f' | 'e' | 'E' => self.fmt_float(f, verb, 6),
            'F' => self.fmt_float(f, 'f', 6),
            _ => self.bad_verb(verb, v),
        }
    }

    fn fmt_string(&mut self, s: &str, verb: char, v: &Value) {
        match verb {
            'v' => {
                if self.f.sharp_v {
                    self.fmt_q(s);
                } else {
                    self.fmt_s(s);
                }
            }
            's' => self.fmt_s(s),
            'x' => self.fmt_sx(s, LDIGITS),
            'X' => self.fmt_sx(s, UDIGITS),
            'q' => self.fmt_q(s),
            _ => self.bad_verb(verb, v),
        }
    }

    /// Go's `printArg`: one top-level operand.
    fn print_arg(&mut self, v: &Value, verb: char) {
        if v.is_nil() {
            match verb {
                'T' | 'v' => self.pad("<nil>"),
                _ => self.bad_verb(verb, v),
            }
            return;
        }
        match verb {
            'T' => {
                let t = v.type_name().into_owned();
                self.fmt_s(&t);
                return;
            }
            'p' => {
                self.fmt_pointer(v, 'p');
                return;
            }
            _ => {}
        }
        self.print_value(v, verb, 0);
    }

    fn fmt_pointer(&mut self, v: &Value, verb: char) {
        let addr = match v {
            Value::Slice(s) => Arc::as_ptr(s) as *const u8 as usize,
            Value::Map(m) => Arc::as_ptr(m) as *const u8 as usize,
            Value::Func(f) => Arc::as_ptr(f) as *const u8 as usize,
            _ => {
                self.bad_verb(verb, v);
                return;
            }
        };
        let sharp = self.f.sharp;
        self.f.sharp = !sharp;
        self.fmt_integer(addr as u64, 16, false, 'v', LDIGITS);
        self.f.sharp = sharp;
    }

    /// Go's `printValue`: any value at any nesting depth.
    fn print_value(&mut self, v: &Value, verb: char, depth: usize) {
        self.print_value_as(v, verb, depth, v);
    }

    /// Prints `v`, naming `shown` (the value as the caller sees it, e.g. a
    /// named string type rather than its underlying string) in bad-verb errors.
    fn print_value_as(&mut self, v: &Value, verb: char, depth: usize, shown: &Value) {
        if let Value::Object(o) = v
            && !self.erroring
            && !self.f.sharp_v
            && matches!(verb, 'v' | 's' | 'x' | 'X' | 'q')
            && let Some(s) = o.string()
        {
            self.fmt_string(&s, verb, v);
            return;
        }
        match v {
            Value::Nil => {
                if depth == 0 && verb != 'v' {
                    self.bad_verb(verb, v);
                } else if self.f.sharp_v {
                    self.buf.push_str("interface {}(nil)");
                } else {
                    self.buf.push_str("<nil>");
                }
            }
            Value::Bool(b) => self.fmt_bool(*b, verb, shown),
            Value::Int(i) => self.fmt_int_verb(*i as u64, true, verb, shown),
            Value::Uint(u) => self.fmt_int_verb(*u, false, verb, shown),
            Value::Float(f) => self.fmt_float_verb(*f, verb, shown),
            Value::String(s) => self.fmt_string(s, verb, shown),
            Value::Slice(s) => {
                let t = if self.f.sharp_v {
                    v.type_name().into_owned()
                } else {
                    String::new()
                };
                self.print_list(&t, &s.items, verb, depth);
            }
            Value::Map(m) => {
                let t = if self.f.sharp_v {
                    v.type_name().into_owned()
                } else {
                    String::new()
                };
                self.print_map(&t, m, verb, depth);
            }
            Value::Object(o) => match o.underlying() {
                Some(u) => match &u {
                    Value::Slice(s) => self.print_list(o.type_name(), &s.items, verb, depth),
                    Value::Map(m) => self.print_map(o.type_name(), m, verb, depth),
                    other => self.print_value_as(other, verb, depth, v),
                },
                None => {
                    if self.f.sharp_v {
                        self.buf.push_str(o.type_name());
                    }
                    self.buf.push('{');
                    for (i, (name, field)) in o.fields().into_iter().enumerate() {
                        if i > 0 {
                            self.buf.push_str(if self.f.sharp_v { ", " } else { " " });
                        }
                        if self.f.plus_v || self.f.sharp_v {
                            self.buf.push_str(name);
                            self.buf.push(':');
                        }
                        self.print_value(&field, verb, depth + 1);
                    }
                    self.buf.push('}');
                }
            },
            Value::Func(_) => {
                if self.f.sharp_v {
                    let t = v.type_name().into_owned();
                    self.buf.push('(');
                    self.buf.push_str(&t);
                    self.buf.push_str(")(");
                    self.fmt_pointer(v, 'v');
                    self.buf.push(')');
                } else if matches!(verb, 'v' | 'p' | 'b' | 'o' | 'd' | 'x' | 'X') {
                    self.fmt_pointer(v, verb);
                } else {
                    self.bad_verb(verb, v);
                }
            }
        }
    }

    fn print_list(&mut self, type_name: &str, items: &[Value], verb: char, depth: usize) {
        if self.f.sharp_v {
            self.buf.push_str(type_name);
            self.buf.push('{');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    self.buf.push_str(", ");
                }
                self.print_value(item, verb, depth + 1);
            }
            self.buf.push('}');
        } else {
            self.buf.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    self.buf.push(' ');
                }
                self.print_value(item, verb, depth + 1);
            }
            self.buf.push(']');
        }
    }

    fn print_map(&mut self, type_name: &str, m: &super::value::Map, verb: char, depth: usize) {
        if self.f.sharp_v {
            self.buf.push_str(type_name);
            self.buf.push('{');
        } else {
            self.buf.push_str("map[");
        }
        for (i, (k, val)) in m.entries.iter().enumerate() {
            if i > 0 {
                self.buf.push_str(if self.f.sharp_v { ", " } else { " " });
            }
            self.print_value(&Value::from(k.as_str()), verb, depth + 1);
            self.buf.push(':');
            self.print_value(val, verb, depth + 1);
        }
        self.buf.push(if self.f.sharp_v { '}' } else { ']' });
    }

    /// Go's `argNumber`: handles an explicit `[n]` argument index at `i`.
    fn arg_number(
        &mut self,
        arg_num: usize,
        format: &[u8],
        i: usize,
        num_args: usize,
    ) -> (usize, usize, bool) {
        if format.len() <= i || format[i] != b'[' {
            return (arg_num, i, false);
        }
        self.reordered = true;
        let (index, wid, ok) = parse_arg_number(&format[i..]);
        if ok && index >= 0 && (index as usize) < num_args {
            return (index as usize, i + wid, true);
        }
        self.good_arg_num = false;
        (arg_num, i + wid, ok)
    }

    /// Go's `doPrintf`.
    fn do_printf(&mut self, format: &str, a: &[Value]) {
        let fb = format.as_bytes();
        let end = fb.len();
        let mut arg_num = 0usize;
        let mut after_index;
        self.reordered = false;
        let mut i = 0usize;
        while i < end {
            self.good_arg_num = true;
            let lasti = i;
            while i < end && fb[i] != b'%' {
                i += 1;
            }
            if i > lasti {
                self.buf.push_str(&format[lasti..i]);
            }
            if i >= end {
                break;
            }
            i += 1;
            self.f = Flags::default();
            while i < end {
                match fb[i] {
                    b'#' => self.f.sharp = true,
                    b'0' => self.f.zero = !self.f.minus,
                    b'+' => self.f.plus = true,
                    b'-' => {
                        self.f.minus = true;
                        self.f.zero = false;
                    }
                    b' ' => self.f.space = true,
                    _ => break,
                }
                i += 1;
            }
            (arg_num, i, after_index) = self.arg_number(arg_num, fb, i, a.len());
            if i < end && fb[i] == b'*' {
                i += 1;
                let (w, ok, n) = int_from_arg(a, arg_num);
                arg_num = n;
                self.f.wid_present = ok;
                if !ok {
                    self.buf.push_str("%!(BADWIDTH)");
                }
                if w < 0 {
                    self.f.minus = true;
                    self.f.zero = false;
                }
                self.wid = w.unsigned_abs() as usize;
                after_index = false;
            } else {
                let (w, ok, ni) = parse_num(fb, i, end);
                self.wid = w;
                self.f.wid_present = ok;
                i = ni;
                if after_index && self.f.wid_present {
                    self.good_arg_num = false;
                }
            }
            if i + 1 < end && fb[i] == b'.' {
                i += 1;
                if after_index {
                    self.good_arg_num = false;
                }
                (arg_num, i, after_index) = self.arg_number(arg_num, fb, i, a.len());
                if i < end && fb[i] == b'*' {
                    i += 1;
                    let (p, mut ok, n) = int_from_arg(a, arg_num);
                    arg_num = n;
                    let mut p = p;
                    if p < 0 {
                        p = 0;
                        ok = false;
                    }
                    self.prec = p as usize;
                    self.f.prec_present = ok;
                    if !ok {
                        self.buf.push_str("%!(BADPREC)");
                    }
                    after_index = false;
                } else {
                    let (p, ok, ni) = parse_num(fb, i, end);
                    self.prec = p;
                    self.f.prec_present = ok;
                    i = ni;
                    if !ok {
                        self.prec = 0;
                        self.f.prec_present = true;
                    }
                }
            }
            if !after_index {
                (arg_num, i, _) = self.arg_number(arg_num, fb, i, a.len());
            }
            if i >= end {
                self.buf.push_str("%!(NOVERB)");
                break;
            }
            let verb = format[i..].chars().next().unwrap_or('?');
            i += verb.len_utf8();
            if verb == '%' {
                self.buf.push('%');
            } else if !self.good_arg_num {
                self.buf.push_str("%!");
                self.buf.push(verb);
                self.buf.push_str("(BADINDEX)");
            } else if arg_num >= a.len() {
                self.buf.push_str("%!");
                self.buf.push(verb);
                self.buf.push_str("(MISSING)");
            } else {
                if verb == 'v' {
                    self.f.sharp_v = self.f.sharp;
                    self.f.sharp = false;
                    self.f.plus_v = self.f.plus;
                    self.f.plus = false;
                }
                self.print_arg(&a[arg_num], verb);
                arg_num += 1;
            }
        }
        if !self.reordered && arg_num < a.len() {
            self.f = Flags::default();
            self.buf.push_str("%!(EXTRA ");
            for (k, arg) in a[arg_num..].iter().enumerate() {
                if k > 0 {
                    self.buf.push_str(", ");
                }
                if arg.is_nil() {
                    self.buf.push_str("<nil>");
                } else {
                    let t = arg.type_name().into_owned();
                    self.buf.push_str(&t);
                    self.buf.push('=');
                    self.print_arg(arg, 'v');
                }
            }
            self.buf.push(')');
        }
    }
}

/// Decimal digits of a float: `0.d1d2d3... × 10^dp`, with no trailing zeros
/// (no digits at all for zero).
struct Digits {
    d: Vec<u8>,
    dp: i32,
}

/// Parses Rust's `{:e}` output ("1.25e-3") into digits.
fn digits_from_exp(s: &str) -> Digits {
    let (mant, exp) = s.split_once('e').unwrap_or((s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut d: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    while d.last() == Some(&b'0') {
        d.pop();
    }
    if d.is_empty() {
        return Digits { d, dp: 0 };
    }
    Digits { d, dp: exp + 1 }
}

/// The shortest digits that read back as `v` (v >= 0).
fn shortest_digits(v: f64) -> Digits {
    if v == 0.0 {
        return Digits {
            d: Vec::new(),
            dp: 0,
        };
    }
    digits_from_exp(&format!("{v:e}"))
}

/// `v` (>= 0) correctly rounded to `n` >= 1 significant digits.
fn fixed_digits(v: f64, n: usize) -> Digits {
    if v == 0.0 {
        return Digits {
            d: Vec::new(),
            dp: 0,
        };
    }
    digits_from_exp(&format!("{:.*e}", n - 1, v))
}

/// Go's `fmtE`.
fn fmt_e(out: &mut String, digs: &Digits, prec: i32, ch: char) {
    let nd = digs.d.len() as i32;
    out.push(if nd != 0 { digs.d[0] as char } else { '0' });
    if prec > 0 {
        out.push('.');
        let mut i = 1;
        let m = nd.min(prec + 1);
        while i < m {
            out.push(digs.d[i as usize] as char);
            i += 1;
        }
        while i <= prec {
            out.push('0');
            i += 1;
        }
    }
    out.push(ch);
    let mut exp = digs.dp - 1;
    if nd == 0 {
        exp = 0;
    }
    push_exponent(out, exp);
}

/// Go's `fmtF`.
fn fmt_f(out: &mut String, digs: &Digits, prec: i32) {
    let nd = digs.d.len() as i32;
    if digs.dp > 0 {
        let m = nd.min(digs.dp);
        for &c in &digs.d[..m as usize] {
            out.push(c as char);
        }
        for _ in m..digs.dp {
            out.push('0');
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for i in 0..prec {
            let j = digs.dp + i;
            let c = if j >= 0 && j < nd {
                digs.d[j as usize] as char
            } else {
                '0'
            };
            out.push(c);
        }
    }
}

/// Go's `strconv.FormatFloat(v, fmt, prec, 64)` for `e E f g G b x X`
/// (`prec` < 0 means the shortest representation that reads back exactly).
pub fn format_float(v: f64, fmt: char, prec: i32) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v < 0.0 {
            "-Inf".into()
        } else {
            "+Inf".into()
        };
    }
    let mut out = String::new();
    if v.is_sign_negative() {
        out.push('-');
    }
    let a = v.abs();
    match fmt {
        'b' => {
            let (mant, exp) = decompose(a);
            out.push_str(&mant.to_string());
            out.push('p');
            let e = exp - 52;
            if e >= 0 {
                out.push('+');
            }
            out.push_str(&e.to_string());
            return out;
        }
        'x' | 'X' => {
            fmt_hex_float(&mut out, a, prec, fmt);
            return out;
        }
        _ => {}
    }
    let shortest = prec < 0;
    let mut prec = prec;
    let digs = if shortest {
        let d = shortest_digits(a);
        let nd = d.d.len() as i32;
        prec = match fmt {
            'e' | 'E' => (nd - 1).max(0),
            'f' => (nd - d.dp).max(0),
            _ => nd,
        };
        d
    } else {
        match fmt {
            'e' | 'E' => fixed_digits(a, prec as usize + 1),
            'f' => {
                out.push_str(&format!("{:.*}", prec as usize, a));
                return out;
            }
            'g' | 'G' => {
                if prec == 0 {
                    prec = 1;
                }
                fixed_digits(a, prec as usize)
            }
            _ => fixed_digits(a, 1),
        }
    };
    match fmt {
        'e' | 'E' => fmt_e(&mut out, &digs, prec, fmt),
        'f' => fmt_f(&mut out, &digs, prec),
        'g' | 'G' => {
            let nd = digs.d.len() as i32;
            let mut eprec = prec;
            if eprec > nd && nd >= digs.dp {
                eprec = nd;
            }
            if shortest {
                eprec = 6;
            }
            let exp = digs.dp - 1;
            if exp < -4 || exp >= eprec {
                if prec > nd {
                    prec = nd;
                }
                let e = if fmt == 'g' { 'e' } else { 'E' };
                fmt_e(&mut out, &digs, prec - 1, e);
            } else {
                if prec > digs.dp {
                    prec = nd;
                }
                fmt_f(&mut out, &digs, (prec - digs.dp).max(0));
            }
        }
        other => {
            out.push('%');
            out.push(other);
        }
    }
    out
}

/// Splits a finite non-negative float into an integer mantissa (with the
/// implicit bit) and a binary exponent such that v = mant × 2^(exp-52).
fn decompose(a: f64) -> (u64, i32) {
    let bits = a.to_bits();
    let exp = ((bits >> 52) & 0x7FF) as i32;
    let mut mant = bits & ((1u64 << 52) - 1);
    let e = if exp == 0 {
        -1022
    } else {
        mant |= 1u64 << 52;
        exp - 1023
    };
    (mant, e)
}

/// Go's `%x` for floats: `0x1.8p+01`.
fn fmt_hex_float(out: &mut String, a: f64, prec: i32, fmt: char) {
    let (mut mant, mut exp) = decompose(a);
    if mant == 0 {
        exp = 0;
    }
    mant <<= 60 - 52;
    while mant != 0 && mant & (1 << 60) == 0 {
        mant <<= 1;
        exp -= 1;
    }
    if (0..15).contains(&prec) {
        let shift = (prec * 4) as u32;
        let extra = (mant << shift) & ((1u64 << 60) - 1);
        mant >>= 60 - shift;
        if extra | (mant & 1) > 1 << 59 {
            mant += 1;
        }
        mant <<= 60 - shift;
        if mant & (1 << 61) != 0 {
            mant >>= 1;
            exp += 1;
        }
    }
    let digits: &[u8; 17] = if fmt == 'X' { UDIGITS } else { LDIGITS };
    out.push('0');
    out.push(fmt);
    out.push(if (mant >> 60) & 1 == 1 { '1' } else { '0' });
    mant <<= 4;
    if prec < 0 && mant != 0 {
        out.push('.');
        while mant != 0 {
            out.push(digits[((mant >> 60) & 15) as usize] as char);
            mant <<= 4;
        }
    } else if prec > 0 {
        out.push('.');
        for _ in 0..prec {
            out.push(digits[((mant >> 60) & 15) as usize] as char);
            mant <<= 4;
        }
    }
    out.push(if fmt == 'X' { 'P' } else { 'p' });
    push_exponent(out, exp);
}

/// Writes an exponent as Go's `strconv` does: a sign and at least two digits.
fn push_exponent(out: &mut String, exp: i32) {
    out.push(if exp < 0 { '-' } else { '+' });
    let exp = exp.unsigned_abs();
    if exp < 10 {
        out.push('0');
    }
    out.push_str(&exp.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(x: impl Into<Value>) -> Value {
        x.into()
    }

    #[test]
    fn floats() {
        assert_eq!(format_float(1e6, 'g', -1), "1e+06");
        assert_eq!(format_float(123456.0, 'g', -1), "123456");
        assert_eq!(format_float(1e-5, 'g', -1), "1e-05");
        assert_eq!(format_float(0.0001, 'g', -1), "0.0001");
        assert_eq!(format_float(0.1 + 0.2, 'g', -1), "0.30000000000000004");
        assert_eq!(format_float(3.0, 'g', -1), "3");
        assert_eq!(format_float(2.5, 'f', 0), "2");
        assert_eq!(format_float(1.23456, 'e', 2), "1.23e+00");
        assert_eq!(format_float(1e100, 'e', -1), "1e+100");
        assert_eq!(format_float(123.456, 'g', 4), "123.5");
        assert_eq!(format_float(1.0, 'g', 3), "1");
        assert_eq!(format_float(100000.0, 'g', 3), "1e+05");
        assert_eq!(format_float(-0.0, 'g', -1), "-0");
        assert_eq!(format_float(1.5, 'x', -1), "0x1.8p+00");
        assert_eq!(format_float(1.0, 'b', -1), "4503599627370496p-52");
    }

    #[test]
    fn printf_verbs() {
        assert_eq!(
            sprintf(
                "%d|%5d|%-5d|%05d|%+d|%x|%X|%o|%#o|%b|%#x",
                &[
                    v(42i64),
                    v(42i64),
                    v(42i64),
                    v(-42i64),
                    v(42i64),
                    v(255i64),
                    v(255i64),
                    v(8i64),
                    v(8i64),
                    v(5i64),
                    v(255i64)
                ]
            ),
            "42|   42|42   |-0042|+42|ff|FF|10|010|101|0xff"
        );
        assert_eq!(
            sprintf(
                "%s|%q|%10s|%-10s|%.2s|%x|% x|%#q",
                &[
                    v("hi"),
                    v("a\"b"),
                    v("right"),
                    v("left"),
                    v("héllo"),
                    v("hi"),
                    v("hi"),
                    v("bq")
                ]
            ),
            "hi|\"a\\\"b\"|     right|left      |hé|6869|68 69|`bq`"
        );
        assert_eq!(
            sprintf(
                "%5.2f|%e|%g|%.3g|%8.3f|%-8.2f|%+.1f",
                &[
                    v(1.23456),
                    v(1234.5678),
                    v(0.000012),
                    v(1.23456),
                    v(-1.23456),
                    v(2.5),
                    v(2.25)
                ]
            ),
            " 1.23|1.234568e+03|1.2e-05|1.23|  -1.235|2.50    |+2.2"
        );
        assert_eq!(
            sprintf(
                "%c|%q|%U|%#U",
                &[v(65i64), v(97i64), v(0x263Ai64), v(0x263Ai64)]
            ),
            "A|'a'|U+263A|U+263A '☺'"
        );
        assert_eq!(sprintf("%t|%v|%%", &[v(true), v(false)]), "true|false|%");
    }

    #[test]
    fn printf_errors() {
        assert_eq!(sprintf("%d", &[v("x")]), "%!d(string=x)");
        assert_eq!(sprintf("%d %d", &[v(1i64)]), "1 %!d(MISSING)");
        assert_eq!(
            sprintf("%d", &[v(1i64), v("a"), Value::Nil]),
            "1%!(EXTRA string=a, <nil>)"
        );
        assert_eq!(sprintf("%!", &[]), "%!!(MISSING)");
        assert_eq!(sprintf("%", &[]), "%!(NOVERB)");
        assert_eq!(sprintf("%[2]d %[1]d", &[v(1i64), v(2i64)]), "2 1");
        assert_eq!(sprintf("%[3]d", &[v(1i64)]), "%!d(BADINDEX)");
        assert_eq!(
            sprintf(
                "%*d|%-*d|%.*f",
                &[v(4i64), v(7i64), v(3i64), v(1i64), v(2i64), v(1.0)]
            ),
            "   7|1  |1.00"
        );
        assert_eq!(sprintf("%*d", &[v("x"), v(1i64)]), "%!(BADWIDTH)1");
        assert_eq!(sprintf("%d", &[Value::Nil]), "%!d(<nil>)");
        assert_eq!(sprintf("%z", &[v(1i64)]), "%!z(int=1)");
    }

    #[test]
    fn composite_printing() {
        let l = Value::slice(vec![v(1i64), v("a"), Value::Nil, v(2.5)]);
        assert_eq!(sprint(std::slice::from_ref(&l)), "[1 a <nil> 2.5]");
        assert_eq!(
            sprintf("%d", std::slice::from_ref(&l)),
            "[1 %!d(string=a) <nil> %!d(float64=2.5)]"
        );
        assert_eq!(
            sprintf("%q", &[Value::string_slice(["a", "b"])]),
            "[\"a\" \"b\"]"
        );
        let m = Value::map(
            [("b".to_string(), v(2i64)), ("a".to_string(), v("x"))]
                .into_iter()
                .collect(),
        );
        assert_eq!(sprint(std::slice::from_ref(&m)), "map[a:x b:2]");
        assert_eq!(
            sprintf("%#v", &[m]),
            "map[string]interface {}{\"a\":\"x\", \"b\":2}"
        );
        assert_eq!(
            sprintf("%#v", &[l]),
            "[]interface {}{1, \"a\", interface {}(nil), 2.5}"
        );
    }

    #[test]
    fn print_spacing() {
        assert_eq!(
            sprint(&[v(1i64), v(2i64), v("a"), v(3i64), v("b"), v("c")]),
            "1 2a3bc"
        );
        assert_eq!(sprintln(&[v(1i64), v("a"), v("b")]), "1 a b\n");
        assert_eq!(sprint(&[Value::Nil, Value::Nil]), "<nil> <nil>");
    }
}
