//! How template text moves the HTML context (Go's `transition.go`): the
//! context after a run of literal text, element and attribute recognition,
//! comment, string and regexp tracking in JavaScript and CSS, and the small
//! HTML entity decoder attribute values need.

use super::context::{Attr, Context, Delim, Element, JsCtx, State, UrlPart};

/// Go's `%q` of a byte string (for error messages).
fn q(b: &[u8]) -> String {
    crate::template::quote::quote(&String::from_utf8_lossy(b), false)
}

/// Go's `%.32q`: quoted, at most 32 characters of the input.
fn q32(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b);
    let cut: String = s.chars().take(32).collect();
    crate::template::quote::quote(&cut, false)
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0c' | b'\r')
}

/// Go's `eatWhiteSpace`.
fn eat_white_space(s: &[u8], i: usize) -> usize {
    s[i..]
        .iter()
        .position(|&b| !is_space(b))
        .map_or(s.len(), |p| i + p)
}

/// Go's `eatAttrName`.
fn eat_attr_name(s: &[u8], i: usize) -> Result<usize, String> {
    for j in i..s.len() {
        match s[j] {
            b' ' | b'\t' | b'\n' | b'\x0c' | b'\r' | b'=' | b'>' => return Ok(j),
            b'\'' | b'"' | b'<' => {
                return Err(format!("{} in attribute name: {}", q(&s[j..j + 1]), q32(s)));
            }
            _ => {}
        }
    }
    Ok(s.len())
}

/// Go's `eatTagName`.
fn eat_tag_name(s: &[u8], i: usize) -> (usize, Element) {
    if i == s.len() || !s[i].is_ascii_alphabetic() {
        return (i, Element::None);
    }
    let mut j = i + 1;
    while j < s.len() {
        let x = s[j];
        if x.is_ascii_alphanumeric() {
            j += 1;
            continue;
        }
        if (x == b':' || x == b'-') && j + 1 < s.len() && s[j + 1].is_ascii_alphanumeric() {
            j += 2;
            continue;
        }
        break;
    }
    let e = match s[i..j].to_ascii_lowercase().as_slice() {
        b"script" => Element::Script,
        b"style" => Element::Style,
        b"textarea" => Element::Textarea,
        b"title" => Element::Title,
        _ => Element::None,
    };
    (j, e)
}

/// The content type of an attribute's value (Go's `attrType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrType {
    Plain,
    Css,
    Html,
    Js,
    Url,
    Srcset,
    Unsafe,
}

/// Go's `attrType`: what an attribute's value holds, by attribute name.
pub fn attr_type(name: &str) -> AttrType {
    let name = if let Some(rest) = name.strip_prefix("data-") {
        rest
    } else if let Some((prefix, short)) = name.split_once(':') {
        if prefix == "xmlns" {
            return AttrType::Url;
        }
        short
    } else {
        name
    };
    use AttrType::*;
    let known = match name {
        "accept" | "alt" | "autocomplete" | "autofocus" | "autoplay" | "border" | "checked"
        | "class" | "cols" | "colspan" | "contenteditable" | "contextmenu" | "controls"
        | "coords" | "datetime" | "default" | "dir" | "dirname" | "disabled" | "draggable"
        | "dropzone" | "for" | "formtarget" | "headers" | "height" | "hidden" | "high"
        | "hreflang" | "id" | "ismap" | "kind" | "label" | "lang" | "list" | "loop" | "low"
        | "max" | "maxlength" | "media" | "mediagroup" | "min" | "multiple" | "name" | "open"
        | "optimum" | "placeholder" | "preload" | "pubdate" | "radiogroup" | "readonly"
        | "required" | "reversed" | "rows" | "rowspan" | "spellcheck" | "scope" | "scoped"
        | "seamless" | "selected" | "shape" | "size" | "sizes" | "span" | "srclang" | "start"
        | "step" | "tabindex" | "target" | "title" | "width" | "wrap" => Some(Plain),
        "accept-charset" | "async" | "challenge" | "charset" | "content" | "crossorigin"
        | "defer" | "enctype" | "form" | "formenctype" | "formmethod" | "formnovalidate"
        | "http-equiv" | "keytype" | "language" | "method" | "novalidate" | "pattern" | "rel"
        | "sandbox" | "type" | "value" => Some(Unsafe),
        "action" | "archive" | "background" | "cite" | "classid" | "codebase" | "data"
        | "formaction" | "href" | "icon" | "longdesc" | "manifest" | "poster" | "profile"
        | "src" | "usemap" | "xmlns" => Some(Url),
        "srcdoc" => Some(Html),
        "srcset" => Some(Srcset),
        "style" => Some(Css),
        _ => None,
    };
    if let Some(t) = known {
        return t;
    }
    if name.starts_with("on") {
        return Js;
    }
    if name.contains("src") || name.contains("uri") || name.contains("url") {
        return Url;
    }
    Plain
}

/// Go's `isJSType`: whether a `<script type>` value is JavaScript.
fn is_js_type(mime: &str) -> bool {
    let mime = mime.split(';').next().unwrap_or_default();
    let mime = mime.to_ascii_lowercase();
    matches!(
        mime.trim(),
        "application/ecmascript"
            | "application/javascript"
            | "application/json"
            | "application/ld+json"
            | "application/x-ecmascript"
            | "application/x-javascript"
            | "module"
            | "text/ecmascript"
            | "text/javascript"
            | "text/javascript1.0"
            | "text/javascript1.1"
            | "text/javascript1.2"
            | "text/javascript1.3"
            | "text/javascript1.4"
            | "text/javascript1.5"
            | "text/jscript"
            | "text/livescript"
            | "text/x-ecmascript"
            | "text/x-javascript"
    )
}

fn t_text(c: &Context, s: &[u8]) -> (Context, usize) {
    let mut k = 0;
    loop {
        let Some(p) = s[k..].iter().position(|&b| b == b'<') else {
            return (c.clone(), s.len());
        };
        let mut i = k + p;
        if i + 1 == s.len() {
            return (c.clone(), s.len());
        }
        if s[i..].starts_with(b"<!--") {
            return (Context::with_state(State::HtmlCmt), i + 4);
        }
        i += 1;
        let mut end = false;
        if s[i] == b'/' {
            if i + 1 == s.len() {
                return (c.clone(), s.len());
            }
            end = true;
            i += 1;
        }
        let (j, e) = eat_tag_name(s, i);
        if j != i {
            let element = if end { Element::None } else { e };
            return (
                Context {
                    state: State::Tag,
                    element,
                    ..Context::default()
                },
                j,
            );
        }
        k = j;
    }
}

fn t_tag(c: &Context, s: &[u8]) -> (Context, usize) {
    let i = eat_white_space(s, 0);
    if i == s.len() {
        return (c.clone(), s.len());
    }
    if s[i] == b'>' {
        return (
            Context {
                state: c.element.content_state(),
                element: c.element,
                ..Context::default()
            },
            i + 1,
        );
    }
    let j = match eat_attr_name(s, i) {
        Ok(j) => j,
        Err(e) => return (Context::error(e), s.len()),
    };
    if i == j {
        return (
            Context::error(format!(
                "expected space, attr name, or end of tag, but got {}",
                q(&s[i..])
            )),
            s.len(),
        );
    }
    let name = String::from_utf8_lossy(&s[i..j]).to_lowercase();
    let attr = if c.element == Element::Script && name == "type" {
        Attr::ScriptType
    } else {
        match attr_type(&name) {
            AttrType::Url => Attr::Url,
            AttrType::Css => Attr::Style,
            AttrType::Js => Attr::Script,
            AttrType::Srcset => Attr::Srcset,
            _ => Attr::None,
        }
    };
    let state = if j == s.len() {
        State::AttrName
    } else {
        State::AfterName
    };
    (
        Context {
            state,
            element: c.element,
            attr,
            ..Context::default()
        },
        j,
    )
}

fn t_attr_name(c: &Context, s: &[u8]) -> (Context, usize) {
    match eat_attr_name(s, 0) {
        Err(e) => (Context::error(e), s.len()),
        Ok(i) => {
            let mut c = c.clone();
            if i != s.len() {
                c.state = State::AfterName;
            }
            (c, i)
        }
    }
}

fn t_after_name(c: &Context, s: &[u8]) -> (Context, usize) {
    let i = eat_white_space(s, 0);
    let mut c = c.clone();
    if i == s.len() {
        return (c, s.len());
    }
    if s[i] != b'=' {
        c.state = State::Tag;
        return (c, i);
    }
    c.state = State::BeforeValue;
    (c, i + 1)
}

fn t_before_value(c: &Context, s: &[u8]) -> (Context, usize) {
    let mut i = eat_white_space(s, 0);
    let mut c = c.clone();
    if i == s.len() {
        return (c, s.len());
    }
    let mut delim = Delim::SpaceOrTagEnd;
    match s[i] {
        b'\'' => {
            delim = Delim::SingleQuote;
            i += 1;
        }
        b'"' => {
            delim = Delim::DoubleQuote;
            i += 1;
        }
        _ => {}
    }
    c.state = c.attr.start_state();
    c.delim = delim;
    (c, i)
}

fn find(s: &[u8], pat: &[u8]) -> Option<usize> {
    if pat.is_empty() {
        return Some(0);
    }
    s.windows(pat.len()).position(|w| w == pat)
}

fn t_html_cmt(c: &Context, s: &[u8]) -> (Context, usize) {
    match find(s, b"-->") {
        Some(i) => (Context::default(), i + 3),
        None => (c.clone(), s.len()),
    }
}

/// Go's `indexTagEnd`: where `</tag` (case-insensitive, followed by a tag
/// end separator) starts, if anywhere.
fn index_tag_end(s: &[u8], tag: &[u8]) -> Option<usize> {
    let mut res = 0;
    let mut s = s;
    while !s.is_empty() {
        let i = find(s, b"</")?;
        s = &s[i + 2..];
        if tag.len() <= s.len() && s[..tag.len()].eq_ignore_ascii_case(tag) {
            s = &s[tag.len()..];
            if let Some(&b) = s.first()
                && b"> \t\n\x0c/".contains(&b)
            {
                return Some(res + i);
            }
            res += tag.len();
        }
        res += i + 2;
    }
    None
}

fn t_special_tag_end(c: &Context, s: &[u8]) -> (Context, usize) {
    if c.element != Element::None
        && let Some(i) = index_tag_end(s, c.element.end_tag())
    {
        return (Context::default(), i);
    }
    (c.clone(), s.len())
}

fn t_url(c: &Context, s: &[u8]) -> (Context, usize) {
    let mut c = c.clone();
    if s.iter().any(|&b| b == b'#' || b == b'?') {
        c.url_part = UrlPart::QueryOrFrag;
    } else if s.len() != eat_white_space(s, 0) && c.url_part == UrlPart::None {
        c.url_part = UrlPart::PreQuery;
    }
    (c, s.len())
}

fn is_js_ident_part(c: u8) -> bool {
    c == b'$' || c == b'_' || c.is_ascii_alphanumeric()
}

/// Go's `nextJSCtx`: whether a `/` after `s` starts a regexp.
fn next_js_ctx(s: &[u8], preceding: JsCtx) -> JsCtx {
    let text = String::from_utf8_lossy(s);
    let t = text.trim_end_matches(['\t', '\n', '\x0c', '\r', ' ', '\u{2028}', '\u{2029}']);
    let s = t.as_bytes();
    let n = s.len();
    if n == 0 {
        return preceding;
    }
    match s[n - 1] {
        c @ (b'+' | b'-') => {
            let mut start = n - 1;
            while start > 0 && s[start - 1] == c {
                start -= 1;
            }
            if (n - start) & 1 == 1 {
                JsCtx::Regexp
            } else {
                JsCtx::DivOp
            }
        }
        b'.' => {
            if n != 1 && s[n - 2].is_ascii_digit() {
                JsCtx::DivOp
            } else {
                JsCtx::Regexp
            }
        }
        b',' | b'<' | b'>' | b'=' | b'*' | b'%' | b'&' | b'|' | b'^' | b'?' | b'!' | b'~'
        | b'(' | b'[' | b':' | b';' | b'{' | b'}' => JsCtx::Regexp,
        _ => {
            let mut j = n;
            while j > 0 && is_js_ident_part(s[j - 1]) {
                j -= 1;
            }
            match &s[j..] {
                b"break" | b"case" | b"continue" | b"delete" | b"do" | b"else" | b"finally"
                | b"in" | b"instanceof" | b"return" | b"throw" | b"try" | b"typeof" | b"void" => {
                    JsCtx::Regexp
                }
                _ => JsCtx::DivOp,
            }
        }
    }
}

fn t_js(c: &Context, s: &[u8]) -> (Context, usize) {
    let mut c = c.clone();
    let Some(mut i) = s.iter().position(|&b| b"\"`'/".contains(&b)) else {
        c.js_ctx = next_js_ctx(s, c.js_ctx);
        return (c, s.len());
    };
    c.js_ctx = next_js_ctx(&s[..i], c.js_ctx);
    match s[i] {
        b'"' => {
            c.state = State::JsDqStr;
            c.js_ctx = JsCtx::Regexp;
        }
        b'\'' => {
            c.state = State::JsSqStr;
            c.js_ctx = JsCtx::Regexp;
        }
        b'`' => {
            c.state = State::JsBqStr;
            c.js_ctx = JsCtx::Regexp;
        }
        _ => {
            if i + 1 < s.len() && s[i + 1] == b'/' {
                c.state = State::JsLineCmt;
                i += 1;
            } else if i + 1 < s.len() && s[i + 1] == b'*' {
                c.state = State::JsBlockCmt;
                i += 1;
            } else if c.js_ctx == JsCtx::Regexp {
                c.state = State::JsRegexp;
            } else if c.js_ctx == JsCtx::DivOp {
                c.js_ctx = JsCtx::Regexp;
            } else {
                return (
                    Context::error(format!(
                        "'/' could start a division or regexp: {}",
                        q32(&s[i..])
                    )),
                    s.len(),
                );
            }
        }
    }
    (c, i + 1)
}

fn t_js_delimited(c: &Context, s: &[u8]) -> (Context, usize) {
    let specials: &[u8] = match c.state {
        State::JsSqStr => b"\\'",
        State::JsBqStr => b"`\\",
        State::JsRegexp => b"\\/[]",
        _ => b"\\\"",
    };
    let mut c = c.clone();
    let mut k = 0;
    let mut in_charset = false;
    while let Some(p) = s[k..].iter().position(|b| specials.contains(b)) {
        let mut i = k + p;
        match s[i] {
            b'\\' => {
                i += 1;
                if i == s.len() {
                    return (
                        Context::error(format!(
                            "unfinished escape sequence in JS string: {}",
                            q(s)
                        )),
                        s.len(),
                    );
                }
            }
            b'[' => in_charset = true,
            b']' => in_charset = false,
            _ => {
                if !in_charset {
                    c.state = State::Js;
                    c.js_ctx = JsCtx::DivOp;
                    return (c, i + 1);
                }
            }
        }
        k = i + 1;
    }
    if in_charset {
        return (
            Context::error(format!("unfinished JS regexp charset: {}", q(s))),
            s.len(),
        );
    }
    (c, s.len())
}

fn t_block_cmt(c: &Context, s: &[u8]) -> (Context, usize) {
    let Some(i) = find(s, b"*/") else {
        return (c.clone(), s.len());
    };
    let mut c = c.clone();
    c.state = if c.state == State::JsBlockCmt {
        State::Js
    } else {
        State::Css
    };
    (c, i + 2)
}

fn t_line_cmt(c: &Context, s: &[u8]) -> (Context, usize) {
    let js = c.state == State::JsLineCmt;
    let text = String::from_utf8_lossy(s);
    let found = if js {
        text.find(['\n', '\r', '\u{2028}', '\u{2029}'])
    } else {
        text.find(['\n', '\x0c', '\r'])
    };
    match found {
        None => (c.clone(), s.len()),
        Some(i) => {
            let mut c = c.clone();
            c.state = if js { State::Js } else { State::Css };
            (c, i)
        }
    }
}

/// Go's `isCSSNmchar`.
fn is_css_nmchar(r: char) -> bool {
    r.is_ascii_alphanumeric()
        || r == '-'
        || r == '_'
        || ('\u{80}'..='\u{d7ff}').contains(&r)
        || ('\u{e000}'..='\u{fffd}').contains(&r)
        || ('\u{10000}'..='\u{10ffff}').contains(&r)
}

/// Go's `endsWithCSSKeyword`.
fn ends_with_css_keyword(b: &[u8], kw: &str) -> bool {
    if b.len() < kw.len() {
        return false;
    }
    let i = b.len() - kw.len();
    if i != 0 {
        let before = String::from_utf8_lossy(&b[..i]);
        if before.chars().last().is_some_and(is_css_nmchar) {
            return false;
        }
    }
    b[i..].eq_ignore_ascii_case(kw.as_bytes())
}

fn t_css(c: &Context, s: &[u8]) -> (Context, usize) {
    let mut c = c.clone();
    let mut k = 0;
    loop {
        let Some(p) = s[k..].iter().position(|b| b"(\"'/".contains(b)) else {
            return (c, s.len());
        };
        let i = k + p;
        match s[i] {
            b'(' => {
                let mut end = i;
                while end > 0 && b"\t\n\x0c\r ".contains(&s[end - 1]) {
                    end -= 1;
                }
                if ends_with_css_keyword(&s[..end], "url") {
                    let mut j = i + 1;
                    while j < s.len() && b"\t\n\x0c\r ".contains(&s[j]) {
                        j += 1;
                    }
                    if j != s.len() && s[j] == b'"' {
                        c.state = State::CssDqUrl;
                        j += 1;
                    } else if j != s.len() && s[j] == b'\'' {
                        c.state = State::CssSqUrl;
                        j += 1;
                    } else {
                        c.state = State::CssUrl;
                    }
                    return (c, j);
                }
            }
            b'/' => {
                if i + 1 < s.len() {
                    match s[i + 1] {
                        b'/' => {
                            c.state = State::CssLineCmt;
                            return (c, i + 2);
                        }
                        b'*' => {
                            c.state = State::CssBlockCmt;
                            return (c, i + 2);
                        }
                        _ => {}
                    }
                }
            }
            b'"' => {
                c.state = State::CssDqStr;
                return (c, i + 1);
            }
            _ => {
                c.state = State::CssSqStr;
                return (c, i + 1);
            }
        }
        k = i + 1;
    }
}

/// Go's `decodeCSS`: resolves CSS escapes.
fn decode_css(s: &[u8]) -> Vec<u8> {
    if !s.contains(&b'\\') {
        return s.to_vec();
    }
    let mut b = Vec::with_capacity(s.len());
    let mut s = s;
    while !s.is_empty() {
        let i = s.iter().position(|&x| x == b'\\').unwrap_or(s.len());
        b.extend_from_slice(&s[..i]);
        s = &s[i..];
        if s.len() < 2 {
            break;
        }
        if s[1].is_ascii_hexdigit() {
            let mut j = 2;
            while j < s.len() && j < 7 && s[j].is_ascii_hexdigit() {
                j += 1;
            }
            let mut r = u32::from_str_radix(&String::from_utf8_lossy(&s[1..j]), 16).unwrap_or(0);
            if r > 0x10FFFF {
                r /= 16;
                j -= 1;
            }
            let ch = char::from_u32(r).unwrap_or('\u{FFFD}');
            let mut buf = [0u8; 4];
            b.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            s = &s[j..];
            // skipCSSSpace
            if let Some(&c0) = s.first() {
                match c0 {
                    b'\t' | b'\n' | b'\x0c' | b' ' => s = &s[1..],
                    b'\r' => {
                        s = if s.get(1) == Some(&b'\n') {
                            &s[2..]
                        } else {
                            &s[1..]
                        }
                    }
                    _ => {}
                }
            }
        } else {
            let n = String::from_utf8_lossy(&s[1..])
                .chars()
                .next()
                .map_or(1, char::len_utf8)
                .min(s.len() - 1);
            b.extend_from_slice(&s[1..1 + n]);
            s = &s[1 + n..];
        }
    }
    b
}

fn t_css_str(c: &Context, s: &[u8]) -> (Context, usize) {
    let end_and_esc: &[u8] = match c.state {
        State::CssDqStr | State::CssDqUrl => b"\\\"",
        State::CssSqStr | State::CssSqUrl => b"\\'",
        _ => b"\\\t\n\x0c\r )",
    };
    let mut c = c.clone();
    let mut k = 0;
    loop {
        let Some(p) = s[k..].iter().position(|b| end_and_esc.contains(b)) else {
            let (c2, nread) = t_url(&c, &decode_css(&s[k..]));
            return (c2, k + nread);
        };
        let mut i = k + p;
        if s[i] == b'\\' {
            i += 1;
            if i == s.len() {
                return (
                    Context::error(format!(
                        "unfinished escape sequence in CSS string: {}",
                        q(s)
                    )),
                    s.len(),
                );
            }
        } else {
            c.state = State::Css;
            return (c, i + 1);
        }
        c = t_url(&c, &decode_css(&s[..i + 1])).0;
        k = i + 1;
    }
}

/// The transition function of a state.
fn transition(c: &Context, s: &[u8]) -> (Context, usize) {
    transition_with(c.state, c, s)
}

/// Runs the transition function of `state` on context `c` (Go's
/// `transitionFunc[state](c, s)`; `stripTags` uses it to read element bodies
/// as RCDATA).
pub fn transition_with(state: State, c: &Context, s: &[u8]) -> (Context, usize) {
    use State::*;
    match state {
        Text => t_text(c, s),
        Tag => t_tag(c, s),
        AttrName => t_attr_name(c, s),
        AfterName => t_after_name(c, s),
        BeforeValue => t_before_value(c, s),
        HtmlCmt => t_html_cmt(c, s),
        Rcdata => t_special_tag_end(c, s),
        Attr => (c.clone(), s.len()),
        Url | Srcset => t_url(c, s),
        Js => t_js(c, s),
        JsDqStr | JsSqStr | JsBqStr | JsRegexp => t_js_delimited(c, s),
        JsBlockCmt | CssBlockCmt => t_block_cmt(c, s),
        JsLineCmt | CssLineCmt => t_line_cmt(c, s),
        Css => t_css(c, s),
        CssDqStr | CssSqStr | CssDqUrl | CssSqUrl | CssUrl => t_css_str(c, s),
        Error | Dead => (c.clone(), s.len()),
    }
}

/// A small HTML entity decoder sufficient for context tracking inside
/// attribute values: numeric references and the named references of ASCII
/// punctuation and whitespace. Other named references are left as they are
/// (they decode to letters, which no transition distinguishes from the
/// reference text itself).
fn html_unescape(s: &[u8]) -> Vec<u8> {
    if !s.contains(&b'&') {
        return s.to_vec();
    }
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] != b'&' {
            out.push(s[i]);
            i += 1;
            continue;
        }
        let rest = &s[i + 1..];
        let mut decoded: Option<(char, usize)> = None;
        if rest.first() == Some(&b'#') {
            let (hex, start) = match rest.get(1) {
                Some(b'x' | b'X') => (true, 2),
                _ => (false, 1),
            };
            let mut j = start;
            while j < rest.len()
                && (if hex {
                    rest[j].is_ascii_hexdigit()
                } else {
                    rest[j].is_ascii_digit()
                })
            {
                j += 1;
            }
            if j > start {
                let digits = String::from_utf8_lossy(&rest[start..j]);
                let v = u32::from_str_radix(&digits, if hex { 16 } else { 10 }).unwrap_or(0xFFFD);
                let ch = char::from_u32(v)
                    .filter(|&c| c != '\0')
                    .unwrap_or('\u{FFFD}');
                let used = if rest.get(j) == Some(&b';') { j + 1 } else { j };
                decoded = Some((ch, used));
            }
        } else {
            let mut j = 0;
            while j < rest.len() && rest[j].is_ascii_alphanumeric() {
                j += 1;
            }
            if rest.get(j) == Some(&b';') {
                let ch = match &rest[..j] {
                    b"quot" | b"QUOT" => Some('"'),
                    b"amp" | b"AMP" => Some('&'),
                    b"lt" | b"LT" => Some('<'),
                    b"gt" | b"GT" => Some('>'),
                    b"apos" => Some('\''),
                    b"num" => Some('#'),
                    b"quest" => Some('?'),
                    b"sol" => Some('/'),
                    b"bsol" => Some('\\'),
                    b"lpar" => Some('('),
                    b"rpar" => Some(')'),
                    b"colon" => Some(':'),
                    b"semi" => Some(';'),
                    b"equals" => Some('='),
                    b"grave" | b"DiacriticalGrave" => Some('`'),
                    b"ast" | b"midast" => Some('*'),
                    b"Tab" => Some('\t'),
                    b"NewLine" => Some('\n'),
                    b"comma" => Some(','),
                    b"period" => Some('.'),
                    b"excl" => Some('!'),
                    b"lsqb" | b"lbrack" => Some('['),
                    b"rsqb" | b"rbrack" => Some(']'),
                    b"lcub" | b"lbrace" => Some('{'),
                    b"rcub" | b"rbrace" => Some('}'),
                    b"percnt" => Some('%'),
                    b"plus" => Some('+'),
                    b"dollar" => Some('$'),
                    b"lowbar" | b"UnderBar" => Some('_'),
                    b"verbar" | b"vert" | b"VerticalLine" => Some('|'),
                    b"commat" => Some('@'),
                    b"Hat" => Some('^'),
                    _ => None,
                };
                decoded = ch.map(|c| (c, j + 1));
            }
        }
        match decoded {
            Some((ch, used)) => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                i += 1 + used;
            }
            None => {
                out.push(b'&');
                i += 1;
            }
        }
    }
    out
}

/// Go's `contextAfterText`: the context after the longest prefix of `s`
/// that stays in one context, and that prefix's length.
pub fn context_after_text(c: &Context, s: &[u8]) -> (Context, usize) {
    if c.delim == Delim::None {
        let (c1, i) = t_special_tag_end(c, s);
        if i == 0 {
            return (c1, 0);
        }
        return transition(c, &s[..i]);
    }
    let i = s
        .iter()
        .position(|b| c.delim.ends().contains(b))
        .unwrap_or(s.len());
    if c.delim == Delim::SpaceOrTagEnd
        && let Some(j) = s[..i].iter().position(|b| b"\"'<=`".contains(b))
    {
        return (
            Context::error(format!(
                "{} in unquoted attr: {}",
                q(&s[j..j + 1]),
                q(&s[..i])
            )),
            s.len(),
        );
    }
    if i == s.len() {
        let mut c = c.clone();
        let u = html_unescape(s);
        let mut u = u.as_slice();
        while !u.is_empty() {
            let (c1, i1) = transition(&c, u);
            c = c1;
            u = &u[i1..];
        }
        return (c, s.len());
    }
    let mut element = c.element;
    if c.state == State::Attr
        && c.element == Element::Script
        && c.attr == Attr::ScriptType
        && !is_js_type(&String::from_utf8_lossy(&s[..i]))
    {
        element = Element::None;
    }
    let i = if c.delim != Delim::SpaceOrTagEnd {
        i + 1
    } else {
        i
    };
    (
        Context {
            state: State::Tag,
            element,
            ..Context::default()
        },
        i,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after(c: Context, s: &str) -> Context {
        let mut c = c;
        let mut s = s.as_bytes();
        while !s.is_empty() {
            let (c1, n) = context_after_text(&c, s);
            c = c1;
            s = &s[n..];
            if c.state == State::Error {
                break;
            }
        }
        c
    }

    #[test]
    fn tracks_tags_and_attributes() {
        let c = after(Context::default(), "<a href=\"");
        assert_eq!(c.state, State::Url);
        assert_eq!(c.delim, Delim::DoubleQuote);
        assert_eq!(c.attr, Attr::Url);
        let c = after(c, "http://x/?q=");
        assert_eq!(c.url_part, UrlPart::QueryOrFrag);
        let c = after(c, "\">");
        assert_eq!(c, Context::default());
        let c = after(Context::default(), "<title>");
        assert_eq!((c.state, c.element), (State::Rcdata, Element::Title));
        let c = after(c, "x</title>");
        assert_eq!(c, Context::default());
        let c = after(Context::default(), "<style>a { b: url(");
        assert_eq!(c.state, State::CssUrl);
        let c = after(Context::default(), "<td class=x ");
        assert_eq!(c.state, State::Tag);
        assert_eq!(c.mangle("t"), "t$htmltemplate_stateTag");
        let c = after(Context::default(), "<a b\"c>");
        assert_eq!(
            c.err.as_deref(),
            Some(r#""\"" in attribute name: " b\"c>""#)
        );
    }

    #[test]
    fn attribute_types() {
        assert_eq!(attr_type("href"), AttrType::Url);
        assert_eq!(attr_type("data-src"), AttrType::Url);
        assert_eq!(attr_type("onclick"), AttrType::Js);
        assert_eq!(attr_type("xmlns:foo"), AttrType::Url);
        assert_eq!(attr_type("style"), AttrType::Css);
        assert_eq!(attr_type("class"), AttrType::Plain);
        assert_eq!(attr_type("myurlthing"), AttrType::Url);
    }

    #[test]
    fn js_context() {
        assert_eq!(next_js_ctx(b"x = ", JsCtx::DivOp), JsCtx::Regexp);
        assert_eq!(next_js_ctx(b"x", JsCtx::Regexp), JsCtx::DivOp);
        assert_eq!(next_js_ctx(b"return ", JsCtx::DivOp), JsCtx::Regexp);
        assert_eq!(next_js_ctx(b"x++", JsCtx::Regexp), JsCtx::DivOp);
        assert_eq!(next_js_ctx(b"1.", JsCtx::Regexp), JsCtx::DivOp);
    }

    #[test]
    fn entities() {
        assert_eq!(
            html_unescape(b"a&amp;b&#63;&#x23;&num;&nbsp;&zz"),
            b"a&b?##&nbsp;&zz".to_vec()
        );
    }
}
