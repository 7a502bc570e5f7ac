//! The `process_*` metrics client_golang's process collector exposes on
//! Linux, read from `/proc` at scrape time: CPU time, memory, file
//! descriptors, start time and network bytes. A metric whose source cannot be
//! read is left out, as Go does when not reporting errors.

use std::fmt;
use std::path::PathBuf;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeCounterValue, EncodeGaugeValue, EncodeMetric,
};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

/// Clock ticks per second of `/proc/<pid>/stat` times. Linux fixes USER_HZ at
/// 100 for user space, and Go's procfs assumes the same.
const USER_HZ: f64 = 100.0;

/// `AT_PAGESZ` in the auxiliary vector.
const AT_PAGESZ: u64 = 6;

/// Collects the `process_*` metrics for one process.
#[derive(Debug, Clone)]
pub struct ProcessCollector {
    /// The procfs mount, normally `/proc`.
    proc_root: PathBuf,
    /// The process directory under it, normally `self`.
    pid: String,
}

impl Default for ProcessCollector {
    fn default() -> ProcessCollector {
        ProcessCollector::new("/proc", "self")
    }
}

/// One scrape's readings; `None` where the source was unreadable.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcessStats {
    pub cpu_seconds: Option<f64>,
    pub virtual_memory_bytes: Option<u64>,
    pub resident_memory_bytes: Option<u64>,
    pub start_time_seconds: Option<f64>,
    pub open_fds: Option<u64>,
    pub max_fds: Option<u64>,
    pub virtual_memory_max_bytes: Option<u64>,
    pub network_receive_bytes: Option<u64>,
    pub network_transmit_bytes: Option<u64>,
}

impl ProcessCollector {
    /// A collector reading `<proc_root>/<pid>/…` (and `<proc_root>/stat`).
    pub fn new(proc_root: impl Into<PathBuf>, pid: impl Into<String>) -> ProcessCollector {
        ProcessCollector {
            proc_root: proc_root.into(),
            pid: pid.into(),
        }
    }

    fn read(&self, rel: &str) -> Option<String> {
        std::fs::read_to_string(self.proc_root.join(&self.pid).join(rel)).ok()
    }

    /// Reads everything once.
    pub fn stats(&self) -> ProcessStats {
        let mut s = ProcessStats::default();
        if let Some(stat) = self.read("stat").as_deref().and_then(parse_stat) {
            s.cpu_seconds = Some((stat.utime + stat.stime) as f64 / USER_HZ);
            s.virtual_memory_bytes = Some(stat.vsize);
            s.resident_memory_bytes = Some(stat.rss_pages.saturating_mul(self.page_size()));
            s.start_time_seconds = std::fs::read_to_string(self.proc_root.join("stat"))
                .ok()
                .as_deref()
                .and_then(parse_boot_time)
                .map(|btime| btime as f64 + stat.starttime as f64 / USER_HZ);
        }
        s.open_fds = std::fs::read_dir(self.proc_root.join(&self.pid).join("fd"))
            .ok()
            .map(|d| d.count() as u64);
        if let Some(limits) = self.read("limits") {
            s.max_fds = parse_limit(&limits, "Max open files");
            s.virtual_memory_max_bytes = parse_limit(&limits, "Max address space");
        }
        if let Some((rx, tx)) = self.read("net/netstat").as_deref().and_then(parse_netstat) {
            s.network_receive_bytes = Some(rx);
            s.network_transmit_bytes = Some(tx);
        }
        s
    }

    /// The page size from the auxiliary vector; 4096 if unreadable.
    fn page_size(&self) -> u64 {
        std::fs::read(self.proc_root.join(&self.pid).join("auxv"))
            .ok()
            .and_then(|b| parse_auxv(&b, AT_PAGESZ))
            .unwrap_or(4096)
    }
}

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        let s = self.stats();
        if let Some(v) = s.cpu_seconds {
            counter(
                &mut encoder,
                "process_cpu_seconds",
                "Total user and system CPU time spent in seconds.",
                v,
            )?;
        }
        if let Some(v) = s.max_fds {
            gauge(
                &mut encoder,
                "process_max_fds",
                "Maximum number of open file descriptors.",
                v,
            )?;
        }
        if let Some(v) = s.network_receive_bytes {
            counter(
                &mut encoder,
                "process_network_receive_bytes",
                "Number of bytes received by the process over the network.",
                v,
            )?;
        }
        if let Some(v) = s.network_transmit_bytes {
            counter(
                &mut encoder,
                "process_network_transmit_bytes",
                "Number of bytes sent by the process over the network.",
                v,
            )?;
        }
        if let Some(v) = s.open_fds {
            gauge(
                &mut encoder,
                "process_open_fds",
                "Number of open file descriptors.",
                v,
            )?;
        }
        if let Some(v) = s.resident_memory_bytes {
            gauge(
                &mut encoder,
                "process_resident_memory_bytes",
                "Resident memory size in bytes.",
                v,
            )?;
        }
        if let Some(v) = s.start_time_seconds {
            gauge(
                &mut encoder,
                "process_start_time_seconds",
                "Start time of the process since unix epoch in seconds.",
                v,
            )?;
        }
        if let Some(v) = s.virtual_memory_bytes {
            gauge(
                &mut encoder,
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes.",
                v,
            )?;
        }
        if let Some(v) = s.virtual_memory_max_bytes {
            gauge(
                &mut encoder,
                "process_virtual_memory_max_bytes",
                "Maximum amount of virtual memory available in bytes.",
                v,
            )?;
        }
        Ok(())
    }
}

fn gauge<V: EncodeGaugeValue>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: V,
) -> fmt::Result {
    let m = ConstGauge::new(value);
    let me = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
    m.encode(me)
}

/// `name` is the family name; the encoder appends `_total` to the sample.
fn counter<V: EncodeCounterValue>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: V,
) -> fmt::Result {
    let m = ConstCounter::new(value);
    let me = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
    m.encode(me)
}

/// The fields of `/proc/<pid>/stat` the collector uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stat {
    utime: u64,
    stime: u64,
    starttime: u64,
    vsize: u64,
    rss_pages: u64,
}

fn parse_stat(text: &str) -> Option<Stat> {
    // The command name (field 2) is parenthesised and may contain spaces or
    // parentheses; the fields after the last ')' start with field 3.
    let rest = &text[text.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| -> Option<u64> { f.get(n - 3)?.parse().ok() };
    Some(Stat {
        utime: field(14)?,
        stime: field(15)?,
        starttime: field(22)?,
        vsize: field(23)?,
        rss_pages: field(24)?,
    })
}

fn parse_boot_time(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse().ok())
}

/// The soft limit of a `/proc/<pid>/limits` row; `unlimited` is `u64::MAX`.
fn parse_limit(text: &str, row: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(row))?;
    let soft = line[row.len()..].split_whitespace().next()?;
    if soft == "unlimited" {
        Some(u64::MAX)
    } else {
        soft.parse().ok()
    }
}

/// `IpExt` `InOctets` and `OutOctets` from `/proc/<pid>/net/netstat`.
fn parse_netstat(text: &str) -> Option<(u64, u64)> {
    let mut lines = text.lines().filter(|l| l.starts_with("IpExt:"));
    let names: Vec<&str> = lines.next()?.split_whitespace().collect();
    let values: Vec<&str> = lines.next()?.split_whitespace().collect();
    let get = |key: &str| -> Option<u64> {
        let i = names.iter().position(|n| *n == key)?;
        values.get(i)?.parse().ok()
    };
    Some((get("InOctets")?, get("OutOctets")?))
}

/// Looks up `key` in an auxiliary vector of native-endian word pairs.
fn parse_auxv(bytes: &[u8], key: u64) -> Option<u64> {
    const W: usize = std::mem::size_of::<usize>();
    bytes.chunks_exact(2 * W).find_map(|pair| {
        let k = usize::from_ne_bytes(pair[..W].try_into().ok()?) as u64;
        let v = usize::from_ne_bytes(pair[W..].try_into().ok()?) as u64;
        (k == key).then_some(v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::registry::MetricRegistry;

    fn auxv(pairs: &[(usize, usize)]) -> Vec<u8> {
        pairs
            .iter()
            .flat_map(|(k, v)| {
                let mut b = k.to_ne_bytes().to_vec();
                b.extend_from_slice(&v.to_ne_bytes());
                b
            })
            .collect()
    }

    /// A fake procfs with known contents.
    fn fixture() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("42");
        std::fs::create_dir_all(p.join("fd")).unwrap();
        std::fs::create_dir_all(p.join("net")).unwrap();
        for fd in ["0", "1", "2"] {
            std::fs::write(p.join("fd").join(fd), "").unwrap();
        }
        // Fields 3.. : state ppid pgrp session tty tpgid flags minflt cminflt
        // majflt cmajflt utime(14) stime(15) cutime cstime priority nice
        // num_threads itrealvalue starttime(22) vsize(23) rss(24) …
        std::fs::write(
            p.join("stat"),
            "42 (tocsin (x) y) S 1 42 42 0 -1 4194560 100 0 0 0 250 125 0 0 20 0 8 0 12345 104857600 2560 18446744073709551615 1 1 0 0 0\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("stat"),
            "cpu  1 2 3 4\nintr 0\nbtime 1700000000\nprocesses 9\n",
        )
        .unwrap();
        std::fs::write(
            p.join("limits"),
            "Limit                     Soft Limit           Hard Limit           Units     \n\
             Max cpu time              unlimited            unlimited            seconds   \n\
             Max open files            1024                 524288               files     \n\
             Max address space         unlimited            unlimited            bytes     \n",
        )
        .unwrap();
        std::fs::write(
            p.join("net/netstat"),
            "TcpExt: SyncookiesSent SyncookiesRecv\nTcpExt: 0 0\n\
             IpExt: InNoRoutes InTruncatedPkts InOctets OutOctets\nIpExt: 0 0 9000 7000\n",
        )
        .unwrap();
        std::fs::write(p.join("auxv"), auxv(&[(33, 1), (6, 16384), (0, 0)])).unwrap();
        dir
    }

    #[test]
    fn reads_fixture_exactly() {
        let dir = fixture();
        let c = ProcessCollector::new(dir.path(), "42");
        assert_eq!(
            c.stats(),
            ProcessStats {
                cpu_seconds: Some(3.75),
                virtual_memory_bytes: Some(104_857_600),
                resident_memory_bytes: Some(2560 * 16384),
                start_time_seconds: Some(1_700_000_123.45),
                open_fds: Some(3),
                max_fds: Some(1024),
                virtual_memory_max_bytes: Some(u64::MAX),
                network_receive_bytes: Some(9000),
                network_transmit_bytes: Some(7000),
            }
        );
    }

    #[test]
    fn encodes_fixture() {
        let dir = fixture();
        let reg = MetricRegistry::new();
        reg.register_collector(ProcessCollector::new(dir.path(), "42"));
        assert_eq!(
            reg.encode(),
            "# HELP process_cpu_seconds Total user and system CPU time spent in seconds.\n\
             # TYPE process_cpu_seconds counter\n\
             process_cpu_seconds_total 3.75\n\
             # HELP process_max_fds Maximum number of open file descriptors.\n\
             # TYPE process_max_fds gauge\n\
             process_max_fds 1024\n\
             # HELP process_network_receive_bytes Number of bytes received by the process over the network.\n\
             # TYPE process_network_receive_bytes counter\n\
             process_network_receive_bytes_total 9000\n\
             # HELP process_network_transmit_bytes Number of bytes sent by the process over the network.\n\
             # TYPE process_network_transmit_bytes counter\n\
             process_network_transmit_bytes_total 7000\n\
             # HELP process_open_fds Number of open file descriptors.\n\
             # TYPE process_open_fds gauge\n\
             process_open_fds 3\n\
             # HELP process_resident_memory_bytes Resident memory size in bytes.\n\
             # TYPE process_resident_memory_bytes gauge\n\
             process_resident_memory_bytes 41943040\n\
             # HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n\
             # TYPE process_start_time_seconds gauge\n\
             process_start_time_seconds 1700000123.45\n\
             # HELP process_virtual_memory_bytes Virtual memory size in bytes.\n\
             # TYPE process_virtual_memory_bytes gauge\n\
             process_virtual_memory_bytes 104857600\n\
             # HELP process_virtual_memory_max_bytes Maximum amount of virtual memory available in bytes.\n\
             # TYPE process_virtual_memory_max_bytes gauge\n\
             process_virtual_memory_max_bytes 18446744073709551615\n\
             # EOF\n"
        );
    }

    #[test]
    fn missing_sources_are_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let c = ProcessCollector::new(dir.path(), "1");
        assert_eq!(c.stats(), ProcessStats::default());
        let reg = MetricRegistry::new();
        reg.register_collector(c);
        assert_eq!(reg.encode(), "# EOF\n");
    }

    #[test]
    fn real_process_is_plausible() {
        let s = ProcessCollector::default().stats();
        let now = crate::metrics::config::unix_now();
        let start = s.start_time_seconds.unwrap();
        assert!(
            start > 1_500_000_000.0 && start <= now + 1.0,
            "start {start}"
        );
        assert!(s.cpu_seconds.unwrap() >= 0.0);
        let rss = s.resident_memory_bytes.unwrap();
        let vsz = s.virtual_memory_bytes.unwrap();
        assert!(rss > 1 << 20 && rss < vsz, "rss {rss} vsz {vsz}");
        let open = s.open_fds.unwrap();
        assert!(open >= 3 && open <= s.max_fds.unwrap());
        assert!(s.virtual_memory_max_bytes.unwrap() > 0);
    }

    #[test]
    fn stat_parsing_handles_odd_command_names() {
        let s =
            parse_stat("7 (a) b) R 1 1 1 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 99 8192 2 0\n").unwrap();
        assert_eq!(
            s,
            Stat {
                utime: 3,
                stime: 4,
                starttime: 99,
                vsize: 8192,
                rss_pages: 2
            }
        );
        assert_eq!(parse_stat("garbage"), None);
    }
}
