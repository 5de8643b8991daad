"""Model Context Protocol tool runtime: a client for remote MCP servers (streamable HTTP or SSE)."""
