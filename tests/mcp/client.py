"""Drives `pact mcp` with the official MCP Python SDK's client (not ours) over stdio and prints
what it saw as one JSON object; tests/mcp.rs makes the assertions.

    python client.py PACT_BIN EXAMPLE_DIR BROKEN_DIR HOSTILE_DIR
"""

import asyncio
import json
import sys

import anyio
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


def structured(result):
    return {
        "is_error": bool(result.is_error),
        "structured": result.structured_content,
        "text": [c.text for c in result.content if getattr(c, "text", None) is not None],
    }


async def main(pact, example, broken, hostile):
    out = {}
    params = StdioServerParameters(command=pact, args=["mcp", example])
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            out["server"] = init.server_info.name
            tools = await session.list_tools()
            out["tools"] = {
                t.name: {"input": t.input_schema, "output": t.output_schema}
                for t in tools.tools
            }

            # The gate on a broken reference project, and one scoped to a file.
            r = await session.call_tool("validate", {"project": broken})
            out["validate"] = structured(r)
            r = await session.call_tool(
                "validate",
                {"project": broken, "file": ".pact/contracts/counter/interface.json"},
            )
            out["validate_file"] = structured(r)
            out["explain"] = structured(await session.call_tool("explain", {"code": "unresolved-type"}))
            out["explain_unknown"] = structured(await session.call_tool("explain", {"code": "unresolved-typo"}))
            out["missing_project"] = structured(
                await session.call_tool("status", {"project": "/nonexistent/pact-project"})
            )
            # A component id that climbs out of .pact/contracts, and a contract that is a FIFO.
            out["contract_outside"] = structured(
                await session.call_tool("contract", {"project": broken, "component": "../../etc"})
            )
            out["contract_fifo"] = structured(
                await session.call_tool("contract", {"project": hostile, "component": "counter"})
            )

            # Decompose the offline example (replay backend), with progress.
            progress = []

            async def on_progress(p, total, message):
                progress.append(message)

            r = await session.call_tool("decompose", {}, progress_callback=on_progress)
            out["decompose"] = structured(r)
            out["decompose_progress"] = list(progress)
            out["components"] = structured(await session.call_tool("components", {}))

            # Build one component; while it runs, a second job tool call is refused.
            progress.clear()
            running = anyio.Event()

            async def on_build_progress(p, total, message):
                progress.append(message)
                running.set()

            results = {}

            async def first():
                results["build"] = await session.call_tool(
                    "build", {"component": "tokenizer"}, progress_callback=on_build_progress
                )

            async with anyio.create_task_group() as tg:
                tg.start_soon(first)
                await running.wait()
                results["second"] = await session.call_tool("build", {"component": "formatter"})
            out["build"] = structured(results["build"])
            out["build_progress"] = list(progress)
            out["second"] = structured(results["second"])
            out["contract"] = structured(await session.call_tool("contract", {"component": "tokenizer"}))
            out["run_tests"] = structured(await session.call_tool("run_tests", {"component": "tokenizer"}))

            # Cancel a rebuild once it runs: the job stops and the project is free again.
            started = anyio.Event()

            async def on_rebuild_progress(p, total, message):
                started.set()

            async def rebuild(scope_holder):
                with anyio.CancelScope() as scope:
                    scope_holder.append(scope)
                    await session.call_tool(
                        "rebuild", {"component": "formatter"}, progress_callback=on_rebuild_progress
                    )
                    out["rebuild_finished"] = True

            holder = []
            async with anyio.create_task_group() as tg:
                tg.start_soon(rebuild, holder)
                await started.wait()
                holder[0].cancel()
            out["rebuild_cancelled"] = "rebuild_finished" not in out
            # The server stops the job on the cancellation; the lock goes with it.
            for _ in range(300):
                s = structured(await session.call_tool("status", {}))
                if s["structured"] and s["structured"].get("holder") is None:
                    break
                await anyio.sleep(0.1)
            out["status_after_cancel"] = s

            res = await session.list_resources()
            out["resources"] = [r.uri for r in res.resources]
            uri = next((u for u in out["resources"] if str(u).endswith("/contracts/tokenizer")), None)
            if uri is not None:
                rr = await session.read_resource(uri)
                out["resource_text"] = rr.contents[0].text
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    anyio.run(main, sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4])
