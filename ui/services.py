"""What the API and the web app share: the graph store and the models, loaded once, lazily."""

from __future__ import annotations

import logging
import threading
from functools import cached_property

from kg.errors import CityAgentError, ModelUnavailableError
from kg.store import GraphStore
from nlu.ticket_fill import TicketFiller

log = logging.getLogger(__name__)


class Services:
    """The service's resources; each model loads on first use so start-up stays fast."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store

    def warm_up(self) -> threading.Thread:
        """Load the models in the background, so the first request does not wait for them."""

        def load() -> None:
            try:
                _ = self.ticket_filler
            except CityAgentError as exc:
                log.warning("models not loaded at start-up: %s", exc)

        thread = threading.Thread(target=load, name="warm-up", daemon=True)
        thread.start()
        return thread

    @cached_property
    def ticket_filler(self) -> TicketFiller:
        """The hotline's ticket filler on the graph's regions and routing table."""
        try:
            return TicketFiller.from_store(self.store)
        except OSError as exc:  # a model file missing or unreadable
            raise ModelUnavailableError(f"ticket drafting is unavailable: {exc}") from exc
