//! The byte-level encodings an Alertmanager email goes through, each
//! written to produce what Go's standard library produces: RFC 2047
//! Q-encoded header values (`mime.QEncoding.Encode("utf-8", …)`),
//! quoted-printable bodies (`mime/quotedprintable.Writer`), SMTP DATA
//! dot-stuffing (`net/textproto`'s dot writer) and address lists
//! (`net/mail.ParseAddressList`, of which only the addresses are used).

const UPPERHEX: &[u8; 16] = b"0123456789ABCDEF";

/// `mime.QEncoding.Encode("utf-8", s)`: `s` itself when every character
/// is printable ASCII or a tab, otherwise encoded words of at most 75
/// bytes, split between characters and joined by a space.
pub fn q_encode(s: &str) -> String {
    if !s.chars().any(|c| !(' '..='~').contains(&c) && c != '\t') {
        return s.to_string();
    }
    // 75 - len("=?UTF-8?q?") - len("?=")
    const MAX_CONTENT_LEN: usize = 63;
    let mut out = String::from("=?utf-8?q?");
    let mut current = 0;
    for c in s.chars() {
        let b = c as u32;
        let enc_len = if (0x20..=0x7e).contains(&b) && !matches!(c, '=' | '?' | '_') {
            1
        } else {
            3 * c.len_utf8()
        };
        if current + enc_len > MAX_CONTENT_LEN {
            out.push_str("?= =?utf-8?q?");
            current = 0;
        }
        let mut buf = [0u8; 4];
        for &byte in c.encode_utf8(&mut buf).as_bytes() {
            match byte {
                b' ' => out.push('_'),
                b'!'..=b'~' if !matches!(byte, b'=' | b'?' | b'_') => out.push(byte as char),
                _ => {
                    out.push('=');
                    out.push(UPPERHEX[usize::from(byte >> 4)] as char);
                    out.push(UPPERHEX[usize::from(byte & 0x0f)] as char);
                }
            }
        }
        current += enc_len;
    }
    out.push_str("?=");
    out
}

/// Go's `quotedprintable.Writer` (text mode): lines of at most 76
/// characters with `=` soft breaks, CR, LF and CRLF written as CRLF,
/// whitespace before a line break encoded.
pub struct QuotedPrintable {
    out: Vec<u8>,
    line: Vec<u8>,
    cr: bool,
}

const LINE_MAX_LEN: usize = 76;

impl QuotedPrintable {
    pub fn new() -> Self {
        QuotedPrintable {
            out: Vec::new(),
            line: Vec::with_capacity(LINE_MAX_LEN + 2),
            cr: false,
        }
    }

    /// Encodes `body` as one `Write` followed by `Close`, as Alertmanager
    /// does.
    pub fn encode(body: &[u8]) -> Vec<u8> {
        let mut w = QuotedPrintable::new();
        w.write(body);
        w.close()
    }

    pub fn write(&mut self, p: &[u8]) {
        let mut n = 0;
        for (i, &b) in p.iter().enumerate() {
            if (b'!'..=b'~').contains(&b) && b != b'='
                || is_whitespace(b)
                || b == b'\n'
                || b == b'\r'
            {
                continue;
            }
            if i > n {
                self.write_raw(&p[n..i]);
                n = i;
            }
            self.encode_byte(b);
            n += 1;
        }
        if n < p.len() {
            self.write_raw(&p[n..]);
        }
    }

    pub fn close(mut self) -> Vec<u8> {
        self.check_last_byte();
        self.flush();
        self.out
    }

    fn write_raw(&mut self, p: &[u8]) {
        for &b in p {
            if b == b'\n' || b == b'\r' {
                if self.cr && b == b'\n' {
                    self.cr = false;
                    continue;
                }
                if b == b'\r' {
                    self.cr = true;
                }
                self.check_last_byte();
                self.insert_crlf();
                continue;
            }
            if self.line.len() == LINE_MAX_LEN - 1 {
                self.insert_soft_line_break();
            }
            self.line.push(b);
            self.cr = false;
        }
    }

    fn encode_byte(&mut self, b: u8) {
        if LINE_MAX_LEN - 1 - self.line.len() < 3 {
            self.insert_soft_line_break();
        }
        self.line.extend_from_slice(&[
            b'=',
            UPPERHEX[usize::from(b >> 4)],
            UPPERHEX[usize::from(b & 0x0f)],
        ]);
    }

    fn check_last_byte(&mut self) {
        if let Some(&b) = self.line.last()
            && is_whitespace(b)
        {
            self.line.pop();
            self.encode_byte(b);
        }
    }

    fn insert_soft_line_break(&mut self) {
        self.line.push(b'=');
        self.insert_crlf();
    }

    fn insert_crlf(&mut self) {
        self.line.extend_from_slice(b"\r\n");
        self.flush();
    }

    fn flush(&mut self) {
        self.out.append(&mut self.line);
    }
}

fn is_whitespace(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// What `net/textproto`'s dot writer sends for `data` written and closed:
/// bare LF becomes CRLF, a leading `.` is doubled, and the message ends
/// with `.` on a line of its own (after a line break added if missing).
pub fn dot_stuff(data: &[u8]) -> Vec<u8> {
    #[derive(PartialEq)]
    enum State {
        BeginLine,
        Data,
        Cr,
    }
    // Go starts in its own "begin" state, which behaves as "begin line"
    // when writing and as "data" when closing.
    let mut state = State::BeginLine;
    let mut begun = false;
    let mut out = Vec::with_capacity(data.len() + data.len() / 32 + 8);
    for &c in data {
        begun = true;
        match state {
            State::BeginLine | State::Data => {
                if state == State::BeginLine && c == b'.' {
                    out.push(b'.');
                }
                state = State::Data;
                if c == b'\r' {
                    state = State::Cr;
                }
                if c == b'\n' {
                    out.push(b'\r');
                    state = State::BeginLine;
                }
            }
            State::Cr => {
                state = State::Data;
                if c == b'\n' {
                    state = State::BeginLine;
                }
            }
        }
        out.push(c);
    }
    match state {
        State::BeginLine if begun => {}
        State::Cr => out.push(b'\n'),
        _ => out.extend_from_slice(b"\r\n"),
    }
    out.extend_from_slice(b".\r\n");
    out
}

/// The addresses of an RFC 5322 address list as Go's
/// `mail.ParseAddressList` reads them (display names, comments and groups
/// accepted; RFC 2047 display names are not decoded since only the
/// addresses are used), with Go's error texts.
pub fn parse_address_list(list: &str) -> Result<Vec<String>, String> {
    AddrParser { s: list }.parse_address_list()
}

struct AddrParser<'a> {
    s: &'a str,
}

impl<'a> AddrParser<'a> {
    fn parse_address_list(&mut self) -> Result<Vec<String>, String> {
        let mut list = Vec::new();
        loop {
            self.skip_space();
            if self.consume(b',') {
                continue;
            }
            list.extend(self.parse_address(true)?);
            if !self.skip_cfws() {
                return Err("mail: misformatted parenthetical comment".into());
            }
            if self.empty() {
                break;
            }
            if self.peek() != b',' {
                return Err("mail: expected comma".into());
            }
            while self.consume(b',') {
                self.skip_space();
            }
            if self.empty() {
                break;
            }
        }
        Ok(list)
    }

    fn parse_address(&mut self, handle_group: bool) -> Result<Vec<String>, String> {
        self.skip_space();
        if self.empty() {
            return Err("mail: no address".into());
        }
        if let Ok(spec) = self.consume_addr_spec() {
            self.skip_space();
            if !self.empty() && self.peek() == b'(' {
                self.consume_display_name_comment()?;
            }
            return Ok(vec![spec]);
        }
        let mut display_name = String::new();
        if self.peek() != b'<' {
            display_name = self.consume_phrase()?;
        }
        self.skip_space();
        if handle_group && self.consume(b':') {
            return self.consume_group_list();
        }
        if !self.consume(b'<') {
            if display_name.chars().all(|r| is_atext(r, true, false)) {
                return Err("mail: missing '@' or angle-addr".into());
            }
            return Err("mail: no angle-addr".into());
        }
        let spec = self.consume_addr_spec()?;
        if !self.consume(b'>') {
            return Err("mail: unclosed angle-addr".into());
        }
        Ok(vec![spec])
    }

    fn consume_group_list(&mut self) -> Result<Vec<String>, String> {
        let mut group = Vec::new();
        self.skip_space();
        if self.consume(b';') {
            self.skip_cfws();
            return Ok(group);
        }
        loop {
            self.skip_space();
            group.extend(self.parse_address(false)?);
            if !self.skip_cfws() {
                return Err("mail: misformatted parenthetical comment".into());
            }
            if self.consume(b';') {
                self.skip_cfws();
                break;
            }
            if !self.consume(b',') {
                return Err("mail: expected comma".into());
            }
        }
        Ok(group)
    }

    /// An addr-spec; on failure nothing is consumed.
    fn consume_addr_spec(&mut self) -> Result<String, String> {
        let orig = self.s;
        let r = self.addr_spec();
        if r.is_err() {
            self.s = orig;
        }
        r
    }

    fn addr_spec(&mut self) -> Result<String, String> {
        self.skip_space();
        if self.empty() {
            return Err("mail: no addr-spec".into());
        }
        let local = if self.peek() == b'"' {
            let q = self.consume_quoted_string()?;
            if q.is_empty() {
                return Err("mail: empty quoted string in addr-spec".into());
            }
            q
        } else {
            self.consume_atom(true, false)?
        };
        if !self.consume(b'@') {
            return Err("mail: missing @ in addr-spec".into());
        }
        self.skip_space();
        if self.empty() {
            return Err("mail: no domain in addr-spec".into());
        }
        let domain = self.consume_atom(true, false)?;
        Ok(format!("{local}@{domain}"))
    }

    fn consume_phrase(&mut self) -> Result<String, String> {
        let mut words: Vec<String> = Vec::new();
        let mut err = None;
        loop {
            self.skip_space();
            if self.empty() {
                break;
            }
            let word = if self.peek() == b'"' {
                self.consume_quoted_string()
            } else {
                self.consume_atom(true, true)
            };
            match word {
                Ok(w) => words.push(w),
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
        }
        match err {
            Some(e) if words.is_empty() => Err(format!("mail: missing word in phrase: {e}")),
            _ => Ok(words.join(" ")),
        }
    }

    fn consume_quoted_string(&mut self) -> Result<String, String> {
        let mut out = String::new();
        let mut escaped = false;
        let mut chars = self.s.char_indices().skip(1);
        loop {
            let Some((i, r)) = chars.next() else {
                return Err("mail: unclosed quoted-string".into());
            };
            if escaped {
                if !is_vchar(r) && !is_wsp(r) {
                    return Err(format!(
                        "mail: bad character in quoted-string: {}",
                        go_rune(r)
                    ));
                }
                out.push(r);
                escaped = false;
            } else if is_qtext(r) || is_wsp(r) {
                out.push(r);
            } else if r == '"' {
                self.s = &self.s[i + 1..];
                return Ok(out);
            } else if r == '\\' {
                escaped = true;
            } else {
                return Err(format!(
                    "mail: bad character in quoted-string: {}",
                    go_rune(r)
                ));
            }
        }
    }

    fn consume_atom(&mut self, dot: bool, permissive: bool) -> Result<String, String> {
        let end = self
            .s
            .char_indices()
            .find(|(_, r)| !is_atext(*r, dot, permissive))
            .map_or(self.s.len(), |(i, _)| i);
        if end == 0 {
            return Err("mail: invalid string".into());
        }
        let atom = &self.s[..end];
        self.s = &self.s[end..];
        if !permissive {
            if atom.starts_with('.') {
                return Err("mail: leading dot in atom".into());
            }
            if atom.contains("..") {
                return Err("mail: double dot in atom".into());
            }
            if atom.ends_with('.') {
                return Err("mail: trailing dot in atom".into());
            }
        }
        Ok(atom.to_string())
    }

    fn consume_display_name_comment(&mut self) -> Result<(), String> {
        if !self.consume(b'(') {
            return Err("mail: comment does not start with (".into());
        }
        if !self.consume_comment() {
            return Err("mail: misformatted parenthetical comment".into());
        }
        Ok(())
    }

    fn consume(&mut self, c: u8) -> bool {
        if self.empty() || self.peek() != c {
            return false;
        }
        self.s = &self.s[1..];
        true
    }

    fn skip_space(&mut self) {
        self.s = self.s.trim_start_matches([' ', '\t']);
    }

    fn peek(&self) -> u8 {
        self.s.as_bytes()[0]
    }

    fn empty(&self) -> bool {
        self.s.is_empty()
    }

    fn skip_cfws(&mut self) -> bool {
        self.skip_space();
        while self.consume(b'(') {
            if !self.consume_comment() {
                return false;
            }
            self.skip_space();
        }
        true
    }

    /// Skips a comment whose `(` is consumed; whether it was closed.
    fn consume_comment(&mut self) -> bool {
        let mut depth = 1;
        let bytes = self.s.as_bytes();
        let mut i = 0;
        while i < bytes.len() && depth > 0 {
            match bytes[i] {
                b'\\' if bytes.len() - i > 1 => i += 1,
                b'(' => depth += 1,
                b')' => depth -= 1,
                _ => {}
            }
            i += 1;
        }
        // An escape may have skipped into a multi-byte character: move
        // to the next boundary (Go slices bytes; only the rest matters).
        while !self.s.is_char_boundary(i) {
            i += 1;
        }
        self.s = &self.s[i..];
        depth == 0
    }
}

/// Go's `%q` of a rune.
fn go_rune(r: char) -> String {
    match r {
        '\'' => "'\\''".into(),
        '\\' => "'\\\\'".into(),
        '\n' => "'\\n'".into(),
        '\r' => "'\\r'".into(),
        '\t' => "'\\t'".into(),
        c if (c as u32) < 0x20 || c as u32 == 0x7f => format!("'\\x{:02x}'", c as u32),
        c => format!("'{c}'"),
    }
}

fn is_atext(r: char, dot: bool, permissive: bool) -> bool {
    match r {
        '.' => dot,
        '(' | ')' | '[' | ']' | ';' | '@' | '\\' | ',' => permissive,
        '<' | '>' | '"' | ':' => false,
        _ => is_vchar(r),
    }
}

fn is_qtext(r: char) -> bool {
    r != '\\' && r != '"' && is_vchar(r)
}

fn is_vchar(r: char) -> bool {
    ('!'..='~').contains(&r) || (r as u32) >= 0x80
}

fn is_wsp(r: char) -> bool {
    r == ' ' || r == '\t'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q_encoding_matches_go() {
        assert_eq!(q_encode("[FIRING:1] Disk (a)"), "[FIRING:1] Disk (a)");
        assert_eq!(q_encode("tab\tok"), "tab\tok");
        assert_eq!(
            q_encode("¡Hola, señor!"),
            "=?utf-8?q?=C2=A1Hola,_se=C3=B1or!?="
        );
        assert_eq!(q_encode("a=b?c_d é"), "=?utf-8?q?a=3Db=3Fc=5Fd_=C3=A9?=");
        assert_eq!(q_encode("line\nbreak"), "=?utf-8?q?line=0Abreak?=");
        // Split at 63 encoded bytes, never inside a character.
        let long = format!("{}é", "a".repeat(61));
        assert_eq!(
            q_encode(&long),
            format!("=?utf-8?q?{}?= =?utf-8?q?=C3=A9?=", "a".repeat(61))
        );
        let fits = format!("{}é", "a".repeat(57));
        assert_eq!(
            q_encode(&fits),
            format!("=?utf-8?q?{}=C3=A9?=", "a".repeat(57))
        );
    }

    #[test]
    fn quoted_printable_matches_go() {
        let qp = |s: &str| String::from_utf8(QuotedPrintable::encode(s.as_bytes())).unwrap();
        assert_eq!(qp("a=b é"), "a=3Db =C3=A9");
        // LF and CR become CRLF; CRLF stays one break.
        assert_eq!(qp("a\nb\r\nc\rd"), "a\r\nb\r\nc\r\nd");
        // Whitespace before a break or at the end is encoded.
        assert_eq!(qp("trail \nend\t"), "trail=20\r\nend=09");
        // 75 characters and a soft break per line.
        let long = "x".repeat(80);
        assert_eq!(
            qp(&long),
            format!("{}=\r\n{}", "x".repeat(75), "x".repeat(5))
        );
        // An encoded byte that would not fit moves to the next line.
        let near = format!("{}=", "x".repeat(73));
        assert_eq!(qp(&near), format!("{}=\r\n=3D", "x".repeat(73)));
        assert_eq!(qp("\u{1}"), "=01");
        assert_eq!(qp(""), "");
        // Go's writer forgets the CR after an encoded byte.
        assert_eq!(qp("\r=\n"), "\r\n=3D");
        assert_eq!(qp("a \r\n"), "a=20\r\n");
    }

    #[test]
    fn dot_stuffing_matches_go() {
        assert_eq!(dot_stuff(b""), b"\r\n.\r\n");
        assert_eq!(dot_stuff(b"a\r\n"), b"a\r\n.\r\n");
        assert_eq!(dot_stuff(b"a"), b"a\r\n.\r\n");
        assert_eq!(
            dot_stuff(b".a\n..b\r\n.\r\n"),
            b"..a\r\n...b\r\n..\r\n.\r\n"
        );
        assert_eq!(dot_stuff(b"a\r"), b"a\r\n.\r\n");
        assert_eq!(dot_stuff(b"x.y\n"), b"x.y\r\n.\r\n");
        assert_eq!(dot_stuff(b"\r\r\n"), b"\r\r\r\n.\r\n");
    }

    #[test]
    fn address_lists_as_go_reads_them() {
        let ok = |s: &str| parse_address_list(s).unwrap();
        assert_eq!(ok("a@x"), ["a@x"]);
        assert_eq!(
            ok("Team A <a@x.org>, b@y (Bee), \"Q, R\" <q@z>,,"),
            ["a@x.org", "b@y", "q@z"]
        );
        assert_eq!(ok("\"john doe\"@x"), ["john doe@x"]);
        assert_eq!(ok("Undisclosed: a@x, <b@y>;, c@z"), ["a@x", "b@y", "c@z"]);
        assert_eq!(ok("Empty:;"), Vec::<String>::new());
        assert_eq!(ok("Jörg <j@ö.de>"), ["j@ö.de"]);
        for (bad, want) in [
            ("", "mail: no address"),
            ("nobody", "mail: missing '@' or angle-addr"),
            ("Some One", "mail: no angle-addr"),
            ("a@x b@y", "mail: expected comma"),
            ("<a@x", "mail: unclosed angle-addr"),
            ("a@", "mail: no angle-addr"),
            ("Name <a.@x>", "mail: trailing dot in atom"),
            ("x (unclosed", "mail: no angle-addr"),
            (
                "\"a\u{1}\"@x",
                "mail: missing word in phrase: mail: bad character in quoted-string: '\\x01'",
            ),
            ("a@x (c\\", "mail: misformatted parenthetical comment"),
            (
                "\"q",
                "mail: missing word in phrase: mail: unclosed quoted-string",
            ),
        ] {
            assert_eq!(parse_address_list(bad).unwrap_err(), want, "{bad:?}");
        }
    }
}
