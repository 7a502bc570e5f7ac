//! Alertmanager 0.25's own acceptance tests, run against Tocsin: Debian's
//! `golang-github-prometheus-alertmanager-dev` ships them with their
//! framework, which starts `$GOPATH/bin/prometheus-alertmanager` with
//! Alertmanager's flags. The test builds them with Debian's `golang-go` in
//! GOPATH mode (no network) in a GOPATH whose `bin/prometheus-alertmanager`
//! is Tocsin, whose `bin/amtool` is Debian's amtool 0.25 (the CLI tests run
//! it against Tocsin) and whose `src` is Debian's Go source tree.
//!
//! `scripts/test` installs the packages.

use std::path::Path;
use std::process::Command;

const GOCODE: &str = "/usr/share/gocode/src";
const API_PACKAGE: &str = "github.com/prometheus/alertmanager/test/with_api_v2/acceptance";
const CLI_PACKAGE: &str = "github.com/prometheus/alertmanager/test/cli/acceptance";

/// Runs the tests of `package` whose names match `pattern` and returns
/// their verdict lines, failing with the tail of the output. `flags` are
/// added to every Tocsin the tests start (through a wrapper script).
fn run_acceptance(package: &str, pattern: &str, flags: &[&str]) -> Vec<String> {
    let pkg_dir = Path::new(GOCODE).join(package);
    assert!(
        pkg_dir.is_dir(),
        "{} is missing: install golang-github-prometheus-alertmanager-dev (scripts/test does)",
        pkg_dir.display()
    );
    let go = Command::new("go").arg("version").output();
    assert!(
        go.is_ok_and(|o| o.status.success()),
        "go is missing: install golang-go (scripts/test does)"
    );
    // A GOPATH of our own, kept between runs (the build cache with it).
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("am-acceptance");
    // One GOPATH per package: its bin/ differs.
    let gopath = root.join(format!(
        "gopath-{}",
        package.rsplit('/').nth(1).unwrap_or("x")
    ));
    std::fs::create_dir_all(gopath.join("bin")).unwrap();
    let src = gopath.join("src");
    if std::fs::read_link(&src).ok().as_deref() != Some(Path::new(GOCODE)) {
        let _ = std::fs::remove_file(&src);
        std::os::unix::fs::symlink(GOCODE, &src).unwrap();
    }
    let bin = gopath.join("bin/prometheus-alertmanager");
    let _ = std::fs::remove_file(&bin);
    if flags.is_empty() {
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_tocsin"), &bin).unwrap();
    } else {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(
            &bin,
            format!(
                "#!/bin/sh\nexec '{}' {} \"$@\"\n",
                env!("CARGO_BIN_EXE_tocsin"),
                flags.join(" ")
            ),
        )
        .unwrap();
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let amtool = gopath.join("bin/amtool");
    let _ = std::fs::remove_file(&amtool);
    std::os::unix::fs::symlink("/usr/bin/amtool", &amtool).unwrap();

    let out = Command::new("go")
        .args(["test", "-count=1", "-v", "-run", pattern, "."])
        .current_dir(src.join(package))
        .env("GOPATH", &gopath)
        .env("GO111MODULE", "off")
        .env("GOFLAGS", "")
        .env("GOPROXY", "off")
        .env("GOCACHE", root.join("gocache"))
        .output()
        .expect("go test runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let verdicts: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with("--- "))
        .map(str::to_string)
        .collect();
    if !out.status.success() {
        let tail: Vec<&str> = text
            .lines()
            .filter(|l| !l.contains("level=debug"))
            .rev()
            .take(80)
            .collect();
        panic!(
            "go test failed: {verdicts:?}\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    verdicts
}

/// `TestClusterDeduplication` (three peers, one notification) and
/// `TestClusterVSInstance` (a cluster of three notifies as one instance).
#[test]
fn alertmanager_cluster_acceptance_tests_pass() {
    let verdicts = run_acceptance(
        API_PACKAGE,
        "^(TestClusterDeduplication|TestClusterVSInstance)$",
        &[],
    );
    for name in ["TestClusterDeduplication", "TestClusterVSInstance"] {
        assert!(
            verdicts
                .iter()
                .any(|v| v.starts_with(&format!("--- PASS: {name} "))),
            "{name} did not pass: {verdicts:?}"
        );
    }
}

/// The amtool acceptance suite: `TestAddAlert`, `TestQueryAlert`,
/// `TestQuerySilence` and `TestAmtoolVersion` (each waits for `GET /` to
/// answer 200 — the web UI — before it starts). amtool 0.25 prints a
/// warning into the output the suite parses when the server's version
/// differs in major.minor, so Tocsin runs as a team with amtool 0.25 would
/// run it: `--api.reported-version=0.25.0`.
#[test]
fn alertmanager_cli_acceptance_tests_pass() {
    assert!(
        Path::new("/usr/bin/amtool").exists(),
        "amtool is missing: install prometheus-alertmanager (scripts/test does)"
    );
    let verdicts = run_acceptance(CLI_PACKAGE, ".", &["--api.reported-version=0.25.0"]);
    let names = [
        "TestAddAlert",
        "TestQueryAlert",
        "TestQuerySilence",
        "TestAmtoolVersion",
    ];
    for name in names {
        assert!(
            verdicts
                .iter()
                .any(|v| v.starts_with(&format!("--- PASS: {name} "))),
            "{name} did not pass: {verdicts:?}"
        );
    }
    assert_eq!(
        verdicts
            .iter()
            .filter(|v| v.starts_with("--- PASS"))
            .count(),
        names.len(),
        "{verdicts:?}"
    );
}
