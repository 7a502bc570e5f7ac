//! The HTTP server's accept loop, for plain and TLS listeners alike: each
//! connection goes through [`LenientIo`] (request targets as Go reads
//! them), then hyper (HTTP/1 and HTTP/2) with limits no stricter than Go's
//! `net/http`: headers up to 1 MiB in all ([`MAX_HEADER_BYTES`]), at most
//! [`MAX_HEADERS`] of them (hyper's default is 100; a larger bound makes
//! hyper allocate the headers of every request, and 256 keeps that within
//! the ingest benchmark's noise where 1,000 cost 5 %).

use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};

use super::lenient::LenientIo;
use super::tls::LiveTls;

/// Go's `http.DefaultMaxHeaderBytes`, plus the request line.
pub const MAX_HEADER_BYTES: usize = (1 << 20) + 64 * 1024;
/// Headers per request (Go counts only bytes).
pub const MAX_HEADERS: usize = 256;

fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    )
}

/// Serves one connection until it ends or the server stops.
async fn connection<I>(io: I, app: axum::Router, watcher: Watcher, peer: std::net::SocketAddr)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .max_headers(MAX_HEADERS)
        .max_buf_size(MAX_HEADER_BYTES);
    let service = TowerToHyperService::new(app);
    let conn = builder.serve_connection_with_upgrades(TokioIo::new(LenientIo::new(io)), service);
    if let Err(e) = watcher.watch(conn.into_owned()).await {
        tracing::debug!(remote = %peer, err = %e, "connection");
    }
}

/// Serves `app` on `listener` (over TLS with `tls`) until `stop` turns
/// true, then lets the open connections finish (the caller bounds that).
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    tls: Option<Arc<LiveTls>>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.wait_for(|s| *s) => break,
        };
        let (tcp, peer) = match accepted {
            Ok(a) => a,
            Err(e) if is_connection_error(&e) => continue,
            Err(e) => {
                // Out of descriptors, for instance: wait rather than spin.
                tracing::error!(err = %e, "accept error");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let app = app.clone();
        let watcher = graceful.watcher();
        match &tls {
            None => {
                tokio::spawn(connection(tcp, app, watcher, peer));
            }
            Some(tls) => {
                let acceptor = tokio_rustls::TlsAcceptor::from(tls.config());
                tokio::spawn(async move {
                    let handshake =
                        tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await;
                    match handshake {
                        Ok(Ok(stream)) => connection(stream, app, watcher, peer).await,
                        // Go's http.Server logs these to its error log.
                        Ok(Err(e)) => {
                            tracing::debug!(remote = %peer, err = %e, "TLS handshake error")
                        }
                        Err(_) => tracing::debug!(remote = %peer, "TLS handshake timed out"),
                    }
                });
            }
        }
    }
    graceful.shutdown().await;
}
