//! Slack notifications with charts, end to end: Tocsin talks to a fake
//! Slack (Web API and incoming webhook) while a real Prometheus, backfilled
//! with a known series, answers its chart queries. It shows that a firing
//! alert is posted with Alertmanager's exact message and its chart uploaded
//! into the message's thread, that the resolve — after a restart — updates
//! the same message and adds a second chart to the same thread, that an
//! incoming webhook gets a public, signed, expiring chart link Tocsin
//! serves itself, that a chart that cannot be drawn or delivered never
//! holds the message back (the footer says why and a metric counts it), and
//! that a storm of 429s loses no message while Retry-After and the
//! per-channel pacing are respected, whereas `invalid_auth` is not retried.

mod common;

use std::collections::{HashMap, VecDeque};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use chrono::{SecondsFormat, Utc};
use common::{Server, eventually};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(60);
/// The channel id the fake Slack answers with.
const CHANNEL_ID: &str = "C0TESTCHAN1";
/// Tocsin's external URL, for the messages' links.
const EXTERNAL_URL: &str = "http://tocsin.example:9093";
const TITLE_LINK: &str = "http://tocsin.example:9093/#/alerts?receiver=slack";

/// The chart colours (`tocsin::graph::render`).
const SERIES_0: [u8; 3] = [31, 119, 180];
const SERIES_1: [u8; 3] = [44, 160, 44];
const THRESHOLD: [u8; 3] = [214, 39, 40];
const FIRING_SHADE: [u8; 3] = [252, 228, 228];

// ---------------------------------------------------------------------------
// A fake Slack: the Web API methods Tocsin calls and an incoming webhook.
// ---------------------------------------------------------------------------

/// One request the fake Slack received, and what it answered.
#[derive(Clone, Debug)]
struct Req {
    method: String,
    path: String,
    /// Header names lower-cased.
    headers: HashMap<String, String>,
    body: Vec<u8>,
    at: Instant,
    status: u16,
    answer: String,
}

impl Req {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} body is not JSON ({e}): {}",
                self.path,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    fn answer_json(&self) -> Value {
        serde_json::from_str(&self.answer).unwrap_or(Value::Null)
    }

    fn form(&self) -> HashMap<String, String> {
        url::form_urlencoded::parse(&self.body)
            .into_owned()
            .collect()
    }

    /// The title of the message's attachment.
    fn title(&self) -> String {
        self.json()["attachments"][0]["title"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn footer(&self) -> String {
        self.json()["attachments"][0]["footer"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

/// A scripted answer.
#[derive(Clone, Debug)]
struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
}

impl Answer {
    fn json(status: u16, v: Value) -> Answer {
        Answer {
            status,
            headers: vec![("content-type", "application/json".into())],
            body: v.to_string(),
        }
    }

    fn text(status: u16, body: &str) -> Answer {
        Answer {
            status,
            headers: vec![("content-type", "text/plain; charset=utf-8".into())],
            body: body.into(),
        }
    }

    fn header(mut self, name: &'static str, value: &str) -> Answer {
        self.headers.push((name, value.into()));
        self
    }
}

struct FakeState {
    addr: String,
    log: Mutex<Vec<Req>>,
    script: Mutex<HashMap<String, VecDeque<Answer>>>,
    messages: AtomicU64,
    files: AtomicU64,
    /// The (channel, ts) of every message posted.
    posted: Mutex<Vec<(String, String)>>,
}

impl FakeState {
    /// What Slack answers when nothing is scripted.
    fn default_answer(&self, method: &Method, path: &str, body: &[u8]) -> Answer {
        if method != Method::POST {
            return Answer::text(405, "method not allowed");
        }
        let ok = |mut v: Value| {
            v["ok"] = json!(true);
            Answer::json(200, v)
        };
        match path {
            "/api/chat.postMessage" => {
                let n = self.messages.fetch_add(1, Ordering::SeqCst) + 1;
                let ts = format!("1700000000.{n:06}");
                self.posted
                    .lock()
                    .unwrap()
                    .push((CHANNEL_ID.into(), ts.clone()));
                ok(json!({"channel": CHANNEL_ID, "ts": ts}))
            }
            "/api/chat.update" => {
                let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
                let (channel, ts) = (
                    v["channel"].as_str().unwrap_or_default().to_string(),
                    v["ts"].as_str().unwrap_or_default().to_string(),
                );
                // Like Slack: only messages that exist can be updated.
                if !self
                    .posted
                    .lock()
                    .unwrap()
                    .contains(&(channel.clone(), ts.clone()))
                {
                    return Answer::json(200, json!({"ok": false, "error": "message_not_found"}));
                }
                ok(json!({"channel": channel, "ts": ts}))
            }
            "/api/files.getUploadURLExternal" => {
                let n = self.files.fetch_add(1, Ordering::SeqCst) + 1;
                ok(json!({
                    "upload_url": format!("http://{}/upload/F{n}", self.addr),
                    "file_id": format!("F{n}"),
                }))
            }
            "/api/files.completeUploadExternal" => ok(json!({"files": []})),
            "/hook" => Answer::text(200, "ok"),
            p if p.starts_with("/upload/") => Answer::text(200, "OK"),
            _ => Answer::text(404, "not found"),
        }
    }
}

async fn handle(
    State(st): State<Arc<FakeState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let at = Instant::now();
    let path = uri.path().to_string();
    let scripted = st
        .script
        .lock()
        .unwrap()
        .get_mut(&path)
        .and_then(VecDeque::pop_front);
    let answer = scripted.unwrap_or_else(|| st.default_answer(&method, &path, &body));
    st.log.lock().unwrap().push(Req {
        method: method.to_string(),
        path,
        headers: headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.to_vec(),
        at,
        status: answer.status,
        answer: answer.body.clone(),
    });
    let mut resp = Response::builder().status(answer.status);
    for (k, v) in &answer.headers {
        resp = resp.header(*k, v);
    }
    resp.body(Body::from(answer.body)).unwrap()
}

/// The fake Slack, on a loopback port, served by a runtime of its own.
struct FakeSlack {
    state: Arc<FakeState>,
}

impl FakeSlack {
    fn start() -> FakeSlack {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let state = Arc::new(FakeState {
                    addr: listener.local_addr().unwrap().to_string(),
                    log: Mutex::default(),
                    script: Mutex::default(),
                    messages: AtomicU64::new(0),
                    files: AtomicU64::new(0),
                    posted: Mutex::default(),
                });
                tx.send(state.clone()).unwrap();
                let app = Router::new().fallback(handle).with_state(state);
                axum::serve(listener, app).await.unwrap();
            });
        });
        FakeSlack {
            state: rx.recv().expect("the fake Slack starts"),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.state.addr)
    }

    /// Answers the next requests to `path` with `answers`, in order.
    fn script(&self, path: &str, answers: impl IntoIterator<Item = Answer>) {
        self.state
            .script
            .lock()
            .unwrap()
            .entry(path.to_string())
            .or_default()
            .extend(answers);
    }

    fn requests(&self) -> Vec<Req> {
        self.state.log.lock().unwrap().clone()
    }

    fn to(&self, path: &str) -> Vec<Req> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    fn uploads(&self) -> Vec<Req> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.starts_with("/upload/"))
            .collect()
    }

    fn dump(&self) -> String {
        self.requests()
            .iter()
            .map(|r| {
                let body = if r.path.starts_with("/upload/") {
                    format!("<{} bytes>", r.body.len())
                } else {
                    String::from_utf8_lossy(&r.body).into_owned()
                };
                format!(
                    "{} {} -> {} {}\n    {body}",
                    r.method, r.path, r.status, r.answer
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Waits until `path` got at least `n` requests; panics with every
    /// request seen otherwise.
    fn wait_for(&self, path: &str, n: usize) {
        assert!(
            eventually(WAIT, || self.to(path).len() >= n),
            "expected {n} requests to {path}; got:\n{}",
            self.dump()
        );
    }
}

// ---------------------------------------------------------------------------
// A real Prometheus with a backfilled series.
// ---------------------------------------------------------------------------

/// The crossing of instance a's load above 0.8, before the tests started.
const FIRING_FOR: i64 = 40 * 60;

struct Prometheus {
    child: Child,
    addr: String,
    dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

static PROMETHEUS: Mutex<Weak<Prometheus>> = Mutex::new(Weak::new());

/// A Prometheus shared by the tests running at the same time; stopped when
/// the last of them is done with it.
fn prometheus() -> Arc<Prometheus> {
    let mut slot = PROMETHEUS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(p) = slot.upgrade() {
        return p;
    }
    let p = Arc::new(Prometheus::start());
    *slot = Arc::downgrade(&p);
    p
}

impl Prometheus {
    /// Backfills `tocsin_test_load` — instance a low (0.2–0.4) then above
    /// 0.8 for the last 40 minutes, instance b low throughout — every 15 s
    /// over the last 3.5 h up to a minute ago, and starts Prometheus on it.
    fn start() -> Prometheus {
        for bin in ["/usr/bin/prometheus", "/usr/bin/promtool"] {
            assert!(
                std::path::Path::new(bin).exists(),
                "{bin} is missing: install Debian's prometheus (see scripts/test)"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let now = Utc::now().timestamp();
        let (first, last) = (now - 12_600, now - 60);
        let mut om = String::from(
            "# HELP tocsin_test_load A load for Tocsin's chart tests.\n# TYPE tocsin_test_load gauge\n",
        );
        for instance in ["a", "b"] {
            let mut t = first - first.rem_euclid(15);
            while t <= last {
                let wave = ((t as f64) / 600.0).sin();
                let v = match instance {
                    "a" if t >= now - FIRING_FOR => 0.9 + 0.05 * wave,
                    "a" => 0.3 + 0.1 * wave,
                    _ => 0.1 + 0.05 * wave,
                };
                om.push_str(&format!(
                    "tocsin_test_load{{instance=\"{instance}\"}} {v:.4} {t}\n"
                ));
                t += 15;
            }
        }
        om.push_str("# EOF\n");
        let om_file = dir.path().join("load.om");
        std::fs::write(&om_file, om).unwrap();
        let tsdb = dir.path().join("tsdb");
        let out = Command::new("/usr/bin/promtool")
            .args(["tsdb", "create-blocks-from", "openmetrics"])
            .arg(&om_file)
            .arg(&tsdb)
            .output()
            .expect("promtool runs");
        assert!(
            out.status.success(),
            "promtool tsdb create-blocks-from openmetrics: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let cfg = dir.path().join("prometheus.yml");
        std::fs::write(&cfg, "global:\n  scrape_interval: 1m\n").unwrap();

        let mut started = None;
        for _attempt in 0..5 {
            let addr = format!("127.0.0.1:{}", common::free_port());
            let log = std::fs::File::create(dir.path().join("prometheus.log")).unwrap();
            let mut child = Command::new("/usr/bin/prometheus")
                .current_dir(dir.path())
                .arg(format!("--config.file={}", cfg.display()))
                .arg(format!("--storage.tsdb.path={}", tsdb.display()))
                .arg(format!("--web.listen-address={addr}"))
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("prometheus starts");
            let ready = eventually(WAIT, || {
                child.try_wait().ok().flatten().is_some()
                    || common::try_request(&addr, "GET", "/-/ready", &[], b"")
                        .is_ok_and(|r| r.status == 200)
            });
            if ready && child.try_wait().ok().flatten().is_none() {
                started = Some((child, addr));
                break;
            }
            // Something else took the port first: try another.
            let _ = child.kill();
            let _ = child.wait();
        }
        let Some((child, addr)) = started else {
            panic!(
                "could not start prometheus on a free port; its log:\n{}",
                std::fs::read_to_string(dir.path().join("prometheus.log")).unwrap_or_default()
            );
        };
        let p = Prometheus { child, addr, dir };
        // The backfilled blocks may take a moment to be loaded.
        let path = format!(
            "/api/v1/query_range?query=tocsin_test_load&start={}&end={}&step=60",
            now - 3 * 3600,
            now - 60
        );
        let loaded = eventually(WAIT, || {
            common::try_request(&p.addr, "GET", &path, &[], b"").is_ok_and(|r| {
                r.status == 200
                    && serde_json::from_str::<Value>(&r.body).is_ok_and(|v| {
                        v["data"]["result"].as_array().is_some_and(|s| {
                            s.len() == 2
                                && s.iter()
                                    .all(|s| s["values"].as_array().is_some_and(|v| v.len() > 100))
                        })
                    })
            })
        });
        assert!(
            loaded,
            "Prometheus has no backfilled data; its log:\n{}",
            std::fs::read_to_string(p.dir.path().join("prometheus.log")).unwrap_or_default()
        );
        p
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The generator URL Prometheus gives an alert of `expr`.
    fn generator_url(&self, expr: &str) -> String {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("g0.expr", expr)
            .append_pair("g0.tab", "1")
            .finish();
        format!("http://{}/graph?{query}", self.addr)
    }
}

// ---------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------

fn rfc3339(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A firing alert of `name` for instance a, started 39 minutes ago.
fn alert(name: &str, generator_url: &str, annotations: Value) -> Value {
    json!({
        "labels": {"alertname": name, "instance": "a"},
        "annotations": annotations,
        "startsAt": rfc3339(Utc::now() - chrono::Duration::seconds(FIRING_FOR - 60)),
        "generatorURL": generator_url,
    })
}

fn post_alerts(s: &Server, alerts: &[Value]) {
    let r = s.post_json("/api/v2/alerts", &Value::from(alerts.to_vec()).to_string());
    assert_eq!(r.status, 200, "{}", r.body);
}

/// A configuration with one Slack receiver, `slack`.
fn config(group_interval: &str, slack: &str) -> String {
    format!(
        "route:\n  receiver: slack\n  group_by: [alertname]\n  group_wait: 1s\n  group_interval: {group_interval}\n  repeat_interval: 1h\n\
         receivers:\n- name: slack\n  slack_configs:\n  - {slack}\n"
    )
}

/// A Web API Slack config posting to `fake`'s channel `#alerts`.
fn web_api(fake: &FakeSlack, extra: &str) -> String {
    format!(
        "app_token: xoxb-test\n    app_url: {}\n    channel: '#alerts'{extra}",
        fake.url("/api/chat.postMessage")
    )
}

/// The message Alertmanager sends for the group `name` of one alert.
fn message(channel: &str, ts: Option<&str>, status: &str, name: &str, footer: &str) -> Value {
    let title = match status {
        "firing" => format!("[FIRING:1] {name} (a)"),
        _ => format!("[RESOLVED] {name} (a)"),
    };
    let mut m = json!({
        "channel": channel,
        "username": "Alertmanager",
        "attachments": [{
            "title": title,
            "title_link": TITLE_LINK,
            "text": "",
            "fallback": format!("{title} | {TITLE_LINK}"),
            "callback_id": "",
            "footer": footer,
            "color": if status == "firing" { "danger" } else { "good" },
            "mrkdwn_in": ["fallback", "pretext", "text"],
        }],
    });
    if let Some(ts) = ts {
        m["ts"] = json!(ts);
    }
    m
}

/// A sample of `/metrics`, if exposed.
fn metric(s: &Server, series: &str) -> Option<f64> {
    let body = s.get("/metrics").body;
    body.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.trim().parse().unwrap())
}

fn failures(s: &Server, reason: &str) -> Option<f64> {
    metric(
        s,
        &format!("tocsin_graph_failures_total{{reason=\"{reason}\"}}"),
    )
}

/// A GET whose body is kept as bytes.
fn get_bytes(addr: &str, path: &str) -> (u16, HashMap<String, String>, Vec<u8>) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .expect("a status line");
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    if headers
        .get("transfer-encoding")
        .is_some_and(|v| v.contains("chunked"))
    {
        let mut out = Vec::new();
        let mut rest = &body[..];
        while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
            let n = usize::from_str_radix(String::from_utf8_lossy(&rest[..eol]).trim(), 16)
                .unwrap_or(0);
            if n == 0 || rest.len() < eol + 2 + n {
                break;
            }
            out.extend_from_slice(&rest[eol + 2..eol + 2 + n]);
            rest = &rest[(eol + 4 + n).min(rest.len())..];
        }
        body = out;
    }
    (status, headers, body)
}

/// A decoded PNG: width, height and RGB pixels.
struct Image {
    width: u32,
    height: u32,
    rgb: Vec<[u8; 3]>,
}

impl Image {
    fn decode(bytes: &[u8]) -> Image {
        let dec = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = dec.read_info().expect("a PNG");
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).expect("a PNG frame");
        buf.truncate(info.buffer_size());
        assert_eq!(info.bit_depth, png::BitDepth::Eight);
        let stride = match info.color_type {
            png::ColorType::Rgb => 3,
            png::ColorType::Rgba => 4,
            other => panic!("a {other:?} PNG"),
        };
        Image {
            width: info.width,
            height: info.height,
            rgb: buf
                .chunks_exact(stride)
                .map(|p| [p[0], p[1], p[2]])
                .collect(),
        }
    }

    fn count(&self, c: [u8; 3]) -> usize {
        self.rgb.iter().filter(|p| **p == c).count()
    }

    /// The most pixels of colour `c` in one row.
    fn widest_row(&self, c: [u8; 3]) -> usize {
        self.rgb
            .chunks_exact(self.width as usize)
            .map(|row| row.iter().filter(|p| **p == c).count())
            .max()
            .unwrap_or(0)
    }
}

/// Checks that `png` is the chart of instance a's load against the 0.8
/// threshold.
fn assert_is_the_load_chart(png: &[u8]) {
    let img = Image::decode(png);
    assert_eq!((img.width, img.height), (800, 400));
    assert!(
        img.count(SERIES_0) > 300,
        "the series in the first colour: {} pixels",
        img.count(SERIES_0)
    );
    assert_eq!(
        img.count(SERIES_1),
        0,
        "only the alert's own series (instance a) is drawn"
    );
    assert!(
        img.widest_row(THRESHOLD) > 200,
        "a dashed threshold line across the chart: at most {} pixels in a row",
        img.widest_row(THRESHOLD)
    );
    assert!(
        img.count(FIRING_SHADE) > 2000,
        "the firing window is shaded: {} pixels",
        img.count(FIRING_SHADE)
    );
}

/// The Web API calls of the chart upload that `get_url` (its
/// getUploadURLExternal) began: the upload and completeUploadExternal into
/// the thread `thread_ts`, checked against each other; returns the PNG.
fn checked_upload(fake: &FakeSlack, get_url: &Req, thread_ts: &str) -> Vec<u8> {
    let all = fake.requests();
    assert_eq!(get_url.header("authorization"), Some("Bearer xoxb-test"));
    assert_eq!(
        get_url.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let form = get_url.form();
    let answer = get_url.answer_json();
    let file_id = answer["file_id"].as_str().unwrap();
    let upload_path = answer["upload_url"]
        .as_str()
        .unwrap()
        .strip_prefix(&format!("http://{}", fake.state.addr))
        .unwrap()
        .to_string();
    let upload = all
        .iter()
        .find(|r| r.path == upload_path)
        .unwrap_or_else(|| panic!("no upload to {upload_path}:\n{}", fake.dump()));
    assert_eq!(upload.method, "POST");
    assert!(upload.at >= get_url.at);
    assert_eq!(
        form.get("length").map(String::as_str),
        Some(upload.body.len().to_string().as_str()),
        "the announced length is the uploaded byte count"
    );
    let filename = &form["filename"];
    assert!(
        filename.starts_with("HighLoad-") && filename.ends_with(".png"),
        "{filename}"
    );
    assert!(
        form.get("alt_txt")
            .is_some_and(|t| t.starts_with("HighLoad")),
        "{form:?}"
    );
    let complete = all
        .iter()
        .filter(|r| r.path == "/api/files.completeUploadExternal")
        .find(|r| r.json()["files"][0]["id"] == file_id)
        .unwrap_or_else(|| panic!("no completeUploadExternal of {file_id}:\n{}", fake.dump()));
    assert!(complete.at >= upload.at);
    assert_eq!(complete.header("authorization"), Some("Bearer xoxb-test"));
    let c = complete.json();
    assert_eq!(c["channel_id"], CHANNEL_ID, "{c}");
    assert_eq!(c["thread_ts"], thread_ts, "{c}");
    assert_eq!(c["files"].as_array().unwrap().len(), 1, "{c}");
    assert!(
        c["files"][0]["title"]
            .as_str()
            .is_some_and(|t| t.starts_with("HighLoad")),
        "{c}"
    );
    upload.body.clone()
}

// ---------------------------------------------------------------------------
// The tests.
// ---------------------------------------------------------------------------

#[test]
fn web_api_message_chart_and_resolve_in_the_same_thread() {
    let prom = prometheus();
    let fake = FakeSlack::start();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("alertmanager.yml");
    std::fs::write(
        &cfg,
        config("1s", &web_api(&fake, "\n    send_resolved: true")),
    )
    .unwrap();
    let args = [
        format!("--config.file={}", cfg.display()),
        format!("--graph.prometheus-url={}", prom.url()),
        format!("--web.external-url={EXTERNAL_URL}"),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut s = Server::start(dir.path(), &args);
    s.wait_ready();

    let high_load = alert(
        "HighLoad",
        &prom.generator_url("tocsin_test_load > 0.8"),
        json!({}),
    );
    post_alerts(&s, std::slice::from_ref(&high_load));

    // The message, then its chart in the thread.
    fake.wait_for("/api/files.completeUploadExternal", 1);
    let posts = fake.to("/api/chat.postMessage");
    assert_eq!(posts.len(), 1, "{}", fake.dump());
    let post = &posts[0];
    assert_eq!(post.header("authorization"), Some("Bearer xoxb-test"));
    assert_eq!(post.header("content-type"), Some("application/json"));
    assert_eq!(
        post.json(),
        message("#alerts", None, "firing", "HighLoad", "")
    );
    let ts = post.answer_json()["ts"].as_str().unwrap().to_string();
    let get_urls = fake.to("/api/files.getUploadURLExternal");
    assert_eq!(get_urls.len(), 1, "{}", fake.dump());
    assert!(get_urls[0].at >= post.at, "the chart follows the message");
    let png = checked_upload(&fake, &get_urls[0], &ts);
    // The UI's alert page shows the same chart, drawn on demand.
    let alerts = s.get("/api/v2/alerts").json();
    let fp = alerts[0]["fingerprint"].as_str().unwrap().to_string();
    let r = s.get(&format!("/api/tocsin/v1/graph/{fp}.png"));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("image/png"));
    assert!(r.body.contains("PNG") && r.body.contains("IHDR"), "a PNG");
    let r = s.get("/api/tocsin/v1/graph/0123456789abcdef.png");
    assert_eq!(r.status, 404);
    assert!(r.body.contains("no active alert"), "{}", r.body);
    // `TOCSIN_WRITE_DOCS=1 cargo test --test slack` refreshes the README's
    // picture with this chart.
    if std::env::var_os("TOCSIN_WRITE_DOCS").is_some() {
        std::fs::write(
            concat!(env!("CARGO_MANIFEST_DIR"), "/docs/slack-chart.png"),
            &png,
        )
        .unwrap();
    }
    assert_is_the_load_chart(&png);
    assert!(fake.to("/api/chat.update").is_empty(), "{}", fake.dump());

    // A restart keeps the message's channel and ts.
    s.signal("TERM");
    assert_eq!(s.wait_exit(), Some(0));
    drop(s);
    let s = Server::start(dir.path(), &args);
    s.wait_ready();

    let mut resolved = high_load.clone();
    resolved["endsAt"] = json!(rfc3339(Utc::now()));
    post_alerts(&s, &[resolved]);

    fake.wait_for("/api/files.completeUploadExternal", 2);
    let updates = fake.to("/api/chat.update");
    assert_eq!(updates.len(), 1, "{}", fake.dump());
    let update = &updates[0];
    assert_eq!(update.header("authorization"), Some("Bearer xoxb-test"));
    assert_eq!(
        update.json(),
        message(CHANNEL_ID, Some(&ts), "resolved", "HighLoad", ""),
        "the resolve updates the message"
    );
    assert_eq!(update.status, 200);
    assert_eq!(update.answer_json()["ok"], true, "{}", update.answer);
    assert_eq!(
        fake.to("/api/chat.postMessage").len(),
        1,
        "no new message after the restart:\n{}",
        fake.dump()
    );
    let get_urls = fake.to("/api/files.getUploadURLExternal");
    assert_eq!(get_urls.len(), 2, "{}", fake.dump());
    assert!(get_urls[1].at >= update.at, "the chart follows the update");
    let png = checked_upload(&fake, &get_urls[1], &ts);
    let img = Image::decode(&png);
    assert_eq!((img.width, img.height), (800, 400));
    assert!(img.count(SERIES_0) > 300);
    assert!(img.widest_row(THRESHOLD) > 200);
    assert_eq!(fake.uploads().len(), 2, "{}", fake.dump());
    for u in fake.uploads() {
        assert_eq!(
            u.headers.get("authorization"),
            None,
            "the bot token goes only to the Web API, not to the upload URL"
        );
    }
}

#[test]
fn incoming_webhook_gets_a_public_chart_link() {
    let prom = prometheus();
    let fake = FakeSlack::start();
    let port = common::free_port();
    let public = format!("127.0.0.1:{port}");
    let s = Server::with_config(
        &config("1s", &format!("api_url: {}", fake.url("/hook"))),
        &[
            &format!("--graph.prometheus-url={}", prom.url()),
            &format!("--graph.public-url=http://{public}"),
            "--graph.link-ttl=4s",
            &format!("--web.listen-address={public}"),
            &format!("--web.external-url={EXTERNAL_URL}"),
        ],
    );
    s.wait_ready();
    post_alerts(
        &s,
        &[alert(
            "HighLoad",
            &prom.generator_url("tocsin_test_load > 0.8"),
            json!({}),
        )],
    );
    fake.wait_for("/hook", 1);
    let hooks = fake.to("/hook");
    assert_eq!(hooks.len(), 1, "{}", fake.dump());
    let hook = &hooks[0];
    assert!(hook.header("authorization").is_none());
    assert_eq!(hook.status, 200);
    let body = hook.json();
    let a = &body["attachments"][0];
    assert_eq!(a["title"], "[FIRING:1] HighLoad (a)", "{body}");
    assert_eq!(a["footer"], "", "{body}");
    let image_url = a["image_url"].as_str().unwrap_or_default().to_string();
    let prefix = format!("http://{public}/graphs/");
    assert!(
        image_url.starts_with(&prefix) && image_url.ends_with(".png"),
        "{body}"
    );
    assert!(
        fake.requests().iter().all(|r| r.path == "/hook"),
        "an incoming webhook gets no Web API calls:\n{}",
        fake.dump()
    );

    // The link works, on the public address, without credentials.
    let path = image_url.strip_prefix(&format!("http://{public}")).unwrap();
    let (status, headers, png) = get_bytes(&public, path);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&png));
    assert_eq!(
        headers.get("content-type").map(String::as_str),
        Some("image/png")
    );
    assert_is_the_load_chart(&png);

    // An altered id, or none issued, is not found.
    let id = path
        .strip_prefix("/graphs/")
        .unwrap()
        .strip_suffix(".png")
        .unwrap();
    let mut chars: Vec<char> = id.chars().collect();
    let i = chars.len() / 2;
    chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
    let altered: String = chars.into_iter().collect();
    assert_ne!(altered, id);
    let (status, _, _) = get_bytes(&public, &format!("/graphs/{altered}.png"));
    assert_eq!(status, 404, "an altered id");
    let (status, _, _) = get_bytes(&public, "/graphs/garbage.png");
    assert_eq!(status, 404, "an id never issued");

    // Past the link's TTL, it is gone.
    let expired_at = hook.at + Duration::from_secs(5);
    std::thread::sleep(expired_at.saturating_duration_since(Instant::now()));
    let (status, _, _) = get_bytes(&public, path);
    assert_eq!(status, 404, "an expired link");
}

#[test]
fn charts_that_fail_never_hold_the_message_back() {
    let prom = prometheus();
    let good_url = prom.generator_url("tocsin_test_load > 0.8");

    // (a), (b) and (d) share one Tocsin and one fake Slack.
    let fake = FakeSlack::start();
    fake.script(
        "/api/files.getUploadURLExternal",
        [Answer::json(
            200,
            json!({"ok": false, "error": "missing_scope", "needed": "files:write"}),
        )],
    );
    let s = Server::with_config(
        &config("1s", &web_api(&fake, "")),
        &[
            &format!("--graph.prometheus-url={}", prom.url()),
            &format!("--web.external-url={EXTERNAL_URL}"),
        ],
    );
    // (c): a Prometheus nobody listens for.
    let closed = common::free_port();
    let fake_c = FakeSlack::start();
    let s_c = Server::with_config(
        &config("1s", &web_api(&fake_c, "")),
        &[
            &format!("--graph.prometheus-url=http://127.0.0.1:{closed}"),
            &format!("--web.external-url={EXTERNAL_URL}"),
        ],
    );
    s.wait_ready();
    s_c.wait_ready();
    post_alerts(
        &s,
        &[
            // (a) An expression that does not parse.
            alert(
                "BadQuery",
                &good_url,
                json!({"graph_query": "sum(rate(x[5m])"}),
            ),
            // (b) A query without data.
            alert(
                "NoData",
                &good_url,
                json!({"graph_query": "tocsin_test_load{instance=\"nope\"}"}),
            ),
            // (d) A chart drawn, but the upload refused.
            alert("UploadRefused", &good_url, json!({})),
        ],
    );
    post_alerts(&s_c, &[alert("Unreachable", &good_url, json!({}))]);

    fake.wait_for("/api/chat.postMessage", 3);
    fake.wait_for("/api/chat.update", 1);
    fake_c.wait_for("/api/chat.postMessage", 1);
    // Nothing more is on its way.
    std::thread::sleep(Duration::from_secs(2));

    let posts = fake.to("/api/chat.postMessage");
    assert_eq!(posts.len(), 3, "{}", fake.dump());
    let by_title = |name: &str| {
        posts
            .iter()
            .find(|p| p.title() == format!("[FIRING:1] {name} (a)"))
            .unwrap_or_else(|| panic!("no message for {name}:\n{}", fake.dump()))
    };

    // (a) Tocsin's own parser rejects the expression before Prometheus
    // sees it.
    let bad = by_title("BadQuery");
    assert!(
        bad.footer()
            .starts_with("no chart: the alert's expression does not parse"),
        "{}",
        bad.footer()
    );
    assert!(failures(&s, "bad_expression").is_some_and(|n| n >= 1.0));
    assert_eq!(failures(&s, "query_error"), None);

    // (b)
    let none = by_title("NoData");
    assert_eq!(
        none.footer(),
        "no chart: the query returned no data in the chart's range"
    );
    assert_eq!(
        none.json(),
        message(
            "#alerts",
            None,
            "firing",
            "NoData",
            "no chart: the query returned no data in the chart's range"
        )
    );
    assert!(failures(&s, "no_data").is_some_and(|n| n >= 1.0));

    // (d) The message went out, then said that its chart is missing.
    let refused = by_title("UploadRefused");
    assert_eq!(refused.footer(), "", "the chart was drawn");
    let ts = refused.answer_json()["ts"].as_str().unwrap().to_string();
    let get_urls = fake.to("/api/files.getUploadURLExternal");
    assert_eq!(get_urls.len(), 1, "{}", fake.dump());
    assert!(get_urls[0].at >= refused.at);
    let updates = fake.to("/api/chat.update");
    assert_eq!(updates.len(), 1, "{}", fake.dump());
    let update = &updates[0];
    assert!(update.at >= get_urls[0].at);
    let u = update.json();
    assert_eq!(u["channel"], CHANNEL_ID, "{u}");
    assert_eq!(u["ts"], ts, "{u}");
    assert_eq!(u["attachments"][0]["title"], "[FIRING:1] UploadRefused (a)");
    let footer = update.footer();
    assert!(
        footer.contains("chart not attached") && footer.contains("missing_scope"),
        "{footer}"
    );
    assert!(fake.uploads().is_empty(), "{}", fake.dump());
    assert!(
        fake.to("/api/files.completeUploadExternal").is_empty(),
        "{}",
        fake.dump()
    );
    assert!(failures(&s, "upload").is_some_and(|n| n >= 1.0));

    // (c)
    let posts_c = fake_c.to("/api/chat.postMessage");
    assert_eq!(posts_c.len(), 1, "{}", fake_c.dump());
    let footer = posts_c[0].footer();
    assert!(
        footer.starts_with("no chart: Prometheus is unreachable"),
        "{footer}"
    );
    assert!(failures(&s_c, "prometheus_unreachable").is_some_and(|n| n >= 1.0));
    assert_eq!(
        fake_c.requests().len(),
        1,
        "no upload without a chart:\n{}",
        fake_c.dump()
    );
}

#[test]
fn a_429_storm_loses_nothing_and_respects_retry_after_and_pacing() {
    let gap = Duration::from_millis(900);
    // The storm: five groups to one channel, the first four posts refused.
    let fake = FakeSlack::start();
    let limited =
        Answer::json(429, json!({"ok": false, "error": "ratelimited"})).header("retry-after", "1");
    fake.script("/api/chat.postMessage", vec![limited; 4]);
    let s = Server::with_config(&config("1s", &web_api(&fake, "")), &[]);
    // invalid_auth: a group interval long enough that only a retry could
    // send the message twice.
    let fake_auth = FakeSlack::start();
    fake_auth.script(
        "/api/chat.postMessage",
        vec![Answer::json(200, json!({"ok": false, "error": "invalid_auth"})); 5],
    );
    let mut s_auth = Server::with_config(&config("5m", &web_api(&fake_auth, "")), &[]);
    s.wait_ready();
    s_auth.wait_ready();

    let names: Vec<String> = (1..=5).map(|i| format!("Storm{i}")).collect();
    let storm: Vec<Value> = names
        .iter()
        .map(|n| alert(n, "http://prometheus.example/graph", json!({})))
        .collect();
    post_alerts(&s, &storm);
    post_alerts(
        &s_auth,
        &[alert(
            "Unauthorized",
            "http://prometheus.example/graph",
            json!({}),
        )],
    );

    let accepted = |fake: &FakeSlack| -> Vec<Req> {
        fake.to("/api/chat.postMessage")
            .into_iter()
            .filter(|r| r.status == 200)
            .collect()
    };
    assert!(
        eventually(WAIT, || accepted(&fake).len() >= 5),
        "five messages accepted:\n{}",
        fake.dump()
    );
    // invalid_auth: one request, no retry.
    fake_auth.wait_for("/api/chat.postMessage", 1);
    let first_auth = fake_auth.requests()[0].at;
    std::thread::sleep(
        (first_auth + Duration::from_secs(4)).saturating_duration_since(Instant::now()),
    );
    assert_eq!(
        fake_auth.requests().len(),
        1,
        "invalid_auth is not retried:\n{}",
        fake_auth.dump()
    );
    let line = s_auth.wait_for_log("Notify for alerts failed");
    assert!(line.contains("invalid_auth"), "{line}");
    // Nothing more comes from the storm either.
    std::thread::sleep(Duration::from_secs(1));

    let posts = fake.to("/api/chat.postMessage");
    let ok = accepted(&fake);
    assert_eq!(ok.len(), 5, "{}", fake.dump());
    assert_eq!(
        posts.len(),
        9,
        "four 429s and five messages:\n{}",
        fake.dump()
    );
    let mut titles: Vec<String> = ok.iter().map(Req::title).collect();
    titles.sort();
    let expected: Vec<String> = names
        .iter()
        .map(|n| format!("[FIRING:1] {n} (a)"))
        .collect();
    assert_eq!(titles, expected, "one message per group, none twice");
    assert!(ok.iter().all(|r| r.answer_json()["ok"] == true));

    // Pacing: a second at least between accepted messages…
    for w in ok.windows(2) {
        assert!(
            w[1].at.duration_since(w[0].at) >= gap,
            "accepted messages {:?} apart:\n{}",
            w[1].at.duration_since(w[0].at),
            fake.dump()
        );
    }
    // …and Retry-After: nothing for a second after each 429.
    for (i, p) in posts.iter().enumerate() {
        if p.status == 429 {
            let next = posts.get(i + 1).expect("a request after each 429");
            assert!(
                next.at.duration_since(p.at) >= gap,
                "a request {:?} after a 429:\n{}",
                next.at.duration_since(p.at),
                fake.dump()
            );
        }
    }
    // Every group that was refused came back.
    for p in posts.iter().filter(|p| p.status == 429) {
        let title = p.title();
        let retried = ok.iter().find(|r| r.title() == title).unwrap();
        assert!(retried.at.duration_since(p.at) >= gap, "{title}");
    }
}
