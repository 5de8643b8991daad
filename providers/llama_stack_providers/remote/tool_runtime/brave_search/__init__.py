"""``remote::brave-search``: the agents' ``builtin::websearch`` tool over the Brave Search API."""
