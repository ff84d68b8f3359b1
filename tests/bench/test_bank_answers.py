"""The bank bot with and without the LLM: how often the LLM's wording passes the guardrails,
how close it stays to the entry's meaning, and what it costs in time.

Every fourth of the demo bank's entries (by id) is asked in its first paraphrase, once by the
bot without an LLM (the entry's text is the reply) and once with the LLM wording the answer
from the entry: the real embedded server (Gemma 3 270M on llama.cpp), or the server of
``CITYAGENT_LLM_BASE_URL`` when set. Retrieval is not what is measured here (the paraphrases
are keys of the index); the wording is: its pass rate, the rules it broke, and the cosine
between the worded reply and the entry's text under the service's encoder. Run with
``make bench`` (or ``pytest -o addopts="" tests/bench/test_bank_answers.py -s``); prints its
figures and writes ``var/bench/bank_answers.json``.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from bots.agents.bank_qa import BankAnswer, BankQABot
from bots.llm_server import LocalLLMServer, connect_llm
from kg.knowledge import read_knowledge
from kg.settings import Settings, get_settings
from kg.store import GraphStore
from retrieval.answer_scorer import load_scorer
from retrieval.encoder import load_encoder
from retrieval.graph_knowledge import item_from_record
from retrieval.knowledge_base import KnowledgeBase
from tests.bench.timing import latency_figures

OUT = Path("var/bench/bank_answers.json")
EVERY = 4
SAMPLES = 5


def _timed(bot: BankQABot, questions: list[str]) -> tuple[list[BankAnswer], list[float]]:
    answers, seconds = [], []
    for question in questions:
        began = time.perf_counter()
        answers.append(bot.ask(question))
        seconds.append(time.perf_counter() - began)
    return answers, seconds


@pytest.mark.timeout(1800)
def test_bank_answers_worded_by_the_llm(demo_graph: GraphStore, tmp_path: Path) -> None:
    records = read_knowledge(demo_graph, domain="银行", today=date(2025, 5, 12))
    items = [item_from_record(r) for r in sorted(records, key=lambda r: r.id)]
    base = KnowledgeBase(load_encoder())
    base.upsert(items)
    asked = [i for i in items[::EVERY] if i.paraphrases]
    questions = [i.paraphrases[0] for i in asked]
    scorer = load_scorer()
    plain, plain_s = _timed(BankQABot.on_knowledge(base, scorer), questions)

    configured = get_settings()
    settings = configured if configured.llm_base_url else Settings(
        var_dir=tmp_path, llm_local_port=0, llm_max_tokens=128, llm_timeout_s=120.0)
    connection = connect_llm(settings, start_local=True)
    try:
        worded, worded_s = _timed(BankQABot.on_knowledge(base, scorer, llm=connection.client),
                                  questions)
    finally:
        if connection.started_local:
            LocalLLMServer(settings).stop()

    answered = [(a, i) for a, i in zip(worded, asked, strict=True) if a.status == "answered"]
    kept = [a for a, _ in answered if a.worded_by_llm]
    problems = Counter(p.split("：")[0] for a, _ in answered for p in a.wording_problems)
    cosines: list[float] = []
    if kept:
        replies = base.encoder.encode_passages([a.reply for a in kept])
        entries = base.encoder.encode_passages([a.answer or "" for a in kept])
        cosines = [float(np.dot(r, e)) for r, e in zip(replies, entries, strict=True)]
    figures = {
        "model": connection.client.model,
        "server": connection.client.base_url,
        "questions": len(questions),
        "answered": len(answered),
        "right_entry": sum(a.source is not None and a.source.entry_id == i.id
                           for a, i in answered),
        "worded_by_llm": len(kept),
        "worded_share": round(len(kept) / len(answered), 3) if answered else 0.0,
        "rejected_for": dict(problems.most_common()),
        "cosine_to_entry": {
            "mean": round(float(np.mean(cosines)), 3) if cosines else None,
            "min": round(min(cosines), 3) if cosines else None,
        },
        "latency_without_llm": latency_figures(plain_s),
        "latency_with_llm": latency_figures(worded_s),
        "same_status_with_and_without_llm": sum(
            a.status == b.status for a, b in zip(plain, worded, strict=True)),
        "samples": [{"question": a.question, "entry": a.answer, "reply": a.reply}
                    for a in kept[:SAMPLES]],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    assert len(worded) == len(questions)
