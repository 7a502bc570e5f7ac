//! The classic matcher parser (Alertmanager 0.25's only parser,
//! `pkg/labels.ParseMatchers` / `ParseMatcher`).
//!
//! It is lenient: one leading `{` and one trailing `}` are stripped
//! independently, the list is split on commas outside double quotes, values
//! may be unquoted (and contain spaces), and only `\\`, `\"` and `\n` are
//! escapes. Label names follow `[a-zA-Z_:][a-zA-Z0-9_:]*`.

use super::labels::{MatchType, Matcher, Matchers};

/// Whitespace as Go's regexp `\s` defines it (no `\v`, ASCII only).
fn is_re_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\u{0C}' | '\r' | ' ')
}

/// Parses a comma-separated list of matchers, optionally in braces.
pub fn parse_matchers(input: &str) -> Result<Matchers, String> {
    let s = input.strip_prefix('{').unwrap_or(input);
    let s = s.strip_suffix('}').unwrap_or(s);

    let mut tokens = Vec::new();
    let mut token = String::new();
    let mut inside_quotes = false;
    let mut escaped = false;
    for c in s.chars() {
        match c {
            // A comma outside quotes ends the token (and, as upstream,
            // leaves the escape state untouched).
            ',' if !inside_quotes => {
                tokens.push(std::mem::take(&mut token));
                continue;
            }
            ',' => {}
            '"' if escaped => escaped = false,
            '"' => inside_quotes = !inside_quotes,
            '\\' => escaped = !escaped,
            _ => escaped = false,
        }
        token.push(c);
    }
    // Only the last token is trimmed, so that a trailing comma is accepted.
    let last = token.trim();
    if !last.is_empty() {
        tokens.push(last.to_string());
    }
    tokens.iter().map(|t| parse_matcher(t)).collect()
}

/// Parses a single matcher: `name op value`, surrounded by optional
/// whitespace, where `value` may be double-quoted.
pub fn parse_matcher(input: &str) -> Result<Matcher, String> {
    let bad_format = || format!("bad matcher format: {input}");
    let s = input.trim_start_matches(is_re_space);
    let name_len = s
        .bytes()
        .enumerate()
        .take_while(|&(i, b)| {
            b == b'_' || b == b':' || b.is_ascii_alphabetic() || (i > 0 && b.is_ascii_digit())
        })
        .count();
    if name_len == 0 {
        return Err(bad_format());
    }
    let (name, s) = s.split_at(name_len);
    let s = s.trim_start_matches(is_re_space);
    let (op, s) = [
        ("=~", MatchType::Regexp),
        ("=", MatchType::Equal),
        ("!=", MatchType::NotEqual),
        ("!~", MatchType::NotRegexp),
    ]
    .into_iter()
    .find_map(|(text, op)| s.strip_prefix(text).map(|rest| (op, rest)))
    .ok_or_else(bad_format)?;
    let raw = s.trim_matches(is_re_space);
    let value = unescape(raw)?;
    Matcher::new(op, name, value).map_err(|e| e.to_string())
}

/// Decodes a (possibly double-quoted) value: `\n`, `\"` and `\\` are
/// escapes, any other backslash is literal; quotes are only allowed around
/// the whole value.
fn unescape(raw: &str) -> Result<String, String> {
    let unescaped_quote = || format!("matcher value contains unescaped double quote: {raw}");
    let (body, mut expect_trailing_quote) = match raw.strip_prefix('"') {
        Some(body) => (body, true),
        None => (raw, false),
    };
    let mut value = String::with_capacity(body.len());
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        let is_last = i == body.len() - 1;
        if escaped {
            escaped = false;
            match c {
                'n' => value.push('\n'),
                '"' | '\\' => value.push(c),
                _ => {
                    value.push('\\');
                    value.push(c);
                }
            }
            continue;
        }
        match c {
            '\\' if !is_last => escaped = true,
            '\\' => value.push('\\'),
            '"' if expect_trailing_quote && is_last => expect_trailing_quote = false,
            '"' => return Err(unescaped_quote()),
            _ => value.push(c),
        }
    }
    if expect_trailing_quote {
        return Err(unescaped_quote());
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use MatchType::*;

    fn m(op: MatchType, name: &str, value: &str) -> Matcher {
        Matcher::new(op, name, value).unwrap()
    }

    #[test]
    fn parses_lists() {
        let cases: Vec<(&str, Vec<Matcher>)> = vec![
            ("", vec![]),
            ("{}", vec![]),
            ("{foo='}", vec![m(Equal, "foo", "'")]),
            ("{foo=\\\"}", vec![m(Equal, "foo", "\"")]),
            ("{foo=bar}", vec![m(Equal, "foo", "bar")]),
            (r#"{foo!~"bar.*"}"#, vec![m(NotRegexp, "foo", "bar.*")]),
            (
                r#"{foo = "bar", dings != "bums", }"#,
                vec![m(Equal, "foo", "bar"), m(NotEqual, "dings", "bums")],
            ),
            (
                r#"{foo="bar,quux", job="job1"}"#,
                vec![m(Equal, "foo", "bar,quux"), m(Equal, "job", "job1")],
            ),
            (
                r#"{quote="She said: \"Hi, ladies! That's gender-neutral…\""}"#,
                vec![m(
                    Equal,
                    "quote",
                    r#"She said: "Hi, ladies! That's gender-neutral…""#,
                )],
            ),
            ("tricky=~~~", vec![m(Regexp, "tricky", "~~")]),
            (
                r#"trickier==\\=\=\""#,
                vec![m(Equal, "trickier", r#"=\=\=""#)],
            ),
            (
                r#"contains_quote != "\"" , contains_comma !~ "foo,bar" , "#,
                vec![
                    m(NotEqual, "contains_quote", "\""),
                    m(NotRegexp, "contains_comma", "foo,bar"),
                ],
            ),
            ("{foo=bar}}", vec![m(Equal, "foo", "bar}")]),
            ("{foo=bar}},}", vec![m(Equal, "foo", "bar}}")]),
            (
                "{foo=,bar=}}",
                vec![m(Equal, "foo", ""), m(Equal, "bar", "}")],
            ),
            (r"{foo=bar\t}", vec![m(Equal, "foo", r"bar\t")]),
            (r"{foo=bar\n}", vec![m(Equal, "foo", "bar\n")]),
            (r"{foo=bar\}", vec![m(Equal, "foo", "bar\\")]),
            (r"{foo=bar\\}", vec![m(Equal, "foo", "bar\\")]),
            ("job=", vec![m(Equal, "job", "")]),
            ("{foo=", vec![m(Equal, "foo", "")]),
            ("{foo=}b", vec![m(Equal, "foo", "}b")]),
            ("foo=bar baz", vec![m(Equal, "foo", "bar baz")]),
            ("foo:bar=\"x\"", vec![m(Equal, "foo:bar", "x")]),
            ("foo=ünï", vec![m(Equal, "foo", "ünï")]),
            ("foo==bar", vec![m(Equal, "foo", "=bar")]),
            ("foo=~[a-z]+", vec![m(Regexp, "foo", "[a-z]+")]),
            (
                "a=1,\u{a0}b=2 \u{a0}",
                vec![m(Equal, "a", "1"), m(Equal, "b", "2")],
            ),
            (
                "a=1\u{a0},b=2",
                vec![m(Equal, "a", "1\u{a0}"), m(Equal, "b", "2")],
            ),
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
    fn list_errors() {
        let cases = [
            (",", "bad matcher format: "),
            ("{,}", "bad matcher format: "),
            ("foo=a,b", "bad matcher format: b"),
            (
                "job=\"value",
                "matcher value contains unescaped double quote: \"value",
            ),
            (
                "job=value\"",
                "matcher value contains unescaped double quote: value\"",
            ),
            (
                r#"trickier==\\=\=\"""#,
                r#"matcher value contains unescaped double quote: =\\=\=\"""#,
            ),
            (
                "contains_unescaped_quote = foo\"bar",
                "matcher value contains unescaped double quote: foo\"bar",
            ),
            (
                "{invalid-name = \"valid label\"}",
                "bad matcher format: invalid-name = \"valid label\"",
            ),
            (
                "{foo=~\"invalid[regexp\"}",
                "error parsing regexp: missing closing ]: `[regexp)$`",
            ),
            (r#""{foo=\"bar"}"#, r#"bad matcher format: "{foo=\"bar""#),
            (r#""foo="bar"""#, r#"bad matcher format: "foo="bar"""#),
            ("{{foo=", "bad matcher format: {foo="),
            ("0foo=\"x\"", "bad matcher format: 0foo=\"x\""),
            ("\"foo\"=\"bar\"", "bad matcher format: \"foo\"=\"bar\""),
            ("föö=\"x\"", "bad matcher format: föö=\"x\""),
            ("\u{a0}a=1,b=2", "bad matcher format: \u{a0}a=1"),
            ("foo", "bad matcher format: foo"),
            ("foo bar=baz", "bad matcher format: foo bar=baz"),
            ("=bar", "bad matcher format: =bar"),
            (
                "foo=\"",
                "matcher value contains unescaped double quote: \"",
            ),
            (
                "foo=\"bar\\\"",
                "matcher value contains unescaped double quote: \"bar\\\"",
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
        assert_eq!(
            parse_matcher(" foo\t=~ \"a b\" \n"),
            Ok(m(Regexp, "foo", "a b"))
        );
        assert_eq!(parse_matcher("foo!=\"a,b\""), Ok(m(NotEqual, "foo", "a,b")));
        assert_eq!(parse_matcher("foo=a,b"), Ok(m(Equal, "foo", "a,b")));
        assert_eq!(parse_matcher("foo=bar\\"), Ok(m(Equal, "foo", "bar\\")));
        assert_eq!(
            parse_matcher("{foo=\"bar\"}"),
            Err("bad matcher format: {foo=\"bar\"}".to_string())
        );
        assert_eq!(parse_matcher("foo=\u{a0}"), Ok(m(Equal, "foo", "\u{a0}")));
        assert_eq!(
            parse_matcher("\u{b}foo=x"),
            Err("bad matcher format: \u{b}foo=x".to_string())
        );
    }
}
