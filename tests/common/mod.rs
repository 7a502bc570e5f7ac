//! Test harness shared by the end-to-end and compatibility tests: starts the
//! `tocsin` binary (or the reference Alertmanager) on loopback ports and
//! talks HTTP to it.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running server and the lines it has logged so far.
pub struct Server {
    pub child: Child,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    logs: mpsc::Receiver<String>,
    pub seen: Vec<String>,
    _dir: Option<tempfile::TempDir>,
}

fn spawn_logs(child: &mut Child) -> mpsc::Receiver<String> {
    let stderr = child.stderr.take().expect("stderr piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

impl Server {
    /// Starts `tocsin` in `dir` with `args` (plus loopback listen addresses)
    /// and waits until it logs its listening address.
    pub fn start(dir: &Path, args: &[&str]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tocsin"));
        cmd.current_dir(dir)
            .arg("--web.listen-address=127.0.0.1:0")
            .arg("--storage.path")
            .arg(dir.join("data"));
        if !args
            .iter()
            .any(|a| a.starts_with("--cluster.listen-address"))
        {
            cmd.arg("--cluster.listen-address=");
        }
        // Variables Tocsin reads as defaults (the Autometrics Slack app's)
        // must not leak in from the machine running the tests.
        for var in [
            "PROMETHEUS_URL",
            "BASE_URL",
            "EXPLORER_URL",
            "SLACK_BOT_TOKEN",
            "SLACK_CHANNEL",
            "TOCSIN_CLUSTER_GOSSIP_KEY",
        ] {
            cmd.env_remove(var);
        }
        let mut child = cmd
            .args(args)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("tocsin starts");
        let logs = spawn_logs(&mut child);
        let mut s = Server {
            child,
            addr: String::new(),
            logs,
            seen: Vec::new(),
            _dir: None,
        };
        let line = s.wait_for_log("msg=\"Listening on\"");
        s.addr = line
            .split("address=")
            .nth(1)
            .and_then(|a| a.split_whitespace().next())
            .expect("address in the Listening on line")
            .to_string();
        s
    }

    /// Starts `tocsin` on a configuration text, in a fresh temporary directory.
    pub fn with_config(config: &str, args: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("alertmanager.yml");
        std::fs::write(&cfg, config).unwrap();
        let mut all = vec![format!("--config.file={}", cfg.display())];
        all.extend(args.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        let mut s = Server::start(dir.path(), &refs);
        s._dir = Some(dir);
        s
    }

    /// Starts the reference Alertmanager 0.25 on a configuration text. It
    /// cannot be told to pick its own port, so a free one is chosen and, if
    /// something else takes it first, another.
    pub fn alertmanager(config: &str) -> Server {
        let bin = Path::new("/usr/bin/prometheus-alertmanager");
        assert!(
            bin.exists(),
            "{} is missing: install Debian's prometheus-alertmanager (see scripts/test)",
            bin.display()
        );
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("alertmanager.yml");
        std::fs::write(&cfg, config).unwrap();
        for _attempt in 0..5 {
            let addr = format!("127.0.0.1:{}", free_port());
            let mut child = Command::new(bin)
                .arg(format!("--config.file={}", cfg.display()))
                .arg(format!(
                    "--storage.path={}",
                    dir.path().join("data").display()
                ))
                .arg(format!("--web.listen-address={addr}"))
                .arg("--cluster.listen-address=")
                .stderr(Stdio::piped())
                .stdout(Stdio::null())
                .spawn()
                .expect("alertmanager starts");
            let logs = spawn_logs(&mut child);
            let mut s = Server {
                child,
                addr,
                logs,
                seen: Vec::new(),
                _dir: None,
            };
            // Ready means this process answers: it is alive and its status
            // says Alertmanager 0.25.
            let ok = eventually(Duration::from_secs(30), || {
                if s.child.try_wait().ok().flatten().is_some() {
                    return true;
                }
                try_request(&s.addr, "GET", "/api/v2/status", &[], b"")
                    .is_ok_and(|r| r.status == 200 && r.body.contains("\"version\":\"0.25"))
            });
            if ok && s.child.try_wait().ok().flatten().is_none() {
                s._dir = Some(dir);
                return s;
            }
        }
        panic!("could not start alertmanager on a free port");
    }

    /// Polls `/-/ready` for up to 30 s.
    pub fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(r) = try_request(&self.addr, "GET", "/-/ready", &[], b"")
                && r.status == 200
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("{} did not become ready", self.addr);
    }

    /// Waits (up to 30 s) for a log line containing `needle`.
    pub fn wait_for_log(&mut self, needle: &str) -> String {
        if let Some(l) = self.seen.iter().find(|l| l.contains(needle)) {
            return l.clone();
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            match self.logs.recv_timeout(Duration::from_millis(200)) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => continue,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        panic!(
            "no log line with {needle:?}; saw:\n{}",
            self.seen.join("\n")
        );
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn get(&self, path: &str) -> Response {
        request(&self.addr, "GET", path, &[], b"")
    }

    pub fn post_json(&self, path: &str, body: &str) -> Response {
        request(
            &self.addr,
            "POST",
            path,
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )
    }

    pub fn request(&self, method: &str, path: &str) -> Response {
        request(&self.addr, method, path, &[], b"")
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{sig}");
    }

    pub fn wait_exit(&mut self) -> Option<i32> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("server did not exit");
    }

    /// The directory the server runs in (its config file lives there).
    pub fn dir(&self) -> Option<PathBuf> {
        self._dir.as_ref().map(|d| d.path().to_path_buf())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free loopback port (for servers that cannot be told to pick one).
/// A free UDP port on the loopback address (for a cluster's gossip).
pub fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("a free UDP port")
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An HTTP response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == &name.to_ascii_lowercase())
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// A minimal HTTP/1.1 request (one connection per request).
pub fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    try_request(addr, method, path, headers, body)
        .unwrap_or_else(|e| panic!("{method} {path} on {addr}: {e}"))
}

pub fn try_request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Response> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    // One write: a server that answers from the headers alone (a 415) and
    // closes could otherwise see the body arrive after it closed, and the
    // reset that follows would swallow its answer.
    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    s.write_all(&request)?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        // A server that keeps the connection open despite `Connection:
        // close` (chromedriver) has answered once its Content-Length is in.
        if answer_complete(&raw, method == "HEAD") {
            break;
        }
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            // A reset after the answer arrived ends it like a close.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset && !raw.is_empty() => break,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// Whether `raw` holds a whole answer framed by Content-Length.
fn answer_complete(raw: &[u8], head_only: bool) -> bool {
    let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&raw[..end]);
    let length = head.lines().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse::<usize>().ok())
            .flatten()
    });
    match length {
        _ if head_only => true,
        Some(n) => raw.len() - (end + 4) >= n,
        None => false,
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Polls `check` every 50 ms until it returns true or `limit` passes.
pub fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if check() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A webhook sink on a loopback port: records every request body it gets and
/// answers with the scripted status codes (then 200).
pub struct Sink {
    pub addr: String,
    received: std::sync::Arc<std::sync::Mutex<Vec<(Instant, String)>>>,
    script: std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<u16>>>,
}

impl Sink {
    pub fn start() -> Sink {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let script = std::sync::Arc::new(std::sync::Mutex::new(std::collections::VecDeque::new()));
        let (r, sc) = (received.clone(), script.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { break };
                let (r, sc) = (r.clone(), sc.clone());
                std::thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let mut len = 0usize;
                        let mut close = false;
                        loop {
                            let mut h = String::new();
                            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                                return;
                            }
                            let h = h.trim_end();
                            if h.is_empty() {
                                break;
                            }
                            if let Some((k, v)) = h.split_once(':') {
                                if k.eq_ignore_ascii_case("content-length") {
                                    len = v.trim().parse().unwrap_or(0);
                                }
                                if k.eq_ignore_ascii_case("connection")
                                    && v.trim().eq_ignore_ascii_case("close")
                                {
                                    close = true;
                                }
                            }
                        }
                        let mut body = vec![0; len];
                        if reader.read_exact(&mut body).is_err() {
                            return;
                        }
                        let status = sc.lock().unwrap().pop_front().unwrap_or(200);
                        r.lock()
                            .unwrap()
                            .push((Instant::now(), String::from_utf8_lossy(&body).into_owned()));
                        let resp = format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\n\r\n");
                        if stream.write_all(resp.as_bytes()).is_err() || close {
                            return;
                        }
                    }
                });
            }
        });
        Sink {
            addr,
            received,
            script,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// Answers the next requests with these status codes.
    pub fn script(&self, codes: &[u16]) {
        self.script.lock().unwrap().extend(codes.iter().copied());
    }

    /// Every body received so far, parsed as JSON.
    pub fn bodies(&self) -> Vec<serde_json::Value> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|(_, b)| serde_json::from_str(b).unwrap_or(serde_json::Value::String(b.clone())))
            .collect()
    }

    pub fn times(&self) -> Vec<Instant> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|(t, _)| *t)
            .collect()
    }

    pub fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }

    /// Waits up to `limit` until at least `n` requests arrived.
    pub fn wait_for(&self, n: usize, limit: Duration) -> bool {
        eventually(limit, || self.count() >= n)
    }
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate,
/// made with openssl in `dir`.
pub fn tls_certificates(dir: &std::path::Path) {
    let sh = |script: &str| {
        let out = Command::new("sh")
            .arg("-c")
            .arg(script)
            .current_dir(dir)
            .output()
            .expect("openssl runs");
        assert!(
            out.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    sh(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj /CN=test-ca -keyout ca.key -out ca.crt \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign",
    );
    for (name, ext) in [
        (
            "server",
            "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth",
        ),
        ("client", "extendedKeyUsage=clientAuth"),
    ] {
        std::fs::write(dir.join(format!("{name}.ext")), format!("{ext}\n")).unwrap();
        sh(&format!(
            "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN={name} \
             -keyout {name}.key -out {name}.csr && \
             openssl x509 -req -in {name}.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
             -days 2 -extfile {name}.ext -out {name}.crt"
        ));
    }
}

// ---------------------------------------------------------------------------
// The differential tests' recording fakes and reference Alertmanager.

/// One request as received.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// Names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

fn read_line(r: &mut impl BufRead) -> Option<String> {
    let mut line = String::new();
    match r.read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line.trim_end_matches(['\r', '\n']).to_string()),
    }
}

/// One request and whether the client asked to close the connection.
pub fn read_request(r: &mut impl BufRead) -> Option<(Recorded, bool)> {
    let start = read_line(r)?;
    let mut parts = start.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let h = read_line(r)?;
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v): &(String, String)| v.to_ascii_lowercase())
    };
    let close = get("connection").is_some_and(|v| v == "close");
    let mut body = Vec::new();
    if get("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        loop {
            let size = read_line(r)?;
            let n = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
            if n == 0 {
                // Trailers, up to the empty line.
                while !read_line(r)?.is_empty() {}
                break;
            }
            let mut chunk = vec![0; n];
            r.read_exact(&mut chunk).ok()?;
            body.extend_from_slice(&chunk);
            read_line(r)?;
        }
    } else {
        let len: usize = get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        body.resize(len, 0);
        r.read_exact(&mut body).ok()?;
    }
    Some((
        Recorded {
            method,
            path,
            headers,
            body,
        },
        close,
    ))
}

/// Alertmanager 0.25 on a configuration text (as `Server::alertmanager`,
/// plus the external URL).
pub struct Reference {
    child: Child,
    pub addr: String,
    dir: tempfile::TempDir,
}

impl Reference {
    pub fn start(config: &str, external_url: &str) -> Reference {
        let bin = Path::new("/usr/bin/prometheus-alertmanager");
        assert!(
            bin.exists(),
            "{} is missing: install Debian's prometheus-alertmanager (see scripts/test)",
            bin.display()
        );
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("alertmanager.yml");
        std::fs::write(&cfg, config).unwrap();
        let log = dir.path().join("alertmanager.log");
        // It cannot pick its own port: a free one is chosen and, if
        // something else takes it first, another.
        for _attempt in 0..5 {
            let addr = format!("127.0.0.1:{}", free_port());
            let mut child = Command::new(bin)
                .arg(format!("--config.file={}", cfg.display()))
                .arg(format!(
                    "--storage.path={}",
                    dir.path().join("data").display()
                ))
                .arg(format!("--web.listen-address={addr}"))
                .arg(format!("--web.external-url={external_url}"))
                .arg("--cluster.listen-address=")
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .expect("alertmanager starts");
            let ok = eventually(Duration::from_secs(30), || {
                if child.try_wait().ok().flatten().is_some() {
                    return true;
                }
                try_request(&addr, "GET", "/api/v2/status", &[], b"")
                    .is_ok_and(|r| r.status == 200 && r.body.contains("\"version\":\"0.25"))
            });
            if ok && child.try_wait().ok().flatten().is_none() {
                return Reference { child, addr, dir };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!(
            "could not start alertmanager; its log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("alertmanager.log")).unwrap_or_default()
    }
}

impl Drop for Reference {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Recorded {
    /// A header's value (names are lower-cased).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Where two bodies first differ, with some context from each.
pub fn byte_diff(am: &[u8], t: &[u8]) -> String {
    let at = am
        .iter()
        .zip(t)
        .position(|(a, b)| a != b)
        .unwrap_or(am.len().min(t.len()));
    // The bodies are JSON as Go writes it: one line, control characters
    // escaped, so they print as they are.
    let around = |b: &[u8]| {
        let from = at.saturating_sub(60);
        let to = (at + 60).min(b.len());
        String::from_utf8_lossy(&b[from..to]).into_owned()
    };
    format!(
        "first difference at byte {at} (lengths {} and {}):\n  alertmanager: …{}…\n  tocsin:       …{}…\n\
         --- alertmanager body\n{}\n--- tocsin body\n{}",
        am.len(),
        t.len(),
        around(am),
        around(t),
        String::from_utf8_lossy(am),
        String::from_utf8_lossy(t),
    )
}

/// Posts the same alerts to the reference Alertmanager and to Tocsin;
/// both must accept them.
pub fn post_to_both(am: &Reference, tocsin: &Server, alerts: &[serde_json::Value]) {
    let body = serde_json::Value::Array(alerts.to_vec()).to_string();
    let headers = [("Content-Type", "application/json")];
    let r = request(
        &am.addr,
        "POST",
        "/api/v2/alerts",
        &headers,
        body.as_bytes(),
    );
    assert_eq!(r.status, 200, "alertmanager: {}", r.body);
    let t = tocsin.post_json("/api/v2/alerts", &body);
    assert_eq!(t.status, 200, "tocsin: {}", t.body);
}

/// The start and end times of the differential tests' alerts, fixed at
/// first use: the start at millisecond .123 of a second less than a
/// second and a half ago (so that a group waits its `group_wait` of 2 s on
/// both servers instead of flushing while its alerts are still being
/// inserted, which Alertmanager does for alerts older than `group_wait`),
/// the end a second later (in the past by the time a resolve is posted).
pub fn diff_times() -> &'static (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
    static TIMES: std::sync::OnceLock<(
        chrono::DateTime<chrono::Utc>,
        chrono::DateTime<chrono::Utc>,
    )> = std::sync::OnceLock::new();
    TIMES.get_or_init(|| {
        use chrono::{DurationRound, TimeDelta};
        let now = chrono::Utc::now() - TimeDelta::seconds(1);
        let start =
            now.duration_trunc(TimeDelta::seconds(1)).unwrap() + TimeDelta::milliseconds(123);
        (start, start + TimeDelta::seconds(1))
    })
}

/// [`diff_times`] as API v2 writes them (`2024-03-05T06:07:08.123Z`).
pub fn diff_starts() -> String {
    diff_times()
        .0
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The end of [`diff_times`], as API v2 writes it.
pub fn diff_ends() -> String {
    diff_times()
        .1
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
