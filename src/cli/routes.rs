//! `tocsin config routes show|test`: amtool's routing tree printer and tester,
//! with the same output.

use std::collections::BTreeMap;
use std::io::Write;

use crate::dispatch::Route;
use crate::matcher::MatchType;
use crate::matcher::compat::{self, ParseMode};

/// A node of an ASCII tree, printed like the `treeprint` Go package.
#[derive(Debug, Default)]
pub struct Tree {
    pub value: String,
    pub children: Vec<Tree>,
}

impl Tree {
    fn leaf(value: String) -> Tree {
        Tree {
            value,
            children: Vec::new(),
        }
    }

    /// Renders the tree: the root's value, then each branch with `├──`, `└──`
    /// and `│` guides (followed by two no-break spaces, as treeprint writes them).
    pub fn render(&self) -> String {
        let mut out = format!("{}\n", self.value);
        Self::render_children(&self.children, "", &mut out);
        out
    }

    fn render_children(children: &[Tree], prefix: &str, out: &mut String) {
        for (i, c) in children.iter().enumerate() {
            let last = i + 1 == children.len();
            out.push_str(prefix);
            out.push_str(if last { "└── " } else { "├── " });
            out.push_str(&c.value);
            out.push('\n');
            let next = format!("{prefix}{}", if last { "    " } else { "│\u{a0}\u{a0} " });
            Self::render_children(&c.children, &next, out);
        }
    }
}

/// amtool's one-line description of a route.
fn slug(route: &Route, show_continue: bool, show_receiver: bool) -> String {
    let mut s = if route.matchers.is_empty() {
        "default-route".to_string()
    } else {
        route.matchers.to_string()
    };
    if route.continue_matching && show_continue {
        s.push_str("  continue: true");
    }
    if show_receiver {
        s.push_str("  receiver: ");
        s.push_str(&route.opts.receiver);
    }
    s
}

fn full_tree(route: &Route) -> Tree {
    Tree {
        value: slug(route, true, true),
        children: route.routes.iter().map(full_tree).collect(),
    }
}

/// The output of `routes show`.
pub fn show(root: &Route) -> String {
    let tree = Tree {
        value: ".".to_string(),
        children: vec![full_tree(root)],
    };
    format!("Routing tree:\n{}\n", tree.render())
}

fn matching_tree(route: &Route, labels: &BTreeMap<String, String>) -> Tree {
    let mut node = Tree::leaf(slug(route, false, false));
    for child in &route.routes {
        if child.matchers.matches(labels) {
            node.children.push(matching_tree(child, labels));
            if !child.continue_matching {
                break;
            }
        }
    }
    if node.children.is_empty() {
        node.value = slug(route, false, true);
    }
    node
}

/// Parses `name=value` arguments into a label set, as amtool does.
pub fn parse_labels(args: &[String], mode: ParseMode) -> Result<BTreeMap<String, String>, String> {
    let mut labels = BTreeMap::new();
    for a in args {
        let (m, _warning) =
            compat::parse_matcher(a, mode).map_err(|e| format!("Failed to parse labels: {e}"))?;
        if m.op() != MatchType::Equal {
            return Err("Labels must be specified as key=value pairs".to_string());
        }
        labels.insert(m.name().to_string(), m.value().to_string());
    }
    Ok(labels)
}

/// The outcome of `routes test`.
pub struct TestOutcome {
    pub output: String,
    /// False when `--verify.receivers` was given and did not match.
    pub verified: bool,
}

/// Runs `routes test` for a label set.
pub fn test(
    root: &Route,
    labels: &BTreeMap<String, String>,
    verify_receivers: &str,
    print_tree: bool,
) -> TestOutcome {
    let mut output = String::new();
    if print_tree {
        let tree = Tree {
            value: ".".to_string(),
            children: vec![matching_tree(root, labels)],
        };
        output.push_str("Matching routes:\n");
        output.push_str(&tree.render());
        output.push_str("\n\n");
    }
    let receivers: Vec<&str> = root
        .match_labels(labels)
        .iter()
        .map(|r| r.opts.receiver.as_str())
        .collect();
    let slug = receivers.join(",");
    output.push_str(&slug);
    output.push('\n');
    let verified = verify_receivers.is_empty() || verify_receivers == slug;
    if !verified {
        output.push_str("WARNING: Expected receivers did not match resolved receivers.\n");
    }
    TestOutcome { output, verified }
}

/// Writes a result to stdout, ignoring a closed pipe.
pub fn print(out: &str) {
    let _ = std::io::stdout().write_all(out.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_renders_like_treeprint() {
        let t = Tree {
            value: ".".into(),
            children: vec![Tree {
                value: "root".into(),
                children: vec![
                    Tree {
                        value: "a".into(),
                        children: vec![Tree::leaf("a1".into()), Tree::leaf("a2".into())],
                    },
                    Tree {
                        value: "b".into(),
                        children: vec![Tree::leaf("b1".into())],
                    },
                ],
            }],
        };
        assert_eq!(
            t.render(),
            ".\n└── root\n    ├── a\n    │\u{a0}\u{a0} ├── a1\n    │\u{a0}\u{a0} └── a2\n    └── b\n        └── b1\n"
        );
    }
}
