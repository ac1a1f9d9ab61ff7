"""Talk to the chat's MCP endpoint with the real `mcp` Python client, over streamable HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx


def mcp_session(
    url: str, calls: list[tuple[str, dict[str, Any]]], auth: httpx.Auth | None = None
) -> tuple[list, list]:
    """Connect to `url`'s MCP endpoint, list the tools and make `calls`, in one session;
    returns (tools, call results)."""
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async def run() -> tuple[list, list]:
        async with (
            httpx.AsyncClient(auth=auth, timeout=60) as http,
            streamable_http_client(f"{url}/gradio_api/mcp/", http_client=http) as (read, write, _),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            tools = (await session.list_tools()).tools
            results = [await session.call_tool(name, args) for name, args in calls]
            return tools, results

    return asyncio.run(run())
