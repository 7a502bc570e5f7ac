//! The web server's own configuration (`--web.config.file`, Prometheus'
//! exporter-toolkit format): [`config`] reads and checks the file, and
//! keeps it current while the server runs; [`auth`] applies its headers and
//! basic authentication to every request.

pub mod auth;
pub mod config;

pub use auth::{WebGate, gate};
pub use config::{LiveWebConfig, WebConfig};
