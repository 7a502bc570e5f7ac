//! Tocsin against the real Alertmanager, in one run.
//!
//! `cargo bench --bench compare` starts Alertmanager (Debian's
//! `prometheus-alertmanager`) and Tocsin in turn on the same configuration,
//! each pinned to one core, drives both from this process on another core
//! with the same load over loopback, and prints every figure for both with
//! Tocsin's advantage and the target it has. Options after `--`:
//!
//! - `--only ingest,state,silences,durable,notify,notify3,cluster,graphs,micro`: run some scenarios
//!   (`durable-ingest`, `durable-restart`, `durable-history`: a part of `durable`);
//! - `--markdown FILE`: also write the report there;
//! - `--alertmanager PATH`: another Alertmanager binary;
//! - `--tocsin-only`: leave Alertmanager out (to profile Tocsin).
//!
//! Under `cargo test` (no `--bench` argument) it runs a smoke pass with small
//! sizes, so the tool itself is exercised and cannot rot; those figures mean
//! nothing.

mod client;
mod cluster;
mod durable;
mod graphs;
mod micro;
mod report;
mod scenarios;
mod server;
mod sink;
mod workload;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use report::Report;
use scenarios::Sizes;
use server::Setup;

struct Args {
    full: bool,
    only: Option<Vec<String>>,
    markdown: Option<PathBuf>,
    alertmanager: PathBuf,
    tocsin_only: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        full: false,
        only: None,
        markdown: None,
        alertmanager: PathBuf::from("/usr/bin/prometheus-alertmanager"),
        tocsin_only: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--bench" => args.full = true,
            "--tocsin-only" => args.tocsin_only = true,
            "--only" => {
                let v = it.next().ok_or("--only needs a list")?;
                args.only = Some(v.split(',').map(str::to_string).collect());
            }
            "--markdown" => {
                args.markdown = Some(it.next().ok_or("--markdown needs a file")?.into())
            }
            "--alertmanager" => {
                args.alertmanager = it.next().ok_or("--alertmanager needs a path")?.into()
            }
            // Flags cargo's test runner passes to every test binary.
            a if a.starts_with("--") && !args.full => {}
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(args)
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Keeps this process (and every thread it starts) on core 0, leaving core
/// 1 to the server under test.
fn pin_to_core_zero() -> bool {
    // SAFETY: a zeroed cpu_set_t is a valid empty set, and
    // sched_setaffinity only reads the set it is given.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(0, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0
    }
}

fn command_line(cmd: &str, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new(cmd).args(args).output().ok()?;
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    Some(text.lines().next()?.trim().to_string())
}

fn machine(cores: usize) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(String::new(), |kb| format!(", {} GiB", kb / 1024 / 1024));
    format!("{cpu}, {cores} cores{mem}")
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("compare: {e}");
            return ExitCode::from(2);
        }
    };
    let cores = cores();
    let pinned = cores >= 2 && pin_to_core_zero();
    let setup = Setup {
        alertmanager: args.alertmanager.clone(),
        tocsin: PathBuf::from(env!("CARGO_BIN_EXE_tocsin")),
        core: pinned.then_some(1),
        tocsin_only: args.tocsin_only,
    };
    if !setup.alertmanager.exists() {
        eprintln!(
            "compare: {} is missing: install Debian's prometheus-alertmanager",
            setup.alertmanager.display()
        );
        return ExitCode::FAILURE;
    }
    let sizes = if args.full {
        Sizes::full()
    } else {
        Sizes::smoke()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let started = Instant::now();
    let mut report = Report::new(args.full);
    report.line(&format!(
        "# Tocsin against Alertmanager{}\n",
        if args.full {
            ""
        } else {
            " (smoke pass: small sizes, figures mean nothing)"
        }
    ));
    report.line(&format!(
        "- date: {}",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
    ));
    report.line(&format!("- machine: {}", machine(cores)));
    report.line(&format!(
        "- servers: {}; load, webhook receiver and timing: {}",
        if pinned {
            "pinned to core 1 (`taskset -c 1`)"
        } else {
            "unpinned (one core only)"
        },
        if pinned {
            "this process, pinned to core 0"
        } else {
            "this process"
        }
    ));
    report.line(&format!(
        "- Alertmanager: {}",
        command_line(
            setup.alertmanager.to_str().unwrap_or_default(),
            &["--version"]
        )
        .unwrap_or_else(|| "version unknown".into())
    ));
    report.line(&format!(
        "- Tocsin: {} {}, release build",
        env!("CARGO_PKG_VERSION"),
        command_line("git", &["describe", "--always", "--dirty"]).unwrap_or_default()
    ));
    report.line(&format!("- sizes: {sizes:?}"));

    let want = |name: &str| {
        args.only
            .as_ref()
            .is_none_or(|o| o.iter().any(|x| x == name))
    };
    let result: Result<(), String> = runtime.block_on(async {
        let sink = sink::Sink::start().await;
        if want("ingest") {
            scenarios::ingest(&setup, &sizes, &sink, &mut report).await?;
        }
        if want("state") {
            scenarios::state(&setup, &sizes, &sink, &mut report).await?;
        }
        if want("silences") {
            scenarios::silences(&setup, &sizes, &sink, &mut report).await?;
        }
        let all = want("durable");
        if all || want("durable-ingest") {
            durable::ingest_modes(&setup, &sizes, &sink, &mut report).await?;
        }
        if all || want("durable-restart") {
            durable::restart(&setup, &sizes, &sink, &mut report).await?;
        }
        if all || want("durable-history") {
            durable::history(&setup, &sizes, &sink, &mut report).await?;
        }
        if want("notify") {
            scenarios::notify(&setup, &sizes, &sink, &mut report).await?;
        }
        if want("notify3") {
            scenarios::notify_three(&setup, &sizes, &sink, &mut report).await?;
        }
        if want("cluster") {
            cluster::convergence(&setup, &sizes, &sink, &mut report).await?;
        }
        if want("graphs") {
            graphs::graphs(&mut report, !args.full).await?;
        }
        Ok(())
    });
    if want("micro") {
        micro::templates(&mut report, !args.full);
    }
    if let Err(e) = result {
        eprintln!("compare: {e}");
        return ExitCode::FAILURE;
    }
    let misses: Vec<String> = report.misses().iter().map(|f| f.name.clone()).collect();
    let verdict = if !args.full {
        "Smoke pass: no figure is held to its target".to_string()
    } else if misses.is_empty() {
        "Targets not met: none".to_string()
    } else {
        format!("Targets not met: {}", misses.join("; "))
    };
    report.line(&format!(
        "\n{verdict}. Whole run: {:.0} s.",
        started.elapsed().as_secs_f64()
    ));
    if let Some(path) = &args.markdown
        && let Err(e) = std::fs::write(path, &report.text)
    {
        eprintln!("compare: cannot write {}: {e}", path.display());
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
