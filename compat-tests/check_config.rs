//! Every file of Alertmanager's `config/testdata/` is accepted or rejected by
//! `tocsin check-config` exactly as by `amtool check-config` 0.25, and where
//! both reject a file for a semantic reason the message is the same.

mod common;

use common::*;

/// Files where Tocsin follows Alertmanager 0.34 rather than 0.25: (file, what
/// 0.34 says, read from its source). The verdict (accept/reject) is the same for
/// all of them; only the message changed upstream.
const NEWER_MESSAGES: &[(&str, &str)] = &[
    (
        "conf.slack-no-api-url.yml",
        "no Slack API URL nor App token set either inline or in a file",
    ),
    (
        "bad-webhook-no-url.yml",
        "one of url or url_file must be configured",
    ),
    (
        "bad-webhook-scheme.yml",
        "invalid URL: unsupported scheme \"ftp\" for URL",
    ),
    (
        "bad-group-by-wildcard.yml",
        "cannot have wildcard group_by (`...`) and other labels at the same time",
    ),
];

fn verdict(out: &str) -> (bool, String) {
    let first = out.lines().next().unwrap_or_default();
    if first.ends_with("  SUCCESS") {
        (true, String::new())
    } else {
        let msg = first.split_once("  FAILED: ").map(|(_, m)| m).unwrap_or("");
        (false, msg.to_string())
    }
}

/// Runs both tools over every `.yml` file of `dir` and returns the differences.
fn compare_dir(dir: &std::path::Path) -> (usize, Vec<String>) {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    let mut mismatches = Vec::new();
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let am = run(reference("amtool").arg("check-config").arg(f));
        let ours = run(tocsin().arg("check-config").arg(f));
        let (am_ok, am_msg) = verdict(&stdout(&am));
        let (ok, msg) = verdict(&stdout(&ours));
        if ours.status.code() != am.status.code() {
            mismatches.push(format!(
                "{name}: exit code {:?}, amtool {:?}",
                ours.status.code(),
                am.status.code()
            ));
        }
        if ok != am_ok {
            mismatches.push(format!(
                "{name}: amtool ok={am_ok} ({am_msg}), tocsin ok={ok} ({msg})"
            ));
            continue;
        }
        if ok {
            // Same summary lines ("Found: ... N receivers ..."), including
            // the templates' verdict.
            if stdout(&ours) != stdout(&am) {
                mismatches.push(format!(
                    "{name}: summary differs\n{}\n{}",
                    stdout(&am),
                    stdout(&ours)
                ));
            }
            continue;
        }
        if am_msg.starts_with("yaml:") {
            // A decode error: Tocsin's YAML layer words it differently (and adds
            // the column) but must name the offending field.
            if !msg.starts_with("yaml:") {
                mismatches.push(format!("{name}: want a yaml error, got {msg:?}"));
            }
            if let Some(field) = am_msg
                .split("field ")
                .nth(1)
                .and_then(|s| s.split(' ').next())
                && !msg.contains(field)
            {
                mismatches.push(format!("{name}: {msg:?} should name {field}"));
            }
            continue;
        }
        let want = NEWER_MESSAGES
            .iter()
            .find(|(f, _)| *f == name)
            .map(|(_, m)| m.to_string())
            .unwrap_or(am_msg);
        // Tocsin may add the YAML position to a message Go gives without one.
        let bare = msg.strip_prefix("yaml: ").unwrap_or(&msg);
        let bare = bare.split(" at line ").next().unwrap_or(bare);
        if bare != want {
            mismatches.push(format!("{name}: want {want:?}, got {msg:?}"));
        }
    }
    (files.len(), mismatches)
}

#[test]
fn testdata_verdicts_match_amtool() {
    let (n, mismatches) = compare_dir(&am_source("config/testdata"));
    assert!(n >= 24, "expected the 24 upstream fixtures, found {n}");
    assert!(
        mismatches.is_empty(),
        "differences:\n{}",
        mismatches.join("\n")
    );
}

#[test]
fn bad_input_verdicts_and_messages_match_amtool() {
    let (n, mismatches) = compare_dir(&fixture("check"));
    assert!(n >= 30, "found {n} fixtures");
    assert!(
        mismatches.is_empty(),
        "differences:\n{}",
        mismatches.join("\n")
    );
}

#[test]
fn cli_testdata_matches_amtool() {
    for name in [
        "conf.good.yml",
        "conf.bad.yml",
        "conf.routing.yml",
        "conf.routing-reverted.yml",
    ] {
        let f = am_source(&format!("cli/testdata/{name}"));
        let am = run(reference("amtool").arg("check-config").arg(&f));
        let ours = run(tocsin().arg("check-config").arg(&f));
        assert_eq!(
            verdict(&stdout(&ours)).0,
            verdict(&stdout(&am)).0,
            "{name}: amtool said {}, tocsin said {}",
            stdout(&am),
            stdout(&ours)
        );
        assert_eq!(ours.status.code(), am.status.code(), "{name} exit code");
    }
}

#[test]
fn several_files_and_exit_code() {
    let good = am_source("config/testdata/conf.good.yml");
    let bad = am_source("config/testdata/conf.sns-invalid.yml");
    let am = run(reference("amtool").arg("check-config").arg(&good).arg(&bad));
    let ours = run(tocsin().arg("check-config").arg(&good).arg(&bad));
    assert_eq!(ours.status.code(), Some(1));
    assert_eq!(am.status.code(), Some(1));
    assert_eq!(stdout(&ours), stdout(&am));
}

#[test]
fn config_on_standard_input() {
    let f = fixture("check/good-full-route.yml");
    let stdin = || std::fs::File::open(&f).unwrap();
    let am = run(reference("amtool").arg("check-config").stdin(stdin()));
    let ours = run(tocsin().arg("check-config").stdin(stdin()));
    assert!(ours.status.success());
    assert_eq!(stdout(&ours), stdout(&am));
}
