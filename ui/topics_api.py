"""REST endpoints of hot topics: list the stored topics, rebuild them from the tickets."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from kg.topic import StoredTopic, list_topics
from nlu.topics import TopicBuild, TopicSettings, build_topics
from ui.services import Services


class RebuildRequest(BaseModel):
    """Which window to find topics in; the defaults are the last 30 days."""

    window_days: int = Field(default=30, ge=1, le=3660, description="统计窗口（天）")
    until: datetime | None = Field(default=None, description="窗口截止时间，默认为当前时间")
    min_tickets: int = Field(default=3, ge=2, le=1000, description="成为热点的最少工单数")


def topics_router(services: Services) -> APIRouter:
    """The /topics endpoints."""
    router = APIRouter(prefix="/topics", tags=["hotline"])
    store = services.store

    @router.get("", response_model=list[StoredTopic])
    def read_topics(
        district: Annotated[str | None, Query(max_length=40, description="只看某区，如 滨江区")]
        = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 20,
    ) -> list[StoredTopic]:
        """Hot topics, hottest first: count, trend, places, sample tickets and daily counts."""
        return list_topics(store, district=district or None, limit=limit)

    @router.post("/rebuild", response_model=TopicBuild)
    def rebuild_topics(request: RebuildRequest) -> TopicBuild:
        """Cluster the tickets of the window again and replace the stored topics."""
        settings = TopicSettings(window_days=request.window_days, min_tickets=request.min_tickets)
        return build_topics(store, request.until, settings)

    return router
