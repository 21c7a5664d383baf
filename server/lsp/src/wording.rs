//! Words for the client the server talks to. The engine says what to do next as data
//! ([`NextStep`]); a VS Code user is told the palette's names and the Problems view, a Neovim user
//! the plugin's `:Pact…` commands and the quickfix list, any other client the code actions'
//! names (which every client shows) and nothing of either editor's own UI.

use pact_engine::job::NextStep;

/// Which editor is on the other end, from `initialize`'s `clientInfo.name`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Client {
    /// VS Code and its builds (VSCodium, code-server, Cursor…).
    VsCode,
    Neovim,
    #[default]
    Other,
}

impl Client {
    pub fn from_name(name: Option<&str>) -> Self {
        let Some(n) = name.map(str::to_ascii_lowercase) else {
            return Self::Other;
        };
        if n.contains("neovim") || n == "nvim" {
            Self::Neovim
        } else if n.contains("visual studio code")
            || n.contains("vscode")
            || n.contains("vscodium")
            || n.contains("code-server")
            || n.contains("code - oss")
            || n.contains("cursor")
        {
            Self::VsCode
        } else {
            Self::Other
        }
    }

    /// Where the user finds every diagnostic.
    pub fn diagnostics_place(self) -> &'static str {
        match self {
            Self::VsCode => "the Problems view",
            Self::Neovim => "the diagnostics (`:lua vim.diagnostic.setqflist()` lists them)",
            Self::Other => "the diagnostics",
        }
    }

    /// Where the editor's run settings (backend, model, budget) are set.
    fn setting(self, key: &str) -> String {
        match self {
            Self::VsCode => format!("the pact.{key} setting"),
            Self::Neovim => format!("`settings.pact.{key}` in `require('pact').setup{{}}`"),
            Self::Other => format!("the `pact.{key}` setting"),
        }
    }

    /// The name of the command that does `step` in this client.
    fn command(self, vscode: &str, nvim: &str) -> String {
        match self {
            Self::Neovim => format!(":{nvim}"),
            Self::VsCode | Self::Other => vscode.to_string(),
        }
    }

    /// One next step, as a clause that can follow "Next: ".
    pub fn step(self, step: &NextStep) -> String {
        match step {
            NextStep::Decompose => self.command("Pact: Decompose", "PactDecompose"),
            NextStep::RunPipeline => self.command("Pact: Run pipeline", "PactRunPipeline"),
            NextStep::Build { component: Some(c) } => format!(
                "{} on '{c}' (the Build lens on its contract)",
                self.command("Pact: Build component", "PactBuild")
            ),
            NextStep::Build { component: None } => format!(
                "{} on each component (the Build lens on each contract)",
                self.command("Pact: Build component", "PactBuild")
            ),
            NextStep::Rebuild { component } => format!(
                "{} on '{component}'",
                self.command("Pact: Rebuild from contract", "PactRebuild")
            ),
            NextStep::RegenerateTests { component } => format!(
                "{} on '{component}'",
                self.command(
                    "Pact: Regenerate tests from contract",
                    "PactRegenerateTests"
                )
            ),
            NextStep::RunTests { component } => format!(
                "{} on '{component}'",
                self.command("Pact: Run contract tests", "PactRunTests")
            ),
            NextStep::WriteTask => "write what to build in task.md".into(),
            NextStep::Answer => "answer the questions with `pact answer <project>`".into(),
            NextStep::Approve => "accept the assumptions with `pact approve <project>`".into(),
            NextStep::FixDiagnostics => format!("fix what {} show", self.diagnostics_place()),
            NextStep::SeeFailures => "the failing tests are marked in the test file".into(),
            NextStep::SeeHealth => "`pact health` says what needs a person".into(),
            NextStep::RaiseBudget => format!(
                "raise `budget` in pact.yaml (or {})",
                self.setting("budget")
            ),
            NextStep::DisablePlanOnly => "set `plan_only: false` in pact.yaml".into(),
            NextStep::RelaxMutationGate => {
                "lower `mutation_threshold` or set `mutation_gate: false` in pact.yaml".into()
            }
            NextStep::NewRun => "start a new run with `pact run --force-new`".into(),
            NextStep::SetKey { var } => format!(
                "set {var} in the environment the editor starts `pact lsp` from, then restart the server"
            ),
            NextStep::CheckKey { var } => format!("check that {var} holds a valid key"),
            NextStep::ChooseBackend => format!(
                "choose another backend ({} or `backend` in pact.yaml)",
                self.setting("backend")
            ),
            NextStep::InstallRuntime { fix } => fix.trim().to_string(),
            NextStep::FixConfig => "fix pact.yaml".into(),
            NextStep::ListComponents => "`pact components` lists the components".into(),
            NextStep::TryLater => "try again later".into(),
            NextStep::WaitOrStop => format!(
                "wait for it, or stop it ({} stops a job of this editor)",
                self.command("Pact: Stop run", "PactStop")
            ),
            NextStep::Adopt => "adopt the codebase with `pact adopt` in a terminal".to_string(),
        }
    }

    /// "Next: a; or b." for a list of steps ("" when there are none).
    pub fn next(self, steps: &[NextStep]) -> String {
        if steps.is_empty() {
            return String::new();
        }
        let parts: Vec<String> = steps.iter().map(|s| self.step(s)).collect();
        format!(" Next: {}.", parts.join("; or "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every step, as a user of each client reads it.
    fn all_steps() -> Vec<NextStep> {
        let c = || "tokenizer".to_string();
        vec![
            NextStep::Decompose,
            NextStep::RunPipeline,
            NextStep::Build {
                component: Some(c()),
            },
            NextStep::Build { component: None },
            NextStep::Rebuild { component: c() },
            NextStep::RegenerateTests { component: c() },
            NextStep::RunTests { component: c() },
            NextStep::WriteTask,
            NextStep::Answer,
            NextStep::Approve,
            NextStep::FixDiagnostics,
            NextStep::SeeFailures,
            NextStep::SeeHealth,
            NextStep::RaiseBudget,
            NextStep::DisablePlanOnly,
            NextStep::RelaxMutationGate,
            NextStep::NewRun,
            NextStep::SetKey {
                var: "ANTHROPIC_API_KEY".into(),
            },
            NextStep::CheckKey {
                var: "ANTHROPIC_API_KEY".into(),
            },
            NextStep::ChooseBackend,
            NextStep::FixConfig,
            NextStep::ListComponents,
            NextStep::TryLater,
            NextStep::WaitOrStop,
        ]
    }

    /// Words of VS Code's UI that mean nothing in another editor.
    const VSCODE_WORDS: &[&str] = &["Problems view", "Pact: ", "pact.backend setting", "palette"];

    #[test]
    fn a_neovim_user_is_told_neovim_commands() {
        let n = Client::Neovim;
        for s in all_steps() {
            let text = n.step(&s);
            for w in VSCODE_WORDS {
                assert!(!text.contains(w), "{text}");
            }
        }
        assert!(n.step(&NextStep::RunPipeline).contains(":PactRunPipeline"));
        assert!(n.diagnostics_place().contains("setqflist"));
    }

    #[test]
    fn another_client_is_told_neither_editors_ui() {
        let o = Client::Other;
        for s in all_steps() {
            let text = o.step(&s);
            assert!(!text.contains("Problems view"), "{text}");
            assert!(!text.contains(":Pact"), "{text}");
            assert!(!text.contains("setqflist"), "{text}");
        }
    }

    #[test]
    fn clients_by_name() {
        assert_eq!(Client::from_name(Some("Neovim")), Client::Neovim);
        assert_eq!(
            Client::from_name(Some("Visual Studio Code")),
            Client::VsCode
        );
        assert_eq!(Client::from_name(Some("code-server")), Client::VsCode);
        assert_eq!(Client::from_name(Some("helix")), Client::Other);
        assert_eq!(Client::from_name(None), Client::Other);
        assert_eq!(
            Client::VsCode.next(&[NextStep::RunPipeline, NextStep::NewRun]),
            " Next: Pact: Run pipeline; or start a new run with `pact run --force-new`."
        );
    }
}
