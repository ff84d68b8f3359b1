"""The demo city's recent hotline messages: drafted into tickets, stored, grouped into topics.

``ticket_history.yaml`` describes recurring problems (a place, several phrasings, how many
citizens raised it and when) and one-off messages. They are dated relative to the load, so
the 「热点」 tab always shows the last weeks, and they go through the same drafting and
storing as live calls and bulk imports. Ids are stable, so a reload updates, never doubles.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from ingest.demo.data_files import DATA_DIR, load_yaml
from ingest.messages import CitizenMessage, store_messages
from kg.errors import DataValidationError
from kg.ontology import CITY_TIMEZONE
from kg.store import GraphStore
from nlu.ticket_fill import TicketFiller
from nlu.topics import TopicBuild, build_topics

HISTORY_FILE = "ticket_history.yaml"
BACKGROUND_DAYS = 30


class HistoryTheme(BaseModel):
    """One recurring problem: how many messages, in which days before the load, and the words."""

    id: str
    count: int = Field(ge=1)
    days: tuple[int, int]
    profile: Literal["rising", "falling", "steady"]
    texts: list[str] = Field(min_length=1)


class TicketHistory(BaseModel):
    """The whole history file."""

    seed: int
    themes: list[HistoryTheme]
    background: list[str]


class HistoryReport(BaseModel):
    """How many demo tickets went in, and the topics found among them."""

    tickets: int
    topics: TopicBuild


def _days_ago(rng: random.Random, theme: HistoryTheme) -> float:
    low, high = theme.days
    draw = rng.random()
    if theme.profile == "rising":  # most messages close to the load
        return low + (high - low) * draw**2
    if theme.profile == "falling":
        return high - (high - low) * draw**2
    return low + (high - low) * draw


def _at(now: datetime, days_ago: float, rng: random.Random) -> datetime:
    day = (now - timedelta(days=days_ago)).replace(hour=rng.randint(8, 21),
                                                   minute=rng.randint(0, 59), second=0,
                                                   microsecond=0)
    return min(day, now)


def demo_history_messages(now: datetime, data_dir: Path = DATA_DIR) -> list[CitizenMessage]:
    """The history's messages dated relative to ``now``, the same every time for one ``now``."""
    try:
        history = TicketHistory.model_validate(load_yaml(data_dir / HISTORY_FILE))
    except ValidationError as exc:
        raise DataValidationError(f"{HISTORY_FILE}: {exc}") from exc
    rng = random.Random(history.seed)
    messages = [
        CitizenMessage(id=f"{theme.id}-{k + 1:02d}", text=theme.texts[k % len(theme.texts)],
                       time=_at(now, _days_ago(rng, theme), rng))
        for theme in history.themes for k in range(theme.count)
    ]
    messages.extend(
        CitizenMessage(id=f"B{k + 1:02d}", text=text,
                       time=_at(now, rng.uniform(0, BACKGROUND_DAYS), rng))
        for k, text in enumerate(history.background)
    )
    return messages


def load_demo_history(store: GraphStore, now: datetime | None = None) -> HistoryReport:
    """Draft and store the demo's recent messages as tickets, then find the hot topics."""
    now = now or datetime.now(CITY_TIMEZONE)
    filler = TicketFiller.from_store(store)
    stored = store_messages(store, filler, demo_history_messages(now), id_prefix="DEMO-")
    return HistoryReport(tickets=stored, topics=build_topics(store, now))
