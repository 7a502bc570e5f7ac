//! HTTP client tests against local servers: headers, authentication,
//! response classification, transport errors, redirects, proxies and TLS
//! (server verification, `server_name`, client certificates).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::*;
use crate::config::http::{
    Authorization, BasicAuth, Header, Headers, ProxyUrl, TlsConfig, TlsVersion,
};
use crate::config::types::Secret;
use crate::notify::testing::{Reply, Sink};
use crate::notify::tls::root_store;

fn client(cfg: &HttpClientConfig) -> HttpClient {
    HttpClient::new(cfg).expect("client builds")
}

fn testdata(name: &str) -> String {
    let p: PathBuf = [env!("CARGO_MANIFEST_DIR"), "src/notify/testdata/tls", name]
        .iter()
        .collect();
    p.to_string_lossy().into_owned()
}

#[test]
fn base64_matches_rfc4648() {
    for (input, want) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
        ("user:pässword", "dXNlcjpww6Rzc3dvcmQ="),
    ] {
        assert_eq!(base64_encode(input.as_bytes()), want, "{input}");
    }
}

#[test]
fn retry_after_values() {
    use chrono::TimeZone;
    let now = chrono::Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
    assert_eq!(
        parse_retry_after("120", now),
        Some(Duration::from_secs(120))
    );
    assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
    assert_eq!(parse_retry_after("0", now), Some(Duration::ZERO));
    assert_eq!(
        parse_retry_after("Fri, 02 Jan 2026 03:05:35 GMT", now),
        Some(Duration::from_secs(90))
    );
    assert_eq!(
        parse_retry_after("Fri, 02 Jan 2026 03:00:00 GMT", now),
        Some(Duration::ZERO)
    );
    assert_eq!(parse_retry_after("-5", now), None);
    assert_eq!(parse_retry_after("soon", now), None);
    assert_eq!(parse_retry_after("", now), None);
}

#[tokio::test]
async fn requests_carry_user_agent_content_type_and_body() {
    let sink = Sink::start().await;
    let c = client(&HttpClientConfig::default());
    let resp = c
        .post(&sink.url("/hook?x=1"), "application/json", b"{}\n".to_vec())
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.check(&[]).await.unwrap();
    let reqs = sink.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.uri.to_string(), "/hook?x=1");
    assert_eq!(r.header("user-agent"), Some(crate::notify::USER_AGENT));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("authorization"), None);
    assert_eq!(&r.body[..], b"{}\n");
}

#[tokio::test]
async fn basic_auth_reads_the_password_file_on_every_request() {
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "  s3cret\n").unwrap();
    let cfg = HttpClientConfig {
        basic_auth: Some(BasicAuth {
            username: "user".into(),
            password_file: pw.to_string_lossy().into_owned(),
            ..BasicAuth::default()
        }),
        ..HttpClientConfig::default()
    };
    let sink = Sink::start().await;
    let c = client(&cfg);
    c.get(&sink.url("/")).await.unwrap();
    std::fs::write(&pw, "rotated").unwrap();
    c.get(&sink.url("/")).await.unwrap();
    let auth: Vec<_> = sink
        .requests()
        .iter()
        .map(|r| r.header("authorization").unwrap().to_string())
        .collect();
    assert_eq!(
        auth,
        [
            format!("Basic {}", base64_encode(b"user:s3cret")),
            format!("Basic {}", base64_encode(b"user:rotated")),
        ]
    );

    std::fs::remove_file(&pw).unwrap();
    let e = c.get(&sink.url("/")).await.unwrap_err();
    assert_eq!(
        e.message,
        format!(
            "Get \"<redacted>\": unable to read basic auth password: unable to read file {p}: open {p}: no such file or directory",
            p = pw.display()
        )
    );
    assert!(e.retryable);
}

#[tokio::test]
async fn authorization_credentials_inline_file_and_legacy_bearer() {
    let dir = tempfile::tempdir().unwrap();
    let cred = dir.path().join("cred");
    std::fs::write(&cred, "from-file\n").unwrap();
    let sink = Sink::start().await;
    let cases = [
        (
            HttpClientConfig {
                authorization: Some(Authorization {
                    kind: "Token".into(),
                    credentials: Secret::new("abc"),
                    ..Authorization::default()
                }),
                ..HttpClientConfig::default()
            },
            "Token abc",
        ),
        (
            HttpClientConfig {
                authorization: Some(Authorization {
                    credentials_file: cred.to_string_lossy().into_owned(),
                    ..Authorization::default()
                }),
                ..HttpClientConfig::default()
            },
            "Bearer from-file",
        ),
        (
            HttpClientConfig {
                bearer_token: Secret::new("legacy"),
                ..HttpClientConfig::default()
            },
            "Bearer legacy",
        ),
    ];
    for (cfg, _) in &cases {
        client(cfg).get(&sink.url("/")).await.unwrap();
    }
    let got: Vec<_> = sink
        .requests()
        .iter()
        .map(|r| r.header("authorization").unwrap().to_string())
        .collect();
    let want: Vec<_> = cases.iter().map(|c| c.1.to_string()).collect();
    assert_eq!(got, want);
}

#[test]
fn secret_references_need_a_manager() {
    let cfg = HttpClientConfig {
        basic_auth: Some(BasicAuth {
            username: "u".into(),
            password_ref: "vault".into(),
            ..BasicAuth::default()
        }),
        ..HttpClientConfig::default()
    };
    assert_eq!(
        HttpClient::new(&cfg).unwrap_err(),
        "unable to use password: cannot use secret ref without manager"
    );
}

#[tokio::test]
async fn an_unreachable_oauth2_token_url_fails_the_request_retryably() {
    let cfg = HttpClientConfig {
        oauth2: Some(crate::config::http::OAuth2 {
            client_id: "id".into(),
            token_url: "http://127.0.0.1:1/token".into(),
            ..Default::default()
        }),
        ..HttpClientConfig::default()
    };
    let sink = Sink::start().await;
    let e = client(&cfg).get(&sink.url("/")).await.unwrap_err();
    assert!(
        e.message
            .starts_with("Get \"<redacted>\": oauth2: cannot fetch token: error sending request"),
        "{}",
        e.message
    );
    assert!(e.message.contains("onnection refused"), "{}", e.message);
    assert!(e.retryable);
    assert!(sink.requests().is_empty());
}

#[tokio::test]
async fn extra_headers_from_values_secrets_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("h");
    std::fs::write(&f, "filed\n").unwrap();
    let mut headers = std::collections::BTreeMap::new();
    headers.insert(
        "X-Team".to_string(),
        Header {
            values: vec!["a".into()],
            secrets: vec![Secret::new("b")],
            files: vec![f.to_string_lossy().into_owned()],
        },
    );
    let cfg = HttpClientConfig {
        http_headers: Some(Headers(headers)),
        ..HttpClientConfig::default()
    };
    let sink = Sink::start().await;
    client(&cfg).get(&sink.url("/")).await.unwrap();
    let r = &sink.requests()[0];
    let values: Vec<_> = r
        .headers
        .get_all("x-team")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(values, ["a", "b", "filed"]);

    std::fs::remove_file(&f).unwrap();
    let e = client(&cfg).get(&sink.url("/")).await.unwrap_err();
    assert_eq!(
        e.message,
        format!(
            "Get \"<redacted>\": unable to read headers file {p}: open {p}: no such file or directory",
            p = f.display()
        )
    );
}

#[tokio::test]
async fn responses_are_classified_like_alertmanager() {
    let sink = Sink::start().await;
    let c = client(&HttpClientConfig::default());
    let check = |codes: &'static [u16]| {
        let c = c.clone();
        let url = sink.url("/");
        async move { c.get(&url).await.unwrap().check(codes).await }
    };

    sink.reply(Reply::status(204));
    assert_eq!(check(&[]).await, Ok(()));

    sink.reply(Reply::status(500).body("oops"));
    let e = check(&[]).await.unwrap_err();
    assert_eq!(e.message, "unexpected status code 500: oops");
    assert!(e.retryable);
    assert_eq!(e.reason, FailureReason::ServerError);
    assert_eq!(e.retry_after, None);

    sink.reply(Reply::status(400).body(r#"{"status":"invalid event"}"#));
    let e = check(&[]).await.unwrap_err();
    assert_eq!(
        e.message,
        r#"unexpected status code 400: {"status":"invalid event"}"#
    );
    assert!(!e.retryable);
    assert_eq!(e.reason, FailureReason::ClientError);

    sink.reply(Reply::status(401));
    let e = check(&[]).await.unwrap_err();
    assert_eq!(e.message, "unexpected status code 401");
    assert_eq!(e.reason, FailureReason::AuthError);

    // 429 is retried only by integrations that list it.
    sink.reply(Reply::status(429).header("retry-after", "30"));
    let e = check(&[]).await.unwrap_err();
    assert!(!e.retryable);
    assert_eq!(e.reason, FailureReason::RateLimited);
    assert_eq!(e.retry_after, Some(Duration::from_secs(30)));
    sink.reply(Reply::status(429));
    assert!(check(&[429]).await.unwrap_err().retryable);

    sink.reply(Reply::status(503).header("retry-after", "2"));
    let e = check(&[]).await.unwrap_err();
    assert!(e.retryable);
    assert_eq!(e.retry_after, Some(Duration::from_secs(2)));

    let long = "x".repeat(MAX_ERROR_BODY * 3);
    sink.reply(Reply::status(502).body(&long));
    let e = check(&[]).await.unwrap_err();
    let prefix = "unexpected status code 502: ";
    assert!(e.message.starts_with(prefix));
    assert!(e.message.ends_with("x…"));
    assert_eq!(e.message.len(), prefix.len() + MAX_ERROR_BODY);
}

#[tokio::test]
async fn connection_refused_is_retryable_and_names_no_url() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = client(&HttpClientConfig::default());
    let e = c
        .post(
            &format!("http://127.0.0.1:{port}/secret-path"),
            "application/json",
            Vec::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        e.message,
        format!("Post \"<redacted>\": dial tcp 127.0.0.1:{port}: connect: connection refused")
    );
    assert!(e.retryable);
    assert_eq!(e.reason, FailureReason::Other);
}

#[tokio::test]
async fn bad_urls_fail_without_leaking_them() {
    let c = client(&HttpClientConfig::default());
    let e = c.get("ftp://user:pw@host/x").await.unwrap_err();
    assert_eq!(
        e.message,
        "Get \"<redacted>\": unsupported protocol scheme \"ftp\""
    );
    let e = c.get("not a url").await.unwrap_err();
    assert_eq!(
        e.message,
        "parse \"<redacted>\": relative URL without a base"
    );
}

#[tokio::test]
async fn redirects_follow_the_configuration() {
    let sink = Sink::start().await;
    let target = sink.url("/target");
    sink.reply(Reply::status(302).header("location", &target));
    client(&HttpClientConfig::default())
        .get(&sink.url("/start"))
        .await
        .unwrap()
        .check(&[])
        .await
        .unwrap();
    let paths: Vec<_> = sink.requests().iter().map(|r| r.uri.to_string()).collect();
    assert_eq!(paths, ["/start", "/target"]);

    let cfg = HttpClientConfig {
        follow_redirects: false,
        ..HttpClientConfig::default()
    };
    sink.reply(Reply::status(302).header("location", &target));
    let e = client(&cfg)
        .get(&sink.url("/start"))
        .await
        .unwrap()
        .check(&[])
        .await
        .unwrap_err();
    assert_eq!(e.message, "unexpected status code 302");
    assert!(!e.retryable);
    assert_eq!(sink.requests().len(), 3);
}

#[tokio::test]
async fn proxy_url_routes_requests_through_the_proxy() {
    // A plain-HTTP proxy receives the absolute URL in the request line.
    let proxy = Sink::start().await;
    let cfg = HttpClientConfig {
        proxy_url: Some(ProxyUrl::parse(&proxy.base).unwrap()),
        ..HttpClientConfig::default()
    };
    client(&cfg)
        .get("http://tocsin.invalid:8080/hook")
        .await
        .unwrap()
        .check(&[])
        .await
        .unwrap();
    let r = &proxy.requests()[0];
    assert_eq!(r.uri.to_string(), "http://tocsin.invalid:8080/hook");
}

/// A blocking TLS server for one request per connection, answering 200;
/// with `client_ca` it demands a client certificate signed by it.
fn tls_server(client_ca: Option<&str>) -> (u16, std::thread::JoinHandle<()>) {
    install_crypto_provider();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(testdata("server.pem"))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(testdata("server.key")).unwrap();
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let roots = root_store(&std::fs::read(ca).unwrap());
            let verifier =
                rustls::server::WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                    .build()
                    .unwrap();
            builder.with_client_cert_verifier(verifier)
        }
    };
    let config = Arc::new(builder.with_single_cert(certs, key).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        // Serve a bounded number of connections, then stop.
        for stream in listener.incoming().take(6) {
            let Ok(tcp) = stream else { continue };
            tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let conn = rustls::ServerConnection::new(config.clone()).unwrap();
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            let mut buf = Vec::new();
            let mut chunk = [0u8; 1024];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match tls.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            if buf.is_empty() {
                continue;
            }
            let _ = tls
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
            let _ = tls.flush();
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    });
    (port, handle)
}

fn tls_cfg(tls: TlsConfig) -> HttpClientConfig {
    HttpClientConfig {
        tls_config: tls,
        ..HttpClientConfig::default()
    }
}

#[tokio::test]
async fn tls_with_ca_file_and_server_name() {
    let (port, _server) = tls_server(None);
    let url = format!("https://127.0.0.1:{port}/");
    let ok = tls_cfg(TlsConfig {
        ca_file: testdata("ca.pem"),
        server_name: "tocsin.test".into(),
        ..TlsConfig::default()
    });
    client(&ok)
        .get(&url)
        .await
        .unwrap()
        .check(&[])
        .await
        .unwrap();

    // Without server_name the certificate does not match 127.0.0.1.
    let wrong_name = tls_cfg(TlsConfig {
        ca_file: testdata("ca.pem"),
        ..TlsConfig::default()
    });
    let e = client(&wrong_name).get(&url).await.unwrap_err();
    assert_eq!(
        e.message,
        "Get \"<redacted>\": tls: failed to verify certificate: invalid peer certificate: \
         certificate not valid for name \"127.0.0.1\"; certificate is only valid for DnsName(\"tocsin.test\")"
    );
    assert!(e.retryable);

    // Not signed by a trusted root.
    let untrusted = tls_cfg(TlsConfig {
        server_name: "tocsin.test".into(),
        ..TlsConfig::default()
    });
    let e = client(&untrusted).get(&url).await.unwrap_err();
    assert_eq!(
        e.message,
        "Get \"<redacted>\": tls: failed to verify certificate: invalid peer certificate: UnknownIssuer"
    );
    // The system roots do not know the test CA either.
    let e = client(&HttpClientConfig::default())
        .get(&url)
        .await
        .unwrap_err();
    assert_eq!(
        e.message,
        "Get \"<redacted>\": tls: failed to verify certificate: invalid peer certificate: UnknownIssuer"
    );

    let insecure = tls_cfg(TlsConfig {
        insecure_skip_verify: true,
        ..TlsConfig::default()
    });
    client(&insecure)
        .get(&url)
        .await
        .unwrap()
        .check(&[])
        .await
        .unwrap();
}

#[tokio::test]
async fn tls_client_certificate() {
    let ca = testdata("ca.pem");
    let (port, _server) = tls_server(Some(&ca));
    let url = format!("https://127.0.0.1:{port}/");
    let with_cert = tls_cfg(TlsConfig {
        ca_file: ca.clone(),
        server_name: "tocsin.test".into(),
        cert_file: testdata("client.pem"),
        key_file: testdata("client.key"),
        ..TlsConfig::default()
    });
    client(&with_cert)
        .get(&url)
        .await
        .unwrap()
        .check(&[])
        .await
        .unwrap();

    let without = tls_cfg(TlsConfig {
        ca_file: ca,
        server_name: "tocsin.test".into(),
        ..TlsConfig::default()
    });
    assert!(client(&without).get(&url).await.is_err());
}

#[test]
fn tls_material_errors_read_like_prometheus_common() {
    let missing = tls_cfg(TlsConfig {
        ca_file: "/nonexistent/ca.pem".into(),
        ..TlsConfig::default()
    });
    assert_eq!(
        HttpClient::new(&missing).unwrap_err(),
        "unable to read CA cert: unable to read file /nonexistent/ca.pem: open /nonexistent/ca.pem: no such file or directory"
    );
    let not_pem = tls_cfg(TlsConfig {
        ca_file: testdata("client.key"),
        ..TlsConfig::default()
    });
    assert_eq!(
        HttpClient::new(&not_pem).unwrap_err(),
        format!(
            "unable to use specified CA cert file {}",
            testdata("client.key")
        )
    );
    let bad_pair = tls_cfg(TlsConfig {
        cert_file: testdata("client.pem"),
        key: Secret::new("garbage"),
        ..TlsConfig::default()
    });
    assert_eq!(
        HttpClient::new(&bad_pair).unwrap_err(),
        format!(
            "unable to use specified client cert (file {}) & key (inline): tls: failed to find any PEM data in key input",
            testdata("client.pem")
        )
    );
    let old = tls_cfg(TlsConfig {
        max_version: Some(TlsVersion::Tls11),
        ..TlsConfig::default()
    });
    assert_eq!(
        HttpClient::new(&old).unwrap_err(),
        "tls_config: only TLS 1.2 and TLS 1.3 are supported"
    );
}

/// A burst to one integration holds at most [`MAX_IN_FLIGHT`] requests
/// open; the rest wait for a slot and all complete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_flight_requests_are_capped_and_all_complete() {
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Default)]
    struct Held {
        now: AtomicUsize,
        most: AtomicUsize,
        release: tokio::sync::Notify,
        released: std::sync::atomic::AtomicBool,
    }
    let held = Arc::new(Held::default());
    let h = held.clone();
    let app = axum::Router::new().fallback(move || {
        let h = h.clone();
        async move {
            let n = h.now.fetch_add(1, Ordering::SeqCst) + 1;
            h.most.fetch_max(n, Ordering::SeqCst);
            while !h.released.load(Ordering::SeqCst) {
                let wait = h.release.notified();
                if h.released.load(Ordering::SeqCst) {
                    break;
                }
                let _ = tokio::time::timeout(std::time::Duration::from_millis(50), wait).await;
            }
            h.now.fetch_sub(1, Ordering::SeqCst);
            "ok"
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let c = client(&HttpClientConfig::default());
    let total = MAX_IN_FLIGHT + 40;
    let sends: Vec<_> = (0..total)
        .map(|_| {
            let (c, url) = (c.clone(), url.clone());
            tokio::spawn(async move {
                let resp = c.post(&url, "application/json", b"{}".to_vec()).await?;
                resp.check(&[]).await
            })
        })
        .collect();
    // Wait (bounded) until the server holds a full set of slots.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while held.now.load(Ordering::SeqCst) < MAX_IN_FLIGHT && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(held.now.load(Ordering::SeqCst), MAX_IN_FLIGHT);
    // The others stay queued.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(held.most.load(Ordering::SeqCst), MAX_IN_FLIGHT);
    held.released.store(true, Ordering::SeqCst);
    held.release.notify_waiters();
    for s in sends {
        s.await.unwrap().expect("every request completes");
    }
    assert_eq!(held.most.load(Ordering::SeqCst), MAX_IN_FLIGHT);
    server.abort();
}
