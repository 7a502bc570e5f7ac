//! The web UI in a real headless browser: Debian's `chromium`, driven by
//! `chromedriver` over the WebDriver protocol (plain HTTP, spoken by the
//! harness). Alerts posted through the API appear grouped; the matcher
//! filter narrows them; a silence created from `#/silences/new?filter=…`
//! shows its preview, is created, and the alert then shows as silenced;
//! expiring it works; a label value of `<img src=x onerror=…>` is shown as
//! text and runs nothing; the pages work under a route prefix and at a
//! phone's width. `TOCSIN_WRITE_DOCS=1` writes the screenshots under
//! `docs/`. `scripts/test` installs chromium and chromium-driver.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use common::{Server, eventually};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(30);

/// A chromedriver process on a free loopback port.
struct Driver {
    child: Child,
    addr: String,
}

impl Driver {
    fn start() -> Driver {
        for bin in ["/usr/bin/chromedriver", "/usr/bin/chromium"] {
            assert!(
                Path::new(bin).exists(),
                "{bin} is missing: install Debian's chromium and chromium-driver (scripts/test does)"
            );
        }
        let port = common::free_port();
        let child = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let addr = format!("127.0.0.1:{port}");
        assert!(
            eventually(WAIT, || common::try_request(
                &addr,
                "GET",
                "/status",
                &[],
                b""
            )
            .is_ok_and(|r| r.status == 200)),
            "chromedriver did not answer"
        );
        Driver { child, addr }
    }

    /// A headless browser session of `width`×`height`.
    fn session(&self, width: u32, height: u32) -> Session {
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         format!("--window-size={width},{height}"), "--lang=en-US"]
            }
        }}});
        let r = wd(&self.addr, "POST", "/session", Some(caps));
        let id = r["sessionId"].as_str().expect("a session id").to_string();
        Session {
            addr: self.addr.clone(),
            id,
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One WebDriver command; returns its `value`.
fn wd(addr: &str, method: &str, path: &str, body: Option<Value>) -> Value {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let headers: &[(&str, &str)] = if body.is_empty() {
        &[]
    } else {
        &[("Content-Type", "application/json")]
    };
    let r = common::request(addr, method, path, headers, body.as_bytes());
    let v: Value = serde_json::from_str(&r.body).unwrap_or(Value::Null);
    assert!(
        r.status == 200,
        "WebDriver {method} {path}: {} {}",
        r.status,
        r.body
    );
    v["value"].clone()
}

struct Session {
    addr: String,
    id: String,
}

impl Session {
    fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        wd(
            &self.addr,
            method,
            &format!("/session/{}{path}", self.id),
            body,
        )
    }

    fn go(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({ "url": url })));
    }

    /// Runs `script` (a function body) with `args`; returns its value.
    fn js(&self, script: &str, args: Value) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// Waits until `script` returns a truthy value; returns it.
    fn until(&self, what: &str, script: &str) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let v = self.js(script, json!([]));
            if !(v.is_null() || v == json!(false) || v == json!(0) || v == json!("")) {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: not within {WAIT:?}; page:\n{}",
                self.js("return document.querySelector('main').innerText", json!([]))
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn element(&self, css: &str) -> String {
        self.until(
            &format!("element {css}"),
            &format!("return !!document.querySelector({})", json!(css)),
        );
        let v = self.cmd(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        );
        v.as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .expect("an element reference")
            .to_string()
    }

    fn click(&self, css: &str) {
        let el = self.element(css);
        self.cmd("POST", &format!("/element/{el}/click"), Some(json!({})));
    }

    /// Replaces an input's text by typing, as a user does.
    fn type_into(&self, css: &str, text: &str) {
        let el = self.element(css);
        self.cmd("POST", &format!("/element/{el}/clear"), Some(json!({})));
        self.cmd(
            "POST",
            &format!("/element/{el}/value"),
            Some(json!({ "text": text })),
        );
    }

    fn screenshot(&self, name: &str) {
        let png = self.cmd("GET", "/screenshot", None);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().expect("base64 PNG"))
            .expect("a PNG");
        assert!(bytes.starts_with(b"\x89PNG"));
        if std::env::var_os("TOCSIN_WRITE_DOCS").is_some() {
            std::fs::write(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("docs")
                    .join(format!("ui-{name}.png")),
                bytes,
            )
            .unwrap();
        }
    }

    /// Whether the browser shows a JavaScript dialog (an `alert(…)`).
    fn has_dialog(&self) -> bool {
        let r = common::request(
            &self.addr,
            "GET",
            &format!("/session/{}/alert/text", self.id),
            &[],
            b"",
        );
        r.status == 200
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = common::try_request(
            &self.addr,
            "DELETE",
            &format!("/session/{}", self.id),
            &[],
            b"",
        );
    }
}

const CONFIG: &str =
    "route:\n  receiver: ops\n  group_by: [alertname]\n  group_wait: 1h\nreceivers:\n- name: ops\n";

const XSS: &str = "<img src=x onerror=alert(1)>";

fn alert(labels: Value, annotations: Value) -> Value {
    json!({
        "labels": labels,
        "annotations": annotations,
        "startsAt": chrono::Utc::now().to_rfc3339(),
        "generatorURL": "javascript:alert(2)"
    })
}

fn post_alerts(s: &Server, prefix: &str) {
    let alerts = json!([
        alert(
            json!({"alertname": "HighLoad", "instance": "a", "severity": "page"}),
            json!({"summary": "Load is high on a"})
        ),
        alert(
            json!({"alertname": "HighLoad", "instance": "b", "severity": "page"}),
            json!({"summary": "Load is high on b"})
        ),
        alert(
            json!({"alertname": "DiskFull", "instance": "db1", "severity": "ticket"}),
            json!({"summary": "Disk 95% full"})
        ),
        alert(
            json!({"alertname": "Injection", "instance": XSS}),
            json!({"summary": format!("<b>bold?</b> {XSS}")})
        ),
    ]);
    let path = format!("{prefix}/api/v2/alerts");
    let r = s.post_json(&path, &alerts.to_string());
    assert_eq!(r.status, 200, "{}", r.body);
}

fn silenced(s: &Server, alertname: &str) -> bool {
    let v = s
        .get(&format!(
            "/api/v2/alerts?filter=alertname%3D%22{alertname}%22&silenced=true"
        ))
        .json();
    v[0]["status"]["state"] == "suppressed"
}

#[test]
fn the_ui_lists_filters_silences_and_expires() {
    let s = Server::with_config(CONFIG, &[]);
    s.wait_ready();
    post_alerts(&s, "");
    let driver = Driver::start();
    let b = driver.session(1280, 900);
    let base = format!("http://{}/", s.addr);

    // Grouped as the route groups them.
    b.go(&format!("{base}#/alerts"));
    b.until(
        "three groups",
        "return document.querySelectorAll('.group').length === 3",
    );
    let groups = b.js(
        "return [...document.querySelectorAll('.group')].map(g => g.querySelectorAll('.alert').length).sort()",
        json!([]),
    );
    assert_eq!(groups, json!([1, 1, 2]));
    b.screenshot("alerts");

    // Alert content is text: the label value is shown as written, and no
    // image element or dialog came of it.
    let chips = b.js(
        "return [...document.querySelectorAll('.chip')].map(c => c.textContent)",
        json!([]),
    );
    assert!(
        chips
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == &json!(format!("instance=\"{XSS}\""))),
        "{chips}"
    );
    assert_eq!(
        b.js(
            "return document.querySelectorAll('main img, main b').length",
            json!([])
        ),
        json!(0)
    );
    assert!(!b.has_dialog(), "a script ran from alert content");
    // A javascript: generator URL is not made a link.
    assert_eq!(
        b.js("return [...document.querySelectorAll('a')].filter(a => a.href.startsWith('javascript')).length", json!([])),
        json!(0)
    );

    // The matcher filter narrows the list (typed in and applied).
    b.type_into("#filter", "{alertname=\"HighLoad\"}");
    b.click("form[role=search] button[type=submit]");
    b.until(
        "one group of two",
        "return document.querySelectorAll('.group').length === 1 && document.querySelectorAll('.alert').length === 2",
    );
    let hash = b.js("return location.hash", json!([]));
    assert!(
        hash.as_str().unwrap().starts_with("#/alerts?filter="),
        "{hash}"
    );
    b.type_into("#filter", "{alertname=\"HighLoad\", instance=~\"a|c\"}");
    b.click("form[role=search] button[type=submit]");
    b.until(
        "one alert",
        "return document.querySelectorAll('.alert').length === 1",
    );

    // A silence from #/silences/new?filter=…: the preview shows the alert
    // it will affect; it is created; the alert is then silenced.
    b.go(&format!(
        "{base}#/silences/new?filter=%7Balertname%3D%22DiskFull%22%7D"
    ));
    b.until(
        "the preview",
        "const p = document.querySelector('#preview'); return p && p.textContent.includes('1 alert affected now') && p.textContent.includes('DiskFull')",
    );
    b.type_into("#created-by", "alice");
    b.type_into("#comment", "disk replaced tonight");
    b.screenshot("silence-new");
    b.click("#silence-form button[type=submit]");
    let hash = b.until(
        "the silence page",
        "return location.hash.match(/^#\\/silences\\/[0-9a-f-]{36}$/) && location.hash",
    );
    let id = hash
        .as_str()
        .unwrap()
        .trim_start_matches("#/silences/")
        .to_string();
    assert!(eventually(WAIT, || silenced(&s, "DiskFull")));
    let sil = s.get(&format!("/api/v2/silence/{id}")).json();
    assert_eq!(sil["createdBy"], "alice");
    assert_eq!(sil["comment"], "disk replaced tonight");
    assert_eq!(sil["matchers"][0]["name"], "alertname");
    assert_eq!(sil["matchers"][0]["value"], "DiskFull");
    b.until(
        "the affected alert on the silence page",
        "return document.querySelectorAll('.alert').length === 1",
    );

    // The alerts page shows it silenced (with silenced alerts shown).
    b.go(&format!("{base}#/alerts?silenced=true"));
    b.until(
        "the silenced alert",
        "return [...document.querySelectorAll('.alert')].some(a => a.textContent.includes('DiskFull') && a.textContent.includes('silenced by'))",
    );
    b.go(&format!("{base}#/alerts"));
    b.until(
        "hidden when silenced alerts are not shown",
        "return document.querySelectorAll('.group').length === 2",
    );

    // Expire it from the list.
    b.go(&format!("{base}#/silences"));
    b.until(
        "the active silence",
        &format!("return !!document.querySelector('[data-silence-id=\"{id}\"] button.danger')"),
    );
    b.screenshot("silences");
    b.click(&format!("[data-silence-id=\"{id}\"] button.danger"));
    assert!(eventually(WAIT, || s
        .get(&format!("/api/v2/silence/{id}"))
        .json()["status"]["state"]
        == "expired"));
    assert!(eventually(WAIT, || !silenced(&s, "DiskFull")));

    // Status and receivers pages.
    b.go(&format!("{base}#/status"));
    b.until(
        "the configuration",
        "const c = document.querySelector('#config'); return c && c.textContent.includes('group_by')",
    );
    b.screenshot("status");
    b.go(&format!("{base}#/receivers"));
    b.until(
        "the receiver",
        "return document.querySelector('main').textContent.includes('ops')",
    );
    // The test button: receiver ops has no integration, which it says.
    b.click("button[data-receiver=\"ops\"]");
    b.until(
        "the test's outcome",
        "const r = document.querySelector('#test-results'); return r && r.textContent.includes('no integrations')",
    );

    // Every form field has a label.
    b.go(&format!("{base}#/silences/new"));
    b.element("#silence-form");
    let unlabelled = b.js(
        "return [...document.querySelectorAll('main input, main select, main textarea')].filter(i => !(i.labels && i.labels.length) && !i.getAttribute('aria-label')).map(i => i.id)",
        json!([]),
    );
    assert_eq!(unlabelled, json!([]));
    assert!(!b.has_dialog());
}

#[test]
fn the_ui_works_under_a_route_prefix_and_on_a_phone() {
    let s = Server::with_config(CONFIG, &["--web.route-prefix=/am"]);
    assert!(eventually(WAIT, || common::try_request(
        &s.addr,
        "GET",
        "/am/-/ready",
        &[],
        b""
    )
    .is_ok_and(|r| r.status == 200)));
    post_alerts(&s, "/am");
    let driver = Driver::start();
    let b = driver.session(390, 844);
    for page in ["am/", "am"] {
        b.go(&format!("http://{}/{page}#/alerts", s.addr));
        b.until(
            "three groups under the prefix",
            "return document.querySelectorAll('.group').length === 3",
        );
    }
    // The page fits a phone's width: nothing wider than the window.
    let overflow = b.js(
        "return document.documentElement.scrollWidth - window.innerWidth",
        json!([]),
    );
    assert!(
        overflow.as_i64().unwrap() <= 0,
        "horizontal overflow {overflow}"
    );
    b.screenshot("phone");
    // An alert's page under the prefix (no chart without --graph.*: it
    // says so).
    let fp = b.js(
        "return document.querySelector('.alert').dataset.fingerprint",
        json!([]),
    );
    b.go(&format!(
        "http://{}/am/#/alerts/{}",
        s.addr,
        fp.as_str().unwrap()
    ));
    b.until(
        "the alert page",
        "return document.querySelector('main').textContent.includes('No chart')",
    );
    assert!(!b.has_dialog());
}
