//! `amtool` 0.25 driven against Tocsin and against the real Alertmanager with
//! the same commands: the outputs must be the same, up to silence ids and the
//! times of day the commands ran at.

#[path = "../tests/common/mod.rs"]
mod harness;

use std::process::Command;

use harness::Server;

const CONFIG: &str =
    "route:\n  receiver: team\n  group_by: [alertname]\nreceivers:\n- name: team\n";

fn amtool(server: &Server, args: &[&str], stdin: Option<&str>) -> (bool, String) {
    let bin = std::path::Path::new("/usr/bin/amtool");
    assert!(
        bin.exists(),
        "amtool is missing: install Debian's prometheus-alertmanager"
    );
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(bin);
    cmd.env("HOME", home.path())
        .arg(format!("--alertmanager.url={}", server.url()))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let out = if let Some(input) = stdin {
        let path = home.path().join("stdin");
        std::fs::write(&path, input).unwrap();
        cmd.stdin(std::fs::File::open(&path).unwrap())
            .output()
            .unwrap()
    } else {
        cmd.output().unwrap()
    };
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// Replaces UUIDs by their order of appearance and clock times by `<time>`,
/// and drops amtool's notice that the server is a newer version (Tocsin
/// reports the Alertmanager version whose API it implements, 0.34).
fn normalize(s: &str, ids: &mut Vec<String>) -> String {
    let s: String = s
        .lines()
        .filter(|l| !l.starts_with("Warning: amtool version (0.25.0) and alertmanager version"))
        .map(|l| format!("{l}\n"))
        .collect();
    let uuid =
        regex::Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").unwrap();
    let s = uuid.replace_all(&s, |c: &regex::Captures| {
        let id = c[0].to_string();
        let n = ids.iter().position(|x| *x == id).unwrap_or_else(|| {
            ids.push(id);
            ids.len() - 1
        });
        format!("<id-{n}>")
    });
    let times = regex::Regex::new(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?( UTC|Z)?").unwrap();
    times.replace_all(&s, "<time>").into_owned()
}

struct Both {
    am: Server,
    tocsin: Server,
    ids: (Vec<String>, Vec<String>),
}

impl Both {
    fn run(&mut self, args: &[&str]) -> (String, String) {
        self.run_with(args, None, None)
    }

    /// Runs the command on both (with per-side stdin if given) and asserts
    /// equal exit status and output.
    fn run_with(
        &mut self,
        args: &[&str],
        stdin_am: Option<&str>,
        stdin_t: Option<&str>,
    ) -> (String, String) {
        let (ok_a, out_a) = amtool(&self.am, args, stdin_am);
        let (ok_t, out_t) = amtool(&self.tocsin, args, stdin_t);
        let (na, nt) = (
            normalize(&out_a, &mut self.ids.0),
            normalize(&out_t, &mut self.ids.1),
        );
        assert_eq!(
            ok_t, ok_a,
            "amtool {args:?} exit status\n--- alertmanager\n{out_a}\n--- tocsin\n{out_t}"
        );
        assert_eq!(
            nt, na,
            "amtool {args:?}\n--- alertmanager\n{out_a}\n--- tocsin\n{out_t}"
        );
        (out_a, out_t)
    }
}

#[test]
fn amtool_alerts_and_silences_match_alertmanager() {
    let mut b = Both {
        am: Server::alertmanager(CONFIG),
        tocsin: Server::with_config(CONFIG, &["--enable-feature=classic-mode"]),
        ids: (Vec::new(), Vec::new()),
    };
    b.run(&[
        "alert",
        "add",
        "alertname=DiskFull",
        "severity=critical",
        "instance=db1",
        "--annotation=summary=disk full",
        "--generator-url=http://prom/graph",
    ]);
    b.run(&[
        "alert",
        "add",
        "alertname=DiskFull",
        "severity=warning",
        "instance=db2",
    ]);
    b.run(&[
        "alert",
        "add",
        "alertname=Latency",
        "severity=warning",
        "--start=2020-01-01T00:00:00Z",
    ]);
    assert!(harness::eventually(
        std::time::Duration::from_secs(10),
        || { !b.am.get("/api/v2/alerts").body.contains("unprocessed") }
    ));
    for args in [
        &["alert", "query"][..],
        &["alert"],
        &["alert", "query", "alertname=DiskFull"],
        &["alert", "query", "severity=~crit.*"],
        &["alert", "query", "instance!=db1", "alertname=DiskFull"],
        &["alert", "query", "-o", "extended"],
        &["alert", "query", "-o", "json"],
        &["alert", "query", "--active"],
        &["alert", "query", "--inhibited"],
        &["alert", "query", "--receiver=team"],
        &["alert", "query", "--receiver=nobody"],
        &["alert", "query", "{foo=\"bar\""],
    ] {
        b.run(args);
    }

    // Silences: add, query in every format, update, expire, import.
    b.run(&[
        "silence",
        "add",
        "alertname=DiskFull",
        "instance=~db.*",
        "-c",
        "planned work",
        "-a",
        "tester",
        "-d",
        "1h",
    ]);
    b.run(&[
        "silence",
        "add",
        "severity=warning",
        "-c",
        "noise",
        "-a",
        "tester",
        "-d",
        "2h",
    ]);
    for args in [
        &["silence", "query"][..],
        &["silence"],
        &["silence", "query", "-o", "extended"],
        &["silence", "query", "-o", "json"],
        &["silence", "query", "-q"],
        &["silence", "query", "alertname=DiskFull"],
        &["silence", "query", "--within=3h"],
        &["alert", "query"],
        &["alert", "query", "-s"],
        &["alert", "query", "-o", "extended", "--silenced"],
    ] {
        b.run(args);
    }
    let first = |s: &Server| -> String {
        amtool(s, &["silence", "query", "-q", "alertname=DiskFull"], None)
            .1
            .lines()
            .next()
            .unwrap()
            .to_string()
    };
    let (ida, idt) = (first(&b.am), first(&b.tocsin));
    for (server, id) in [(&b.am, &ida), (&b.tocsin, &idt)] {
        let (ok, out) = amtool(
            server,
            &["silence", "update", id, "-d", "3h", "-c", "longer"],
            None,
        );
        assert!(ok, "{out}");
    }
    b.run(&["silence", "query", "-o", "extended"]);
    for (server, id) in [(&b.am, &ida), (&b.tocsin, &idt)] {
        let (ok, out) = amtool(server, &["silence", "expire", id], None);
        assert!(ok, "{out}");
    }
    b.run(&["silence", "query"]);
    b.run(&["silence", "query", "--expired"]);
    // Expiring an unknown silence fails on both; Alertmanager ≥ 0.26 (and
    // Tocsin) answer 404 where 0.25 answered 500, so amtool 0.25 words the
    // error differently.
    for server in [&b.am, &b.tocsin] {
        let (ok, out) = amtool(
            server,
            &["silence", "expire", "8a5d9b1c-0000-4000-8000-000000000000"],
            None,
        );
        assert!(!ok && out.contains("amtool: error:"), "{out}");
    }

    // Each side exports its silences and imports its own export (known ids:
    // updated in place) and the other side's (unknown ids: created anew).
    let (_, export_a) = amtool(&b.am, &["silence", "query", "-o", "json"], None);
    let (_, export_t) = amtool(&b.tocsin, &["silence", "query", "-o", "json"], None);
    b.run_with(&["silence", "import"], Some(&export_a), Some(&export_t));
    b.run_with(&["silence", "import"], Some(&export_t), Some(&export_a));
    // Silences ending at the same instant are listed in no fixed order by
    // Alertmanager: compare the rows as a set.
    let (a, t) = (
        amtool(&b.am, &["silence", "query", "-o", "extended"], None).1,
        amtool(&b.tocsin, &["silence", "query", "-o", "extended"], None).1,
    );
    let rows = |s: &str| {
        let mut ids = Vec::new();
        let mut v: Vec<String> = normalize(s, &mut ids)
            .lines()
            .map(|l| l.replace(char::is_numeric, ""))
            .collect();
        v.sort();
        v
    };
    assert_eq!(rows(&t), rows(&a), "{a}\n{t}");

    // config show prints the running configuration.
    let (ok, out) = amtool(&b.tocsin, &["config", "show"], None);
    assert!(
        ok && out.contains("receiver: team") && out.contains("resolve_timeout: 5m"),
        "{out}"
    );
    // (`amtool config routes` 0.25 cannot read a server's config once it has
    // fields newer than 0.25, as with Alertmanager 0.34 itself.)
}
