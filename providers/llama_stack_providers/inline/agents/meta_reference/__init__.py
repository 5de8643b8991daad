"""inline::meta-reference: the agent loop behind the Agents and Responses APIs."""
