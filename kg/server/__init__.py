"""The project's own Neo4j server: a Maven-built embedded Neo4j Community with APOC.

:class:`Neo4jServer` builds, starts, stops and reports on it; :func:`connection_settings`
says where the graph is (an external server from ``NEO4J_URI``, else the local one).
"""

from kg.server.manager import (
    JVM_FLAGS,
    LocalServerInfo,
    Neo4jConnection,
    Neo4jServer,
    ServerStatus,
    connection_settings,
    local_connection,
    local_password,
)

__all__ = [
    "JVM_FLAGS",
    "LocalServerInfo",
    "Neo4jConnection",
    "Neo4jServer",
    "ServerStatus",
    "connection_settings",
    "local_connection",
    "local_password",
]
