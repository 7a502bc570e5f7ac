//! Request targets as lenient as Go's: `curl
//! 'http://am:9093/api/v2/alerts?filter=alertname="X"'` (raw `"`, `<`,
//! `>` or a backtick in the target, as runbooks and scripts write it) is
//! answered by Alertmanager; the `http` crate's URI parser refuses those
//! bytes before any handler sees the request. [`LenientIo`] sits between
//! the socket and the HTTP/1 parser and percent-encodes exactly those
//! bytes in each request line's target, which decodes back to the same
//! query: nothing else of the stream is changed.
//!
//! To find each request line on a keep-alive connection it follows HTTP/1
//! framing: the headers up to the empty line, then a body of
//! `Content-Length` bytes or `chunked` (sizes, data, trailers), passed
//! through uninspected. HTTP/2 (prior knowledge), an `Upgrade`, or framing
//! it cannot follow switch it to passing everything through unchanged.
//!
//! A request's line and headers are held until they end, so that one
//! past the server's limits (more than [`MAX_HEADERS`] header fields, or
//! more than [`MAX_HEADER_BYTES`] in all) is replaced by a request for
//! [`REFUSED_PATH`], which [`refused_request`] answers with 431 and a body
//! saying which limit it passed (hyper would answer an empty 431), and the
//! rest of the connection is dropped.

use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::serve::{MAX_HEADER_BYTES, MAX_HEADERS};

/// The path a refused request is replaced with, followed by the reason.
pub const REFUSED_PATH: &str = "/__tocsin_refused/";

/// Why a request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refusal {
    TooManyHeaders,
    TooLarge,
}

impl Refusal {
    fn slug(self) -> &'static str {
        match self {
            Refusal::TooManyHeaders => "headers",
            Refusal::TooLarge => "size",
        }
    }

    /// The request that replaces the refused one.
    fn request(self) -> Vec<u8> {
        format!(
            "GET {REFUSED_PATH}{} HTTP/1.1\r\nHost: tocsin\r\nConnection: close\r\n\r\n",
            self.slug()
        )
        .into_bytes()
    }
}

/// Bytes Go accepts in a request target and the `http` crate does not.
fn needs_encoding(b: u8) -> bool {
    matches!(b, b'"' | b'<' | b'>' | b'`')
}

/// Header lines longer than this are passed through without being read
/// for framing (hyper refuses such requests anyway).
const MAX_LINE: usize = 64 * 1024;

/// The longest target the `http` crate takes is just under 64 KiB; a
/// longer one (a filter of thousands of matchers) has its query moved to
/// the [`LONG_QUERY_HEADER`] header and replaced by [`LONG_QUERY_MARKER`],
/// and [`RawQuery`] gives handlers the query back.
const LONG_TARGET: usize = 60 * 1024;
/// Targets are read up to Go's limit on a request's header block.
const MAX_TARGET: usize = 1 << 20;
pub const LONG_QUERY_MARKER: &str = "__tocsin_long_query";
pub const LONG_QUERY_HEADER: &str = "x-tocsin-long-query";

/// Writes a request target, percent-encoding what the `http` crate
/// refuses; returns the query when it had to be moved to a header.
fn write_target(target: &[u8], out: &mut Vec<u8>) -> Option<Vec<u8>> {
    let encode = |bytes: &[u8], out: &mut Vec<u8>| {
        for &b in bytes {
            if needs_encoding(b) {
                out.extend_from_slice(format!("%{b:02X}").as_bytes());
            } else {
                out.push(b);
            }
        }
    };
    if target.len() > LONG_TARGET
        && let Some(q) = target.iter().position(|&b| b == b'?')
    {
        encode(&target[..q], out);
        out.push(b'?');
        out.extend_from_slice(LONG_QUERY_MARKER.as_bytes());
        return Some(target[q + 1..].to_vec());
    }
    encode(target, out);
    None
}

#[derive(Debug, PartialEq)]
enum State {
    /// In a request line: `spaces` seen so far (the target is after the
    /// first), the method's bytes while it is being read, the target's
    /// (written out when it ends), and the query of a target too long for
    /// the `http` crate, to be handed over in a header.
    Line {
        spaces: u8,
        method: Vec<u8>,
        target: Vec<u8>,
        long_query: Option<Vec<u8>>,
    },
    /// In the headers: the current line, what framing they announced,
    /// how many header lines there were.
    Headers {
        line: Vec<u8>,
        length: Option<u64>,
        chunked: bool,
        upgrade: bool,
        count: usize,
    },
    /// `n` body bytes still to pass.
    Body(u64),
    /// A chunk-size line.
    ChunkSize(Vec<u8>),
    /// `n` bytes of chunk data, then its line end.
    ChunkData(u64),
    /// The line end after chunk data.
    ChunkEnd,
    /// Trailer lines after the last chunk, up to an empty line.
    Trailers(Vec<u8>),
    /// Everything unchanged from here on.
    Passthrough,
    /// A request too large: its line and headers are read and dropped up
    /// to their end (so that the client, done sending, reads the answer
    /// rather than a reset): `line` bytes of the current line so far,
    /// `total` in all.
    Absorb { line: usize, total: usize },
    /// A request was refused: nothing more is read from this connection.
    Discard,
}

/// The most bytes of a too-large request read and dropped before it is
/// refused anyway.
const MAX_ABSORB: usize = 16 << 20;

impl State {
    fn line() -> State {
        State::Line {
            spaces: 0,
            method: Vec::new(),
            target: Vec::new(),
            long_query: None,
        }
    }
}

/// Rewrites the request targets of an inbound HTTP/1 byte stream.
#[derive(Debug)]
pub struct Rewriter {
    state: State,
    /// The current request's line and headers, rewritten, held until they
    /// end.
    head: Vec<u8>,
    /// The line and headers just ended, with this many header fields.
    head_done: Option<usize>,
    /// The request passed a limit.
    refuse: Option<Refusal>,
}

impl Default for Rewriter {
    fn default() -> Self {
        Rewriter {
            state: State::line(),
            head: Vec::new(),
            head_done: None,
            refuse: None,
        }
    }
}

fn header_value<'a>(line: &'a [u8], name: &str) -> Option<&'a [u8]> {
    let colon = line.iter().position(|&b| b == b':')?;
    if !line[..colon]
        .trim_ascii()
        .eq_ignore_ascii_case(name.as_bytes())
    {
        return None;
    }
    Some(line[colon + 1..].trim_ascii())
}

impl Rewriter {
    /// Appends `input`, rewritten, to `out`.
    pub fn feed(&mut self, mut input: &[u8], out: &mut Vec<u8>) {
        let mut head = std::mem::take(&mut self.head);
        while !input.is_empty() {
            match &mut self.state {
                State::Discard => break,
                State::Absorb { line, total } => {
                    let mut end = None;
                    for (i, &b) in input.iter().enumerate() {
                        *total += 1;
                        match b {
                            b'\n' if *line == 0 => {
                                end = Some(i + 1);
                                break;
                            }
                            b'\n' => *line = 0,
                            b'\r' => {}
                            _ => *line += 1,
                        }
                        if *total > MAX_ABSORB {
                            end = Some(i + 1);
                            break;
                        }
                    }
                    match end {
                        Some(_) => {
                            out.extend_from_slice(&Refusal::TooLarge.request());
                            self.state = State::Discard;
                        }
                        None => input = &[],
                    }
                }
                State::Passthrough => {
                    out.append(&mut head);
                    out.extend_from_slice(input);
                    break;
                }
                State::Line { .. } | State::Headers { .. } => {
                    let b = input[0];
                    input = &input[1..];
                    self.byte(b, &mut head);
                    if head.len() > MAX_HEADER_BYTES {
                        self.refuse = Some(Refusal::TooLarge);
                    }
                    if let Some(fields) = self.head_done.take() {
                        if fields > MAX_HEADERS {
                            self.refuse = Some(Refusal::TooManyHeaders);
                        } else {
                            out.append(&mut head);
                        }
                    } else if matches!(&self.state, State::Line { spaces: 0, method, .. } if method.is_empty())
                    {
                        // Empty lines before a request line.
                        out.append(&mut head);
                    }
                    match self.refuse.take() {
                        Some(Refusal::TooLarge) => {
                            // Read the rest of it first.
                            let line = head.iter().rev().take_while(|&&b| b != b'\n').count();
                            head.clear();
                            self.state = State::Absorb { line, total: 0 };
                        }
                        Some(why) => {
                            head.clear();
                            out.extend_from_slice(&why.request());
                            self.state = State::Discard;
                            break;
                        }
                        None => {}
                    }
                }
                State::Body(n) | State::ChunkData(n) => {
                    let take = (*n).min(input.len() as u64) as usize;
                    out.extend_from_slice(&input[..take]);
                    input = &input[take..];
                    *n -= take as u64;
                    if *n == 0 {
                        self.state = match self.state {
                            State::ChunkData(_) => State::ChunkEnd,
                            _ => State::line(),
                        };
                    }
                }
                _ => {
                    let b = input[0];
                    input = &input[1..];
                    self.byte(b, out);
                }
            }
        }
        self.head = head;
    }

    fn byte(&mut self, b: u8, out: &mut Vec<u8>) {
        match &mut self.state {
            State::Line {
                spaces,
                method,
                target,
                long_query,
            } => {
                if *spaces == 1 && b != b' ' && b != b'\n' {
                    if target.len() >= MAX_TARGET {
                        self.refuse = Some(Refusal::TooLarge);
                        return;
                    }
                    target.push(b);
                    return;
                }
                if *spaces == 1 {
                    // The target ends (a request line without a version
                    // ends it at the line end).
                    let cr = target.last() == Some(&b'\r');
                    if cr {
                        target.pop();
                    }
                    *long_query = write_target(target, out);
                    if cr {
                        out.push(b'\r');
                    }
                }
                if b == b'\n' {
                    out.push(b);
                    let injected = long_query.is_some();
                    if let Some(q) = long_query.take() {
                        out.extend_from_slice(LONG_QUERY_HEADER.as_bytes());
                        out.extend_from_slice(b": ");
                        out.extend_from_slice(&q);
                        out.extend_from_slice(b"\r\n");
                    }
                    // Lines before a request (empty ones) are allowed.
                    let h2 = method == b"PRI";
                    let started = *spaces > 0 || !method.is_empty();
                    self.state = if h2 {
                        State::Passthrough
                    } else if started {
                        State::Headers {
                            line: Vec::new(),
                            length: None,
                            chunked: false,
                            upgrade: false,
                            // The header moved out of the target counts
                            // for the HTTP parser too.
                            count: usize::from(injected),
                        }
                    } else {
                        State::line()
                    };
                    return;
                }
                if b == b' ' {
                    *spaces = spaces.saturating_add(1);
                    out.push(b);
                    return;
                }
                if *spaces == 0 && b != b'\r' && method.len() < 16 {
                    method.push(b);
                }
                out.push(b);
            }
            State::Headers {
                line,
                length,
                chunked,
                upgrade,
                count,
            } => {
                out.push(b);
                if b != b'\n' {
                    if line.len() < MAX_LINE {
                        line.push(b);
                    }
                    return;
                }
                let l = line.strip_suffix(b"\r").unwrap_or(line);
                if l.is_empty() {
                    self.head_done = Some(*count);
                    self.state = if *upgrade {
                        State::Passthrough
                    } else if *chunked {
                        State::ChunkSize(Vec::new())
                    } else {
                        match *length {
                            Some(n) if n > 0 => State::Body(n),
                            _ => State::line(),
                        }
                    };
                    return;
                }
                if let Some(v) = header_value(l, "content-length") {
                    match std::str::from_utf8(v).ok().and_then(|s| s.parse().ok()) {
                        Some(n) => *length = Some(n),
                        // Let the HTTP parser refuse it.
                        None => self.state = State::Passthrough,
                    }
                } else if let Some(v) = header_value(l, "transfer-encoding") {
                    if v.to_ascii_lowercase().ends_with(b"chunked") {
                        *chunked = true;
                    }
                } else if header_value(l, "upgrade").is_some() {
                    *upgrade = true;
                }
                if let State::Headers { line, count, .. } = &mut self.state {
                    line.clear();
                    *count += 1;
                }
            }
            State::ChunkSize(line) => {
                out.push(b);
                if b != b'\n' {
                    if line.len() < MAX_LINE {
                        line.push(b);
                    }
                    return;
                }
                let text = String::from_utf8_lossy(line);
                let hex = text.split(';').next().unwrap_or("").trim();
                self.state = match u64::from_str_radix(hex, 16) {
                    Ok(0) => State::Trailers(Vec::new()),
                    Ok(n) => State::ChunkData(n),
                    Err(_) => State::Passthrough,
                };
            }
            State::ChunkEnd => {
                out.push(b);
                if b == b'\n' {
                    self.state = State::ChunkSize(Vec::new());
                }
            }
            State::Trailers(line) => {
                out.push(b);
                if b != b'\n' {
                    if line.len() < MAX_LINE {
                        line.push(b);
                    }
                    return;
                }
                if line.strip_suffix(b"\r").unwrap_or(line).is_empty() {
                    self.state = State::line();
                } else {
                    line.clear();
                }
            }
            State::Body(_)
            | State::ChunkData(_)
            | State::Passthrough
            | State::Absorb { .. }
            | State::Discard => {
                unreachable!()
            }
        }
    }
}

/// A connection whose inbound request targets are made acceptable to the
/// HTTP parser (see the module documentation).
pub struct LenientIo<T> {
    inner: T,
    rewriter: Rewriter,
    /// Rewritten bytes not yet handed to the reader.
    pending: Vec<u8>,
    at: usize,
}

impl<T> LenientIo<T> {
    pub fn new(inner: T) -> LenientIo<T> {
        LenientIo {
            inner,
            rewriter: Rewriter::default(),
            pending: Vec::new(),
            at: 0,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for LenientIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        // A request target is held back until it ends, so a read may give
        // nothing to hand over yet: read on (an empty read is the end).
        while this.at == this.pending.len() {
            this.pending.clear();
            this.at = 0;
            let mut raw = [0u8; 16 * 1024];
            let mut rb = ReadBuf::new(&mut raw);
            match Pin::new(&mut this.inner).poll_read(cx, &mut rb) {
                Poll::Ready(Ok(())) => {}
                other => return other,
            }
            if rb.filled().is_empty() {
                return Poll::Ready(Ok(()));
            }
            this.rewriter.feed(rb.filled(), &mut this.pending);
        }
        let n = (this.pending.len() - this.at).min(buf.remaining());
        buf.put_slice(&this.pending[this.at..this.at + n]);
        this.at += n;
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for LenientIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// The raw query of a request, as axum's `RawQuery` gives it, including a
/// query too long for the `http` crate (see [`LONG_TARGET`]).
#[derive(Debug)]
pub struct RawQuery(pub Option<String>);

/// A long query moved out of the target by [`LenientIo`].
#[derive(Clone, Debug)]
struct LongQuery(String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for RawQuery {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        if let Some(LongQuery(q)) = parts.extensions.get::<LongQuery>() {
            return Ok(RawQuery(Some(q.clone())));
        }
        Ok(RawQuery(parts.uri.query().map(str::to_string)))
    }
}

/// Answers a request [`LenientIo`] refused (see the module documentation)
/// with 431 and the limit it passed; the outermost layer.
pub async fn refused_request(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse;
    let Some(why) = req.uri().path().strip_prefix(REFUSED_PATH) else {
        return next.run(req).await;
    };
    let text = if why == Refusal::TooManyHeaders.slug() {
        format!(
            "431 Request Header Fields Too Large: the request has more than {MAX_HEADERS} header fields\n"
        )
    } else {
        format!(
            "431 Request Header Fields Too Large: the request line and headers exceed {} KiB\n",
            MAX_HEADER_BYTES / 1024
        )
    };
    (
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CONNECTION, "close"),
        ],
        text,
    )
        .into_response()
}

/// Takes a long query out of its header (only for a request whose target
/// carries the marker; the header is removed either way).
pub async fn restore_long_query(
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let header = req.headers_mut().remove(LONG_QUERY_HEADER);
    if req.uri().query() == Some(LONG_QUERY_MARKER)
        && let Some(q) = header
            .as_ref()
            .and_then(|v| std::str::from_utf8(v.as_bytes()).ok())
    {
        let q = q.to_string();
        req.extensions_mut().insert(LongQuery(q));
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rewrites `input` fed in pieces of `step` bytes.
    fn rewrite(input: &[u8], step: usize) -> String {
        let mut r = Rewriter::default();
        let mut out = Vec::new();
        for piece in input.chunks(step) {
            r.feed(piece, &mut out);
        }
        String::from_utf8(out).unwrap()
    }

    const GET: &str = "GET /api/v2/alerts?filter=alertname=\"X\"&f=<a>`b` HTTP/1.1\r\nHost: h\r\nX: \"<>\"\r\n\r\n";
    const GET_ENCODED: &str = "GET /api/v2/alerts?filter=alertname=%22X%22&f=%3Ca%3E%60b%60 HTTP/1.1\r\nHost: h\r\nX: \"<>\"\r\n\r\n";

    #[test]
    fn targets_are_encoded_and_nothing_else() {
        for step in [1, 2, 7, 1000] {
            assert_eq!(rewrite(GET.as_bytes(), step), GET_ENCODED, "step {step}");
        }
        let plain = "GET /api/v2/status HTTP/1.1\r\nHost: h\r\n\r\n";
        assert_eq!(rewrite(plain.as_bytes(), 3), plain);
    }

    #[test]
    fn bodies_are_passed_and_the_next_request_is_found() {
        let body = "[{\"labels\":{\"a\":\"<\\\" \\\">\"}}]";
        let post = format!(
            "POST /api/v2/alerts?x=\"1\" HTTP/1.1\r\ncontent-LENGTH: {}\r\n\r\n{body}",
            body.len()
        );
        let chunked = "POST /p?q=\"2\" HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\n\"<>\"\r\n3\r\n \" \r\n0\r\nTrailer: \"x\"\r\n\r\n";
        let input = format!("{post}{chunked}{GET}");
        let want = format!(
            "POST /api/v2/alerts?x=%221%22 HTTP/1.1\r\ncontent-LENGTH: {}\r\n\r\n{body}POST /p?q=%222%22 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\n\"<>\"\r\n3\r\n \" \r\n0\r\nTrailer: \"x\"\r\n\r\n{GET_ENCODED}",
            body.len()
        );
        for step in [1, 5, 64, 10_000] {
            assert_eq!(rewrite(input.as_bytes(), step), want, "step {step}");
        }
    }

    #[test]
    fn a_query_too_long_for_the_uri_type_moves_to_a_header() {
        let query = format!("filter=alertname=~\"{}\"", "x|".repeat(40_000));
        let input = format!("GET /api/v2/alerts?{query} HTTP/1.1\r\nHost: h\r\n\r\n");
        let want = format!(
            "GET /api/v2/alerts?{LONG_QUERY_MARKER} HTTP/1.1\r\n{LONG_QUERY_HEADER}: {query}\r\nHost: h\r\n\r\n"
        );
        for step in [1, 1000, 1 << 20] {
            assert_eq!(rewrite(input.as_bytes(), step), want, "step {step}");
        }
    }

    /// A reader that hands over `step` bytes at a time.
    struct Trickle {
        data: Vec<u8>,
        at: usize,
        step: usize,
    }

    impl AsyncRead for Trickle {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            let n = self
                .step
                .min(self.data.len() - self.at)
                .min(buf.remaining());
            let at = self.at;
            buf.put_slice(&self.data[at..at + n]);
            self.at += n;
            Poll::Ready(Ok(()))
        }
    }

    /// Through the IO type, reads that end inside a target (held back)
    /// never look like the end of the stream.
    #[tokio::test]
    async fn reads_that_end_inside_a_target_are_not_the_end() {
        use tokio::io::AsyncReadExt;
        let long = format!("GET /a?{} HTTP/1.1\r\n\r\n", "q".repeat(LONG_TARGET + 10));
        for input in [GET.to_string(), long] {
            for step in [1, 3, 100] {
                let mut io = LenientIo::new(Trickle {
                    data: input.clone().into_bytes(),
                    at: 0,
                    step,
                });
                let mut got = Vec::new();
                io.read_to_end(&mut got).await.unwrap();
                assert_eq!(got, rewrite(input.as_bytes(), input.len()).into_bytes());
            }
        }
    }

    fn with_headers(n: usize, value: &str) -> String {
        let mut req = "GET /api/v2/status HTTP/1.1\r\n".to_string();
        for i in 0..n {
            req.push_str(&format!("X-H-{i}: {value}\r\n"));
        }
        req.push_str("\r\n");
        req
    }

    #[test]
    fn requests_past_the_limits_are_replaced_and_the_rest_dropped() {
        let ok = with_headers(MAX_HEADERS, "v");
        for step in [1, 100, 1 << 20] {
            assert_eq!(rewrite(ok.as_bytes(), step), ok, "step {step}");
        }
        let many = format!("{}{GET}", with_headers(MAX_HEADERS + 1, "v"));
        let refused = String::from_utf8(Refusal::TooManyHeaders.request()).unwrap();
        for step in [1, 100, 1 << 20] {
            assert_eq!(rewrite(many.as_bytes(), step), refused, "step {step}");
        }
        // Too large: read to its end, then replaced.
        let big = with_headers(2, &"x".repeat(MAX_HEADER_BYTES));
        let refused = String::from_utf8(Refusal::TooLarge.request()).unwrap();
        for step in [1000, 1 << 20] {
            assert_eq!(rewrite(big.as_bytes(), step), refused, "step {step}");
        }
        // A target past every limit too.
        let long = format!("GET /?{} HTTP/1.1\r\n\r\n", "q".repeat(MAX_TARGET + 1));
        assert_eq!(rewrite(long.as_bytes(), 4096), refused);
        // A body is never counted as headers.
        let body = "x".repeat(MAX_HEADER_BYTES + 10);
        let post = format!(
            "POST /a HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        assert_eq!(rewrite(post.as_bytes(), 1 << 16), post);
    }

    #[test]
    fn http2_upgrades_and_bad_framing_pass_through() {
        let h2 = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x04\"<>`";
        let mut r = Rewriter::default();
        let mut out = Vec::new();
        r.feed(h2, &mut out);
        assert_eq!(out, h2);
        let up = "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\nGET /x?\"\" HTTP/1.1\r\n";
        assert_eq!(rewrite(up.as_bytes(), 4), up);
        let bad = "POST /x HTTP/1.1\r\nContent-Length: nope\r\n\r\nGET /x?\"\" HTTP/1.1\r\n";
        assert_eq!(rewrite(bad.as_bytes(), 4), bad);
    }
}
