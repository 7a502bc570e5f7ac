//! The configuration file: Alertmanager's `alertmanager.yml` schema, defaults,
//! inheritance from `global`, and validation with Alertmanager's messages.
//!
//! Loading is two steps, as in Alertmanager: a strict YAML decode into the
//! structs of this module (unknown fields are errors), then the checks that
//! span several parts of the file (receiver names, global fallbacks, the
//! root route, time interval references).

pub mod coordinator;
pub mod event_recorder;
pub mod global;
pub mod http;
pub mod inhibit;
pub mod notifiers;
pub mod receiver;
pub mod route;
pub mod tracing;
pub mod types;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use global::GlobalConfig;
pub use inhibit::InhibitRule;
pub use receiver::Receiver;
pub use route::Route;

use crate::matcher::compat::ParseMode;
use crate::timeinterval::NamedTimeInterval;
use types::{go_quote, null_default};

/// The embedded default configuration, used when no `--config.file` is given
/// and there is no `alertmanager.yml` in the working directory.
pub const EMBEDDED_DEFAULT: &str = include_str!("../../configs/default.yml");

/// The whole configuration file.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Always present after loading (defaults when the file has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global: Option<GlobalConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<Route>,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub inhibit_rules: Vec<InhibitRule>,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub receivers: Vec<Receiver>,
    #[serde(default, deserialize_with = "null_default")]
    pub templates: Vec<String>,
    /// Deprecated alias of `time_intervals`; the two share one namespace.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub mute_time_intervals: Vec<Option<NamedTimeInterval>>,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub time_intervals: Vec<Option<NamedTimeInterval>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracing: Option<tracing::TracingConfig>,
    #[serde(
        default,
        skip_serializing_if = "event_recorder::EventRecorderConfig::is_empty"
    )]
    pub event_recorder: event_recorder::EventRecorderConfig,

    /// The text the configuration was loaded from.
    #[serde(skip)]
    pub original: String,
    /// Warnings the matcher parser raised while loading (fallback mode).
    #[serde(skip)]
    pub warnings: Vec<String>,
    /// The notification templates (built-ins plus `templates:`), parsed by
    /// [`Config::load_templates`].
    #[serde(skip)]
    pub parsed_templates: Option<ParsedTemplates>,
}

/// Parsed notification templates, shared by everything built from one
/// configuration.
#[derive(Clone)]
pub struct ParsedTemplates(pub std::sync::Arc<crate::template::AmTemplates>);

impl std::fmt::Debug for ParsedTemplates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ParsedTemplates")
    }
}

/// How a configuration file is read.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// Which matcher parser(s) to use, from `--enable-feature`.
    pub matcher_mode: ParseMode,
}

/// A configuration that could not be loaded, with a message that names the
/// problem (and its line and column for YAML errors).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl From<String> for ConfigError {
    fn from(s: String) -> Self {
        ConfigError(s)
    }
}

fn yaml_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        with_snippet: false,
        strict_booleans: false,
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
        budget: Some(yaml_budget()),
    }
}

/// Bounds on a configuration file, far above what Alertmanager is given
/// (prometheus-operator generates files of several megabytes with tens of
/// thousands of routes from many AlertmanagerConfig resources), named in
/// the error when one is reached ([`YAML_LIMITS`]).
fn yaml_budget() -> serde_saphyr::Budget {
    let mut b = serde_saphyr::Budget::default();
    b.max_reader_input_bytes = Some(1 << 30);
    b.max_events = 100_000_000;
    b.max_nodes = 50_000_000;
    b.max_total_scalar_bytes = 1 << 30;
    b
}

/// [`yaml_budget`], as the error names it.
const YAML_LIMITS: &str = "Tocsin's limits on a configuration file are 1 GiB, 50,000,000 YAML nodes, 100,000,000 parser events and a nesting depth of 64";

/// The YAML error of a configuration, naming the limit when one was
/// reached.
fn yaml_error(e: impl std::fmt::Display) -> ConfigError {
    let text = e.to_string();
    if text.contains("budget breached") {
        ConfigError(format!("yaml: {text} ({YAML_LIMITS})"))
    } else {
        ConfigError(format!("yaml: {text}"))
    }
}

/// Whether a YAML document has no content at all (only blank lines, comments
/// and document markers), which Go's decoder reads as an empty config.
fn is_empty_document(s: &str) -> bool {
    s.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#') || t == "---" || t == "..."
    })
}

impl Config {
    /// Parses and validates a configuration from YAML text.
    pub fn load(text: &str, opts: LoadOptions) -> Result<Config, ConfigError> {
        let mut cfg: Config = if is_empty_document(text) {
            Config::default()
        } else {
            serde_saphyr::from_str_with_options(text, yaml_options()).map_err(yaml_error)?
        };
        cfg.validate(opts.matcher_mode)?;
        if cfg.route.is_none() {
            return Err(ConfigError("no route provided in config".into()));
        }
        if cfg.route.as_ref().is_some_and(|r| r.continue_matching) {
            return Err(ConfigError("cannot have continue in root route".into()));
        }
        cfg.original = text.to_string();
        Ok(cfg)
    }

    /// Reads, parses and validates a configuration file, resolving relative
    /// paths in it against the file's directory.
    pub fn load_file(path: &Path, opts: LoadOptions) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("open {}: {}", path.display(), io_error_text(&e))))?;
        let mut cfg = Config::load(&text, opts)?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        cfg.resolve_paths(&dir);
        Ok(cfg)
    }

    /// Parses the notification templates (the built-ins, then the files the
    /// `templates:` globs match), failing as Alertmanager does.
    pub fn load_templates(&mut self) -> Result<(), ConfigError> {
        let t = crate::template::AmTemplates::from_globs(&self.templates)
            .map_err(|e| ConfigError(format!("failed to parse templates: {e}")))?;
        self.parsed_templates = Some(ParsedTemplates(std::sync::Arc::new(t)));
        Ok(())
    }

    /// The parsed templates (the built-ins when none were loaded).
    pub fn templates(&self) -> std::sync::Arc<crate::template::AmTemplates> {
        match &self.parsed_templates {
            Some(t) => t.0.clone(),
            None => std::sync::Arc::new(crate::template::AmTemplates::builtin()),
        }
    }

    /// The configuration re-marshalled as YAML, with defaults filled in and
    /// secrets masked (what `/api/v2/status` shows as `config.original`).
    pub fn to_yaml(&self) -> String {
        let opts = serde_saphyr::ser_options! {
            prefer_block_scalars: false,
        };
        serde_saphyr::to_string_with_options(self, opts)
            .unwrap_or_else(|e| format!("<error creating config string: {e}>"))
    }

    /// The global section (defaults when the file had none).
    pub fn global(&self) -> &GlobalConfig {
        self.global
            .as_ref()
            .expect("a loaded configuration always has a global section")
    }

    /// The root route (always present in a loaded configuration).
    pub fn root_route(&self) -> &Route {
        self.route
            .as_ref()
            .expect("a loaded configuration always has a root route")
    }

    /// Every named time interval of both lists.
    pub fn named_time_intervals(&self) -> impl Iterator<Item = &NamedTimeInterval> {
        self.mute_time_intervals
            .iter()
            .chain(self.time_intervals.iter())
            .flatten()
    }

    fn validate(&mut self, mode: ParseMode) -> Result<(), ConfigError> {
        // Checks Go makes while decoding the individual sections.
        if let Some(route) = &mut self.route {
            route.validate(mode, &mut self.warnings)?;
        }
        for rule in &mut self.inhibit_rules {
            rule.validate(mode, &mut self.warnings)?;
        }
        for r in &self.receivers {
            if r.name.is_empty() {
                return Err(ConfigError("missing name in receiver".into()));
            }
        }
        // A null list entry decodes to an empty value without the name check,
        // as in Go's decoder.
        if self
            .mute_time_intervals
            .iter()
            .flatten()
            .any(|t| t.name.is_empty())
        {
            return Err(ConfigError("missing name in mute time interval".into()));
        }
        if self
            .time_intervals
            .iter()
            .flatten()
            .any(|t| t.name.is_empty())
        {
            return Err(ConfigError("missing name in time interval".into()));
        }
        if let Some(t) = &self.tracing {
            t.validate()?;
        }
        self.event_recorder.validate()?;

        // Checks across sections, in Alertmanager's order.
        let global = self.global.get_or_insert_with(GlobalConfig::default);
        global.validate()?;
        let mut names = HashSet::new();
        for r in &mut self.receivers {
            if !names.insert(r.name.clone()) {
                return Err(ConfigError(format!(
                    "notification config name {} is not unique",
                    go_quote(&r.name)
                )));
            }
            r.resolve(global)?;
        }

        let Some(route) = &self.route else {
            return Ok(());
        };
        if route.receiver.is_empty() {
            return Err(ConfigError(
                "root route must specify a default receiver".into(),
            ));
        }
        if route.has_matchers() {
            return Err(ConfigError("root route must not have any matchers".into()));
        }
        if !route.mute_time_intervals.is_empty() {
            return Err(ConfigError(
                "root route must not have any mute time intervals".into(),
            ));
        }
        if !route.active_time_intervals.is_empty() {
            return Err(ConfigError(
                "root route must not have any active time intervals".into(),
            ));
        }
        check_receivers(route, &names)?;

        let mut ti_names = HashSet::new();
        for ti in &self.mute_time_intervals {
            let name = interval_name(ti);
            if !ti_names.insert(name) {
                return Err(ConfigError(format!(
                    "mute time interval {} is not unique",
                    go_quote(name)
                )));
            }
        }
        for ti in &self.time_intervals {
            let name = interval_name(ti);
            if !ti_names.insert(name) {
                return Err(ConfigError(format!(
                    "time interval {} is not unique",
                    go_quote(name)
                )));
            }
        }
        check_time_intervals(route, &ti_names)?;
        Ok(())
    }

    /// Joins every relative path in the configuration to `dir`.
    pub fn resolve_paths(&mut self, dir: &Path) {
        for t in &mut self.templates {
            *t = join_path(dir, t);
        }
        if let Some(g) = &mut self.global {
            g.resolve_paths(dir);
        }
        for r in &mut self.receivers {
            r.resolve_paths(dir);
        }
        if let Some(t) = &mut self.tracing {
            t.resolve_paths(dir);
        }
        self.event_recorder.resolve_paths(dir);
    }
}

/// Joins a relative, non-empty path to `dir`, as Go's `filepath.Join` would.
pub fn join_path(dir: &Path, p: &str) -> String {
    if p.is_empty() || Path::new(p).is_absolute() {
        return p.to_string();
    }
    let joined: PathBuf = dir.join(p);
    joined.to_string_lossy().into_owned()
}

/// The text Go prints for common I/O errors (`no such file or directory`).
pub fn io_error_text(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::IsADirectory => "is a directory".to_string(),
        _ => e.to_string(),
    }
}

/// The name of a time interval list entry (a null entry has the empty name).
fn interval_name(t: &Option<NamedTimeInterval>) -> &str {
    t.as_ref().map_or("", |t| t.name.as_str())
}

fn check_receivers(route: &Route, names: &HashSet<String>) -> Result<(), ConfigError> {
    for child in &route.routes {
        check_receivers(child, names)?;
    }
    if !route.receiver.is_empty() && !names.contains(&route.receiver) {
        return Err(ConfigError(format!(
            "undefined receiver {} used in route",
            go_quote(&route.receiver)
        )));
    }
    Ok(())
}

fn check_time_intervals(route: &Route, names: &HashSet<&str>) -> Result<(), ConfigError> {
    for child in &route.routes {
        check_time_intervals(child, names)?;
    }
    for ti in route
        .active_time_intervals
        .iter()
        .chain(route.mute_time_intervals.iter())
    {
        if !names.contains(ti.as_str()) {
            return Err(ConfigError(format!(
                "undefined time interval {} used in route",
                go_quote(ti)
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
