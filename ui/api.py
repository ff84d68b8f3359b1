"""The FastAPI service: REST endpoints with OpenAPI docs, and the Gradio app mounted at ``/``."""

from __future__ import annotations

from typing import Annotated, cast

import gradio as gr
from fastapi import FastAPI, Path, Query, Request
from fastapi.responses import JSONResponse

from bots.llm import LLMClient
from kg.errors import CityAgentError, NotFoundError
from kg.queries import EntityHit, Subgraph, neighbourhood, search_entities
from kg.store import GraphStore
from ui.assist_api import assist_router
from ui.bank_api import bank_router
from ui.emergency_api import emergency_router
from ui.health import Health, check_health
from ui.risk_api import risk_router
from ui.roles import RoleKeys
from ui.services import Services
from ui.tickets_api import tickets_router
from ui.topics_api import topics_router
from ui.web import build_web_app
from ui.wechat import wechat_router


def _error_response(exc: CityAgentError) -> JSONResponse:
    return JSONResponse(
        status_code=exc.http_status, content={"error": exc.code, "message": exc.message}
    )


class _CitizenResponder:
    """WeChat's responder: the citizen bot, loaded on the first message."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def reply_text(self, session_id: str, text: str) -> str:
        """The citizen bot's answer as text."""
        return self.services.citizen_bot.reply_text(session_id, text)


def create_app(store: GraphStore, llm: LLMClient | None = None,
               role_keys: RoleKeys | None = None) -> FastAPI:
    """The service on ``store``: API routes first, then the web app at ``/``.

    ``llm`` is the bots' LLM; without one they answer from retrieval and templates and say so.
    ``role_keys`` replaces the keys of the settings (:func:`ui.roles.load_role_keys`).
    """
    api = FastAPI(
        title="CityAgent",
        version="0.1.0",
        description="滨江市城市智能体：知识图谱、12345 热线、银行客服、金融监管、应急指挥。",
    )

    @api.exception_handler(CityAgentError)
    async def on_cityagent_error(_: Request, exc: CityAgentError) -> JSONResponse:
        return _error_response(exc)

    @api.get("/health", response_model=Health, tags=["service"])
    def health() -> Health:
        """Whether Neo4j answers, node and relationship counts, and which models are available."""
        return check_health(store, llm)

    @api.get("/api/entities", response_model=list[EntityHit], tags=["graph"])
    def find_entities(
        q: Annotated[
            str, Query(min_length=1, max_length=100, description="名称或简称，可部分匹配")
        ],
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
    ) -> list[EntityHit]:
        """Entities whose name or alias matches ``q``, best first."""
        return search_entities(store, q, limit)

    @api.get("/api/entities/{label}/{key}/neighbourhood", response_model=Subgraph, tags=["graph"])
    def entity_neighbourhood(
        label: Annotated[str, Path(description="本体中的类名，如 Department")],
        key: Annotated[str, Path(description="实体编号")],
        limit: Annotated[int, Query(ge=1, le=500)] = 40,
    ) -> Subgraph:
        """An entity and its direct neighbours."""
        sub = neighbourhood(store, label, key, limit)
        if sub is None:
            raise NotFoundError(f"no {label} with id {key!r}")
        return sub

    services = Services(store, llm, role_keys)
    services.warm_up()
    api.include_router(tickets_router(services))
    api.include_router(topics_router(services))
    api.include_router(assist_router(services))
    api.include_router(bank_router(services))
    api.include_router(risk_router(services, services.role_keys))
    api.include_router(emergency_router(services, services.role_keys))
    api.include_router(wechat_router(_CitizenResponder(services)))
    return cast(FastAPI, gr.mount_gradio_app(api, build_web_app(services), path="/"))
