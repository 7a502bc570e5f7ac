//! Query parameters as go-openapi reads them: repeated `filter` values and
//! forgiving booleans.

use std::collections::HashMap;

/// The query string, with repeated keys kept in order.
pub struct Query(HashMap<String, Vec<String>>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Query {
        let mut m: HashMap<String, Vec<String>> = HashMap::new();
        if let Some(q) = raw {
            for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
                m.entry(k.into_owned()).or_default().push(v.into_owned());
            }
        }
        Query(m)
    }

    /// Every value of a repeated parameter.
    pub fn all(&self, key: &str) -> &[String] {
        self.0.get(key).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The first value of a parameter.
    pub fn first(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.first()).map(String::as_str)
    }

    /// A boolean parameter: absent or empty means `default`; otherwise true
    /// only for go-openapi's truthy words, and anything else is false (never
    /// an error).
    pub fn bool_or(&self, key: &str, default: bool) -> bool {
        match self.first(key) {
            None | Some("") => default,
            Some(v) => matches!(
                v.to_ascii_lowercase().as_str(),
                "true" | "1" | "yes" | "ok" | "y" | "on" | "selected" | "checked" | "t" | "enabled"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bools_and_repeats() {
        let q = Query::parse(Some(
            "active=false&silenced=YES&inhibited=nope&filter=a%3D%22b%22&filter=c%3Dd&x=",
        ));
        assert!(!q.bool_or("active", true));
        assert!(q.bool_or("silenced", false));
        assert!(!q.bool_or("inhibited", true));
        assert!(q.bool_or("missing", true));
        assert!(q.bool_or("x", true));
        assert_eq!(q.all("filter"), ["a=\"b\"", "c=d"]);
        assert!(q.all("none").is_empty());
    }
}
