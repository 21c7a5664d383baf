//! The jobs running in this server, by progress token and by project: what "Stop run",
//! `window/workDoneProgress/cancel` and shutdown cancel.

use std::path::{Path, PathBuf};
use tokio_util::sync::CancellationToken;

/// A running job.
#[derive(Debug, Clone)]
pub struct Job {
    pub token: String,
    pub root: PathBuf,
    pub title: String,
    pub cancel: CancellationToken,
}

/// The jobs running in this server.
#[derive(Debug, Default)]
pub struct Jobs {
    list: Vec<Job>,
    next: u64,
}

impl Jobs {
    pub fn running_on(&self, root: &Path) -> Option<&Job> {
        self.list.iter().find(|j| j.root == root)
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Cancels the job with this progress token; returns its title.
    pub fn cancel_token(&self, token: &str) -> Option<String> {
        let j = self.list.iter().find(|j| j.token == token)?;
        j.cancel.cancel();
        Some(j.title.clone())
    }

    /// Cancels the job running on `root`; returns its title.
    pub fn cancel_root(&self, root: &Path) -> Option<String> {
        let j = self.running_on(root)?;
        j.cancel.cancel();
        Some(j.title.clone())
    }

    /// Cancels every job (the server is shutting down); returns how many.
    pub fn cancel_all(&self) -> usize {
        for j in &self.list {
            j.cancel.cancel();
        }
        self.list.len()
    }

    pub(super) fn add(
        &mut self,
        root: PathBuf,
        title: String,
        cancel: CancellationToken,
    ) -> String {
        self.next += 1;
        let token = format!("pact-job-{}-{}", std::process::id(), self.next);
        self.list.push(Job {
            token: token.clone(),
            root,
            title,
            cancel,
        });
        token
    }

    pub(super) fn remove(&mut self, token: &str) {
        self.list.retain(|j| j.token != token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_registry_cancels_by_token_and_by_project() {
        let mut jobs = Jobs::default();
        let c = CancellationToken::new();
        let t = jobs.add(PathBuf::from("/p"), "Pact: Build x".into(), c.clone());
        assert_eq!(jobs.cancel_token("nope"), None);
        assert_eq!(jobs.cancel_token(&t).as_deref(), Some("Pact: Build x"));
        assert!(c.is_cancelled());
        assert!(jobs.running_on(Path::new("/p")).is_some());
        jobs.remove(&t);
        assert!(jobs.is_empty());
        assert_eq!(jobs.cancel_root(Path::new("/p")), None);
    }
}
