"""The hotline's ticket filler on the demo city's records, for evaluations without a database."""

from __future__ import annotations

from pathlib import Path

from ingest.demo import government
from ingest.demo.data_files import DATA_DIR
from kg.gazetteer import gazetteer_from_bundle
from kg.routing_table import routing_table_from_bundle
from nlu.category_model import load_category_model
from nlu.router import load_router, sentence_encoder
from nlu.ticket_fill import TicketFiller, ner_entities


def demo_ticket_filler(data_dir: Path = DATA_DIR, learned_categories: bool = True) -> TicketFiller:
    """A ticket filler on the demo city's regions and routing table, with the committed models.

    Without ``learned_categories`` the category text model is left out: fitting it needs a
    filler before the model exists.
    """
    records = government.build(data_dir)
    return TicketFiller(
        gazetteer_from_bundle(records), routing_table_from_bundle(records), load_router(),
        ner_entities, sentence_encoder(), load_category_model() if learned_categories else None,
    )
