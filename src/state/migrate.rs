//! Migration from Alertmanager: on the first start on a `--storage.path`
//! that holds Alertmanager's `silences` and `nflog` snapshot files, their
//! contents are merged into the stores (and so into the database) once, and
//! the import is recorded so that it never runs again.

use std::path::Path;

use super::StateDb;
use super::import::{read_nflog, read_silences};
use crate::nflog::NotificationLog;
use crate::silence::Silences;

/// The `meta` key recording the import.
const IMPORTED: &str = "alertmanager_import";

/// Imports `<dir>/silences` and `<dir>/nflog` unless done before. A file
/// that cannot be read or decoded is an error (Alertmanager does not start
/// on one either); a missing file is nothing to import.
pub fn import_alertmanager_once(
    db: &StateDb,
    dir: &Path,
    silences: &Silences,
    nflog: &NotificationLog,
) -> Result<(), String> {
    let (sil_path, nflog_path) = (dir.join("silences"), dir.join("nflog"));
    if !sil_path.exists() && !nflog_path.exists() {
        return Ok(());
    }
    if let Some(done) = db.meta(IMPORTED)? {
        tracing::debug!(done, "Alertmanager state files already imported");
        return Ok(());
    }
    let now = chrono::Utc::now();
    let (mut n_sil, mut n_nflog, mut skipped) = (0, 0, 0);
    if sil_path.exists() {
        for s in read_silences(&sil_path).map_err(|e| e.to_string())? {
            // Merging keeps ids, times and authors; silences whose
            // retention is over are left out, as Alertmanager's GC would.
            if silences.merge(s, now).map_err(|e| e.to_string())? {
                n_sil += 1;
            } else {
                skipped += 1;
            }
        }
    }
    if nflog_path.exists() {
        for e in read_nflog(&nflog_path).map_err(|e| e.to_string())? {
            if nflog.merge(e, now) {
                n_nflog += 1;
            } else {
                skipped += 1;
            }
        }
    }
    let summary = format!(
        "{} silences={n_sil} nflog={n_nflog} skipped={skipped}",
        now.to_rfc3339()
    );
    db.set_meta(IMPORTED, &summary)?;
    tracing::info!(
        silences = n_sil,
        nflog_entries = n_nflog,
        skipped_expired = skipped,
        dir = %dir.display(),
        "Imported Alertmanager state files"
    );
    Ok(())
}
