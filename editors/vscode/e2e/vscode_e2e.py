#!/usr/bin/env python3
"""The extension end to end in a real VS Code: code-server in Chromium, driven by Playwright.

On copies of examples/wordfreq, after `pact run` has taken each copy through the pipeline offline
(its backend replays session.jsonl):

1. A broken contract (fields of undefined types in `formatter`): opened in VS Code, the
   Problems count in the status bar and the Pact status bar item show exactly the errors and
   warnings `pact validate --json` counts for the copy; the palette, the Pact context menu and
   the server's code actions name the commands alike (sentence case); "Pact: Validate project"
   raises exactly one message (the server's, not at info level).
2. A component without its implementation (`formatter`'s removed): the `Build` code lens on its
   contract runs the server's `pact.build`, which ends with "formatter passes N/N contract
   tests" (one message), the implementation is back on disk and the `Run tests` lens shows the
   new results.

Throughout: the **Pact** output channel's log has no server line twice and no stderr line as an
error. Every wait is bounded; code-server listens on 127.0.0.1 only, in a fresh user-data and
extensions directory, and is stopped by its PID (its process group). On failure, screenshots
and logs stay in the temp directory, whose path is printed.

Run it through `e2e/run.sh` (or `npm run test:e2e`), which installs code-server, Chromium and
Playwright if needed, builds `pact` and the .vsix, and calls this with their paths.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import sync_playwright

T0 = time.monotonic()

# The names the palette, the menus, the server's code actions and the README share.
COMMAND_NAMES = [
    "Pact: Decompose",
    "Pact: Run pipeline",
    "Pact: Build component",
    "Pact: Build competitively",
    "Pact: Rebuild from contract",
    "Pact: Regenerate tests from contract",
    "Pact: Run contract tests",
    "Pact: Validate project",
    "Pact: Show status",
    "Pact: Stop run",
]

STATUS_ITEM = "#pact\\.pact-vscode\\.pact\\.status"
PROBLEMS_ITEM = "#status\\.problems"
TOASTS = ".notifications-toasts .notification-toast"


class Failure(Exception):
    pass


def log(msg):
    print(f"[e2e {time.monotonic() - T0:6.1f}s] {msg}", flush=True)


def wait_for(what, check, timeout, interval=0.25):
    """Polls `check` until it returns something truthy; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            value = check()
        except Exception as e:  # noqa: BLE001 - a check may fail while the UI is changing
            value, last_error = None, e
        if value:
            return value
        if time.monotonic() > deadline:
            extra = f" (last error: {last_error})" if last_error else ""
            raise Failure(f"timed out after {timeout:.0f}s waiting for {what}{extra}")
        time.sleep(interval)


def run(cmd, env, timeout, **kw):
    log("$ " + " ".join(str(c) for c in cmd))
    return subprocess.run([str(c) for c in cmd], env=env, timeout=timeout, capture_output=True, text=True, **kw)


# ---- projects -------------------------------------------------------------------------------


def copy_project(src, dst):
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("session.jsonl.lock"))
    return dst


def prepare_projects(args, tmp, env):
    """The example after a full offline run, then the broken and the unbuilt copies."""
    base = copy_project(args.example, tmp / "projects" / "wordfreq")
    shutil.rmtree(base / ".pact", ignore_errors=True)
    r = run([args.pact, "run", base], env, timeout=600)
    if r.returncode != 0:
        raise Failure(f"pact run on the example failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    log("pact run: " + (r.stdout.strip().splitlines() or ["(no output)"])[-1])

    broken = copy_project(base, tmp / "projects" / "broken")
    contract = broken / ".pact" / "contracts" / "formatter" / "interface.json"
    doc = json.loads(contract.read_text())
    struct = next(t for t in doc["types"] if t.get("kind") == "struct")
    struct["fields"] += [
        {"name": "ratio", "type_ref": "Percentage", "required": True},
        {"name": "rank", "type_ref": "Rank", "required": True},
    ]
    contract.write_text(json.dumps(doc, indent=2) + "\n")
    r = run([args.pact, "validate", "--json", broken], env, timeout=120)
    report = json.loads(r.stdout)
    severities = [d["severity"] for d in report["diagnostics"]]
    listed = (severities.count("error"), severities.count("warning"))
    expected = (report.get("errors", listed[0]), report.get("warnings", listed[1]))
    if listed != expected:
        raise Failure(f"pact validate --json counts {expected} (errors, warnings) but lists {listed}")
    log(f"pact validate --json on the broken copy: {expected[0]} error(s), {expected[1]} warning(s)")
    if r.returncode != 1 or expected[0] < 2:
        raise Failure(f"the broken copy should fail validation with 2+ errors: {r.stdout}")

    unbuilt = copy_project(base, tmp / "projects" / "unbuilt")
    shutil.rmtree(unbuilt / ".pact" / "implementations" / "formatter")
    return broken, contract, expected, unbuilt


# ---- code-server ----------------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CodeServer:
    def __init__(self, args, tmp, env):
        self.entry = args.code_server
        self.node = shutil.which("node") or "node"
        self.tmp = tmp
        self.user_data = tmp / "user-data"
        self.extensions = tmp / "extensions"
        self.config = tmp / "code-server.yaml"  # keeps code-server away from ~/.config
        self.log_path = tmp / "code-server.log"
        self.env = env
        self.proc = None
        self.port = None
        (self.user_data / "User").mkdir(parents=True)
        self.extensions.mkdir()
        self.config.write_text("")
        settings = {
            "pact.path": str(args.pact),
            "workbench.startupEditor": "none",
            "workbench.tips.enabled": False,
            "security.workspace.trust.enabled": False,
            "telemetry.telemetryLevel": "off",
            "extensions.ignoreRecommendations": True,
            "extensions.autoCheckUpdates": False,
            "update.mode": "none",
            "git.enabled": False,
            "editor.codeLens": True,
        }
        (self.user_data / "User" / "settings.json").write_text(json.dumps(settings, indent=2))

    def common(self):
        return ["--config", self.config, "--extensions-dir", self.extensions, "--user-data-dir", self.user_data]

    def install(self, vsix):
        r = run([self.node, self.entry, *self.common(), "--install-extension", vsix], self.env, timeout=180)
        if r.returncode != 0 or "successfully installed" not in r.stdout:
            raise Failure(f"installing {vsix} failed:\n{r.stdout}\n{r.stderr}")

    def start(self):
        self.port = free_port()
        out = open(self.log_path, "w")
        cmd = [self.node, self.entry, *self.common(), "--bind-addr", f"127.0.0.1:{self.port}", "--auth", "none",
               "--disable-telemetry", "--disable-update-check", "--disable-workspace-trust",
               "--disable-getting-started-override"]
        log("starting code-server on 127.0.0.1:%d" % self.port)
        self.proc = subprocess.Popen([str(c) for c in cmd], env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                     start_new_session=True)

        def healthy():
            if self.proc.poll() is not None:
                raise Failure(f"code-server exited ({self.proc.returncode}); see {self.log_path}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as r:
                    return r.status == 200
            except OSError:
                return False

        wait_for("code-server to answer", healthy, timeout=60)

    def url(self, folder):
        return f"http://127.0.0.1:{self.port}/?folder={quote(str(folder))}"

    def stop(self):
        """Stops code-server and everything it started (its process group: the extension host,
        `pact lsp`), by its PID."""
        if not self.proc or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        except ProcessLookupError:
            pass

    def pact_logs(self):
        return sorted(self.user_data.glob("logs/*/exthost*/pact.pact-vscode/Pact.log"))


# ---- the UI ---------------------------------------------------------------------------------


class Ui:
    def __init__(self, page, shots):
        self.page = page
        self.shots = shots

    def shot(self, name):
        path = self.shots / f"{name}.png"
        try:
            self.page.screenshot(path=str(path))
            log(f"screenshot: {path}")
        except Exception as e:  # noqa: BLE001
            log(f"no screenshot ({e})")

    def open_folder(self, server, folder):
        self.page.goto(server.url(folder), timeout=60_000)
        self.page.wait_for_selector(".monaco-workbench", timeout=90_000)
        # The extension is active when its status bar item shows.
        self.page.wait_for_selector(STATUS_ITEM, timeout=90_000)
        log(f"VS Code open on {folder}")

    def quick_input(self, keys, text):
        """Opens the quick input with `keys`, types `text`; returns the list's rows."""
        def opened():
            self.page.keyboard.press("Escape")
            self.page.keyboard.press(keys)
            self.page.wait_for_selector(".quick-input-widget input", state="visible", timeout=5000)
            return True

        wait_for(f"the quick input ({keys})", opened, timeout=30, interval=1)
        self.page.keyboard.type(text)

    def open_file(self, path):
        self.quick_input("Control+p", str(path))

        def first_row_is_file():
            row = self.page.locator(".quick-input-list .monaco-list-row").first
            return path.name in (row.get_attribute("aria-label") or "")

        wait_for(f"{path.name} in quick open", first_row_is_file, timeout=30)
        self.page.keyboard.press("Enter")
        wait_for(f"{path} in the editor",
                 lambda: self.page.locator(".monaco-editor .view-lines").first.inner_text().find("component_id") >= 0,
                 timeout=30)
        log(f"opened {path}")

    def palette_names(self, prefix):
        """Every command title the palette offers for `prefix` (the list is virtualized: read it
        name by name)."""
        found = []
        for name in COMMAND_NAMES:
            self.quick_input("F1", name)

            def row():
                for r in self.page.locator(".quick-input-list .monaco-list-row .label-name").all():
                    text = r.text_content() or ""
                    if text == name:
                        return text
                return None

            try:
                found.append(wait_for(f"'{name}' in the palette", row, timeout=10))
            except Failure:
                pass
        self.page.keyboard.press("Escape")
        return found

    def run_command(self, name):
        """Runs a command by its palette name (the row with exactly that name, not just the first)."""
        self.quick_input("F1", name)

        def row():
            for r in self.page.locator(".quick-input-list .monaco-list-row").all():
                if (r.locator(".label-name").first.text_content() or "") == name:
                    return r
            return None

        wait_for(f"'{name}' in the palette", row, timeout=15).click()

    def context_menu(self, submenu):
        """The items of `submenu` in the editor's context menu (right click in the text)."""
        self.page.keyboard.press("Escape")
        self.page.locator(".monaco-editor .view-lines").first.click(button="right", position={"x": 200, "y": 60})
        entry = self.page.locator(".monaco-menu .action-item .action-label", has_text=re.compile(f"^{submenu}$"))
        entry.first.hover(timeout=10_000)

        def items():
            menus = self.page.locator(".monaco-menu")
            if menus.count() < 2:
                return None
            labels = [l.inner_text().strip() for l in menus.last.locator(".action-item .action-label").all()]
            return [l for l in labels if l] or None

        found = wait_for(f"the {submenu} submenu", items, timeout=10)
        self.page.keyboard.press("Escape")
        self.page.keyboard.press("Escape")
        return found

    def source_actions(self):
        """The titles of the source actions at the cursor ("Source Action..." in the palette)."""
        self.page.locator(".monaco-editor .view-lines").first.click(position={"x": 200, "y": 40})
        self.run_command("Source Action...")

        def titles():
            rows = self.page.locator(".action-widget .monaco-list-row").all()
            labels = [(r.get_attribute("aria-label") or r.inner_text()).strip() for r in rows]
            return [l for l in labels if l] or None

        found = wait_for("the source actions", titles, timeout=15)
        self.page.keyboard.press("Escape")
        return found

    def aria(self, selector):
        el = self.page.query_selector(selector)
        return el.get_attribute("aria-label") if el else None

    def problems(self):
        """(errors, warnings) from the Problems item of the status bar ("Errors: 3, Warnings: 5")."""
        label = self.aria(PROBLEMS_ITEM) or ""
        e = re.search(r"Errors: (\d+)", label)
        w = re.search(r"Warnings: (\d+)", label)
        return (int(e.group(1)) if e else 0, int(w.group(1)) if w else 0), label

    def pact_counts(self):
        """(errors, warnings) from the Pact status bar item (its label says them in words)."""
        label = self.aria(STATUS_ITEM) or ""
        m = re.search(r"(\d+) errors?, (\d+) warnings?", label)
        return ((int(m.group(1)), int(m.group(2))) if m else None), label

    def toasts(self):
        return [t.inner_text() for t in self.page.locator(TOASTS).all()]

    def clear_notifications(self):
        self.run_command("Notifications: Clear All Notifications")
        wait_for("no notification", lambda: not self.page.locator(TOASTS).count(), timeout=10)

    def notifications(self):
        """Every notification so far, toasts that hid themselves included (from the notification
        center): [(severity, text)], severity from the icon (info, warning, error)."""
        self.run_command("Notifications: Show Notifications")
        self.page.wait_for_selector(".notifications-center.visible", timeout=10_000)
        out = []
        for item in self.page.locator(".notifications-center .notification-list-item").all():
            icon = item.locator(".notification-list-item-icon").first.get_attribute("class") or ""
            severity = next((s for s in ("error", "warning", "info") if f"codicon-{s}" in icon), "?")
            text = item.locator(".notification-list-item-message").first.inner_text()
            out.append((severity, text))
        self.page.keyboard.press("Escape")  # closes the notification center
        return out

    def lenses(self):
        return [a.inner_text().strip() for a in self.page.locator(".codelens-decoration a").all()]


# ---- the cases ------------------------------------------------------------------------------


def check_broken_contract(ui, server, broken, contract, expected):
    ui.open_folder(server, broken)
    ui.open_file(contract)

    seen = {}

    def counts_match():
        seen["problems"], seen["problems_label"] = ui.problems()
        seen["pact"], seen["pact_label"] = ui.pact_counts()
        return seen["problems"] == expected and seen["pact"] == expected

    try:
        wait_for(f"{expected[0]} error(s) and {expected[1]} warning(s) in the status bar", counts_match, timeout=90)
    except Failure as e:
        raise Failure(f"{e}: Problems item {seen.get('problems_label')!r}, Pact item {seen.get('pact_label')!r}, "
                      f"pact validate --json: {expected}") from None
    # And they stay so (a finding published twice would show up as a later, higher count).
    time.sleep(3)
    if not counts_match():
        raise Failure(f"the counts changed: Problems {seen['problems_label']!r}, Pact {seen['pact_label']!r}")
    log(f"status bar: Problems {seen['problems_label']!r}; Pact {seen['pact_label']!r} "
        f"= pact validate --json {expected}")
    ui.shot("1-broken-contract")

    menu = ui.context_menu("Pact")
    want = ["Pact: Build component", "Pact: Build competitively", "Pact: Rebuild from contract",
            "Pact: Run contract tests", "Pact: Regenerate tests from contract", "Pact: Validate project",
            "Pact: Show status"]
    if menu != want:
        raise Failure(f"the Pact context menu on a contract shows {menu}, not {want}")
    log(f"context menu: {menu}")

    # The server's code actions on a contract: the same names ("(3)": the agents it asks for).
    actions = [re.sub(r" \(\d+\)$", "", a) for a in ui.source_actions() if a.startswith("Pact: ")]
    # (Run contract tests is offered on test files, not on contracts.)
    if actions != [w for w in want if w != "Pact: Run contract tests"]:
        raise Failure(f"the server's code actions on a contract are {actions}, not named as the palette")
    log(f"code actions: {actions}")

    names = ui.palette_names("Pact: ")
    missing = [n for n in COMMAND_NAMES if n not in names]
    if missing:
        raise Failure(f"the palette lacks {missing}")
    log(f"palette: all {len(names)} commands under their names")

    ui.clear_notifications()
    ui.run_command("Pact: Validate project")
    wait_for("the validation message", lambda: any("validation" in t.lower() for t in ui.toasts()), timeout=60)
    ui.shot("2-validate")
    time.sleep(3)  # a second message would have arrived by now
    new = ui.notifications()
    if len(new) != 1 or "validation failed" not in new[0][1].lower():
        raise Failure(f"Validate project should raise exactly one message (the server's), got {new}")
    if new[0][0] == "info":
        raise Failure(f"a failed validation is not news at info level: {new}")
    log(f"validate: one message, {new[0][0]}: {new[0][1].splitlines()[0][:100]!r}…")


def check_build_lens(ui, server, unbuilt):
    contract = unbuilt / ".pact" / "contracts" / "formatter" / "interface.json"
    ui.open_folder(server, unbuilt)
    ui.open_file(contract)
    lenses = wait_for("the Build · Run tests · Rebuild lenses",
                      lambda: (lambda l: l if "Build" in l and "Rebuild" in l else None)(ui.lenses()), timeout=90)
    first = lenses[lenses.index("Build"):][:3]
    if first[0] != "Build" or not first[1].startswith("Run tests ·") or first[2] != "Rebuild":
        raise Failure(f"lenses in the wrong order or with the wrong titles: {lenses}")
    log(f"lenses: {first}")
    ui.shot("3-lenses")

    ui.clear_notifications()
    ui.page.locator(".codelens-decoration a", has_text=re.compile(r"^Build$")).first.click()
    log("clicked Build")

    def outcome():
        for t in ui.toasts():
            if re.search(r"formatter (passes|fails|did not|is up to date|stopped)|"
                                             r"Did not start|failed", t, re.I):
                return t
        return None

    # The first test run on a machine provisions pytest (about 10-60 s); `pact run` did it here.
    text = wait_for("the build's outcome", outcome, timeout=300, interval=0.5)
    ui.shot("4-built")
    log(f"build outcome: {text.splitlines()[0]!r}")
    m = re.search(r"formatter passes (\d+)/(\d+) contract tests", text)
    if not m or m.group(1) != m.group(2) or "not done" in text:
        raise Failure(f"the build did not pass: {text!r}")
    time.sleep(2)
    outcomes = ui.notifications()
    if len(outcomes) != 1 or outcomes[0][0] != "info":
        raise Failure(f"one message (info) per outcome, got {outcomes}")
    src = unbuilt / ".pact" / "implementations" / "formatter" / "src"
    if not any(src.glob("*.py")):
        raise Failure(f"no implementation in {src} after the build")
    total = m.group(2)
    wait_for(f"the Run tests lens to show {total} passed", lambda: any(
        l.startswith("Run tests ·") and f"{total} passed · 0 failed" in l for l in ui.lenses()), timeout=60)
    log(f"Run tests lens: {[l for l in ui.lenses() if l.startswith('Run tests')][0]!r}")


def check_log_once(server):
    """Each server line once in the Pact channel, and no stderr line as an error."""
    files = server.pact_logs()
    if not files:
        raise Failure("no Pact output channel log was written")
    problems = []
    for f in files:
        seen = {}
        for line in f.read_text().splitlines():
            m = re.match(r"^\S+ \S+ \[(\w+)\] (.*)$", line)
            if not m:
                continue
            level, text = m.groups()
            if re.search(r"^\s*\d{4}-\d\d-\d\dT\S+\s+(INFO|WARN|ERROR|DEBUG|TRACE)\b", text):
                problems.append(f"{f.name}: a stderr line in the channel: {line}")
            seen.setdefault(text, set()).add(level)
        problems += [f"{f.name}: {text!r} at levels {sorted(levels)}" for text, levels in seen.items() if len(levels) > 1]
    if problems:
        raise Failure("the Pact channel repeats server lines:\n" + "\n".join(problems))
    log(f"Pact output channel: {sum(len(f.read_text().splitlines()) for f in files)} lines, none twice")


# ---- main -----------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--code-server", type=Path, required=True, help="code-server's out/node/entry.js")
    ap.add_argument("--pact", type=Path, required=True, help="the pact binary")
    ap.add_argument("--vsix", type=Path, required=True)
    ap.add_argument("--example", type=Path, required=True, help="examples/wordfreq")
    ap.add_argument("--chromium", default=os.environ.get("CHROMIUM") or shutil.which("chromium")
                    or shutil.which("chromium-browser"))
    ap.add_argument("--keep", action="store_true", help="keep the temp directory after a pass")
    args = ap.parse_args()
    for name in ("code_server", "pact", "vsix", "example"):
        p = getattr(args, name).resolve()
        if not p.exists():
            sys.exit(f"e2e: {p} does not exist")
        setattr(args, name, p)
    if not args.chromium:
        sys.exit("e2e: no chromium on PATH (install-code-server.sh installs it)")

    tmp = Path(tempfile.mkdtemp(prefix="pact-vscode-e2e-"))
    shots = tmp / "screenshots"
    shots.mkdir()
    env = dict(os.environ)
    env.pop("PACT_BACKEND", None)  # the example's own backend: replay
    env["PACT_CACHE_DIR"] = os.environ.get("PACT_E2E_CACHE_DIR") or str(tmp / "pact-cache")
    log(f"temp dir {tmp}")

    server = CodeServer(args, tmp, env)
    ok = False
    ui = None
    step = "setup"
    try:
        broken, contract, expected, unbuilt = prepare_projects(args, tmp, env)
        server.install(args.vsix)
        server.start()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=args.chromium,
                headless=True,
                args=["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [],
            )
            try:
                page = browser.new_page(viewport={"width": 1600, "height": 1000})
                page.set_default_timeout(30_000)
                ui = Ui(page, shots)
                step = "broken contract"
                check_broken_contract(ui, server, broken, contract, expected)
                step = "build lens"
                check_build_lens(ui, server, unbuilt)
                step = "output channel"
                check_log_once(server)
                ok = True
            except Exception:
                if ui:
                    ui.shot(f"failure-{step.replace(' ', '-')}")
                raise
            finally:
                browser.close()
    except Exception as e:  # noqa: BLE001
        log(f"FAILED in {step}: {e}")
        if not isinstance(e, Failure):
            traceback.print_exc()
    finally:
        server.stop()
    took = time.monotonic() - T0
    if ok:
        log(f"PASSED in {took:.0f}s")
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        return 0
    for f in server.pact_logs():
        log(f"--- {f}\n{f.read_text()[-4000:]}")
    if server.log_path.exists():
        log(f"--- {server.log_path}\n{server.log_path.read_text()[-3000:]}")
    log(f"FAILED after {took:.0f}s; screenshots and logs in {tmp}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
