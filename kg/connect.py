"""Opening the graph the settings describe: an external server, or the project's local one.

One place decides this so the CLI, the service and the tests behave the same: with
``NEO4J_URI`` set nothing is started; otherwise the local server is used, and started when
it is not running yet.
"""

from __future__ import annotations

import logging

from pydantic import BaseModel

from kg.server import Neo4jServer, connection_settings
from kg.settings import Settings
from kg.store import GraphStore

log = logging.getLogger(__name__)


class OpenedGraph(BaseModel):
    """A connected store and whether this call started the local server (and so should stop it)."""

    model_config = {"arbitrary_types_allowed": True}

    store: GraphStore
    started_server: bool


def open_graph(settings: Settings, *, detach: bool = True) -> OpenedGraph:
    """A verified GraphStore on the configured graph, starting the local server if needed.

    ``detach`` says whether a server started here outlives this process (CLI commands) or
    stops with it (``serve``, tests).
    """
    started = False
    if not settings.uses_external_neo4j:
        server = Neo4jServer(settings)
        if not server.status().running:
            log.info("starting the local Neo4j server (data in %s)", settings.neo4j_local_data_dir)
            server.start(detach=detach, auth=True)
            started = True
    store = GraphStore.from_settings(connection_settings(settings), settings)
    try:
        store.verify()
    except Exception:
        store.close()
        raise
    return OpenedGraph(store=store, started_server=started)
