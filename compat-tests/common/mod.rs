//! Helpers shared by the compatibility tests: locating the Tocsin binary, the
//! reference Alertmanager tools and the Alertmanager source fixtures.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The Alertmanager source installed by Debian's
/// `golang-github-prometheus-alertmanager-dev`.
pub const AM_SOURCE: &str = "/usr/share/gocode/src/github.com/prometheus/alertmanager";

/// The Tocsin binary under test.
pub fn tocsin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tocsin"))
}

/// A reference tool (`amtool`, `prometheus-alertmanager`). These tests exist to
/// compare against it, so a missing tool is a failure, not a skip.
pub fn reference(tool: &str) -> Command {
    let path = Path::new("/usr/bin").join(tool);
    assert!(
        path.exists(),
        "{} is missing: install Debian's prometheus-alertmanager package (see .ci/run)",
        path.display()
    );
    Command::new(path)
}

/// A fixture file of the Alertmanager source tree; missing is a failure.
pub fn am_source(rel: &str) -> PathBuf {
    let p = Path::new(AM_SOURCE).join(rel);
    assert!(
        p.exists(),
        "{} is missing: install Debian's golang-github-prometheus-alertmanager-dev package (see .ci/run)",
        p.display()
    );
    p
}

/// A fixture of this directory.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("compat-tests/fixtures")
        .join(name)
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("command runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
