"""Company-registry ingest: CSV files (one per kind) or one JSON document → the finance graph.

``check`` validates every row first, ``loader`` writes in large idempotent batches; ``rows``
defines the files and their columns, ``sources`` reads them, ``records`` maps rows to the
graph's records.
"""

from ingest.registry.check import RegistryCheck, check_registry
from ingest.registry.issues import RowError
from ingest.registry.loader import RegistryLoadReport, load_registry

__all__ = ["RegistryCheck", "RegistryLoadReport", "RowError", "check_registry", "load_registry"]
