//! Starting the two servers under test: the real Alertmanager and Tocsin,
//! each on the same configuration, pinned to the server core, on a free
//! loopback port, with its own data directory.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::client::Conn;

/// Which implementation a server runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Alertmanager,
    Tocsin,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Alertmanager => "Alertmanager",
            Kind::Tocsin => "Tocsin",
        }
    }
}

/// Where the binaries are and which core the servers get.
#[derive(Clone, Debug)]
pub struct Setup {
    pub alertmanager: PathBuf,
    pub tocsin: PathBuf,
    /// `taskset -c CORE` for the servers; `None` runs them unpinned.
    pub core: Option<usize>,
    /// Leave Alertmanager out (for profiling Tocsin alone).
    pub tocsin_only: bool,
}

/// A running server; killed when dropped.
pub struct Server {
    pub kind: Kind,
    pub addr: String,
    child: Child,
    dir: tempfile::TempDir,
    extra: Vec<String>,
    core: Option<usize>,
    bin: PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Server {
    /// Starts `kind` on `config` and waits (bounded) until `/-/ready` answers.
    pub async fn start(setup: &Setup, kind: Kind, config: &str) -> Result<Server, String> {
        Server::start_with(setup, kind, config, &[], None).await
    }

    /// Like [`Server::start`], with more flags, and in `dir` (whose `data`
    /// may hold state already) when one is given.
    pub async fn start_with(
        setup: &Setup,
        kind: Kind,
        config: &str,
        extra: &[&str],
        dir: Option<tempfile::TempDir>,
    ) -> Result<Server, String> {
        let dir = match dir {
            Some(d) => d,
            None => tempfile::tempdir().map_err(|e| e.to_string())?,
        };
        std::fs::write(dir.path().join("alertmanager.yml"), config).map_err(|e| e.to_string())?;
        let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        let bin = match kind {
            Kind::Alertmanager => setup.alertmanager.clone(),
            Kind::Tocsin => setup.tocsin.clone(),
        };
        let mut last = String::new();
        for _attempt in 0..3 {
            let addr = format!("127.0.0.1:{}", free_port());
            let child = spawn(&bin, setup.core, dir.path(), &addr, &extra)?;
            let mut server = Server {
                kind,
                addr,
                child,
                dir: tempfile::tempdir().map_err(|e| e.to_string())?,
                extra: extra.clone(),
                core: setup.core,
                bin: bin.clone(),
            };
            match server.wait_ready().await {
                Ok(()) => {
                    server.dir = dir;
                    return Ok(server);
                }
                Err(e) => last = e,
            }
            let _ = server.child.kill();
            let _ = server.child.wait();
        }
        let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
        Err(format!("{} did not start: {last}\n{log}", kind.name()))
    }

    /// Stops the server (SIGKILL with `kill`, else SIGTERM and a wait),
    /// starts it again on the same data directory and times how long it
    /// takes from the start of the process to `/-/ready` answering 200.
    pub async fn restart(&mut self, kill: bool) -> Result<Duration, String> {
        if kill {
            let _ = self.child.kill();
        } else {
            // SAFETY: kill(2) with the pid of our own child.
            unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        }
        let _ = self.child.wait();
        let addr = format!("127.0.0.1:{}", free_port());
        let started = Instant::now();
        self.child = spawn(&self.bin, self.core, self.dir.path(), &addr, &self.extra)?;
        self.addr = addr;
        self.wait_ready().await?;
        Ok(started.elapsed())
    }

    /// The sum of the samples of the metric `family` (every label set)
    /// that the server's `/metrics` reports now.
    pub async fn metric_sum(&self, family: &str) -> Result<f64, String> {
        let mut c = Conn::connect(&self.addr).await.map_err(|e| e.to_string())?;
        let body = c.expect_ok("GET", "/metrics", bytes::Bytes::new()).await?;
        Ok(String::from_utf8_lossy(&body)
            .lines()
            .filter(|l| {
                l.strip_prefix(family)
                    .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum())
    }

    async fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("exited with {status}"));
            }
            if let Ok(mut c) = Conn::connect(&self.addr).await
                && let Ok((200, _)) = c.get("/-/ready").await
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err("not ready after 30 s".into())
    }

    /// The process's resident set size, in bytes.
    pub fn rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    }

    /// Replaces the configuration file and asks for a reload.
    pub async fn reload(&self, config: &str) -> Result<(), String> {
        std::fs::write(self.dir.path().join("alertmanager.yml"), config)
            .map_err(|e| e.to_string())?;
        let mut c = Conn::connect(&self.addr).await.map_err(|e| e.to_string())?;
        match c.send("POST", "/-/reload", Default::default()).await? {
            (200, _) => Ok(()),
            (code, body) => Err(format!(
                "{} reload answered {code}: {}",
                self.kind.name(),
                String::from_utf8_lossy(&body)
            )),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(
    bin: &Path,
    core: Option<usize>,
    dir: &Path,
    addr: &str,
    extra: &[String],
) -> Result<Child, String> {
    let mut cmd = match core {
        Some(core) => {
            let mut c = Command::new("taskset");
            c.arg("-c").arg(core.to_string()).arg(bin);
            c
        }
        None => Command::new(bin),
    };
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("server.log"))
        .map_err(|e| e.to_string())?;
    cmd.current_dir(dir)
        .arg(format!(
            "--config.file={}",
            dir.join("alertmanager.yml").display()
        ))
        .arg(format!("--storage.path={}", dir.join("data").display()))
        .arg(format!("--web.listen-address={addr}"))
        .args(
            // Clustering is off unless the caller turns it on.
            (!extra
                .iter()
                .any(|a| a.starts_with("--cluster.listen-address")))
            .then_some("--cluster.listen-address="),
        )
        .arg("--log.level=warn")
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))
}
