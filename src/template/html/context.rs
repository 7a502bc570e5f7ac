//! The HTML parsing contexts of Go's `html/template` (Go's `context.go`):
//! where in an HTML document the output is (text, a tag, an attribute value
//! of some kind and delimiter, a URL part, a comment, a `<script>` or
//! `<style>` body, ...), their names in error messages and the names of
//! templates specialised for them.

use std::fmt;

/// Where in an HTML document the output is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Text,
    Tag,
    AttrName,
    AfterName,
    BeforeValue,
    HtmlCmt,
    Rcdata,
    Attr,
    Url,
    Srcset,
    Js,
    JsDqStr,
    JsSqStr,
    JsBqStr,
    JsRegexp,
    JsBlockCmt,
    JsLineCmt,
    Css,
    CssDqStr,
    CssSqStr,
    CssDqUrl,
    CssSqUrl,
    CssUrl,
    CssBlockCmt,
    CssLineCmt,
    Error,
    Dead,
}

impl State {
    /// Go's `state.String()`.
    pub fn name(self) -> &'static str {
        use State::*;
        match self {
            Text => "stateText",
            Tag => "stateTag",
            AttrName => "stateAttrName",
            AfterName => "stateAfterName",
            BeforeValue => "stateBeforeValue",
            HtmlCmt => "stateHTMLCmt",
            Rcdata => "stateRCDATA",
            Attr => "stateAttr",
            Url => "stateURL",
            Srcset => "stateSrcset",
            Js => "stateJS",
            JsDqStr => "stateJSDqStr",
            JsSqStr => "stateJSSqStr",
            JsBqStr => "stateJSBqStr",
            JsRegexp => "stateJSRegexp",
            JsBlockCmt => "stateJSBlockCmt",
            JsLineCmt => "stateJSLineCmt",
            Css => "stateCSS",
            CssDqStr => "stateCSSDqStr",
            CssSqStr => "stateCSSSqStr",
            CssDqUrl => "stateCSSDqURL",
            CssSqUrl => "stateCSSSqURL",
            CssUrl => "stateCSSURL",
            CssBlockCmt => "stateCSSBlockCmt",
            CssLineCmt => "stateCSSLineCmt",
            Error => "stateError",
            Dead => "stateDead",
        }
    }

    /// Go's `isComment`.
    pub fn is_comment(self) -> bool {
        use State::*;
        matches!(
            self,
            HtmlCmt | JsBlockCmt | JsLineCmt | CssBlockCmt | CssLineCmt
        )
    }

    /// Go's `isInTag`.
    pub fn is_in_tag(self) -> bool {
        use State::*;
        matches!(self, Tag | AttrName | AfterName | BeforeValue | Attr)
    }
}

/// How an attribute value ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delim {
    None,
    DoubleQuote,
    SingleQuote,
    SpaceOrTagEnd,
}

impl Delim {
    pub fn name(self) -> &'static str {
        match self {
            Delim::None => "delimNone",
            Delim::DoubleQuote => "delimDoubleQuote",
            Delim::SingleQuote => "delimSingleQuote",
            Delim::SpaceOrTagEnd => "delimSpaceOrTagEnd",
        }
    }

    /// The bytes that end a value with this delimiter.
    pub fn ends(self) -> &'static [u8] {
        match self {
            Delim::None => b"",
            Delim::DoubleQuote => b"\"",
            Delim::SingleQuote => b"'",
            Delim::SpaceOrTagEnd => b" \t\n\x0c\r>",
        }
    }
}

/// Which part of a URL the output is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UrlPart {
    None,
    PreQuery,
    QueryOrFrag,
    Unknown,
}

impl UrlPart {
    pub fn name(self) -> &'static str {
        match self {
            UrlPart::None => "urlPartNone",
            UrlPart::PreQuery => "urlPartPreQuery",
            UrlPart::QueryOrFrag => "urlPartQueryOrFrag",
            UrlPart::Unknown => "urlPartUnknown",
        }
    }
}

/// Whether a `/` in JavaScript starts a regexp or is a division.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsCtx {
    Regexp,
    DivOp,
    Unknown,
}

impl JsCtx {
    pub fn name(self) -> &'static str {
        match self {
            JsCtx::Regexp => "jsCtxRegexp",
            JsCtx::DivOp => "jsCtxDivOp",
            JsCtx::Unknown => "jsCtxUnknown",
        }
    }
}

/// The kind of attribute whose value the output is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attr {
    None,
    Script,
    ScriptType,
    Style,
    Url,
    Srcset,
}

impl Attr {
    pub fn name(self) -> &'static str {
        match self {
            Attr::None => "attrNone",
            Attr::Script => "attrScript",
            Attr::ScriptType => "attrScriptType",
            Attr::Style => "attrStyle",
            Attr::Url => "attrURL",
            Attr::Srcset => "attrSrcset",
        }
    }

    /// The state a value of this attribute starts in.
    pub fn start_state(self) -> State {
        match self {
            Attr::None | Attr::ScriptType => State::Attr,
            Attr::Script => State::Js,
            Attr::Style => State::Css,
            Attr::Url => State::Url,
            Attr::Srcset => State::Srcset,
        }
    }
}

/// The special element whose body the output is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Element {
    None,
    Script,
    Style,
    Textarea,
    Title,
}

impl Element {
    pub fn name(self) -> &'static str {
        match self {
            Element::None => "elementNone",
            Element::Script => "elementScript",
            Element::Style => "elementStyle",
            Element::Textarea => "elementTextarea",
            Element::Title => "elementTitle",
        }
    }

    pub fn content_state(self) -> State {
        match self {
            Element::None => State::Text,
            Element::Script => State::Js,
            Element::Style => State::Css,
            Element::Textarea | Element::Title => State::Rcdata,
        }
    }

    pub fn end_tag(self) -> &'static [u8] {
        match self {
            Element::None => b"",
            Element::Script => b"script",
            Element::Style => b"style",
            Element::Textarea => b"textarea",
            Element::Title => b"title",
        }
    }
}

/// The parsing context at some point of the output (Go's `context`; an
/// error context carries its message).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    pub state: State,
    pub delim: Delim,
    pub url_part: UrlPart,
    pub js_ctx: JsCtx,
    pub attr: Attr,
    pub element: Element,
    /// For error contexts: the message (without the `html/template:` prefix
    /// and location, which the escaper adds).
    pub err: Option<String>,
}

impl Default for Context {
    fn default() -> Context {
        Context {
            state: State::Text,
            delim: Delim::None,
            url_part: UrlPart::None,
            js_ctx: JsCtx::Regexp,
            attr: Attr::None,
            element: Element::None,
            err: None,
        }
    }
}

impl fmt::Display for Context {
    /// Go's `context.String()`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{{{} {} {} {} {} {} {}}}",
            self.state.name(),
            self.delim.name(),
            self.url_part.name(),
            self.js_ctx.name(),
            self.attr.name(),
            self.element.name(),
            self.err
                .as_deref()
                .map_or("<nil>".to_string(), |e| format!("html/template: {e}"))
        )
    }
}

impl Context {
    pub fn with_state(state: State) -> Context {
        Context {
            state,
            ..Context::default()
        }
    }

    /// An error context.
    pub fn error(msg: String) -> Context {
        Context {
            state: State::Error,
            err: Some(msg),
            ..Context::default()
        }
    }

    /// The dead context after `{{break}}` / `{{continue}}`.
    pub fn dead() -> Context {
        Context::with_state(State::Dead)
    }

    /// Go's `context.mangle`: the name of a template specialised for this
    /// start context.
    pub fn mangle(&self, name: &str) -> String {
        if self.state == State::Text {
            return name.to_string();
        }
        let mut s = format!("{name}$htmltemplate_{}", self.state.name());
        if self.delim != Delim::None {
            s.push('_');
            s.push_str(self.delim.name());
        }
        if self.url_part != UrlPart::None {
            s.push('_');
            s.push_str(self.url_part.name());
        }
        if self.js_ctx != JsCtx::Regexp {
            s.push('_');
            s.push_str(self.js_ctx.name());
        }
        if self.attr != Attr::None {
            s.push('_');
            s.push_str(self.attr.name());
        }
        if self.element != Element::None {
            s.push('_');
            s.push_str(self.element.name());
        }
        s
    }

    /// Go's `nudge`: the context an action at this point is in.
    pub fn nudge(&self) -> Context {
        let mut c = self.clone();
        match c.state {
            State::Tag => c.state = State::AttrName,
            State::BeforeValue => {
                c.state = c.attr.start_state();
                c.delim = Delim::SpaceOrTagEnd;
                c.attr = Attr::None;
            }
            State::AfterName => {
                c.state = State::AttrName;
                c.attr = Attr::None;
            }
            _ => {}
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_mangling() {
        let c = Context {
            state: State::Url,
            delim: Delim::DoubleQuote,
            attr: Attr::Url,
            ..Context::default()
        };
        assert_eq!(
            c.mangle("t"),
            "t$htmltemplate_stateURL_delimDoubleQuote_attrURL"
        );
        assert_eq!(Context::default().mangle("t"), "t");
        assert_eq!(
            c.to_string(),
            "{stateURL delimDoubleQuote urlPartNone jsCtxRegexp attrURL elementNone <nil>}"
        );
        let before = Context {
            state: State::BeforeValue,
            attr: Attr::Url,
            ..Context::default()
        };
        let n = before.nudge();
        assert_eq!(
            (n.state, n.delim, n.attr),
            (State::Url, Delim::SpaceOrTagEnd, Attr::None)
        );
    }
}
