//! The handlers behind `server::Backend`, by kind (as rust-analyzer's `handlers/request.rs` and
//! `handlers/notification.rs`): `notifications` change state synchronously (before any
//! `.await`, so rapid edits apply in order) and schedule re-checks; `requests` read a project
//! view under the lock, call the feature modules and convert their answers (`convert`). What
//! both need is here: the panic guard, the editor's settings, and a document's project view.

pub mod notifications;
pub mod requests;

use crate::convert::{Conv, Encoding, file_path};
use crate::state::{Shared, guard, lock};
use crate::subject::View;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use tower_lsp_server::ls_types::Uri;

/// Runs a pure feature function; a panic becomes a logged error and an empty answer.
pub(crate) fn guarded<R>(what: &str, f: impl FnOnce() -> R) -> Option<R> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => Some(r),
        Err(e) => {
            let msg = e
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| e.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!("{what} failed: {msg}");
            None
        }
    }
}

/// Runs `f` on the project view of `uri`'s document (refreshed first), under the lock; a panic
/// in `f` is caught (`guarded`) and answers `None`.
pub(crate) fn with_view<R>(
    shared: &Shared,
    what: &str,
    uri: &Uri,
    f: impl FnOnce(&View, &Path, &Conv, Encoding) -> R,
) -> Option<R> {
    let path = file_path(uri)?;
    let mut st = lock(&shared.state);
    let open = st.open_map();
    let enc = st.enc;
    let idx = st.project_for(&path)?;
    let p = &mut st.projects[idx];
    guarded("refresh", || p.refresh(&open));
    let view = View {
        project: p,
        open: &open,
    };
    let text = view.text(&path)?;
    let conv = Conv::new(&text, enc);
    guarded(what, || f(&view, &path, &conv, enc))
}

/// The editor's settings for runs (`initializationOptions.pact`, `settings.pact`), when given.
pub(crate) fn apply_settings(shared: &Shared, settings: Option<crate::jobs::Settings>) {
    let Some(s) = settings else { return };
    crate::logging::set_verbose(s.verbose());
    *guard(&shared.settings) = s;
}
