#!/usr/bin/env python3
"""A stand-in for `pact lsp` that tests the Neovim plugin's side of the protocol on its own.

Speaks LSP over stdio like the real server: advertises Pact's commands, publishes an
`unresolved-type` diagnostic for every `"type_ref": "Percentage"` in an open document, answers
`workspace/executeCommand` after reporting work-done progress on a server-created token, and
writes every message it receives to the JSON-lines file named by FAKE_PACT_LOG.
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


def execute(msg):
    params = msg.get("params") or {}
    command = params.get("command")
    args = params.get("arguments") or [{}]
    token = "fake-%s" % msg["id"]
    request("window/workDoneProgress/create", {"token": token})
    notify("$/progress", {"token": token, "value": {"kind": "begin", "title": command, "cancellable": True}})
    notify("$/progress", {"token": token, "value": {"kind": "report", "message": "halfway", "percentage": 50}})
    notify("$/progress", {"token": token, "value": {"kind": "end", "message": "finished"}})
    if command == "pact.validate":
        result = {"passed": False, "reason": "Contract validation failed with 1 error(s)", "details": ["fake"]}
    elif command == "pact.status":
        result = {"phase": "implement", "status": "paused", "total_cost_usd": 0.42, "budget": 10.0}
    elif command == "pact.stop":
        send({"jsonrpc": "2.0", "id": msg["id"], "error": {"code": -32803, "message": "no run in progress"}})
        return
    else:
        result = {"message": "%s started" % command, "arguments": args}
    send({"jsonrpc": "2.0", "id": msg["id"], "result": result})


def main():
    docs = {}
    while True:
        msg = read()
        if msg is None:
            return
        log(msg)
        method = msg.get("method")
        if method is None:
            continue  # a response to one of our requests
        if method == "initialize":
            send(
                {
                    "jsonrpc": "2.0",
                    "id": msg["id"],
                    "result": {
                        "capabilities": {
                            "textDocumentSync": {"openClose": True, "change": 1, "save": True},
                            "executeCommandProvider": {"commands": COMMANDS},
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
        elif method == "shutdown":
            send({"jsonrpc": "2.0", "id": msg["id"], "result": None})
        elif method == "exit":
            return
        elif "id" in msg:
            send({"jsonrpc": "2.0", "id": msg["id"], "error": {"code": -32601, "message": "unhandled " + method}})


if __name__ == "__main__":
    main()
