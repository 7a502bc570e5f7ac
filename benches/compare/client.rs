//! The load side: keep-alive HTTP/1.1 connections with as little client
//! overhead as possible (hyper's connection API, no pool), and a closed-loop
//! runner that sends prepared bodies over several connections and records
//! each request's latency.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;

use crate::report::Reading;

/// The longest any one request may take before the run gives up on it.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// One keep-alive connection.
pub struct Conn {
    sender: http1::SendRequest<Full<Bytes>>,
    host: String,
}

impl Conn {
    pub async fn connect(addr: &str) -> std::io::Result<Conn> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, conn) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(std::io::Error::other)?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Conn {
            sender,
            host: addr.to_string(),
        })
    }

    /// Sends one request and reads the whole answer, within
    /// [`REQUEST_TIMEOUT`].
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        body: Bytes,
    ) -> Result<(u16, Bytes), String> {
        tokio::time::timeout(REQUEST_TIMEOUT, self.send_inner(method, path, body))
            .await
            .map_err(|_| format!("{method} {path}: no answer within {REQUEST_TIMEOUT:?}"))?
    }

    async fn send_inner(
        &mut self,
        method: &str,
        path: &str,
        body: Bytes,
    ) -> Result<(u16, Bytes), String> {
        self.sender.ready().await.map_err(|e| e.to_string())?;
        let req = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, &self.host)
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .body(Full::new(body))
            .map_err(|e| e.to_string())?;
        let resp = self
            .sender
            .send_request(req)
            .await
            .map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok((status, body))
    }

    pub async fn get(&mut self, path: &str) -> Result<(u16, Bytes), String> {
        self.send("GET", path, Bytes::new()).await
    }

    /// Sends and insists on a 2xx answer.
    pub async fn expect_ok(
        &mut self,
        method: &str,
        path: &str,
        body: Bytes,
    ) -> Result<Bytes, String> {
        match self.send(method, path, body).await? {
            (code, body) if (200..300).contains(&code) => Ok(body),
            (code, body) => Err(format!(
                "{method} {path} answered {code}: {}",
                String::from_utf8_lossy(&body[..body.len().min(300)])
            )),
        }
    }
}

/// What a closed-loop run did.
pub struct Run {
    /// Requests answered 2xx.
    pub ok: usize,
    /// The first failure, if any request failed.
    pub error: Option<String>,
    pub elapsed: Duration,
    /// Each successful request's latency, sorted.
    pub latencies: Vec<Duration>,
    /// The run left this server out.
    pub skipped: bool,
}

impl Run {
    pub fn skipped() -> Run {
        Run {
            ok: 0,
            error: None,
            elapsed: Duration::ZERO,
            latencies: Vec::new(),
            skipped: true,
        }
    }

    /// Items per second, `items_per_request` items in each request.
    pub fn rate(&self, items_per_request: usize) -> Reading {
        if self.skipped {
            return Reading::Missing("skipped".into());
        }
        Reading::Value((self.ok * items_per_request) as f64 / self.elapsed.as_secs_f64())
    }

    pub fn percentile(&self, p: f64) -> Reading {
        if self.skipped {
            return Reading::Missing("skipped".into());
        }
        percentile(&self.latencies, p).into()
    }
}

/// The `p`-th percentile (0–100) of sorted durations; zero when empty.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Sends every body to `path` with `method` over `conns` connections, each
/// sending its next request when the previous one is answered, until all
/// are sent or `budget` has passed.
pub async fn closed_loop(
    addr: &str,
    method: &'static str,
    path: &'static str,
    bodies: Arc<Vec<Bytes>>,
    conns: usize,
    budget: Duration,
) -> Run {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let (next, bodies, addr) = (next.clone(), bodies.clone(), addr.to_string());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut conn = match Conn::connect(&addr).await {
                Ok(c) => c,
                Err(e) => return (lat, Some(e.to_string())),
            };
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= bodies.len() || start.elapsed() > budget {
                    return (lat, None);
                }
                let t = Instant::now();
                if let Err(e) = conn.expect_ok(method, path, bodies[i].clone()).await {
                    return (lat, Some(e));
                }
                lat.push(t.elapsed());
            }
        }));
    }
    let mut latencies = Vec::new();
    let mut error = None;
    for t in tasks {
        let (lat, err) = t
            .await
            .unwrap_or_else(|e| (Vec::new(), Some(e.to_string())));
        latencies.extend(lat);
        error = error.or(err);
    }
    let elapsed = start.elapsed();
    latencies.sort_unstable();
    Run {
        ok: latencies.len(),
        error,
        elapsed,
        latencies,
        skipped: false,
    }
}
