//! The UTF-8 matcher parser of newer Alertmanager versions (0.27+).
//!
//! Grammar: `[ "{" ] [ matcher { "," matcher } [ "," ] ] [ "}" ]` with
//! `matcher = name op value`; names and values are either double-quoted (Go
//! string literal escapes) or unquoted runs of characters that are neither
//! whitespace nor one of ``{}!=~,\"'` ``. Errors carry `start:end:` rune
//! columns and Alertmanager's exact texts.

use super::gostr;
use super::labels::{MatchType, Matcher, Matchers};

/// Characters that end an unquoted token; names containing any of them are
/// printed quoted.
pub(crate) fn is_reserved(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '{' | '}' | '!' | '=' | '~' | ',' | '\\' | '"' | '\'' | '`'
        )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Eof,
    OpenBrace,
    CloseBrace,
    Comma,
    Equals,
    NotEquals,
    Matches,
    NotMatches,
    Quoted,
    Unquoted,
}

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    kind: Kind,
    value: &'a str,
    col_start: usize,
    col_end: usize,
}

impl Token<'_> {
    fn eof() -> Self {
        Token {
            kind: Kind::Eof,
            value: "",
            col_start: 0,
            col_end: 0,
        }
    }

    /// The decoded text of a name or value token.
    fn text(&self) -> Result<String, String> {
        match self.kind {
            Kind::Quoted => gostr::unquote(self.value).ok_or_else(|| {
                format!(
                    "{}:{}: {}: invalid input",
                    self.col_start, self.col_end, self.value
                )
            }),
            _ => Ok(self.value.to_string()),
        }
    }
}

/// Cursor state of the lexer; copied to implement look-ahead.
#[derive(Debug, Clone, Copy)]
struct Cursor {
    /// Byte offset where the current token starts.
    start: usize,
    /// Byte offset of the next character.
    pos: usize,
    /// Rune column where the current token starts.
    column: usize,
    /// Runes consumed so far.
    cols: usize,
}

struct Lexer<'a> {
    input: &'a str,
    cur: Cursor,
    /// Once the input is found invalid, every further scan reports it.
    err: Option<String>,
}

impl<'a> Lexer<'a> {
    fn new(input: &'a str) -> Self {
        Lexer {
            input,
            cur: Cursor {
                start: 0,
                pos: 0,
                column: 0,
                cols: 0,
            },
            err: None,
        }
    }

    fn next(&mut self) -> Option<char> {
        let c = self.input[self.cur.pos..].chars().next()?;
        self.cur.pos += c.len_utf8();
        self.cur.cols += 1;
        Some(c)
    }

    /// Steps back over `c`, the result of the last `next()`.
    fn rewind(&mut self, c: Option<char>) {
        if let Some(c) = c {
            self.cur.pos -= c.len_utf8();
            self.cur.cols -= 1;
        }
    }

    fn accept(&mut self, want: char) -> bool {
        let c = self.next();
        if c == Some(want) {
            return true;
        }
        self.rewind(c);
        false
    }

    fn emit(&mut self, kind: Kind) -> Token<'a> {
        let t = Token {
            kind,
            value: &self.input[self.cur.start..self.cur.pos],
            col_start: self.cur.column,
            col_end: self.cur.cols,
        };
        self.skip();
        t
    }

    fn skip(&mut self) {
        self.cur.start = self.cur.pos;
        self.cur.column = self.cur.cols;
    }

    /// The text of the current (partial) token, prefixed by its columns.
    fn here(&self) -> (String, &'a str) {
        let prefix = format!("{}:{}", self.cur.column, self.cur.cols);
        (prefix, &self.input[self.cur.start..self.cur.pos])
    }

    fn expected_one_of(&self, expected: &str) -> String {
        let (cols, text) = self.here();
        if self.cur.pos >= self.input.len() {
            format!("{cols}: unexpected end of input, expected one of '{expected}'")
        } else {
            format!("{cols}: {text}: expected one of '{expected}'")
        }
    }

    /// The next token; `Kind::Eof` once the input is consumed.
    fn scan(&mut self) -> Result<Token<'a>, String> {
        if let Some(e) = &self.err {
            return Err(e.clone());
        }
        let result = self.scan_token();
        if let Err(e) = &result {
            self.err = Some(e.clone());
        }
        result
    }

    fn scan_token(&mut self) -> Result<Token<'a>, String> {
        while let Some(c) = self.next() {
            match c {
                '{' => return Ok(self.emit(Kind::OpenBrace)),
                '}' => return Ok(self.emit(Kind::CloseBrace)),
                ',' => return Ok(self.emit(Kind::Comma)),
                '=' | '!' => {
                    self.rewind(Some(c));
                    return self.scan_operator();
                }
                '"' => {
                    self.rewind(Some(c));
                    return self.scan_quoted();
                }
                c if !is_reserved(c) => {
                    self.rewind(Some(c));
                    return Ok(self.scan_unquoted());
                }
                c if c.is_whitespace() => self.skip(),
                _ => {
                    let (cols, text) = self.here();
                    return Err(format!("{cols}: {text}: invalid input"));
                }
            }
        }
        Ok(Token::eof())
    }

    fn scan_operator(&mut self) -> Result<Token<'a>, String> {
        if self.accept('!') {
            if self.accept('=') {
                return Ok(self.emit(Kind::NotEquals));
            }
            if self.accept('~') {
                return Ok(self.emit(Kind::NotMatches));
            }
            return Err(self.expected_one_of("=~"));
        }
        if self.accept('=') {
            if self.accept('~') {
                return Ok(self.emit(Kind::Matches));
            }
            return Ok(self.emit(Kind::Equals));
        }
        Err(self.expected_one_of("!="))
    }

    fn scan_quoted(&mut self) -> Result<Token<'a>, String> {
        self.accept('"');
        let mut escaped = false;
        while let Some(c) = self.next() {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                self.rewind(Some(c));
                break;
            }
        }
        if !self.accept('"') {
            let (cols, text) = self.here();
            return Err(format!("{cols}: {text}: missing end \""));
        }
        Ok(self.emit(Kind::Quoted))
    }

    fn scan_unquoted(&mut self) -> Token<'a> {
        while let Some(c) = self.next() {
            if is_reserved(c) {
                self.rewind(Some(c));
                break;
            }
        }
        self.emit(Kind::Unquoted)
    }

    /// The next token without consuming it (errors stay recorded).
    fn peek(&mut self) -> Result<Token<'a>, String> {
        let saved = self.cur;
        let result = self.scan();
        self.cur = saved;
        result
    }
}

/// Why an expected token was not found.
enum Miss {
    /// The input ended (`end of input`).
    Eof,
    /// Any other problem, with its text.
    Other(String),
}

impl std::fmt::Display for Miss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Miss::Eof => f.write_str("end of input"),
            Miss::Other(e) => f.write_str(e),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum State {
    OpenBrace,
    CloseBrace,
    Matcher,
    EndOfMatcher,
    Comma,
    Eof,
}

struct Parser<'a> {
    lexer: Lexer<'a>,
    has_open_brace: bool,
    matchers: Matchers,
}

impl<'a> Parser<'a> {
    /// The next token if it is one of `kinds`, without consuming it.
    fn expect_peek(&mut self, kinds: &[Kind]) -> Result<Token<'a>, Miss> {
        let t = self.lexer.peek().map_err(Miss::Other)?;
        if t.kind == Kind::Eof {
            return Err(Miss::Eof);
        }
        if !kinds.contains(&t.kind) {
            return Err(Miss::Other(format!(
                "{}:{}: unexpected {}",
                t.col_start, t.col_end, t.value
            )));
        }
        Ok(t)
    }

    /// The next token if it is one of `kinds`, consumed.
    fn expect(&mut self, kinds: &[Kind]) -> Result<Token<'a>, Miss> {
        let t = self.expect_peek(kinds)?;
        self.lexer.scan().map_err(Miss::Other)?;
        Ok(t)
    }

    /// Whether the next token is of `kind` (not consumed).
    fn accept_peek(&mut self, kind: Kind) -> Result<bool, Miss> {
        let t = self.lexer.peek().map_err(Miss::Other)?;
        if t.kind == Kind::Eof {
            return Err(Miss::Eof);
        }
        Ok(t.kind == kind)
    }

    fn parse(mut self) -> Result<Matchers, String> {
        let mut state = State::OpenBrace;
        loop {
            state = match state {
                State::OpenBrace => self.open_brace()?,
                State::CloseBrace => self.close_brace()?,
                State::Matcher => self.matcher()?,
                State::EndOfMatcher => match self.expect_peek(&[Kind::Comma, Kind::CloseBrace]) {
                    Err(Miss::Eof) => State::CloseBrace,
                    Err(e) => return Err(format!("{e}: expected a comma or close brace")),
                    Ok(t) if t.kind == Kind::Comma => State::Comma,
                    Ok(_) => State::CloseBrace,
                },
                State::Comma => self.comma()?,
                State::Eof => {
                    let t = self
                        .lexer
                        .scan()
                        .map_err(|e| format!("{e}: expected end of input"))?;
                    if t.kind != Kind::Eof {
                        return Err(format!(
                            "{}:{}: {}: expected end of input",
                            t.col_start, t.col_end, t.value
                        ));
                    }
                    return Ok(self.matchers);
                }
            };
        }
    }

    fn open_brace(&mut self) -> Result<State, String> {
        match self.accept_peek(Kind::OpenBrace) {
            Err(Miss::Eof) => return Ok(State::Eof),
            Err(Miss::Other(e)) => return Err(e),
            Ok(found) => {
                self.has_open_brace = found;
                if found {
                    self.lexer.scan()?;
                }
            }
        }
        match self.accept_peek(Kind::CloseBrace) {
            Err(Miss::Eof) | Ok(true) => Ok(State::CloseBrace),
            Err(Miss::Other(e)) => Err(e),
            Ok(false) => Ok(State::Matcher),
        }
    }

    fn close_brace(&mut self) -> Result<State, String> {
        let found = self.expect(&[Kind::CloseBrace]);
        let col = self.lexer.cur.cols;
        match (self.has_open_brace, found) {
            (true, Err(e)) => Err(format!("0:{col}: {e}: expected close brace")),
            (false, Ok(_)) => Err(format!("0:{col}: }}: expected opening brace")),
            _ => Ok(State::Eof),
        }
    }

    fn matcher(&mut self) -> Result<State, String> {
        let name = self
            .expect(&[Kind::Quoted, Kind::Unquoted])
            .map_err(|e| format!("{e}: expected label name"))?
            .text()?;
        let op = self
            .expect(&[
                Kind::Equals,
                Kind::NotEquals,
                Kind::Matches,
                Kind::NotMatches,
            ])
            .map_err(|e| format!("{e}: expected an operator such as '=', '!=', '=~' or '!~'"))?;
        let op = match op.kind {
            Kind::NotEquals => MatchType::NotEqual,
            Kind::Matches => MatchType::Regexp,
            Kind::NotMatches => MatchType::NotRegexp,
            _ => MatchType::Equal,
        };
        let value = self
            .expect(&[Kind::Unquoted, Kind::Quoted])
            .map_err(|e| format!("{e}: expected label value"))?
            .text()?;
        let m =
            Matcher::new(op, name, value).map_err(|e| format!("failed to create matcher: {e}"))?;
        self.matchers.push(m);
        Ok(State::EndOfMatcher)
    }

    fn comma(&mut self) -> Result<State, String> {
        self.expect(&[Kind::Comma])
            .map_err(|e| format!("{e}: expected a comma"))?;
        match self.expect_peek(&[Kind::CloseBrace, Kind::Unquoted, Kind::Quoted]) {
            Err(Miss::Eof) => Ok(State::CloseBrace),
            Err(e) => Err(format!(
                "{e}: expected a matcher or close brace after comma"
            )),
            Ok(t) if t.kind == Kind::CloseBrace => Ok(State::CloseBrace),
            Ok(_) => Ok(State::Matcher),
        }
    }
}

/// Parses zero or more matchers, optionally in braces (Alertmanager's
/// `matcher/parse.Matchers`).
pub fn parse_matchers(input: &str) -> Result<Matchers, String> {
    let parser = Parser {
        lexer: Lexer::new(input),
        has_open_brace: false,
        matchers: Matchers::new(),
    };
    parser.parse()
}

/// Parses exactly one matcher (Alertmanager's `matcher/parse.Matcher`);
/// braces are allowed here, the compat layer rejects them.
pub fn parse_matcher(input: &str) -> Result<Matcher, String> {
    let ms = parse_matchers(input)?;
    match ms.len() {
        1 => Ok(ms.into_vec().remove(0)),
        0 => Err("no matchers".to_string()),
        n => Err(format!("expected 1 matcher, found {n}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MatchType::*;

    fn m(op: MatchType, name: &str, value: &str) -> Matcher {
        Matcher::new(op, name, value).unwrap()
    }

    /// Kind, text, start column and end column of a token.
    type Tok = (Kind, String, usize, usize);

    fn tokens(input: &str) -> (Vec<Tok>, Option<String>) {
        let mut lexer = Lexer::new(input);
        let mut out = Vec::new();
        loop {
            match lexer.scan() {
                Ok(t) if t.kind == Kind::Eof => return (out, None),
                Ok(t) => out.push((t.kind, t.value.to_string(), t.col_start, t.col_end)),
                Err(e) => return (out, Some(e)),
            }
        }
    }

    #[test]
    fn lexer_tokens_and_columns() {
        use Kind::*;
        let t = |k, v: &str, s, e| (k, v.to_string(), s, e);
        let cases: Vec<(&str, Vec<Tok>)> = vec![
            ("", vec![]),
            (" {", vec![t(OpenBrace, "{", 1, 2)]),
            (
                "{ }",
                vec![t(OpenBrace, "{", 0, 1), t(CloseBrace, "}", 2, 3)],
            ),
            ("hello:world", vec![t(Unquoted, "hello:world", 0, 11)]),
            (
                "hello world",
                vec![t(Unquoted, "hello", 0, 5), t(Unquoted, "world", 6, 11)],
            ),
            ("\nhello", vec![t(Unquoted, "hello", 1, 6)]),
            ("$", vec![t(Unquoted, "$", 0, 1)]),
            (
                "hello🙂Σ world",
                vec![t(Unquoted, "hello🙂Σ", 0, 7), t(Unquoted, "world", 8, 13)],
            ),
            (
                "hello🙂Σ\u{202f}world",
                vec![t(Unquoted, "hello🙂Σ", 0, 7), t(Unquoted, "world", 8, 13)],
            ),
            ("\"hello 🙂\"", vec![t(Quoted, "\"hello 🙂\"", 0, 9)]),
            (
                "\"hello\nworld\"",
                vec![t(Quoted, "\"hello\nworld\"", 0, 13)],
            ),
            (
                "\"hello \\\"world\\\"\"",
                vec![t(Quoted, "\"hello \\\"world\\\"\"", 0, 17)],
            ),
            (
                "= != =~ !~",
                vec![
                    t(Equals, "=", 0, 1),
                    t(NotEquals, "!=", 2, 4),
                    t(Matches, "=~", 5, 7),
                    t(NotMatches, "!~", 8, 10),
                ],
            ),
            (
                "a,b",
                vec![
                    t(Unquoted, "a", 0, 1),
                    t(Comma, ",", 1, 2),
                    t(Unquoted, "b", 2, 3),
                ],
            ),
        ];
        for (input, want) in cases {
            assert_eq!(tokens(input), (want, None), "input {input:?}");
        }
    }

    #[test]
    fn lexer_errors() {
        let cases = [
            ("!", "0:1: unexpected end of input, expected one of '=~'"),
            ("~", "0:1: ~: invalid input"),
            ("=!", "1:2: unexpected end of input, expected one of '=~'"),
            ("!=!!", "2:3: !: expected one of '=~'"),
            (
                "hello!",
                "5:6: unexpected end of input, expected one of '=~'",
            ),
            ("\\n", "0:1: \\: invalid input"),
            ("hello\\r", "5:6: \\: invalid input"),
            ("'a'", "0:1: ': invalid input"),
            ("\"hello", "0:6: \"hello: missing end \""),
            ("\"hello\\\"", "0:8: \"hello\\\": missing end \""),
            ("🙂\"🙂", "1:3: \"🙂: missing end \""),
        ];
        for (input, want) in cases {
            assert_eq!(tokens(input).1.as_deref(), Some(want), "input {input:?}");
        }
        // Errors are sticky, and peeking reports them too.
        let mut lexer = Lexer::new("\"hello");
        for _ in 0..3 {
            assert_eq!(lexer.peek().unwrap_err(), "0:6: \"hello: missing end \"");
            assert_eq!(lexer.scan().unwrap_err(), "0:6: \"hello: missing end \"");
        }
    }

    #[test]
    fn parses_matchers() {
        let cases: Vec<(&str, Vec<Matcher>)> = vec![
            ("", vec![]),
            ("{}", vec![]),
            (" { } ", vec![]),
            ("{foo=bar}", vec![m(Equal, "foo", "bar")]),
            ("{foo=bar,}", vec![m(Equal, "foo", "bar")]),
            ("foo=bar,", vec![m(Equal, "foo", "bar")]),
            ("{foo!=bar}", vec![m(NotEqual, "foo", "bar")]),
            ("{foo=~[a-z]+}", vec![m(Regexp, "foo", "[a-z]+")]),
            ("foo!~[a-z]+", vec![m(NotRegexp, "foo", "[a-z]+")]),
            ("{foo=🙂bar}", vec![m(Equal, "foo", "🙂bar")]),
            (r#"{"foo"="bar"}"#, vec![m(Equal, "foo", "bar")]),
            (r#"{"foo"=~"\\d+"}"#, vec![m(Regexp, "foo", r"\d+")]),
            (r#"{"foo"="\xf0\x9f\x99\x82"}"#, vec![m(Equal, "foo", "🙂")]),
            (r#"{"foo"="\U0001f642"}"#, vec![m(Equal, "foo", "🙂")]),
            (r#"foo="\u00e9""#, vec![m(Equal, "foo", "é")]),
            (r#"{"foo"="bar\n"}"#, vec![m(Equal, "foo", "bar\n")]),
            (r#"{"foo"="bar\t"}"#, vec![m(Equal, "foo", "bar\t")]),
            (r#"{"foo"="\"bar\""}"#, vec![m(Equal, "foo", "\"bar\"")]),
            (r#"{"foo"="bar\\"}"#, vec![m(Equal, "foo", "bar\\")]),
            (r#""foo bar"="baz""#, vec![m(Equal, "foo bar", "baz")]),
            ("foo:bar=x", vec![m(Equal, "foo:bar", "x")]),
            ("0foo=x", vec![m(Equal, "0foo", "x")]),
            ("föö=x", vec![m(Equal, "föö", "x")]),
            ("🙂=x", vec![m(Equal, "🙂", "x")]),
            ("foo=~.*", vec![m(Regexp, "foo", ".*")]),
            (r#"foo="""#, vec![m(Equal, "foo", "")]),
            (
                "{foo=bar,bar!=baz}",
                vec![m(Equal, "foo", "bar"), m(NotEqual, "bar", "baz")],
            ),
            (
                "  foo = \"bar\" ,\tbar !~ \"b.z\"  ,  ",
                vec![m(Equal, "foo", "bar"), m(NotRegexp, "bar", "b.z")],
            ),
            ("{a=b,c=d,}", vec![m(Equal, "a", "b"), m(Equal, "c", "d")]),
        ];
        for (input, want) in cases {
            assert_eq!(
                parse_matchers(input),
                Ok(Matchers::from(want)),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn parse_errors() {
        let cases = [
            (",", "0:1: unexpected ,: expected label name"),
            ("{,}", "1:2: unexpected ,: expected label name"),
            ("{", "0:1: end of input: expected close brace"),
            ("{   ", "0:1: end of input: expected close brace"),
            ("}", "0:1: }: expected opening brace"),
            ("foo=bar}", "0:8: }: expected opening brace"),
            ("{foo=bar", "0:8: end of input: expected close brace"),
            ("{foo=\"bar\"", "0:10: end of input: expected close brace"),
            ("foo=\"bar\"}", "0:10: }: expected opening brace"),
            (
                "{foo=:\"bar\"}",
                "6:11: unexpected \"bar\": expected a comma or close brace",
            ),
            ("{foo=\"bar\\w\"}", "5:12: \"bar\\w\": invalid input"),
            ("{\"foo\"=~\"\\d+\"}", "8:13: \"\\d+\": invalid input"),
            (
                "{foo=bar\\n}",
                "8:9: \\: invalid input: expected a comma or close brace",
            ),
            (
                "{\"foo\"=\"\\xf0\\x9f\"}",
                "7:17: \"\\xf0\\x9f\": invalid input",
            ),
            ("{\"fo\\xffo\"=bar}", "1:10: \"fo\\xffo\": invalid input"),
            ("foo=", "end of input: expected label value"),
            (
                "foo",
                "end of input: expected an operator such as '=', '!=', '=~' or '!~'",
            ),
            (
                "foo bar",
                "4:7: unexpected bar: expected an operator such as '=', '!=', '=~' or '!~'",
            ),
            (
                "foo!bar",
                "3:4: !: expected one of '=~': expected an operator such as '=', '!=', '=~' or '!~'",
            ),
            (
                "foo=bar baz",
                "8:11: unexpected baz: expected a comma or close brace",
            ),
            (
                "foo=bar,,",
                "8:9: unexpected ,: expected a matcher or close brace after comma",
            ),
            (
                "foo=bar,=",
                "8:9: unexpected =: expected a matcher or close brace after comma",
            ),
            ("{}}", "2:3: }: expected end of input"),
            ("{foo=bar}x", "9:10: x: expected end of input"),
            (
                "{foo=bar}~",
                "9:10: ~: invalid input: expected end of input",
            ),
            ("foo='bar'", "4:5: ': invalid input: expected label value"),
            (
                "foo=!bar",
                "4:5: !: expected one of '=~': expected label value",
            ),
            ("foo=,", "4:5: unexpected ,: expected label value"),
            ("=bar", "0:1: unexpected =: expected label name"),
            ("!foo", "0:1: !: expected one of '=~'"),
            ("~", "0:1: ~: invalid input"),
            ("{~", "1:2: ~: invalid input"),
            (
                "foo=\"bar",
                "4:8: \"bar: missing end \": expected label value",
            ),
            ("\"foo\nbar\"=x", "0:9: \"foo\nbar\": invalid input"),
            (
                "foo=~(",
                "failed to create matcher: error parsing regexp: missing closing ): `^(?:()$`",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(
                parse_matchers(input),
                Err(want.to_string()),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn single_matcher() {
        assert_eq!(parse_matcher("{foo=bar,}"), Ok(m(Equal, "foo", "bar")));
        assert_eq!(
            parse_matcher(r#""foo"!~"a+""#),
            Ok(m(NotRegexp, "foo", "a+"))
        );
        assert_eq!(parse_matcher(""), Err("no matchers".to_string()));
        assert_eq!(parse_matcher("{}"), Err("no matchers".to_string()));
        assert_eq!(
            parse_matcher("foo=bar,bar=baz"),
            Err("expected 1 matcher, found 2".to_string())
        );
        assert_eq!(
            parse_matcher("foo=\"\\xf0\\x9f\""),
            Err("4:14: \"\\xf0\\x9f\": invalid input".to_string())
        );
    }

    #[test]
    fn display_round_trips_through_parser() {
        let ms = Matchers::from(vec![
            m(Equal, "foo", "bar"),
            m(NotEqual, "foo bar", "a\"b\\c\nd"),
            m(Regexp, "job", r"a\.b|c.*"),
            m(NotRegexp, "🙂", "x\ty"),
            m(Equal, "a,b", ""),
        ]);
        assert_eq!(parse_matchers(&ms.to_string()), Ok(ms.clone()));
        for matcher in ms.iter() {
            assert_eq!(parse_matcher(&matcher.to_string()).as_ref(), Ok(matcher));
        }
    }
}
