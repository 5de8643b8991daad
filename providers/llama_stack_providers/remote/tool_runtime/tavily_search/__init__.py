"""``remote::tavily-search``: the agents' ``builtin::websearch`` tool over the Tavily Search API."""
