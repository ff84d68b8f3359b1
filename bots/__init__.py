"""The bots: the LLM client, persona agents and the graph-linked tools they call."""
