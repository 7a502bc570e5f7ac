//! Tocsin: a drop-in replacement for the Prometheus Alertmanager.
//!
//! The modules follow Alertmanager's package map: `config` reads
//! `alertmanager.yml`, `matcher` and `timeinterval` are the building blocks it
//! uses, `dispatch` holds the routing tree, `api` the HTTP endpoints, and
//! `server` wires them into the running process.

pub mod alert;
pub mod api;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod dispatch;
pub mod history;
pub mod inhibit;
pub mod logging;
pub mod maintenance;
pub mod matcher;
pub mod metrics;
pub mod nflog;
pub mod notify;
pub mod server;
pub mod silence;
pub mod state;
pub mod store;
pub mod template;
pub mod timeinterval;
