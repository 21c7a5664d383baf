#!/usr/bin/env python3
"""A stand-in for `pact lsp` that tests the Neovim plugin's side of the protocol on its own.

Speaks LSP over stdio like the real server: advertises Pact's commands, publishes an
`unresolved-type` diagnostic for every `"type_ref": "Percentage"` in an open document, answers
`workspace/executeCommand` after reporting work-done progress on a server-created token with one
`window/showMessage` per outcome (a job's end or refusal, validate, status), offers the Build ·
Run tests · Rebuild lenses on contracts, and writes every message it receives to the JSON-lines
file named by FAKE_PACT_LOG.
"""

import json
import os
import sys

COMMANDS = [
    "pact.decompose",
    "pact.runPipeline",
    "pact.build",
    "pact.rebuild",
    "pact.regenerateTests",
    "pact.runTests",
    "pact.validate",
    "pact.status",
    "pact.stop",
]

LOG = os.environ.get("FAKE_PACT_LOG")
stdin = sys.stdin.buffer
stdout = sys.stdout.buffer
next_id = 0


def log(msg):
    if LOG:
        with open(LOG, "a", encoding="utf-8") as f:
            f.write(json.dumps(msg) + "\n")


def send(msg):
    body = json.dumps(msg).encode("utf-8")
    stdout.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    stdout.flush()


def read():
    length = None
    while True:
        line = stdin.readline()
        if not line:
            return None
        line = line.strip()
        if not line:
            break
        name, _, value = line.decode("ascii").partition(":")
        if name.lower() == "content-length":
            length = int(value.strip())
    if length is None:
        return None
    return json.loads(stdin.read(length).decode("utf-8"))


def request(method, params):
    global next_id
    next_id += 1
    send({"jsonrpc": "2.0", "id": "srv-%d" % next_id, "method": method, "params": params})


def notify(method, params):
    send({"jsonrpc": "2.0", "method": method, "params": params})


def diagnostics(uri, text):
    found = []
    for line_no, line in enumerate(text.split("\n")):
        col = line.find('"Percentage"')
        if col >= 0:
            found.append(
                {
                    "range": {
                        "start": {"line": line_no, "character": col},
                        "end": {"line": line_no, "character": col + len('"Percentage"')},
                    },
                    "severity": 1,
                    "code": "unresolved-type",
                    "source": "pact",
                    "message": "type_ref 'Percentage' not defined",
                }
            )
    notify("textDocument/publishDiagnostics", {"uri": uri, "diagnostics": found})


JOBS = {
    "pact.decompose",
    "pact.runPipeline",
    "pact.build",
    "pact.rebuild",
    "pact.regenerateTests",
    "pact.runTests",
}

ERROR, WARNING, INFO = 1, 2, 3


def show(typ, message):
    """The one message per command outcome (the real server's rule)."""
    notify("window/showMessage", {"type": typ, "message": message})


def reply(msg, result):
    send({"jsonrpc": "2.0", "id": msg["id"], "result": result})


def execute(msg):
    params = msg.get("params") or {}
    command = params.get("command")
    args = params.get("arguments") or [{}]
    arg = args[0] if args and isinstance(args[0], dict) else {}
    if command == "pact.validate":
        show(WARNING, "Pact: validation failed: Contract validation failed with 1 error(s) — fake")
        reply(msg, {"passed": False, "reason": "Contract validation failed with 1 error(s)", "details": ["fake"]})
        return
    if command == "pact.status":
        show(INFO, "Pact: wordfreq: phase implement (paused) · spend $0.42 of $10.00")
        reply(msg, {"phase": "implement", "status": "paused", "total_cost_usd": 0.42, "budget": 10.0})
        return
    if command == "pact.stop":
        # A request the server rejects outright: no message from the server, an error answer.
        send({"jsonrpc": "2.0", "id": msg["id"], "error": {"code": -32602, "message": "no run in progress"}})
        return
    if command not in JOBS:
        send({"jsonrpc": "2.0", "id": msg["id"], "error": {"code": -32602, "message": "unknown command"}})
        return
    cid = arg.get("component") or ""
    title = "Pact: %s %s" % (command.split(".")[1], cid)
    if cid == "busy":
        error = "%s did not start: another job holds the project" % title
        show(ERROR, error)
        reply(msg, {"started": False, "error": error})
        return
    token = "fake-%s" % msg["id"]
    request("window/workDoneProgress/create", {"token": token})
    notify("$/progress", {"token": token, "value": {"kind": "begin", "title": title, "cancellable": True}})
    notify("$/progress", {"token": token, "value": {"kind": "report", "message": "halfway", "percentage": 50}})
    if command == "pact.runTests" and cid == "formatter":
        outcome, typ, end = "failed_tests", WARNING, "formatter: 3/4 contract tests pass; failing: test_tc002."
    else:
        outcome, typ, end = "passed", INFO, "finished"
    notify("$/progress", {"token": token, "value": {"kind": "end", "message": end}})
    show(typ, "%s: %s" % (title, end))
    if arg.get("wait"):
        reply(msg, {"outcome": outcome, "token": token, "message": end, "arguments": args})
    else:
        reply(msg, {"started": True, "token": token, "job": token, "title": title, "arguments": args})


def lenses(root, uri):
    """Build · Run tests · Rebuild on the first line of a contract, like the real server."""
    path = uri[len("file://"):] if uri.startswith("file://") else uri
    parts = path.split("/")
    if "contracts" not in parts or not path.endswith("interface.json"):
        return []
    cid = parts[parts.index("contracts") + 1]
    arg = {"project": root, "component": cid}
    where = {"start": {"line": 1, "character": 2}, "end": {"line": 1, "character": 16}}
    return [
        {"range": where, "command": {"title": t, "command": c, "arguments": [arg]}}
        for t, c in (
            ("Build", "pact.build"),
            ("Run tests · 4 tests · 4 passed · 0 failed", "pact.runTests"),
            ("Rebuild", "pact.rebuild"),
        )
    ]


def main():
    docs = {}
    root = None
    while True:
        msg = read()
        if msg is None:
            return
        log(msg)
        method = msg.get("method")
        if method is None:
            continue  # a response to one of our requests
        if method == "initialize":
            root_uri = msg["params"].get("rootUri") or ""
            root = root_uri[len("file://"):] if root_uri.startswith("file://") else root_uri
            send(
                {
                    "jsonrpc": "2.0",
                    "id": msg["id"],
                    "result": {
                        "capabilities": {
                            "textDocumentSync": {"openClose": True, "change": 1, "save": True},
                            "executeCommandProvider": {"commands": COMMANDS},
                            "codeLensProvider": {"resolveProvider": False},
                        },
                        "serverInfo": {"name": "fake-pact", "version": "0"},
                    },
                }
            )
        elif method == "textDocument/didOpen":
            doc = msg["params"]["textDocument"]
            docs[doc["uri"]] = doc["text"]
            diagnostics(doc["uri"], doc["text"])
        elif method == "textDocument/didChange":
            uri = msg["params"]["textDocument"]["uri"]
            docs[uri] = msg["params"]["contentChanges"][-1]["text"]
            diagnostics(uri, docs[uri])
        elif method == "workspace/executeCommand":
            execute(msg)
        elif method == "textDocument/codeLens":
            reply(msg, lenses(root, msg["params"]["textDocument"]["uri"]))
        elif method == "shutdown":
            send({"jsonrpc": "2.0", "id": msg["id"], "result": None})
        elif method == "exit":
            return
        elif "id" in msg:
            send({"jsonrpc": "2.0", "id": msg["id"], "error": {"code": -32601, "message": "unhandled " + method}})


if __name__ == "__main__":
    main()
