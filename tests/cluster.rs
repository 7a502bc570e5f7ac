//! High availability, end to end with three Tocsin processes on
//! 127.0.0.1: they find each other through `--cluster.peer`, a group is
//! notified once when all of them receive its alerts, a silence created on
//! one mutes the alert on all, the next peer sends when the first is gone,
//! a peer that starts empty gets the silences back from the others, and a
//! peer with another `--cluster.label` is refused.

mod common;

use std::time::Duration;

use common::{Server, Sink, eventually, free_udp_port};
use serde_json::{Value, json};

const PEER_TIMEOUT: &str = "2s";

fn config(sink: &Sink) -> String {
    format!(
        r#"
route:
  receiver: team
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1h
  repeat_interval: 4h
receivers:
- name: team
  webhook_configs:
  - url: {}
"#,
        sink.url()
    )
}

struct Peer {
    name: &'static str,
    port: u16,
    dir: tempfile::TempDir,
}

impl Peer {
    fn new(name: &'static str, sink: &Sink) -> Peer {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("alertmanager.yml"), config(sink)).unwrap();
        Peer {
            name,
            port: free_udp_port(),
            dir,
        }
    }

    fn start(&self, others: &[&Peer], extra: &[&str]) -> Server {
        let mut args = vec![
            format!(
                "--config.file={}",
                self.dir.path().join("alertmanager.yml").display()
            ),
            format!("--cluster.listen-address=127.0.0.1:{}", self.port),
            format!("--cluster.peer-name={}", self.name),
            "--cluster.gossip-interval=100ms".to_string(),
            format!("--cluster.peer-timeout={PEER_TIMEOUT}"),
            "--cluster.settle-timeout=5s".to_string(),
        ];
        for o in others {
            args.push(format!("--cluster.peer=127.0.0.1:{}", o.port));
        }
        // A flag given in `extra` replaces the default above.
        args.retain(|a| {
            let name = a.split('=').next().unwrap_or(a);
            !extra.iter().any(|e| e.split('=').next() == Some(name))
        });
        args.extend(extra.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        Server::start(self.dir.path(), &refs)
    }
}

fn peer_names(s: &Server) -> Vec<String> {
    let mut names: Vec<String> = s.get("/api/v2/status").json()["cluster"]["peers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect();
    names.sort();
    names
}

fn post_alert(s: &Server, name: &str) {
    let body = json!([{ "labels": { "alertname": name, "instance": "i1" } }]);
    let r = s.post_json("/api/v2/alerts", &body.to_string());
    assert_eq!(r.status, 200, "{}", r.body);
}

fn create_silence(s: &Server, alertname: &str) -> String {
    let now = chrono::Utc::now();
    let body = json!({
        "matchers": [{ "name": "alertname", "value": alertname, "isRegex": false, "isEqual": true }],
        "startsAt": now.to_rfc3339(),
        "endsAt": (now + chrono::Duration::hours(1)).to_rfc3339(),
        "createdBy": "ha test",
        "comment": "replicated",
    });
    let r = s.post_json("/api/v2/silences", &body.to_string());
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["silenceID"].as_str().unwrap().to_string()
}

fn silence_ids(s: &Server) -> Vec<String> {
    s.get("/api/v2/silences")
        .json()
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x["id"].as_str().map(str::to_string))
        .collect()
}

fn alert_state(s: &Server, name: &str) -> Option<Value> {
    s.get("/api/v2/alerts")
        .json()
        .as_array()?
        .iter()
        .find(|a| a["labels"]["alertname"] == name)
        .map(|a| a["status"].clone())
}

/// Notifications the sink received for `alertname`.
fn notified(sink: &Sink, alertname: &str) -> usize {
    sink.bodies()
        .iter()
        .filter(|b| b["groupLabels"]["alertname"] == alertname)
        .count()
}

fn wait_members(servers: &[&Server], want: &[&str]) {
    assert!(
        eventually(Duration::from_secs(20), || servers
            .iter()
            .all(|s| peer_names(s) == want)),
        "peers: {:?}",
        servers.iter().map(|s| peer_names(s)).collect::<Vec<_>>()
    );
}

#[test]
fn three_peers_page_once_share_silences_and_take_over() {
    let sink = Sink::start();
    let (a, b, c) = (
        Peer::new("peer-a", &sink),
        Peer::new("peer-b", &sink),
        Peer::new("peer-c", &sink),
    );
    let sa = a.start(&[&b, &c], &[]);
    let sb = b.start(&[&a, &c], &[]);
    let sc = c.start(&[&a, &b], &[]);
    wait_members(&[&sa, &sb, &sc], &["peer-a", "peer-b", "peer-c"]);
    for s in [&sa, &sb, &sc] {
        s.wait_ready();
        let st = s.get("/api/v2/status").json();
        assert_eq!(st["cluster"]["status"], "ready", "{st}");
    }
    assert!(
        sa.get("/metrics")
            .body
            .contains("alertmanager_cluster_members 3")
    );

    // Every peer receives the alert; one notification goes out.
    for s in [&sa, &sb, &sc] {
        post_alert(s, "Once");
    }
    assert!(sink.wait_for(1, Duration::from_secs(10)));
    // peer-c's wait is 2 × the peer timeout; give it time to (not) send.
    std::thread::sleep(Duration::from_secs(6));
    assert_eq!(notified(&sink, "Once"), 1, "{:?}", sink.bodies());

    // A silence created on peer-c mutes the alert on every peer.
    let id = create_silence(&sc, "Once");
    for s in [&sa, &sb] {
        assert!(
            eventually(Duration::from_secs(2), || silence_ids(s).contains(&id)),
            "silence {id} not replicated to {}",
            s.url()
        );
        assert!(eventually(Duration::from_secs(2), || {
            alert_state(s, "Once").is_some_and(|st| st["silencedBy"] == json!([id]))
        }));
    }

    // An expiry made on peer-a reaches the others.
    let r = sa.request("DELETE", &format!("/api/v2/silence/{id}"));
    assert_eq!(r.status, 200, "{}", r.body);
    for s in [&sb, &sc] {
        assert!(eventually(Duration::from_secs(2), || {
            s.get(&format!("/api/v2/silence/{id}")).json()["status"]["state"] == "expired"
        }));
    }

    assert!(
        sb.get("/metrics")
            .body
            .contains("alertmanager_cluster_peer_info{peer=\"peer-b\"} 1")
    );
    // peer-a (position 0) goes; a new group is still notified once.
    drop(sa);
    assert!(eventually(Duration::from_secs(15), || sb
        .get("/metrics")
        .body
        .contains("alertmanager_cluster_failed_peers 1")));
    for s in [&sb, &sc] {
        post_alert(s, "AfterA");
    }
    assert!(eventually(Duration::from_secs(15), || notified(
        &sink, "AfterA"
    ) == 1));
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(notified(&sink, "AfterA"), 1, "{:?}", sink.bodies());
}

#[test]
fn a_peer_that_starts_empty_gets_the_silences_back() {
    let sink = Sink::start();
    let (a, b) = (Peer::new("peer-a", &sink), Peer::new("peer-b", &sink));
    let sa = a.start(&[&b], &[]);
    let sb = b.start(&[&a], &[]);
    wait_members(&[&sa, &sb], &["peer-a", "peer-b"]);
    let id = create_silence(&sb, "Kept");
    assert!(eventually(Duration::from_secs(2), || silence_ids(&sa).contains(&id)));

    // peer-b loses its disk and comes back.
    drop(sb);
    std::fs::remove_dir_all(b.dir.path().join("data")).unwrap();
    let sb = b.start(&[&a], &[]);
    assert!(
        eventually(Duration::from_secs(5), || silence_ids(&sb).contains(&id)),
        "the restarted peer did not get silence {id} back"
    );
    let s = sb.get(&format!("/api/v2/silence/{id}")).json();
    assert_eq!(s["comment"], "replicated");
    assert_eq!(s["createdBy"], "ha test");
}

#[test]
fn a_peer_with_another_label_is_refused() {
    let sink = Sink::start();
    let (a, b) = (Peer::new("peer-a", &sink), Peer::new("peer-b", &sink));
    let mut sa = a.start(&[&b], &["--cluster.label=team-a"]);
    let sb = b.start(&[&a], &["--cluster.label=team-b"]);
    sa.wait_for_log("different cluster");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(peer_names(&sa), ["peer-a"]);
    assert_eq!(peer_names(&sb), ["peer-b"]);
    let id = create_silence(&sb, "Alone");
    std::thread::sleep(Duration::from_secs(1));
    assert!(!silence_ids(&sa).contains(&id));
}

/// The cluster port is checked at start: a clash fails with the address.
#[test]
fn a_cluster_port_in_use_fails_the_start() {
    let held = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = held.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .current_dir(dir.path())
        .arg("--web.listen-address=127.0.0.1:0")
        .arg(format!(
            "--storage.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--cluster.listen-address=127.0.0.1:{port}"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("listen udp 127.0.0.1:{port}")),
        "{err}"
    );
}

/// Peers sharing `--cluster.gossip-key-file` form a cluster and replicate
/// silences; a peer without the key, or with another one, is refused by
/// them (logged and counted) and sees none of their silences.
#[test]
fn gossip_sealed_with_a_shared_key() {
    let sink = Sink::start();
    let keys = tempfile::tempdir().unwrap();
    let write_key = |name: &str, byte: u8| {
        let p = keys.path().join(name);
        let key = [byte; 32];
        // base64 of 32 bytes, as `openssl rand -base64 32` writes it.
        let text = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, key);
        std::fs::write(&p, format!("{text}\n")).unwrap();
        format!("--cluster.gossip-key-file={}", p.display())
    };
    let (good, other) = (write_key("good", 7), write_key("other", 9));
    let (a, b, c, d) = (
        Peer::new("peer-a", &sink),
        Peer::new("peer-b", &sink),
        Peer::new("peer-c", &sink),
        Peer::new("peer-d", &sink),
    );
    let mut sa = a.start(&[&b, &c, &d], &[&good]);
    let sb = b.start(&[&a], &[&good]);
    let sc = c.start(&[&a], &[]);
    let sd = d.start(&[&a], &[&other]);
    wait_members(&[&sa, &sb], &["peer-a", "peer-b"]);
    let id = create_silence(&sb, "Sealed");
    assert!(eventually(Duration::from_secs(2), || silence_ids(&sa).contains(&id)));

    sa.wait_for_log("Refused gossip from a peer without the cluster's gossip key");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(peer_names(&sa), ["peer-a", "peer-b"]);
    for s in [&sc, &sd] {
        assert_eq!(peer_names(s), [s_name(s)]);
        assert!(!silence_ids(s).contains(&id));
    }
    let metrics = sa.get("/metrics").body;
    let refused: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("tocsin_cluster_gossip_refused_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0);
    assert!(refused > 0.0, "{metrics}");
}

fn s_name(s: &Server) -> String {
    s.get("/api/v2/status").json()["cluster"]["name"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Drops the UDP traffic between two ports on the loopback interface
/// (nftables) until dropped itself.
struct Partition {
    table: String,
}

impl Partition {
    /// `None` when this process cannot (not root, or no `nft`).
    fn between(a: u16, b: u16) -> Option<Partition> {
        let table = format!("tocsin_partition_{}", std::process::id());
        let script = format!(
            "add table inet {table}\n\
             add chain inet {table} input {{ type filter hook input priority 0 ; }}\n\
             add rule inet {table} input udp sport {{ {a}, {b} }} udp dport {{ {a}, {b} }} drop\n"
        );
        let out = std::process::Command::new("nft")
            .args(["-f", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write;
                c.stdin.take().unwrap().write_all(script.as_bytes())?;
                c.wait_with_output()
            });
        match out {
            Ok(o) if o.status.success() => Some(Partition { table }),
            Ok(o) => {
                eprintln!("nft refused: {}", String::from_utf8_lossy(&o.stderr));
                None
            }
            Err(e) => {
                eprintln!("nft: {e}");
                None
            }
        }
    }
}

impl Drop for Partition {
    fn drop(&mut self) {
        let _ = std::process::Command::new("nft")
            .args(["delete", "table", "inet", &self.table])
            .status();
    }
}

/// Alertmanager's partition behaviour: fail open, at least once. While two
/// peers cannot reach each other, each notifies; a silence created on one
/// side reaches the other once the partition heals, and membership comes
/// back. Needs root and nftables (CI runs as root and `scripts/test`
/// installs nftables); elsewhere the test says so and skips.
#[test]
fn a_partition_fails_open_and_heals() {
    let sink = Sink::start();
    let (a, b) = (Peer::new("peer-a", &sink), Peer::new("peer-b", &sink));
    let sa = a.start(&[&b], &[]);
    let sb = b.start(&[&a], &[]);
    wait_members(&[&sa, &sb], &["peer-a", "peer-b"]);
    let Some(partition) = Partition::between(a.port, b.port) else {
        eprintln!(
            "SKIPPED a_partition_fails_open_and_heals: needs root and nft to drop loopback packets (CI runs it as root)"
        );
        return;
    };
    // Each side declares the other gone.
    wait_members(&[&sa], &["peer-a"]);
    wait_members(&[&sb], &["peer-b"]);

    // Both sides notify the same group: nobody is left unpaged.
    for s in [&sa, &sb] {
        post_alert(s, "Split");
    }
    assert!(
        eventually(Duration::from_secs(15), || notified(&sink, "Split") == 2),
        "{:?}",
        sink.bodies()
    );
    let id = create_silence(&sa, "Split");
    std::thread::sleep(Duration::from_secs(1));
    assert!(!silence_ids(&sb).contains(&id));

    drop(partition);
    wait_members(&[&sa, &sb], &["peer-a", "peer-b"]);
    assert!(
        eventually(Duration::from_secs(5), || silence_ids(&sb).contains(&id)),
        "silence {id} did not reach peer-b after the partition healed"
    );
    assert!(eventually(Duration::from_secs(3), || {
        alert_state(&sb, "Split").is_some_and(|st| st["silencedBy"] == json!([id]))
    }));
    // The group was notified on both sides; healing sends nothing more.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(notified(&sink, "Split"), 2);
}

/// `alertmanager_silences{state="active"}` of a peer.
fn active_silences(s: &Server) -> usize {
    s.get("/metrics")
        .body
        .lines()
        .find_map(|l| l.strip_prefix("alertmanager_silences{state=\"active\"} "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(0.0) as usize
}

/// Mixed load: 10k silences created on one peer and 10k groups notified
/// by three replicate without a stall. Every peer ends with every silence,
/// and every group is notified exactly once: the notification-log entries
/// of the first peer reach the others before their waits end.
#[test]
fn ten_thousand_silences_and_groups_replicate_to_three_peers() {
    const N: usize = 10_000;
    let sink = Sink::start();
    let (a, b, c) = (
        Peer::new("peer-a", &sink),
        Peer::new("peer-b", &sink),
        Peer::new("peer-c", &sink),
    );
    // Alertmanager's default gossip interval; waits long enough for 10k
    // entries to travel.
    let extra = [
        "--cluster.gossip-interval=200ms",
        "--cluster.peer-timeout=8s",
    ];
    let sa = a.start(&[&b, &c], &extra);
    let sb = b.start(&[&a, &c], &extra);
    let sc = c.start(&[&a, &b], &extra);
    wait_members(&[&sa, &sb, &sc], &["peer-a", "peer-b", "peer-c"]);

    let started = std::time::Instant::now();
    std::thread::scope(|scope| {
        for part in 0..4 {
            let addr = sa.url();
            scope.spawn(move || {
                let addr = addr.trim_start_matches("http://");
                let now = chrono::Utc::now();
                for i in (part..N).step_by(4) {
                    let body = json!({
                        "matchers": [{ "name": "job", "value": format!("maintenance-{i}"), "isRegex": false }],
                        "startsAt": now.to_rfc3339(),
                        "endsAt": (now + chrono::Duration::hours(2)).to_rfc3339(),
                        "createdBy": "load",
                        "comment": format!("silence {i} of the mixed-load test"),
                    });
                    let r = common::request(
                        addr,
                        "POST",
                        "/api/v2/silences",
                        &[("Content-Type", "application/json")],
                        body.to_string().as_bytes(),
                    );
                    assert_eq!(r.status, 200, "{}", r.body);
                }
            });
        }
    });
    let created = started.elapsed();
    let alerts: Vec<Value> = (0..N)
        .map(|i| json!({ "labels": { "alertname": format!("G{i}"), "instance": "i1" } }))
        .collect();
    for s in [&sa, &sb, &sc] {
        for chunk in alerts.chunks(1000) {
            let r = s.post_json("/api/v2/alerts", &Value::from(chunk.to_vec()).to_string());
            assert_eq!(r.status, 200, "{}", r.body);
        }
    }
    assert!(
        eventually(Duration::from_secs(30), || [&sa, &sb, &sc]
            .iter()
            .all(|s| active_silences(s) == N)),
        "silences: {:?}",
        [&sa, &sb, &sc].map(active_silences)
    );
    let converged = started.elapsed();
    assert!(
        sink.wait_for(N, Duration::from_secs(60)),
        "{} of {N} groups notified",
        sink.count()
    );
    // peer-c waits 16 s before it would send; past that, still one each.
    std::thread::sleep(Duration::from_secs(20));
    let mut per_group = std::collections::HashMap::<String, usize>::new();
    for body in sink.bodies() {
        *per_group
            .entry(
                body["groupLabels"]["alertname"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            )
            .or_default() += 1;
    }
    let twice: Vec<_> = per_group.iter().filter(|(_, n)| **n > 1).take(5).collect();
    assert!(twice.is_empty(), "notified more than once: {twice:?}");
    assert_eq!(per_group.len(), N);
    eprintln!("10k silences created on one peer in {created:?}, on all three after {converged:?}");
}
