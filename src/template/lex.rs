//! The template lexer: splits template text into Go's token kinds (text,
//! delimiters with `{{-`/`-}}` trim markers, comments, strings, numbers,
//! keywords, fields, variables, ...), with byte positions and line numbers.
//!
//! Lexing stops at the first error, which becomes the last token; the parser
//! reports it when it reaches it, exactly where Go's parser would.

use std::borrow::Cow;
use std::fmt;

/// Token kinds, mirroring Go's `itemType` (keywords sort after `Keyword`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A lexing error; the value is the message.
    Error,
    /// `true` or `false`.
    Bool,
    /// A printable ASCII character such as `,`.
    Char,
    /// A character constant such as `'a'`.
    CharConstant,
    /// A comment (never emitted: comments are dropped).
    Comment,
    /// A complex constant such as `1+2i`.
    Complex,
    /// `=`.
    Assign,
    /// `:=`.
    Declare,
    /// End of input.
    Eof,
    /// `.Name`.
    Field,
    /// A function name.
    Identifier,
    /// The left delimiter.
    LeftDelim,
    /// `(`.
    LeftParen,
    /// A number.
    Number,
    /// `|`.
    Pipe,
    /// A back-quoted string (with quotes).
    RawString,
    /// The right delimiter.
    RightDelim,
    /// `)`.
    RightParen,
    /// Spaces between arguments.
    Space,
    /// A double-quoted string (with quotes).
    String,
    /// Text outside actions.
    Text,
    /// `$`, `$x`.
    Variable,
    /// Marker: everything after this is a keyword.
    Keyword,
    /// `block`.
    Block,
    /// `break`.
    Break,
    /// `continue`.
    Continue,
    /// `.` on its own.
    Dot,
    /// `define`.
    Define,
    /// `else`.
    Else,
    /// `end`.
    End,
    /// `if`.
    If,
    /// `nil`.
    Nil,
    /// `range`.
    Range,
    /// `template`.
    Template,
    /// `with`.
    With,
}

fn keyword(word: &str) -> Option<Kind> {
    Some(match word {
        "block" => Kind::Block,
        "break" => Kind::Break,
        "continue" => Kind::Continue,
        "define" => Kind::Define,
        "else" => Kind::Else,
        "end" => Kind::End,
        "if" => Kind::If,
        "range" => Kind::Range,
        "nil" => Kind::Nil,
        "template" => Kind::Template,
        "with" => Kind::With,
        _ => return None,
    })
}

/// A token.
#[derive(Clone, Debug)]
pub struct Token<'s> {
    /// Its kind.
    pub kind: Kind,
    /// Byte offset of its start in the input.
    pub pos: usize,
    /// Its text (or the message, for errors).
    pub val: Cow<'s, str>,
    /// The line (1-based) its start is on.
    pub line: usize,
}

/// Go's `item.String()`, used in "unexpected ..." parse errors.
impl fmt::Display for Token<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            Kind::Eof => f.write_str("EOF"),
            Kind::Error => f.write_str(&self.val),
            k if k > Kind::Keyword => write!(f, "<{}>", self.val),
            _ => {
                if self.val.len() > 10 {
                    let short: String = self.val.chars().take(10).collect();
                    write!(f, "{}...", super::quote::quote(&short, false))
                } else {
                    f.write_str(&super::quote::quote(&self.val, false))
                }
            }
        }
    }
}

/// Go's `%#U` formatting of a rune: `U+0029 ')'`.
pub fn sharp_u(c: char) -> String {
    if super::quote::is_print(c) {
        format!("U+{:04X} '{}'", c as u32, c)
    } else {
        format!("U+{:04X}", c as u32)
    }
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

fn has_left_trim_marker(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0] == b'-' && is_space(b[1] as char)
}

fn has_right_trim_marker(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && is_space(b[0] as char) && b[1] == b'-'
}

const TRIM_MARKER_LEN: usize = 2;
const LEFT_COMMENT: &str = "/*";
const RIGHT_COMMENT: &str = "*/";

#[derive(Clone, Copy)]
enum State {
    Text,
    LeftDelim,
    Comment,
    RightDelim,
    InsideAction,
    Space,
    Identifier,
    Field,
    Variable,
    Char,
    Number,
    Quote,
    RawQuote,
    Done,
}

struct Lexer<'s> {
    input: &'s str,
    left: &'s str,
    right: &'s str,
    pos: usize,
    start: usize,
    at_eof: bool,
    paren_depth: i32,
    line: usize,
    start_line: usize,
    items: Vec<Token<'s>>,
}

/// Lexes `input` with the given delimiters (empty means `{{` / `}}`).
pub fn lex<'s>(input: &'s str, left: &'s str, right: &'s str) -> Vec<Token<'s>> {
    let mut l = Lexer {
        input,
        left: if left.is_empty() { "{{" } else { left },
        right: if right.is_empty() { "}}" } else { right },
        pos: 0,
        start: 0,
        at_eof: false,
        paren_depth: 0,
        line: 1,
        start_line: 1,
        items: Vec::new(),
    };
    let mut state = State::Text;
    loop {
        state = match state {
            State::Text => l.lex_text(),
            State::LeftDelim => l.lex_left_delim(),
            State::Comment => l.lex_comment(),
            State::RightDelim => l.lex_right_delim(),
            State::InsideAction => l.lex_inside_action(),
            State::Space => l.lex_space(),
            State::Identifier => l.lex_identifier(),
            State::Field => l.lex_field_or_variable(Kind::Field),
            State::Variable => l.lex_variable(),
            State::Char => l.lex_char(),
            State::Number => l.lex_number(),
            State::Quote => l.lex_quote(),
            State::RawQuote => l.lex_raw_quote(),
            State::Done => break,
        };
    }
    l.items
}

impl<'s> Lexer<'s> {
    fn rest(&self) -> &'s str {
        &self.input[self.pos..]
    }

    fn next(&mut self) -> Option<char> {
        match self.input[self.pos..].chars().next() {
            None => {
                self.at_eof = true;
                None
            }
            Some(c) => {
                self.pos += c.len_utf8();
                if c == '\n' {
                    self.line += 1;
                }
                Some(c)
            }
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.input[self.pos..].chars().next()
    }

    fn backup(&mut self) {
        if !self.at_eof
            && self.pos > 0
            && let Some(c) = self.input[..self.pos].chars().next_back()
        {
            self.pos -= c.len_utf8();
            if c == '\n' {
                self.line -= 1;
            }
        }
    }

    fn emit(&mut self, kind: Kind) {
        self.items.push(Token {
            kind,
            pos: self.start,
            val: Cow::Borrowed(&self.input[self.start..self.pos]),
            line: self.start_line,
        });
        self.start = self.pos;
        self.start_line = self.line;
    }

    fn ignore(&mut self) {
        self.line += self.input[self.start..self.pos].matches('\n').count();
        self.start = self.pos;
        self.start_line = self.line;
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.next() {
            Some(c) if valid.contains(c) => true,
            _ => {
                self.backup();
                false
            }
        }
    }

    fn accept_run(&mut self, valid: &str) {
        while let Some(c) = self.next() {
            if !valid.contains(c) {
                break;
            }
        }
        self.backup();
    }

    fn errorf(&mut self, msg: String) -> State {
        self.items.push(Token {
            kind: Kind::Error,
            pos: self.start,
            val: Cow::Owned(msg),
            line: self.start_line,
        });
        State::Done
    }

    fn lex_text(&mut self) -> State {
        if let Some(x) = self.rest().find(self.left) {
            let ldn = self.left.len();
            self.pos += x;
            let mut trim = 0;
            if has_left_trim_marker(&self.input[self.pos + ldn..]) {
                let text = &self.input[self.start..self.pos];
                trim = text.len() - text.trim_end_matches(is_space).len();
            }
            self.pos -= trim;
            if self.pos > self.start {
                self.line += self.input[self.start..self.pos].matches('\n').count();
                self.emit(Kind::Text);
            }
            self.pos += trim;
            self.ignore();
            return State::LeftDelim;
        }
        self.pos = self.input.len();
        if self.pos > self.start {
            self.line += self.input[self.start..self.pos].matches('\n').count();
            self.emit(Kind::Text);
        }
        self.emit(Kind::Eof);
        State::Done
    }

    fn at_right_delim(&self) -> (bool, bool) {
        let rest = self.rest();
        if has_right_trim_marker(rest) && rest[TRIM_MARKER_LEN..].starts_with(self.right) {
            return (true, true);
        }
        if rest.starts_with(self.right) {
            return (true, false);
        }
        (false, false)
    }

    fn lex_left_delim(&mut self) -> State {
        self.pos += self.left.len();
        let trim = has_left_trim_marker(self.rest());
        let after = if trim { TRIM_MARKER_LEN } else { 0 };
        if self.input[self.pos + after..].starts_with(LEFT_COMMENT) {
            self.pos += after;
            self.ignore();
            return State::Comment;
        }
        self.emit(Kind::LeftDelim);
        self.pos += after;
        self.ignore();
        self.paren_depth = 0;
        State::InsideAction
    }

    fn lex_comment(&mut self) -> State {
        self.pos += LEFT_COMMENT.len();
        let Some(i) = self.rest().find(RIGHT_COMMENT) else {
            return self.errorf("unclosed comment".into());
        };
        self.pos += i + RIGHT_COMMENT.len();
        let (delim, trim) = self.at_right_delim();
        if !delim {
            return self.errorf("comment ends before closing delimiter".into());
        }
        if trim {
            self.pos += TRIM_MARKER_LEN;
        }
        self.pos += self.right.len();
        if trim {
            let rest = self.rest();
            self.pos += rest.len() - rest.trim_start_matches(is_space).len();
        }
        self.ignore();
        State::Text
    }

    fn lex_right_delim(&mut self) -> State {
        let trim = has_right_trim_marker(self.rest());
        if trim {
            self.pos += TRIM_MARKER_LEN;
            self.ignore();
        }
        self.pos += self.right.len();
        self.emit(Kind::RightDelim);
        if trim {
            let rest = self.rest();
            self.pos += rest.len() - rest.trim_start_matches(is_space).len();
            self.ignore();
        }
        State::Text
    }

    fn lex_inside_action(&mut self) -> State {
        let (delim, _) = self.at_right_delim();
        if delim {
            if self.paren_depth == 0 {
                return State::RightDelim;
            }
            return self.errorf("unclosed left paren".into());
        }
        let Some(r) = self.next() else {
            return self.errorf("unclosed action".into());
        };
        match r {
            r if is_space(r) => {
                self.backup();
                return State::Space;
            }
            '=' => self.emit(Kind::Assign),
            ':' => {
                if self.next() != Some('=') {
                    return self.errorf("expected :=".into());
                }
                self.emit(Kind::Declare);
            }
            '|' => self.emit(Kind::Pipe),
            '"' => return State::Quote,
            '`' => return State::RawQuote,
            '$' => return State::Variable,
            '\'' => return State::Char,
            '.' => {
                if let Some(&b) = self.input.as_bytes().get(self.pos)
                    && !b.is_ascii_digit()
                {
                    return State::Field;
                }
                self.backup();
                return State::Number;
            }
            '+' | '-' | '0'..='9' => {
                self.backup();
                return State::Number;
            }
            r if is_alnum(r) => {
                self.backup();
                return State::Identifier;
            }
            '(' => {
                self.emit(Kind::LeftParen);
                self.paren_depth += 1;
            }
            ')' => {
                self.emit(Kind::RightParen);
                self.paren_depth -= 1;
                if self.paren_depth < 0 {
                    return self.errorf(format!("unexpected right paren {}", sharp_u(r)));
                }
            }
            r if r.is_ascii() && super::quote::is_print(r) => self.emit(Kind::Char),
            r => {
                return self.errorf(format!("unrecognized character in action: {}", sharp_u(r)));
            }
        }
        State::InsideAction
    }

    fn lex_space(&mut self) -> State {
        let mut spaces = 0;
        while let Some(c) = self.peek() {
            if !is_space(c) {
                break;
            }
            self.next();
            spaces += 1;
        }
        let back = &self.input[self.pos - 1..];
        if has_right_trim_marker(back) && back[TRIM_MARKER_LEN..].starts_with(self.right) {
            self.backup();
            if spaces == 1 {
                return State::RightDelim;
            }
        }
        self.emit(Kind::Space);
        State::InsideAction
    }

    fn lex_identifier(&mut self) -> State {
        loop {
            let r = self.next();
            if let Some(c) = r
                && is_alnum(c)
            {
                continue;
            }
            self.backup();
            if !self.at_terminator() {
                return self.bad_character(r);
            }
            let word = &self.input[self.start..self.pos];
            let kind = if let Some(k) = keyword(word) {
                k
            } else if word == "true" || word == "false" {
                Kind::Bool
            } else {
                Kind::Identifier
            };
            self.emit(kind);
            return State::InsideAction;
        }
    }

    fn bad_character(&mut self, r: Option<char>) -> State {
        let shown = match r {
            Some(c) => sharp_u(c),
            None => "U+FFFFFFFFFFFFFFFF".into(),
        };
        self.errorf(format!("bad character {shown}"))
    }

    fn lex_variable(&mut self) -> State {
        if self.at_terminator() {
            self.emit(Kind::Variable);
            return State::InsideAction;
        }
        self.lex_field_or_variable(Kind::Variable)
    }

    fn lex_field_or_variable(&mut self, kind: Kind) -> State {
        if self.at_terminator() {
            self.emit(if kind == Kind::Variable {
                Kind::Variable
            } else {
                Kind::Dot
            });
            return State::InsideAction;
        }
        let mut r;
        loop {
            r = self.next();
            match r {
                Some(c) if is_alnum(c) => {}
                _ => {
                    self.backup();
                    break;
                }
            }
        }
        if !self.at_terminator() {
            return self.bad_character(r);
        }
        self.emit(kind);
        State::InsideAction
    }

    fn at_terminator(&mut self) -> bool {
        match self.peek() {
            None => true,
            Some(c) if is_space(c) => true,
            Some('.' | ',' | '|' | ':' | ')' | '(') => true,
            _ => self.rest().starts_with(self.right),
        }
    }

    fn lex_char(&mut self) -> State {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    Some(c) if c != '\n' => {}
                    _ => return self.errorf("unterminated character constant".into()),
                },
                None | Some('\n') => {
                    return self.errorf("unterminated character constant".into());
                }
                Some('\'') => break,
                _ => {}
            }
        }
        self.emit(Kind::CharConstant);
        State::InsideAction
    }

    fn lex_number(&mut self) -> State {
        if !self.scan_number() {
            let text = super::quote::quote(&self.input[self.start..self.pos], false);
            return self.errorf(format!("bad number syntax: {text}"));
        }
        if let Some('+' | '-') = self.peek() {
            if !self.scan_number() || !self.input[..self.pos].ends_with('i') {
                let text = super::quote::quote(&self.input[self.start..self.pos], false);
                return self.errorf(format!("bad number syntax: {text}"));
            }
            self.emit(Kind::Complex);
        } else {
            self.emit(Kind::Number);
        }
        State::InsideAction
    }

    fn scan_number(&mut self) -> bool {
        const DEC: &str = "0123456789_";
        const HEX: &str = "0123456789abcdefABCDEF_";
        self.accept("+-");
        let mut digits = DEC;
        if self.accept("0") {
            if self.accept("xX") {
                digits = HEX;
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits == DEC && self.accept("eE") {
            self.accept("+-");
            self.accept_run(DEC);
        }
        if digits == HEX && self.accept("pP") {
            self.accept("+-");
            self.accept_run(DEC);
        }
        self.accept("i");
        if let Some(c) = self.peek()
            && is_alnum(c)
        {
            self.next();
            return false;
        }
        true
    }

    fn lex_quote(&mut self) -> State {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    Some(c) if c != '\n' => {}
                    _ => return self.errorf("unterminated quoted string".into()),
                },
                None | Some('\n') => return self.errorf("unterminated quoted string".into()),
                Some('"') => break,
                _ => {}
            }
        }
        self.emit(Kind::String);
        State::InsideAction
    }

    fn lex_raw_quote(&mut self) -> State {
        loop {
            match self.next() {
                None => return self.errorf("unterminated raw quoted string".into()),
                Some('`') => break,
                _ => {}
            }
        }
        self.emit(Kind::RawString);
        State::InsideAction
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<(Kind, String)> {
        lex(s, "", "")
            .into_iter()
            .map(|t| (t.kind, t.val.into_owned()))
            .collect()
    }

    #[test]
    fn text_and_actions() {
        use Kind::*;
        assert_eq!(
            kinds("a{{.X | f 1 \"s\"}}b"),
            vec![
                (Text, "a".into()),
                (LeftDelim, "{{".into()),
                (Field, ".X".into()),
                (Space, " ".into()),
                (Pipe, "|".into()),
                (Space, " ".into()),
                (Identifier, "f".into()),
                (Space, " ".into()),
                (Number, "1".into()),
                (Space, " ".into()),
                (String, "\"s\"".into()),
                (RightDelim, "}}".into()),
                (Text, "b".into()),
                (Eof, "".into()),
            ]
        );
    }

    #[test]
    fn trim_markers_and_comments() {
        use Kind::*;
        assert_eq!(
            kinds("a \n{{- 3 -}}\n b{{/* c */}}c {{- /* d */ -}} e"),
            vec![
                (Text, "a".into()),
                (LeftDelim, "{{".into()),
                (Number, "3".into()),
                (RightDelim, "}}".into()),
                (Text, "b".into()),
                (Text, "c".into()),
                (Text, "e".into()),
                (Eof, "".into()),
            ]
        );
        assert_eq!(kinds("{{-3}}")[1], (Number, "-3".into()));
    }

    #[test]
    fn keywords_variables_and_numbers() {
        use Kind::*;
        let got: Vec<Kind> = lex(
            "{{range $i, $e := .L}}{{else}}{{end}}{{nil true . $ 0x1F 1_000 1e3 'a' `r`}}",
            "",
            "",
        )
        .into_iter()
        .map(|t| t.kind)
        .filter(|k| *k != Space)
        .collect();
        assert_eq!(
            got,
            vec![
                LeftDelim,
                Range,
                Variable,
                Char,
                Variable,
                Declare,
                Field,
                RightDelim,
                LeftDelim,
                Else,
                RightDelim,
                LeftDelim,
                End,
                RightDelim,
                LeftDelim,
                Nil,
                Bool,
                Dot,
                Variable,
                Number,
                Number,
                Number,
                CharConstant,
                RawString,
                RightDelim,
                Eof
            ]
        );
    }

    #[test]
    fn errors() {
        let last = |s: &str| {
            let t = lex(s, "", "");
            let t = t.last().cloned();
            t.map(|t| (t.kind, t.val.into_owned(), t.line))
        };
        assert_eq!(last("{{"), Some((Kind::Error, "unclosed action".into(), 1)));
        assert_eq!(
            last("{{/* x"),
            Some((Kind::Error, "unclosed comment".into(), 1))
        );
        assert_eq!(
            last("{{\"a}}"),
            Some((Kind::Error, "unterminated quoted string".into(), 1))
        );
        assert_eq!(
            last("{{3x}}"),
            Some((Kind::Error, "bad number syntax: \"3x\"".into(), 1))
        );
        assert_eq!(
            last("{{.X#}}"),
            Some((Kind::Error, "bad character U+0023 '#'".into(), 1))
        );
        assert_eq!(
            last("\n{{ ) }}"),
            Some((Kind::Error, "unexpected right paren U+0029 ')'".into(), 2))
        );
        assert_eq!(
            last("{{ (1 }}"),
            Some((Kind::Error, "unclosed left paren".into(), 1))
        );
    }

    #[test]
    fn token_display() {
        let t = Token {
            kind: Kind::String,
            pos: 0,
            val: "\"abcdefghijkl\"".into(),
            line: 1,
        };
        assert_eq!(t.to_string(), r#""\"abcdefghi"..."#);
        let t = Token {
            kind: Kind::End,
            pos: 0,
            val: "end".into(),
            line: 1,
        };
        assert_eq!(t.to_string(), "<end>");
    }
}
