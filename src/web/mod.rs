//! The web server's own configuration (`--web.config.file`, Prometheus'
//! exporter-toolkit format): [`config`] reads and checks the file, and
//! keeps it current while the server runs; [`auth`] applies its headers and
//! basic authentication to every request; [`tls`] serves TLS; [`lenient`]
//! lets request targets through that Go accepts and the HTTP parser would not;
//! [`serve`] is the accept loop.

pub mod auth;
pub mod config;
pub mod lenient;
pub mod serve;
pub mod tls;

pub use auth::{WebGate, gate};
pub use config::{LiveWebConfig, WebConfig};
