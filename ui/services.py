"""What the API and the web app share: the graph store and the models, loaded once, lazily."""

from __future__ import annotations

from functools import cached_property

from kg.errors import ModelUnavailableError
from kg.store import GraphStore
from nlu.ticket_fill import TicketFiller


class Services:
    """The service's resources; each model loads on first use so start-up stays fast."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store

    @cached_property
    def ticket_filler(self) -> TicketFiller:
        """The hotline's ticket filler on the graph's regions and routing table."""
        try:
            return TicketFiller.from_store(self.store)
        except OSError as exc:  # a model file missing or unreadable
            raise ModelUnavailableError(f"ticket drafting is unavailable: {exc}") from exc
