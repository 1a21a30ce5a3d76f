//! Hot reload: changes on disk under `APPS_DIR` reported to a callback.

use std::path::{Path, PathBuf};

/// Watches `dir` recursively and calls `changed` (on the tokio runtime) for
/// every created, removed or modified path. The watch lasts as long as the
/// returned watcher; `None` when the platform refuses it (logged).
pub fn watch(
  dir: &Path,
  changed: impl Fn(&Path) -> bool + Send + 'static,
) -> Option<notify::RecommendedWatcher> {
  use notify::event::{EventKind, ModifyKind};
  use notify::Watcher;
  let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<PathBuf>();
  let handler = move |event: notify::Result<notify::Event>| {
    let Ok(event) = event else { return };
    let relevant = match event.kind {
      EventKind::Create(_) | EventKind::Remove(_) => true,
      EventKind::Modify(ModifyKind::Metadata(_)) => false,
      EventKind::Modify(_) => true,
      _ => false,
    };
    if relevant {
      for path in event.paths {
        let _ = tx.send(path);
      }
    }
  };
  let watcher = notify::recommended_watcher(handler).and_then(|mut watcher| {
    watcher.watch(dir, notify::RecursiveMode::Recursive)?;
    Ok(watcher)
  });
  let watcher = match watcher {
    Ok(watcher) => watcher,
    Err(err) => {
      tracing::warn!("cannot watch {} for changes: {err}", dir.display());
      return None;
    }
  };
  // `changed` answers false once whoever listens is gone.
  tokio::spawn(async move {
    while let Some(path) = rx.recv().await {
      if !changed(&path) {
        return;
      }
    }
  });
  Some(watcher)
}
