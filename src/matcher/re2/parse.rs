//! The parsing half of the RE2 translation: Go's `regexp/syntax` grammar,
//! flag handling and error reporting, producing a [`Node`] tree.

use super::{
    ClassItem, Flags, INVALID_CHAR_RANGE, INVALID_ESCAPE, INVALID_NAMED_CAPTURE, INVALID_PERL_OP,
    INVALID_REPEAT_OP, INVALID_REPEAT_SIZE, Look, MAX_REPEAT, MAX_RUNE, MISSING_BRACKET,
    MISSING_PAREN, MISSING_REPEAT_ARGUMENT, Node, RepeatOp, SyntaxError, TRAILING_BACKSLASH,
    UNEXPECTED_PAREN, err, repeat_is_valid,
};

const DIGIT: &[(u32, u32)] = &[(0x30, 0x39)];
const SPACE_PERL: &[(u32, u32)] = &[(0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20)];
const WORD: &[(u32, u32)] = &[(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)];

fn perl_class(c: u8) -> Option<ClassItem> {
    let (ranges, negated) = match c {
        b'd' => (DIGIT, false),
        b'D' => (DIGIT, true),
        b's' => (SPACE_PERL, false),
        b'S' => (SPACE_PERL, true),
        b'w' => (WORD, false),
        b'W' => (WORD, true),
        _ => return None,
    };
    Some(ClassItem::Ascii { ranges, negated })
}

fn posix_class(name: &str) -> Option<&'static [(u32, u32)]> {
    Some(match name {
        "alnum" => &[(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)],
        "alpha" => &[(0x41, 0x5A), (0x61, 0x7A)],
        "ascii" => &[(0x00, 0x7F)],
        "blank" => &[(0x09, 0x09), (0x20, 0x20)],
        "cntrl" => &[(0x00, 0x1F), (0x7F, 0x7F)],
        "digit" => DIGIT,
        "graph" => &[(0x21, 0x7E)],
        "lower" => &[(0x61, 0x7A)],
        "print" => &[(0x20, 0x7E)],
        "punct" => &[(0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)],
        "space" => &[(0x09, 0x0D), (0x20, 0x20)],
        "upper" => &[(0x41, 0x5A)],
        "word" => WORD,
        "xdigit" => &[(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)],
        _ => return None,
    })
}

/// Whether the Rust crate knows the Unicode class `name` (Go's category and
/// script names all qualify, except `Cs`, which callers handle).
fn rust_knows_unicode_class(name: &str) -> bool {
    if name.is_empty() || name.contains(['{', '}', '\\', '[', ']']) {
        return false;
    }
    regex_syntax::ParserBuilder::new()
        .build()
        .parse(&format!("\\p{{{name}}}"))
        .is_ok()
}

fn unhex(c: char) -> Option<u32> {
    c.to_digit(16)
}

/// An open group on the parse stack.
struct Frame {
    /// `Some(name)` for capturing groups, `None` for the top level and
    /// non-capturing groups.
    capture: Option<Option<String>>,
    saved_flags: Flags,
    branches: Vec<Node>,
    items: Vec<Node>,
}

impl Frame {
    fn new(capture: Option<Option<String>>, saved_flags: Flags) -> Self {
        Frame {
            capture,
            saved_flags,
            branches: Vec::new(),
            items: Vec::new(),
        }
    }

    fn end_branch(&mut self) {
        let items = std::mem::take(&mut self.items);
        self.branches.push(concat(items));
    }

    fn finish(mut self) -> Node {
        self.end_branch();
        let mut branches = Vec::with_capacity(self.branches.len());
        for branch in self.branches {
            match branch {
                Node::Alternate(inner) => branches.extend(inner),
                other => branches.push(other),
            }
        }
        if branches.len() == 1 {
            branches.pop().unwrap_or(Node::Empty)
        } else {
            Node::Alternate(branches)
        }
    }
}

/// Builds a concatenation, flattening nested ones as Go does.
fn concat(items: Vec<Node>) -> Node {
    let mut flat = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Node::Concat(inner) => flat.extend(inner),
            Node::Empty => {}
            other => flat.push(other),
        }
    }
    match flat.len() {
        0 => Node::Empty,
        1 => flat.pop().unwrap_or(Node::Empty),
        _ => Node::Concat(flat),
    }
}

pub(super) struct Parser<'a> {
    src: &'a str,
    pos: usize,
    flags: Flags,
    frames: Vec<Frame>,
    /// Start of the previous token if it was a repetition operator.
    last_repeat: Option<usize>,
}

impl<'a> Parser<'a> {
    pub(super) fn new(src: &'a str) -> Self {
        Parser {
            src,
            pos: 0,
            flags: Flags::default(),
            frames: vec![Frame::new(None, Flags::default())],
            last_repeat: None,
        }
    }

    fn top(&mut self) -> &mut Frame {
        let n = self.frames.len() - 1;
        &mut self.frames[n]
    }

    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn byte_at(&self, i: usize) -> Option<u8> {
        self.src.as_bytes().get(i).copied()
    }

    fn char_at(&self, i: usize) -> Option<char> {
        self.src.get(i..).and_then(|s| s.chars().next())
    }

    fn push(&mut self, node: Node) {
        self.top().items.push(node);
    }

    fn literal(&mut self, cp: u32) {
        let fold = self.flags.fold_case;
        self.push(Node::Literal { cp, fold });
    }

    pub(super) fn parse(mut self) -> Result<Node, SyntaxError> {
        while self.pos < self.src.len() {
            let start = self.pos;
            let mut repeat_start = None;
            match self.byte_at(self.pos).unwrap_or(0) {
                b'(' => {
                    if self.byte_at(self.pos + 1) == Some(b'?') {
                        self.parse_perl_flags()?;
                    } else {
                        let saved = self.flags;
                        self.frames.push(Frame::new(Some(None), saved));
                        self.pos += 1;
                    }
                }
                b'|' => {
                    self.top().end_branch();
                    self.pos += 1;
                }
                b')' => {
                    self.close_group()?;
                    self.pos += 1;
                }
                b'^' => {
                    let look = if self.flags.multi_line {
                        Look::BeginLine
                    } else {
                        Look::BeginText
                    };
                    self.push(Node::Look(look));
                    self.pos += 1;
                }
                b'$' => {
                    let look = if self.flags.multi_line {
                        Look::EndLine
                    } else {
                        Look::EndText
                    };
                    self.push(Node::Look(look));
                    self.pos += 1;
                }
                b'.' => {
                    let dot_nl = self.flags.dot_nl;
                    self.push(Node::AnyChar { dot_nl });
                    self.pos += 1;
                }
                b'[' => self.parse_class()?,
                c @ (b'*' | b'+' | b'?') => {
                    let op = match c {
                        b'*' => RepeatOp::Star,
                        b'+' => RepeatOp::Plus,
                        _ => RepeatOp::Quest,
                    };
                    self.repeat(op, start, start + 1)?;
                    repeat_start = Some(start);
                }
                b'{' => match self.parse_repeat_braces() {
                    None => {
                        self.literal('{' as u32);
                        self.pos += 1;
                    }
                    Some((min, max, after)) => {
                        let too_big = |n: Option<u32>| n.is_none_or(|n| n > MAX_REPEAT);
                        if too_big(min) || max.is_some_and(|m| too_big(m) || min > m) {
                            return err(INVALID_REPEAT_SIZE, &self.src[start..after]);
                        }
                        let min = min.unwrap_or(0);
                        let max = max.map(|m| m.unwrap_or(0));
                        self.repeat(RepeatOp::Range { min, max }, start, after)?;
                        repeat_start = Some(start);
                    }
                },
                b'\\' => self.parse_backslash()?,
                _ => {
                    let c = self.char_at(self.pos).unwrap_or('\0');
                    self.literal(c as u32);
                    self.pos += c.len_utf8();
                }
            }
            self.last_repeat = repeat_start;
        }
        match (self.frames.pop(), self.frames.is_empty()) {
            (Some(frame), true) => Ok(frame.finish()),
            _ => err(MISSING_PAREN, self.src),
        }
    }

    /// Applies a repetition operator spanning `start..after` (plus an optional
    /// lazy `?`) to the previous item.
    fn repeat(&mut self, op: RepeatOp, start: usize, mut after: usize) -> Result<(), SyntaxError> {
        let mut lazy = false;
        if self.byte_at(after) == Some(b'?') {
            after += 1;
            lazy = true;
        }
        if let Some(last) = self.last_repeat {
            return err(INVALID_REPEAT_OP, &self.src[last..after]);
        }
        let greedy = self.flags.non_greedy == lazy;
        let Some(sub) = self.top().items.pop() else {
            return err(MISSING_REPEAT_ARGUMENT, &self.src[start..after]);
        };
        let node = Node::Repeat {
            op,
            greedy,
            sub: Box::new(sub),
        };
        if let RepeatOp::Range { min, max } = op
            && (min >= 2 || max.is_some_and(|m| m >= 2))
            && !repeat_is_valid(&node, MAX_REPEAT)
        {
            return err(INVALID_REPEAT_SIZE, &self.src[start..after]);
        }
        self.push(node);
        self.pos = after;
        Ok(())
    }

    /// Parses `{n}`, `{n,}` or `{n,m}` at the cursor. Returns the bounds
    /// (`None` for a number too large to represent) and the end offset, or
    /// `None` if the text is not a repetition (then `{` is a literal).
    #[allow(clippy::type_complexity)]
    fn parse_repeat_braces(&self) -> Option<(Option<u32>, Option<Option<u32>>, usize)> {
        let mut i = self.pos + 1;
        let (min, next) = self.parse_int(i)?;
        i = next;
        let max = match self.byte_at(i)? {
            b',' => {
                i += 1;
                if self.byte_at(i)? == b'}' {
                    None
                } else {
                    let (max, next) = self.parse_int(i)?;
                    i = next;
                    Some(max)
                }
            }
            _ => Some(min),
        };
        if self.byte_at(i)? != b'}' {
            return None;
        }
        Some((min, max, i + 1))
    }

    /// Parses a decimal number without leading zeros; the value is `None` if
    /// it is too large.
    fn parse_int(&self, start: usize) -> Option<(Option<u32>, usize)> {
        let digits = self.src[start..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        if digits == 0 || (digits >= 2 && self.byte_at(start) == Some(b'0')) {
            return None;
        }
        let text = &self.src[start..start + digits];
        let value = if digits > 8 {
            None
        } else {
            text.parse::<u32>().ok()
        };
        Some((value, start + digits))
    }

    fn close_group(&mut self) -> Result<(), SyntaxError> {
        if self.frames.len() < 2 {
            return err(UNEXPECTED_PAREN, self.src);
        }
        let Some(frame) = self.frames.pop() else {
            return err(UNEXPECTED_PAREN, self.src);
        };
        self.flags = frame.saved_flags;
        let capture = frame.capture.clone();
        let body = frame.finish();
        let node = match capture {
            Some(name) => Node::Capture {
                name,
                sub: Box::new(body),
            },
            None => body,
        };
        self.push(node);
        Ok(())
    }

    /// Parses `(?…`: a named capture, a flag change, or a flagged
    /// non-capturing group.
    fn parse_perl_flags(&mut self) -> Result<(), SyntaxError> {
        let t = self.rest();
        let b = t.as_bytes();
        let named_p = b.len() > 4 && b[2] == b'P' && b[3] == b'<';
        let named_angle = b.len() > 3 && b[2] == b'<';
        if named_p || named_angle {
            let name_start = if named_p { 4 } else { 3 };
            let Some(end) = t.find('>') else {
                return err(INVALID_NAMED_CAPTURE, t);
            };
            let name = &t[name_start..end];
            if name.is_empty() || !name.bytes().all(|c| c == b'_' || c.is_ascii_alphanumeric()) {
                return err(INVALID_NAMED_CAPTURE, &t[..=end]);
            }
            let saved = self.flags;
            self.frames
                .push(Frame::new(Some(Some(name.to_string())), saved));
            self.pos += end + 1;
            return Ok(());
        }

        let mut flags = self.flags;
        let mut positive = true;
        let mut saw_flag = false;
        let mut consumed = 2;
        for c in t[2..].chars() {
            consumed += c.len_utf8();
            match c {
                'i' => flags.fold_case = positive,
                'm' => flags.multi_line = positive,
                's' => flags.dot_nl = positive,
                'U' => flags.non_greedy = positive,
                '-' if positive => {
                    positive = false;
                    saw_flag = false;
                    continue;
                }
                ':' | ')' if positive || saw_flag => {
                    if c == ':' {
                        let saved = self.flags;
                        self.frames.push(Frame::new(None, saved));
                    }
                    self.flags = flags;
                    self.pos += consumed;
                    return Ok(());
                }
                _ => break,
            }
            saw_flag = true;
        }
        err(INVALID_PERL_OP, &t[..consumed])
    }

    fn parse_backslash(&mut self) -> Result<(), SyntaxError> {
        let start = self.pos;
        match self.byte_at(start + 1) {
            Some(b'A') => return self.look(Look::BeginText),
            Some(b'b') => return self.look(Look::WordBoundary),
            Some(b'B') => return self.look(Look::NotWordBoundary),
            Some(b'z') => return self.look(Look::EndText),
            Some(b'C') => return err(INVALID_ESCAPE, &self.src[start..start + 2]),
            Some(b'Q') => {
                let body = &self.src[start + 2..];
                let (lit, next) = match body.find("\\E") {
                    Some(i) => (&body[..i], start + 2 + i + 2),
                    None => (body, self.src.len()),
                };
                for c in lit.chars() {
                    self.literal(c as u32);
                }
                self.pos = next;
                return Ok(());
            }
            Some(b'p' | b'P') => {
                let (item, next) = self.parse_unicode_class(start)?;
                let fold = self.flags.fold_case;
                self.push(Node::Class {
                    negated: false,
                    items: vec![item],
                    fold,
                });
                self.pos = next;
                return Ok(());
            }
            Some(c) => {
                if let Some(item) = perl_class(c) {
                    let fold = self.flags.fold_case;
                    self.push(Node::Class {
                        negated: false,
                        items: vec![item],
                        fold,
                    });
                    self.pos = start + 2;
                    return Ok(());
                }
            }
            None => {}
        }
        let (cp, next) = self.parse_escape(start)?;
        self.literal(cp);
        self.pos = next;
        Ok(())
    }

    fn look(&mut self, look: Look) -> Result<(), SyntaxError> {
        self.push(Node::Look(look));
        self.pos += 2;
        Ok(())
    }

    /// Parses a single-character escape at `start` (which holds `\`).
    fn parse_escape(&self, start: usize) -> Result<(u32, usize), SyntaxError> {
        let invalid = |end: usize| err(INVALID_ESCAPE, &self.src[start..end]);
        let mut t = start + 1;
        let Some(c) = self.char_at(t) else {
            return err(TRAILING_BACKSLASH, "");
        };
        t += c.len_utf8();
        match c {
            '1'..='7' | '0' => {
                let is_octal = |b: Option<u8>| matches!(b, Some(b'0'..=b'7'));
                if c != '0' && !is_octal(self.byte_at(t)) {
                    // A lone non-zero digit would be a backreference.
                    return invalid(t);
                }
                let mut value = c as u32 - '0' as u32;
                for _ in 1..3 {
                    match self.byte_at(t) {
                        Some(d @ b'0'..=b'7') => {
                            value = value * 8 + u32::from(d - b'0');
                            t += 1;
                        }
                        _ => break,
                    }
                }
                Ok((value, t))
            }
            'x' => {
                let Some(c) = self.char_at(t) else {
                    return invalid(t);
                };
                t += c.len_utf8();
                if c == '{' {
                    let mut value: u32 = 0;
                    let mut digits = 0;
                    loop {
                        let Some(c) = self.char_at(t) else {
                            return invalid(t);
                        };
                        t += c.len_utf8();
                        if c == '}' {
                            break;
                        }
                        let Some(v) = unhex(c) else {
                            return invalid(t);
                        };
                        value = value * 16 + v;
                        if value > MAX_RUNE {
                            return invalid(t);
                        }
                        digits += 1;
                    }
                    if digits == 0 {
                        return invalid(t);
                    }
                    return Ok((value, t));
                }
                let hi = unhex(c);
                let lo = self.char_at(t).and_then(|c2| {
                    t += c2.len_utf8();
                    unhex(c2)
                });
                match (hi, lo) {
                    (Some(hi), Some(lo)) => Ok((hi * 16 + lo, t)),
                    _ => invalid(t),
                }
            }
            'a' => Ok((0x07, t)),
            'f' => Ok((0x0C, t)),
            'n' => Ok((0x0A, t)),
            'r' => Ok((0x0D, t)),
            't' => Ok((0x09, t)),
            'v' => Ok((0x0B, t)),
            c if c.is_ascii() && !c.is_ascii_alphanumeric() => Ok((c as u32, t)),
            _ => invalid(t),
        }
    }

    /// Parses `\pX`, `\p{Name}`, `\PX`, `\P{^Name}`… at `start`.
    fn parse_unicode_class(&self, start: usize) -> Result<(ClassItem, usize), SyntaxError> {
        let s = &self.src[start..];
        let mut negated = s.as_bytes()[1] == b'P';
        let after_p = start + 2;
        let (seq_end, mut name) = match self.char_at(after_p) {
            Some('{') => {
                let Some(end) = s.find('}') else {
                    return err(INVALID_CHAR_RANGE, s);
                };
                (start + end + 1, &s[3..end])
            }
            Some(c) => (
                after_p + c.len_utf8(),
                &self.src[after_p..after_p + c.len_utf8()],
            ),
            None => (after_p, ""),
        };
        let seq = &self.src[start..seq_end];
        if let Some(stripped) = name.strip_prefix('^') {
            negated = !negated;
            name = stripped;
        }
        let item = if name == "Cs" {
            if negated {
                ClassItem::All
            } else {
                ClassItem::Nothing
            }
        } else if rust_knows_unicode_class(name) {
            ClassItem::Unicode {
                name: name.to_string(),
                negated,
            }
        } else {
            return err(INVALID_CHAR_RANGE, seq);
        };
        Ok((item, seq_end))
    }

    /// Parses a bracketed class at the cursor (which holds `[`).
    fn parse_class(&mut self) -> Result<(), SyntaxError> {
        let start = self.pos;
        let whole = &self.src[start..];
        let mut t = start + 1;
        let mut negated = false;
        if self.byte_at(t) == Some(b'^') {
            negated = true;
            t += 1;
        }
        let mut items = Vec::new();
        let mut first = true;
        loop {
            let Some(b) = self.byte_at(t) else {
                return err(MISSING_BRACKET, whole);
            };
            if b == b']' && !first {
                break;
            }
            first = false;
            let rest = &self.src[t..];
            if rest.len() > 2
                && rest.starts_with("[:")
                && let Some(i) = rest[2..].find(":]")
            {
                let full = &rest[..i + 4];
                let mut name = &rest[2..i + 2];
                let mut class_negated = false;
                if let Some(stripped) = name.strip_prefix('^') {
                    class_negated = true;
                    name = stripped;
                }
                let Some(ranges) = posix_class(name) else {
                    return err(INVALID_CHAR_RANGE, full);
                };
                items.push(ClassItem::Ascii {
                    ranges,
                    negated: class_negated,
                });
                t += full.len();
                continue;
            }
            if rest.starts_with("\\p") || rest.starts_with("\\P") {
                let (item, next) = self.parse_unicode_class(t)?;
                items.push(item);
                t = next;
                continue;
            }
            if let Some(item) = rest
                .strip_prefix('\\')
                .and_then(|r| perl_class(*r.as_bytes().first()?))
            {
                items.push(item);
                t += 2;
                continue;
            }
            let range_start = t;
            let (lo, next) = self.parse_class_char(t, whole)?;
            t = next;
            let mut hi = lo;
            if self.byte_at(t) == Some(b'-') && self.byte_at(t + 1).is_some_and(|b| b != b']') {
                let (h, next) = self.parse_class_char(t + 1, whole)?;
                t = next;
                if h < lo {
                    return err(INVALID_CHAR_RANGE, &self.src[range_start..t]);
                }
                hi = h;
            }
            items.push(ClassItem::Range(lo, hi));
        }
        let fold = self.flags.fold_case;
        self.push(Node::Class {
            negated,
            items,
            fold,
        });
        self.pos = t + 1;
        Ok(())
    }

    fn parse_class_char(&self, t: usize, whole: &str) -> Result<(u32, usize), SyntaxError> {
        match self.char_at(t) {
            None => err(MISSING_BRACKET, whole),
            Some('\\') => self.parse_escape(t),
            Some(c) => Ok((c as u32, t + c.len_utf8())),
        }
    }
}
