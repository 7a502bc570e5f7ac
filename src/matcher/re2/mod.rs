//! Go RE2 pattern syntax, re-expressed in the syntax of the Rust `regex` crate.
//!
//! Alertmanager compiles label-matcher regexes with Go's `regexp` package. Its
//! syntax is close to Rust's but not identical: Perl classes and `\b` are
//! ASCII-only, `&&`/`--`/`~~` are plain characters inside brackets, `\Q…\E`
//! and octal escapes exist, `\<`/`\>` are literals, repeat counts above 1000
//! are errors, and so on. [`translate`] parses a pattern with Go's rules
//! (reporting Go's error texts) into a small syntax tree in which every flag is
//! resolved per node, then prints that tree in Rust syntax with explicit
//! flags, ASCII classes and escaped literals, so that Rust's flag scoping and
//! escape rules never come into play.
//!
//! Deliberately more permissive than Go 1.19: `(?<name>…)` groups (as Go
//! 1.22+) and Unicode class names that Rust knows but Go 1.19 does not (such
//! as the category alias `\p{Letter}`, which Go 1.25+ accepts too).

use std::collections::HashSet;

mod emit;
mod parse;

/// Largest repeat count Go accepts, also the budget for nested repeats.
const MAX_REPEAT: u32 = 1000;
/// Go's limit on the height of the parsed syntax tree.
const MAX_HEIGHT: usize = 1000;
/// Go's limit on the compiled program size (128 MiB of 40-byte instructions).
const MAX_SIZE: u64 = (128 << 20) / 40;
const MAX_RUNE: u32 = 0x10FFFF;

/// A Go `regexp/syntax` error, displayed as Go does:
/// ``error parsing regexp: CODE: `EXPR` ``.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    code: &'static str,
    expr: String,
}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "error parsing regexp: {}: `{}`", self.code, self.expr)
    }
}

const INVALID_CHAR_RANGE: &str = "invalid character class range";
const INVALID_ESCAPE: &str = "invalid escape sequence";
const INVALID_NAMED_CAPTURE: &str = "invalid named capture";
const INVALID_PERL_OP: &str = "invalid or unsupported Perl syntax";
const INVALID_REPEAT_OP: &str = "invalid nested repetition operator";
const INVALID_REPEAT_SIZE: &str = "invalid repeat count";
const MISSING_BRACKET: &str = "missing closing ]";
const MISSING_PAREN: &str = "missing closing )";
const MISSING_REPEAT_ARGUMENT: &str = "missing argument to repetition operator";
const TRAILING_BACKSLASH: &str = "trailing backslash at end of expression";
const UNEXPECTED_PAREN: &str = "unexpected )";
const NESTING_DEPTH: &str = "expression nests too deeply";
pub(crate) const TOO_LARGE: &str = "expression too large";

fn err<T>(code: &'static str, expr: &str) -> Result<T, SyntaxError> {
    Err(SyntaxError {
        code,
        expr: expr.to_string(),
    })
}

/// Parses `pattern` as Go's `regexp.Compile` would and returns an equivalent
/// pattern for the Rust `regex` crate.
pub(crate) fn translate(pattern: &str) -> Result<String, SyntaxError> {
    let tree = parse::Parser::new(pattern).parse()?;
    if tree.height() > MAX_HEIGHT {
        return err(NESTING_DEPTH, pattern);
    }
    if tree.size() > MAX_SIZE {
        return err(TOO_LARGE, pattern);
    }
    let mut out = String::with_capacity(pattern.len() * 2);
    let mut names = HashSet::new();
    tree.emit(&mut out, &mut names);
    Ok(out)
}

/// Flags in effect at a point of the pattern (Go's `i`, `s`, `m` and `U`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Flags {
    fold_case: bool,
    dot_nl: bool,
    multi_line: bool,
    non_greedy: bool,
}

/// Zero-width assertions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Look {
    BeginText,
    EndText,
    BeginLine,
    EndLine,
    WordBoundary,
    NotWordBoundary,
}

/// Repetition operators; `Range` is `{min}`, `{min,}` or `{min,max}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RepeatOp {
    Star,
    Plus,
    Quest,
    Range { min: u32, max: Option<u32> },
}

/// One member of a bracketed (or implicit) character class.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ClassItem {
    /// Inclusive code-point range (may touch the surrogate block).
    Range(u32, u32),
    /// An ASCII class (Perl `\d`-style or POSIX `[:name:]`) as ranges.
    Ascii {
        ranges: &'static [(u32, u32)],
        negated: bool,
    },
    /// A Unicode class `\p{name}` the Rust crate understands.
    Unicode { name: String, negated: bool },
    /// Every code point (from `\P{Cs}`: Rust strings hold no surrogates).
    All,
    /// No code point (from `\p{Cs}`).
    Nothing,
}

/// The parsed pattern. Flags are resolved into the nodes they affect
/// (`fold` for case-insensitivity, `dot_nl`, the line/text variants of
/// `Look`, `greedy`), and non-capturing groups are dissolved.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Empty,
    Literal {
        cp: u32,
        fold: bool,
    },
    Class {
        negated: bool,
        items: Vec<ClassItem>,
        fold: bool,
    },
    AnyChar {
        dot_nl: bool,
    },
    Look(Look),
    Capture {
        name: Option<String>,
        sub: Box<Node>,
    },
    Repeat {
        op: RepeatOp,
        greedy: bool,
        sub: Box<Node>,
    },
    Concat(Vec<Node>),
    Alternate(Vec<Node>),
}

/// Go's rule: nested counted repetitions may not multiply beyond `n` copies.
fn repeat_is_valid(node: &Node, mut n: u32) -> bool {
    if let Node::Repeat {
        op: RepeatOp::Range { min, max },
        ..
    } = node
    {
        let m = match max {
            Some(0) => return true,
            Some(m) => *m,
            None => *min,
        };
        if m > n {
            return false;
        }
        if let Some(quotient) = n.checked_div(m) {
            n = quotient;
        }
    }
    node.children().iter().all(|sub| repeat_is_valid(sub, n))
}

impl Node {
    fn children(&self) -> Vec<&Node> {
        match self {
            Node::Capture { sub, .. } | Node::Repeat { sub, .. } => vec![sub],
            Node::Concat(items) | Node::Alternate(items) => items.iter().collect(),
            _ => Vec::new(),
        }
    }

    /// Approximates the height of Go's syntax tree (runs of literals count
    /// once, as Go merges them into one string node).
    fn height(&self) -> usize {
        match self {
            Node::Capture { sub, .. } | Node::Repeat { sub, .. } => 1 + sub.height(),
            Node::Concat(items) | Node::Alternate(items) => {
                1 + items.iter().map(Node::height).max().unwrap_or(0)
            }
            _ => 1,
        }
    }

    /// Go's estimate of the compiled program size.
    fn size(&self) -> u64 {
        let size = match self {
            Node::Literal { .. } => 1,
            Node::Capture { sub, .. } => 2 + sub.size(),
            Node::Repeat { op, sub, .. } => {
                let sub = sub.size();
                match *op {
                    RepeatOp::Star => 2 + sub,
                    RepeatOp::Plus | RepeatOp::Quest => 1 + sub,
                    RepeatOp::Range { min: 0, max: None } => 2 + sub,
                    RepeatOp::Range { min, max: None } => 1 + u64::from(min) * sub,
                    RepeatOp::Range {
                        min,
                        max: Some(max),
                    } => u64::from(max) * sub + u64::from(max - min),
                }
            }
            Node::Concat(items) => items.iter().map(Node::size).sum(),
            Node::Alternate(items) => {
                items.iter().map(Node::size).sum::<u64>() + items.len() as u64 - 1
            }
            _ => 1,
        };
        size.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(p: &str) -> String {
        translate(p).unwrap_or_else(|e| panic!("{p}: {e}"))
    }

    #[test]
    fn prints_rust_syntax() {
        let cases = [
            (r"\d+", "[0-9]+"),
            (r"\W", "[^0-9A-Z_a-z]"),
            (r"[\d-z]", "[[0-9]\\x{2D}z]"),
            (r"[a&&b]", "[a\\x{26}\\x{26}b]"),
            (r"\Qa.b\E", "a\\x{2E}b"),
            (r"\141", "a"),
            (r"\<", "\\x{3C}"),
            (r"foo\b", "foo(?-u:\\b)"),
            (r"(?i)ab(?-i)c", "(?i:ab)c"),
            (r"(?U)a+b+?", "a+?b+"),
            (r"(?s).", "(?s:.)"),
            (r"(?m)^$", "(?m:^)(?m:$)"),
            (r"^a$", "\\Aa\\z"),
            (r"ab*", "ab*"),
            (r"(?:ab)*", "(?:ab)*"),
            (r"a|b(c|d)", "a|b(c|d)"),
            (r"x(?:a|b)y", "x(?:a|b)y"),
            (r"a{2,}b{3}c{0,1}", "a{2,}b{3}c{0,1}"),
            (r"(?P<n>a)(?P<1x>b)(?P<n>c)", "(?P<n>a)(b)(c)"),
            (r"\p{Greek}\P{^L}", "\\p{Greek}\\p{L}"),
            (r"\p{Cs}", "[^\\x{0}-\\x{10FFFF}]"),
            (r"\x{D800}", "[^\\x{0}-\\x{10FFFF}]"),
            (r"[\x{D800}-\x{E000}]", "[\u{E000}]"),
            (r"a\Q\E*", "a*"),
            (r"^*", "(?:\\A)*"),
            (r"é ", "é\\x{20}"),
            ("", ""),
        ];
        let wrong: Vec<String> = cases
            .iter()
            .filter(|(go, rust)| ok(go) != *rust)
            .map(|(go, rust)| format!("{go}: want {rust}, got {}", ok(go)))
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn go_error_texts() {
        let cases = [
            ("a{1001}", "invalid repeat count: `{1001}`"),
            ("a**", "invalid nested repetition operator: `**`"),
            ("*", "missing argument to repetition operator: `*`"),
            ("[a", "missing closing ]: `[a`"),
            ("(a", "missing closing ): `(a`"),
            ("a)", "unexpected ): `a)`"),
            ("a\\", "trailing backslash at end of expression: ``"),
            (r"\8", "invalid escape sequence: `\\8`"),
            ("(?x)", "invalid or unsupported Perl syntax: `(?x`"),
            ("(?P<a-b>x)", "invalid named capture: `(?P<a-b>`"),
            (r"\p{Nope}", "invalid character class range: `\\p{Nope}`"),
        ];
        for (p, want) in cases {
            let got = translate(p).expect_err(p).to_string();
            assert_eq!(got, format!("error parsing regexp: {want}"), "pattern {p}");
        }
    }

    #[test]
    fn limits_on_depth_and_size() {
        let deep = format!("{}a{}", "(".repeat(1001), ")".repeat(1001));
        assert_eq!(
            translate(&deep).unwrap_err().to_string(),
            format!("error parsing regexp: expression nests too deeply: `{deep}`")
        );
        let ok_depth = format!("{}a{}", "(".repeat(998), ")".repeat(998));
        assert!(translate(&ok_depth).is_ok());
        let big = format!("(?:{}){{1000}}", "a".repeat(4000));
        assert_eq!(
            translate(&big).unwrap_err().to_string(),
            format!("error parsing regexp: expression too large: `{big}`")
        );
    }
}
