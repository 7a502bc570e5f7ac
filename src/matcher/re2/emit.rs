//! The printing half of the RE2 translation: a [`Node`] tree in Rust
//! `regex` syntax, with every flag explicit and every literal escaped.

use std::collections::HashSet;
use std::fmt::Write as _;

use super::{ClassItem, Look, Node, RepeatOp};

impl Node {
    /// Appends the Rust syntax for this node; `names` collects the capture
    /// names used so far.
    pub(super) fn emit(&self, out: &mut String, names: &mut HashSet<String>) {
        match self {
            Node::Empty => {}
            Node::Literal { cp, fold } => emit_literals(out, &[(*cp, *fold)]),
            Node::Class {
                negated,
                items,
                fold,
            } => {
                if *fold {
                    out.push_str("(?i:");
                }
                emit_class(out, *negated, items);
                if *fold {
                    out.push(')');
                }
            }
            Node::AnyChar { dot_nl: true } => out.push_str("(?s:.)"),
            Node::AnyChar { dot_nl: false } => out.push('.'),
            Node::Look(look) => out.push_str(match look {
                Look::BeginText => r"\A",
                Look::EndText => r"\z",
                Look::BeginLine => "(?m:^)",
                Look::EndLine => "(?m:$)",
                Look::WordBoundary => r"(?-u:\b)",
                Look::NotWordBoundary => r"(?-u:\B)",
            }),
            Node::Capture { name, sub } => {
                out.push('(');
                // Rust rejects names starting with a digit and duplicate
                // names, which Go accepts; such groups stay unnamed.
                if let Some(name) = name
                    && name.starts_with(|c: char| c == '_' || c.is_ascii_alphabetic())
                    && names.insert(name.clone())
                {
                    let _ = write!(out, "?P<{name}>");
                }
                sub.emit(out, names);
                out.push(')');
            }
            Node::Repeat { op, greedy, sub } => {
                let atomic = matches!(
                    **sub,
                    Node::Literal { fold: false, .. }
                        | Node::Class { .. }
                        | Node::AnyChar { .. }
                        | Node::Capture { .. }
                );
                if atomic {
                    sub.emit(out, names);
                } else {
                    out.push_str("(?:");
                    sub.emit(out, names);
                    out.push(')');
                }
                match op {
                    RepeatOp::Star => out.push('*'),
                    RepeatOp::Plus => out.push('+'),
                    RepeatOp::Quest => out.push('?'),
                    RepeatOp::Range { min, max: None } => {
                        let _ = write!(out, "{{{min},}}");
                    }
                    RepeatOp::Range {
                        min,
                        max: Some(max),
                    } if max == min => {
                        let _ = write!(out, "{{{min}}}");
                    }
                    RepeatOp::Range {
                        min,
                        max: Some(max),
                    } => {
                        let _ = write!(out, "{{{min},{max}}}");
                    }
                }
                if !greedy {
                    out.push('?');
                }
            }
            Node::Concat(items) => {
                let mut i = 0;
                while i < items.len() {
                    // Print runs of literals together so that case-folded
                    // runs share one `(?i:…)` group.
                    let mut run = Vec::new();
                    while let Some(Node::Literal { cp, fold }) = items.get(i) {
                        run.push((*cp, *fold));
                        i += 1;
                    }
                    if !run.is_empty() {
                        emit_literals(out, &run);
                        continue;
                    }
                    let item = &items[i];
                    if matches!(item, Node::Alternate(_)) {
                        out.push_str("(?:");
                        item.emit(out, names);
                        out.push(')');
                    } else {
                        item.emit(out, names);
                    }
                    i += 1;
                }
            }
            Node::Alternate(branches) => {
                for (i, branch) in branches.iter().enumerate() {
                    if i > 0 {
                        out.push('|');
                    }
                    branch.emit(out, names);
                }
            }
        }
    }
}

fn is_surrogate(cp: u32) -> bool {
    (0xD800..=0xDFFF).contains(&cp)
}

/// A class matching nothing, for impossible literals such as surrogates.
const NEVER: &str = r"[^\x{0}-\x{10FFFF}]";

fn emit_literals(out: &mut String, run: &[(u32, bool)]) {
    let mut open_fold = false;
    for &(cp, fold) in run {
        if fold != open_fold {
            out.push_str(if fold { "(?i:" } else { ")" });
            open_fold = fold;
        }
        match char::from_u32(cp) {
            Some(c) => push_char(out, c),
            None => out.push_str(NEVER),
        }
    }
    if open_fold {
        out.push(')');
    }
}

/// Prints one character so that it is a literal both inside and outside a
/// Rust bracket class, whatever characters surround it.
fn push_char(out: &mut String, c: char) {
    if c.is_ascii_alphanumeric()
        || c == '_'
        || (!c.is_ascii() && !c.is_whitespace() && !c.is_control())
    {
        out.push(c);
    } else {
        let _ = write!(out, "\\x{{{:X}}}", c as u32);
    }
}

fn emit_range(out: &mut String, lo: u32, hi: u32) -> bool {
    // Rust strings cannot hold surrogates, so clip them off the range.
    let lo = if is_surrogate(lo) { 0xE000 } else { lo };
    let hi = if is_surrogate(hi) { 0xD7FF } else { hi };
    let (Some(lo), Some(hi)) = (char::from_u32(lo), char::from_u32(hi)) else {
        return false;
    };
    if lo > hi {
        return false;
    }
    push_char(out, lo);
    if hi != lo {
        out.push('-');
        push_char(out, hi);
    }
    true
}

fn emit_ascii_class(out: &mut String, ranges: &[(u32, u32)], negated: bool) {
    out.push_str(if negated { "[^" } else { "[" });
    for &(lo, hi) in ranges {
        emit_range(out, lo, hi);
    }
    out.push(']');
}

fn emit_class(out: &mut String, negated: bool, items: &[ClassItem]) {
    // A lone ASCII or Unicode class needs no surrounding brackets.
    if !negated && let [item] = items {
        match item {
            ClassItem::Ascii { ranges, negated } => return emit_ascii_class(out, ranges, *negated),
            ClassItem::Unicode { name, negated } => {
                let _ = write!(out, "\\{}{{{name}}}", if *negated { 'P' } else { 'p' });
                return;
            }
            _ => {}
        }
    }
    let mut body = String::new();
    for item in items {
        match item {
            ClassItem::Range(lo, hi) => {
                emit_range(&mut body, *lo, *hi);
            }
            ClassItem::Ascii { ranges, negated } => emit_ascii_class(&mut body, ranges, *negated),
            ClassItem::Unicode { name, negated } => {
                let _ = write!(body, "\\{}{{{name}}}", if *negated { 'P' } else { 'p' });
            }
            ClassItem::All => body.push_str(r"\x{0}-\x{10FFFF}"),
            ClassItem::Nothing => {}
        }
    }
    match (body.is_empty(), negated) {
        (true, false) => out.push_str(NEVER),
        (true, true) => out.push_str(r"[\x{0}-\x{10FFFF}]"),
        (false, _) => {
            out.push_str(if negated { "[^" } else { "[" });
            out.push_str(&body);
            out.push(']');
        }
    }
}
