//! Faults of the state database (`<storage.path>/tocsin.db`): files Tocsin
//! must refuse at start without touching them, a storage path it cannot
//! write, and a disk that fills up while it runs.

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Server, eventually};
use serde_json::{Value, json};

const CONFIG: &str = "route:\n  receiver: 'null'\nreceivers:\n- name: 'null'\n";

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// A temporary directory holding the configuration file; the state lives
/// in `<dir>/data`, where `Server::start` puts it.
struct Setup {
    tmp: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("alertmanager.yml"), CONFIG).unwrap();
        Setup { tmp }
    }

    fn dir(&self) -> &Path {
        self.tmp.path()
    }

    fn data(&self) -> PathBuf {
        self.dir().join("data")
    }

    fn db(&self) -> PathBuf {
        self.data().join("tocsin.db")
    }

    fn config_arg(&self) -> String {
        format!(
            "--config.file={}",
            self.dir().join("alertmanager.yml").display()
        )
    }

    /// Starts Tocsin on `<dir>/data` and waits until it is ready.
    fn start(&self) -> Server {
        let s = Server::start(self.dir(), &[&self.config_arg()]);
        s.wait_ready();
        s
    }

    /// Runs Tocsin on `<dir>/data`, expecting it to exit on its own.
    fn run_to_exit(&self) -> Exited {
        run_to_exit(&self.data(), &self.config_arg())
    }
}

/// How a Tocsin that was expected to stop by itself ended.
struct Exited {
    code: Option<i32>,
    log: String,
}

fn run_to_exit(storage: &Path, config_arg: &str) -> Exited {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .arg("--web.listen-address=127.0.0.1:0")
        .arg("--cluster.listen-address=")
        .arg(format!("--storage.path={}", storage.display()))
        .arg(config_arg)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tocsin starts");
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut log = String::new();
        let _ = stderr.read_to_string(&mut log);
        log
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break Some(st);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let log = reader.join().unwrap();
    let Some(status) = status else {
        panic!("tocsin did not exit within 20 s; it logged:\n{log}");
    };
    Exited {
        code: status.code(),
        log,
    }
}

/// Tocsin refuses to start on the database at `setup.db()`: exit code 1,
/// an error line naming the file (and saying `why`), the file unchanged.
fn assert_refused(setup: &Setup, why: &str) {
    let db = setup.db();
    let before = std::fs::read(&db).unwrap();
    let out = setup.run_to_exit();
    let after = std::fs::read(&db).unwrap();
    assert_eq!(
        out.code,
        Some(1),
        "exit status; tocsin logged:\n{}",
        out.log
    );
    let name = db.display().to_string();
    assert!(
        out.log
            .lines()
            .any(|l| l.contains("level=error") && l.contains(&name) && l.contains(why)),
        "no error line naming {name} and saying {why:?}; tocsin logged:\n{}",
        out.log
    );
    assert!(
        !out.log.contains("msg=\"Listening on\""),
        "it listened:\n{}",
        out.log
    );
    assert!(
        before == after,
        "{name} changed ({} bytes before, {} after)",
        before.len(),
        after.len()
    );
}

/// Creates a silence through the API; returns the answer.
fn post_silence(s: &Server, name: &str, comment: &str) -> common::Response {
    let now = chrono::Utc::now();
    let body = json!({
        "matchers": [{"name": "alertname", "value": name, "isRegex": false, "isEqual": true}],
        "startsAt": now.to_rfc3339(),
        "endsAt": (now + chrono::Duration::hours(4)).to_rfc3339(),
        "createdBy": "state_faults",
        "comment": comment,
    });
    s.post_json("/api/v2/silences", &body.to_string())
}

fn create_silence(s: &Server, name: &str, comment: &str) -> String {
    let r = post_silence(s, name, comment);
    assert_eq!(r.status, 200, "POST /api/v2/silences: {}", r.body);
    r.json()["silenceID"].as_str().unwrap().to_string()
}

fn silences(s: &Server) -> Vec<Value> {
    let r = s.get("/api/v2/silences");
    assert_eq!(r.status, 200, "{}", r.body);
    r.json().as_array().unwrap().clone()
}

fn silence_ids(s: &Server) -> Vec<String> {
    let mut ids: Vec<String> = silences(s)
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

fn stop(s: &mut Server) {
    s.signal("TERM");
    assert_eq!(s.wait_exit(), Some(0), "tocsin's exit status after SIGTERM");
}

/// The value of an unlabelled sample in a Prometheus text exposition.
fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

#[test]
fn refuses_a_file_that_is_not_sqlite() {
    let setup = Setup::new();
    std::fs::create_dir(setup.data()).unwrap();
    // Printable pseudo-random text, several pages of it.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let text: String = (0..16 * 1024)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if i % 80 == 79 {
                '\n'
            } else {
                char::from(b' ' + (x % 95) as u8)
            }
        })
        .collect();
    std::fs::write(setup.db(), text).unwrap();
    assert_refused(&setup, "not an SQLite database");
}

#[test]
fn refuses_another_programs_sqlite_database() {
    let setup = Setup::new();
    std::fs::create_dir(setup.data()).unwrap();
    {
        let c = rusqlite::Connection::open(setup.db()).unwrap();
        c.execute_batch(
            "CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT NOT NULL, title TEXT);
             INSERT INTO moz_places (url, title) VALUES
               ('https://example.com/', 'Example'),
               ('https://prometheus.io/', 'Prometheus');",
        )
        .unwrap();
    }
    assert_refused(&setup, "not a Tocsin state database");
}

#[test]
fn refuses_a_newer_schema() {
    let setup = Setup::new();
    let mut s = setup.start();
    let id = create_silence(&s, "Newer", "written before the downgrade");
    stop(&mut s);
    drop(s);
    {
        let c = rusqlite::Connection::open(setup.db()).unwrap();
        let v: i64 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert!(v >= 1, "tocsin left user_version {v}");
        c.execute_batch(&format!("PRAGMA user_version = {};", v + 1))
            .unwrap();
    }
    assert_refused(&setup, "newer");
    // The refusal changed nothing: with the version put back the silence
    // is still there.
    {
        let c = rusqlite::Connection::open(setup.db()).unwrap();
        let v: i64 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        c.execute_batch(&format!("PRAGMA user_version = {};", v - 1))
            .unwrap();
    }
    let s = setup.start();
    assert_eq!(silence_ids(&s), [id]);
}

#[test]
fn refuses_a_damaged_database() {
    let setup = Setup::new();
    let mut s = setup.start();
    let filler = "x".repeat(400);
    for i in 0..300 {
        create_silence(&s, &format!("Damaged{i:04}"), &format!("{i} {filler}"));
    }
    stop(&mut s);
    drop(s);
    let page_size: usize = {
        let c = rusqlite::Connection::open(setup.db()).unwrap();
        let mode: String = c
            .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "delete");
        c.query_row("PRAGMA page_size", [], |r| r.get::<_, i64>(0))
            .unwrap() as usize
    };
    let mut wal = setup.db().into_os_string();
    wal.push("-wal");
    assert!(
        !Path::new(&wal).exists(),
        "the write-ahead log is still there"
    );
    let mut bytes = std::fs::read(setup.db()).unwrap();
    assert!(bytes.len() > 64 * 1024, "only {} bytes", bytes.len());
    // Overwrite the middle pages (the header page stays intact).
    let pages = bytes.len() / page_size;
    let (from, to) = (pages / 4 * page_size, pages * 3 / 4 * page_size);
    assert!(from >= page_size && to > from);
    for b in &mut bytes[from..to] {
        *b = 0x5a;
    }
    std::fs::write(setup.db(), &bytes).unwrap();
    assert_refused(&setup, "damaged");
}

/// A tmpfs mounted for a test, unmounted when dropped (also when the test
/// fails).
struct Mount {
    at: PathBuf,
}

impl Mount {
    fn tmpfs(at: &Path, options: &str) -> Result<Mount, String> {
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tocsin-test"])
            .arg(at)
            .output()
            .map_err(|e| format!("run mount: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "mount -t tmpfs -o {options} {}: {}",
                at.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Mount {
            at: at.to_path_buf(),
        })
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let ok = Command::new("umount")
            .arg(&self.at)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            let _ = Command::new("umount").arg("-l").arg(&self.at).status();
        }
    }
}

/// Whether a file can be created in `dir` (by this process).
fn can_create_in(dir: &Path) -> bool {
    let p = dir.join(".probe");
    let ok = std::fs::write(&p, b"probe").is_ok();
    let _ = std::fs::remove_file(&p);
    ok
}

#[test]
fn refuses_a_storage_path_it_cannot_write() {
    let setup = Setup::new();
    std::fs::create_dir(setup.data()).unwrap();
    // Declared after `setup`: unmounted before the directory is removed.
    let _mount = if is_root() {
        // chmod does not stop root: a read-only file system does.
        match Mount::tmpfs(&setup.data(), "ro,size=1m") {
            Ok(m) => Some(m),
            Err(e) => {
                eprintln!("skipped: cannot make an unwritable storage path as root: {e}");
                return;
            }
        }
    } else {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(setup.data(), std::fs::Permissions::from_mode(0o555)).unwrap();
        None
    };
    if can_create_in(&setup.data()) {
        eprintln!(
            "skipped: {} is still writable for this process",
            setup.data().display()
        );
        return;
    }
    let out = setup.run_to_exit();
    if !is_root() {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(setup.data(), std::fs::Permissions::from_mode(0o755));
    }
    assert_eq!(
        out.code,
        Some(1),
        "exit status; tocsin logged:\n{}",
        out.log
    );
    let storage = setup.data().display().to_string();
    assert!(
        out.log
            .lines()
            .any(|l| l.contains("level=error") && l.contains(&storage)),
        "no error line naming {storage}; tocsin logged:\n{}",
        out.log
    );
    assert!(
        !out.log.contains("msg=\"Listening on\""),
        "it listened:\n{}",
        out.log
    );
}

/// Fills the file system holding `path` with a file there, until a write
/// fails; returns how many bytes it holds.
fn fill(path: &Path) -> u64 {
    let mut f = std::fs::File::create(path).unwrap();
    let mut written = 0u64;
    for chunk in [64 * 1024, 4096, 512, 1] {
        let buf = vec![0xa5u8; chunk];
        // Bounded: the file systems filled here are a few MiB.
        for _ in 0..100_000 {
            match f.write(&buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => written += n as u64,
            }
        }
    }
    let _ = f.sync_all();
    written
}

#[test]
fn disk_full_at_run_time() {
    if !is_root() {
        eprintln!("skipped: this test needs root (it mounts a small tmpfs); CI runs it as root");
        return;
    }
    let setup = Setup::new();
    std::fs::create_dir(setup.data()).unwrap();
    // Declared before the servers: they are killed before it is unmounted.
    let _mount = match Mount::tmpfs(&setup.data(), "size=2m") {
        Ok(m) => m,
        Err(e) => {
            eprintln!("skipped: cannot mount a tmpfs: {e}");
            return;
        }
    };
    let mut s = setup.start();
    let first = create_silence(&s, "BeforeFull", "created while there is room");
    let mut acknowledged = vec![first.clone()];

    // Fill the disk, then write through Tocsin until a commit really fails
    // (the write-ahead log may have room left in its last pages).
    let filler = setup.data().join("filler");
    let filled = fill(&filler);
    assert!(filled > 0, "could not write the filler file");
    let big = "y".repeat(6000);
    let mut failed = None;
    for i in 0..1000 {
        let comment = format!("fill-{i:04} {big}");
        let r = post_silence(&s, &format!("Fill{i:04}"), &comment);
        match r.status {
            200 => acknowledged.push(r.json()["silenceID"].as_str().unwrap().to_string()),
            500 => {
                failed = Some(format!("fill-{i:04} "));
                break;
            }
            other => panic!("POST /api/v2/silences answered {other}: {}", r.body),
        }
    }
    let Some(failed) = failed else {
        panic!(
            "{} silences created on a full disk and none refused",
            acknowledged.len() - 1
        );
    };
    eprintln!(
        "filler: {filled} bytes; {} silences acknowledged on the full disk before {failed}... was refused",
        acknowledged.len() - 1
    );
    let r = post_silence(&s, "WhileFull", "must be refused while the disk is full");
    assert_eq!(
        r.status, 500,
        "POST /api/v2/silences on a full disk: {}",
        r.body
    );
    let listed = silences(&s);
    for refused in [failed.as_str(), "must be refused"] {
        assert!(
            !listed
                .iter()
                .any(|x| x["comment"].as_str().unwrap_or("").starts_with(refused)),
            "a refused silence ({refused}...) is listed"
        );
    }
    let mut ids: Vec<String> = listed
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    let mut want = acknowledged.clone();
    want.sort();
    assert_eq!(ids, want, "listed silences while the disk is full");
    let r = s.get("/-/ready");
    assert_eq!(r.status, 503, "/-/ready while commits fail: {}", r.body);
    let m = s.get("/metrics").body;
    assert_eq!(metric(&m, "tocsin_state_writable"), Some(0.0), "{m}");
    assert!(
        metric(&m, "tocsin_state_commit_failures_total").is_some_and(|n| n > 0.0),
        "{m}"
    );

    // Room again: Tocsin recovers by itself, then takes new silences.
    std::fs::remove_file(&filler).unwrap();
    let mut problems = Vec::new();
    if !eventually(Duration::from_secs(10), || s.get("/-/ready").status == 200) {
        problems.push(format!(
            "/-/ready still answers {} 10 s after the disk has room again (tocsin_state_writable {:?})",
            s.get("/-/ready").status,
            metric(&s.get("/metrics").body, "tocsin_state_writable"),
        ));
    }
    let r = post_silence(&s, "AfterFull", "created once there is room again");
    if r.status == 200 {
        acknowledged.push(r.json()["silenceID"].as_str().unwrap().to_string());
    } else {
        problems.push(format!(
            "POST /api/v2/silences with room again answered {}: {}",
            r.status, r.body
        ));
    }
    let r = s.get("/-/ready");
    if r.status != 200 {
        problems.push(format!(
            "/-/ready after a successful commit answers {}: {}",
            r.status, r.body
        ));
    }
    let m = s.get("/metrics").body;
    if metric(&m, "tocsin_state_writable") != Some(1.0) {
        problems.push(format!(
            "tocsin_state_writable after a successful commit: {:?}",
            metric(&m, "tocsin_state_writable")
        ));
    }

    // Every acknowledged silence survives a restart.
    stop(&mut s);
    drop(s);
    let s = setup.start();
    let mut want = acknowledged.clone();
    want.sort();
    let got = silence_ids(&s);
    if got != want {
        problems.push(format!(
            "silences after a restart: {} listed, {} acknowledged; missing {:?}, unexpected {:?}",
            got.len(),
            want.len(),
            want.iter().filter(|i| !got.contains(i)).collect::<Vec<_>>(),
            got.iter().filter(|i| !want.contains(i)).collect::<Vec<_>>(),
        ));
    }
    if !got.contains(&first) {
        problems.push(format!("the first silence {first} is gone after a restart"));
    }
    drop(s);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
