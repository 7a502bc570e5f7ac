//! Tocsin: a drop-in replacement for the Prometheus Alertmanager.
//!
//! The modules follow Alertmanager's package map. An alert's path through
//! them:
//!
//! 0. `web` reads the request: leniently (request targets as Go's server
//!    reads them) and behind `--web.config.file` (TLS, basic auth).
//! 1. `api` (`POST /api/v2/alerts`) validates it and puts it in the
//!    `store`, which merges it with what it holds and tells its observers:
//!    the `inhibit`or (source alerts), the `dispatch`er, the `state`
//!    database (written each second) and the `history` (queued).
//! 2. `dispatch` routes it through the tree built from `config` (matchers
//!    from `matcher`) into an aggregation group, whose timers
//!    (`group_wait`, `group_interval`, `repeat_interval`) flush the group.
//! 3. Each flush runs the `notify` pipeline: inhibition, time intervals
//!    (`timeinterval`), `silence`s, the wait of this peer's position in the
//!    `cluster`, then for each integration the dedup against the
//!    notification log (`nflog`), the send with retries (one file per
//!    integration under `notify/`, built by `notify::build`, payloads
//!    rendered by `template`; a Slack message gets a chart of the alert's
//!    expression drawn by `graph` from Prometheus), and the log entry
//!    (with what the integration keeps, such as the Slack message's id),
//!    committed to `state` and gossiped by `cluster` to the other peers
//!    (which merge it, as they merge each other's silences). What muted
//!    the alert and every attempt go to the `history`.
//! 4. `api` reads it all back: API v2 from the stores, the history API
//!    from the database, public chart links from `graph`; `metrics` counts
//!    every step.
//!
//! `server` wires the modules into the running process; `cli` holds the
//! flags and the amtool-style subcommands.

pub mod alert;
pub mod api;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod dispatch;
pub mod graph;
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
pub mod ui;
pub mod web;
