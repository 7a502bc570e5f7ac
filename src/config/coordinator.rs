//! Loads the configuration and reloads it on request (`/-/reload`, SIGHUP),
//! keeping the running configuration when a new one is invalid.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::{Mutex, watch};

use super::{Config, ConfigError, EMBEDDED_DEFAULT, LoadOptions};

/// Where the configuration comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    File(PathBuf),
    /// The embedded default (no file given and none in the working directory).
    Embedded,
}

impl Source {
    /// Chooses the source as the server does: the flag if given, else
    /// `alertmanager.yml` if it exists in the working directory, else the
    /// embedded default.
    pub fn choose(flag: Option<&str>) -> Source {
        match flag {
            Some(f) => Source::File(PathBuf::from(f)),
            None if std::path::Path::new("alertmanager.yml").exists() => {
                Source::File(PathBuf::from("alertmanager.yml"))
            }
            None => Source::Embedded,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Source::File(p) => p.display().to_string(),
            Source::Embedded => "<embedded default>".to_string(),
        }
    }
}

/// Called after every reload attempt with its outcome (the new configuration
/// or the error). For a new configuration the hook puts it in force, or
/// refuses it with an error (then the reload fails and the old one stays).
pub type ReloadHook =
    Box<dyn Fn(&Result<Arc<Config>, ConfigError>) -> Result<(), ConfigError> + Send + Sync>;

/// Owns the current configuration and publishes every successful load.
pub struct Coordinator {
    source: Source,
    opts: LoadOptions,
    current: watch::Sender<Arc<Config>>,
    reload_lock: Mutex<()>,
    hooks: std::sync::RwLock<Vec<ReloadHook>>,
}

impl Coordinator {
    /// Loads the configuration once; fails when it is invalid.
    pub fn load(source: Source, opts: LoadOptions) -> Result<Coordinator, ConfigError> {
        let cfg = Self::read(&source, opts)?;
        let (current, _) = watch::channel(Arc::new(cfg));
        Ok(Coordinator {
            source,
            opts,
            current,
            reload_lock: Mutex::new(()),
            hooks: std::sync::RwLock::new(Vec::new()),
        })
    }

    fn read(source: &Source, opts: LoadOptions) -> Result<Config, ConfigError> {
        let mut cfg = match source {
            Source::File(p) => Config::load_file(p, opts)?,
            Source::Embedded => Config::load(EMBEDDED_DEFAULT, opts)?,
        };
        cfg.load_templates()?;
        for w in &cfg.warnings {
            tracing::warn!(source = %source.describe(), "{w}");
        }
        Ok(cfg)
    }

    /// The configuration in force.
    pub fn current(&self) -> Arc<Config> {
        self.current.borrow().clone()
    }

    /// Registers a hook run after every reload attempt.
    pub fn on_reload(&self, hook: ReloadHook) {
        self.hooks
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(hook);
    }

    fn run_hooks(&self, outcome: &Result<Arc<Config>, ConfigError>) -> Result<(), ConfigError> {
        for h in self.hooks.read().unwrap_or_else(|e| e.into_inner()).iter() {
            h(outcome)?;
        }
        Ok(())
    }

    /// A receiver that sees every configuration that takes effect.
    pub fn subscribe(&self) -> watch::Receiver<Arc<Config>> {
        self.current.subscribe()
    }

    pub fn source(&self) -> &Source {
        &self.source
    }

    /// Re-reads the configuration. On error the running one stays in force
    /// and the error is returned.
    pub async fn reload(&self) -> Result<(), ConfigError> {
        let _guard = self.reload_lock.lock().await;
        tracing::info!(file = %self.source.describe(), "Loading configuration file");
        match Self::read(&self.source, self.opts) {
            Ok(cfg) => {
                let cfg = Arc::new(cfg);
                if let Err(e) = self.run_hooks(&Ok(cfg.clone())) {
                    tracing::error!(file = %self.source.describe(), err = %e, "Loading configuration file failed");
                    let _ = self.run_hooks(&Err(e.clone()));
                    return Err(e);
                }
                self.current.send_replace(cfg);
                tracing::info!(file = %self.source.describe(), "Completed loading of configuration file");
                Ok(())
            }
            Err(e) => {
                tracing::error!(file = %self.source.describe(), err = %e, "Loading configuration file failed");
                let outcome = Err(e);
                let _ = self.run_hooks(&outcome);
                outcome.map(|_| ())
            }
        }
    }
}
