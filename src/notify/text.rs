//! Length limits on notification text, as Alertmanager's integrations
//! apply them: cut to a number of characters or bytes, marking the cut with
//! `…`.

/// Marks where text was cut.
pub const TRUNCATION_MARKER: &str = "…";

/// Cuts `s` to at most `n` characters, the last being `…` when cut (no
/// marker for `n <= 3`). Returns whether it was cut.
pub fn truncate_in_runes(s: &str, n: usize) -> (String, bool) {
    if s.chars().count() <= n {
        return (s.to_string(), false);
    }
    if n <= 3 {
        return (s.chars().take(n).collect(), true);
    }
    let mut out: String = s.chars().take(n - 1).collect();
    out.push_str(TRUNCATION_MARKER);
    (out, true)
}

/// Cuts `s` to at most `n` bytes without splitting a character, ending in
/// `…` when cut (`n < 3` gives `n` dots). Returns whether it was cut.
pub fn truncate_in_bytes(s: &str, n: usize) -> (String, bool) {
    if s.len() <= n {
        return (s.to_string(), false);
    }
    if n < 3 {
        return (".".repeat(n), true);
    }
    let mut end = n - TRUNCATION_MARKER.len();
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    (format!("{}{TRUNCATION_MARKER}", &s[..end]), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runes() {
        assert_eq!(truncate_in_runes("abcde", 5), ("abcde".into(), false));
        assert_eq!(truncate_in_runes("abcdef", 5), ("abcd…".into(), true));
        assert_eq!(truncate_in_runes("äöüßé", 4), ("äöü…".into(), true));
        assert_eq!(truncate_in_runes("abcdef", 3), ("abc".into(), true));
        assert_eq!(truncate_in_runes("abcdef", 0), ("".into(), true));
    }

    #[test]
    fn bytes() {
        assert_eq!(truncate_in_bytes("abcde", 5), ("abcde".into(), false));
        assert_eq!(truncate_in_bytes("abcdef", 5), ("ab…".into(), true));
        assert_eq!(truncate_in_bytes("abcdef", 3), ("…".into(), true));
        assert_eq!(truncate_in_bytes("abcdef", 2), ("..".into(), true));
        // "ä" is two bytes: never split.
        assert_eq!(truncate_in_bytes("aääää", 7), ("aä…".into(), true));
        assert_eq!(truncate_in_bytes("ääää", 6), ("ä…".into(), true));
    }
}
