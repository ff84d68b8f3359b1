"""Regulators' questions in Chinese → Cypher: templates first, the LLM beyond them, always
through :mod:`kg.cypher_guard`."""
