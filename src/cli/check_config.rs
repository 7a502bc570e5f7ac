//! `tocsin check-config FILE...`: amtool's `check-config`, with its output.

use std::io::Write;
use std::path::Path;

use crate::config::{Config, LoadOptions};

/// Checks each file, writes amtool's report to `out`, and returns how many
/// files failed.
pub fn run(files: &[String], opts: LoadOptions, out: &mut dyn Write) -> std::io::Result<usize> {
    let mut failed = 0;
    for arg in files {
        write!(out, "Checking '{arg}'")?;
        match Config::load_file(Path::new(arg), opts) {
            Err(e) => {
                writeln!(out, "  FAILED: {e}")?;
                failed += 1;
            }
            Ok(cfg) => {
                writeln!(out, "  SUCCESS")?;
                writeln!(out, "Found:")?;
                writeln!(out, " - global config")?;
                writeln!(out, " - route")?;
                writeln!(out, " - {} inhibit rules", cfg.inhibit_rules.len())?;
                writeln!(out, " - {} receivers", cfg.receivers.len())?;
                writeln!(out, " - {} templates", cfg.templates.len())?;
                if !cfg.templates.is_empty() {
                    match check_template_files(&cfg.templates) {
                        Ok(()) => writeln!(out, "  SUCCESS")?,
                        Err(e) => {
                            writeln!(out, "  FAILED: {e}")?;
                            failed += 1;
                        }
                    }
                }
            }
        }
        writeln!(out)?;
    }
    Ok(failed)
}

/// Parses the templates the globs match (a glob that matches nothing is
/// fine), as `amtool check-config` does.
pub fn check_template_files(globs: &[String]) -> Result<(), String> {
    crate::template::AmTemplates::from_globs(globs)
        .map(|_| ())
        .map_err(|e| e.to_string())
}
