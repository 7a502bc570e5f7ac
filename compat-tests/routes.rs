//! `tocsin config routes show|test` against `amtool config routes` 0.25 over a
//! routing tree with continue, nested and legacy matchers, regexes, negative
//! matchers and inherited receivers.

mod common;

use common::*;

/// Label sets to route, as `name=value` arguments.
const CASES: &[&[&str]] = &[
    &[],
    &["alertname=Watchdog"],
    &["alertname=Watchdog", "severity=critical"],
    &["severity=critical"],
    &["severity=critical", "team=db"],
    &["severity=page", "team=db", "env=production"],
    &["severity=page", "team=db", "env=staging"],
    &["severity=critical", "team=db", "env=dev", "service=mysql"],
    &["team=db", "service=mysql"],
    &["team=db", "service=postgres"],
    &["team=db", "service=postgresql", "env=production"],
    &["team=db", "service=postgresql", "env=staging"],
    &["team=db", "service=postgres-replica", "env=production"],
    &["team=db", "service=mariadb"],
    &["team=db"],
    &["team=frontend"],
    &["team=front"],
    &["team=web", "severity=warning", "env=staging"],
    &["team=web", "severity=warning", "env=stage"],
    &[
        "team=web",
        "severity=warning",
        "env=prod",
        "region=us-east-1",
    ],
    &["team=web", "region=eu-west-1"],
    &["team=web", "region=us-west-2"],
    &["team=webfront"],
    &["team=frontends"],
    &["namespace=monitoring"],
    &["namespace="],
    &["alertname=Foo"],
    &["team=ops"],
    &["team=ops", "severity=info"],
    &["team=ops", "severity=critical", "alertname=NodeDown"],
    &[
        "team=ops",
        "severity=critical",
        "alertname=KubePodCrashLooping",
    ],
    &["team=ops", "alertname=DiskFull"],
    &["team=sre", "alertname=DiskFull", "severity=critical"],
    &["team=sre", "alertname=KubeletDown"],
    &[
        "team=sre",
        "alertname=NodeExporterDown",
        "severity=critical",
    ],
    &["team=sre", "alertname=Other"],
    &["team=SRE"],
    &["team=db", "severity=critical", "alertname=Watchdog"],
    &["team=other", "severity=critical"],
];

#[test]
fn routes_test_matches_amtool() {
    let cfg = fixture("routing.yml");
    let mut diffs = Vec::new();
    for labels in CASES {
        for tree in [false, true] {
            let mut am = reference("amtool");
            am.arg("config")
                .arg("routes")
                .arg("test")
                .arg(format!("--config.file={}", cfg.display()));
            let mut ours = tocsin();
            ours.arg("config")
                .arg("routes")
                .arg("test")
                .arg(format!("--config.file={}", cfg.display()));
            if tree {
                am.arg("--tree");
                ours.arg("--tree");
            }
            am.args(*labels);
            ours.args(*labels);
            let (am, ours) = (run(&mut am), run(&mut ours));
            assert!(am.status.success(), "amtool failed for {labels:?}");
            assert!(
                ours.status.success(),
                "tocsin failed for {labels:?}: {:?}",
                ours
            );
            if stdout(&am) != stdout(&ours) {
                diffs.push(format!(
                    "{labels:?} tree={tree}\n--- amtool\n{}--- tocsin\n{}",
                    stdout(&am),
                    stdout(&ours)
                ));
            }
        }
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

#[test]
fn verify_receivers_exit_codes_match_amtool() {
    let cfg = fixture("routing.yml");
    for (expected, labels) in [
        ("audit,db-pager", &["severity=critical", "team=db"][..]),
        ("db-pager", &["severity=critical", "team=db"][..]),
        ("deadman", &["alertname=Watchdog"][..]),
    ] {
        let args = |c: &mut std::process::Command| {
            c.arg("config")
                .arg("routes")
                .arg("test")
                .arg(format!("--config.file={}", cfg.display()))
                .arg(format!("--verify.receivers={expected}"))
                .args(labels);
        };
        let mut am = reference("amtool");
        args(&mut am);
        let mut ours = tocsin();
        args(&mut ours);
        let (am, ours) = (run(&mut am), run(&mut ours));
        assert_eq!(
            ours.status.code(),
            am.status.code(),
            "{expected} {labels:?}"
        );
        assert_eq!(stdout(&ours), stdout(&am), "{expected} {labels:?}");
    }
}

#[test]
fn routes_show_matches_amtool() {
    for cfg in [
        fixture("routing.yml"),
        am_source("cli/testdata/conf.routing.yml"),
        am_source("cli/testdata/conf.routing-reverted.yml"),
        am_source("config/testdata/conf.good.yml"),
    ] {
        let am = run(reference("amtool")
            .arg("config")
            .arg("routes")
            .arg("show")
            .arg(format!("--config.file={}", cfg.display())));
        let ours = run(tocsin()
            .arg("config")
            .arg("routes")
            .arg("show")
            .arg(format!("--config.file={}", cfg.display())));
        assert!(
            am.status.success() && ours.status.success(),
            "{}",
            cfg.display()
        );
        assert_eq!(stdout(&ours), stdout(&am), "{}", cfg.display());
    }
}
