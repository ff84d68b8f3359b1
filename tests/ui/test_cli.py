"""The ``cityagent`` command line, run as a real process against real Neo4j servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from kg.ontology import CITY_TIMEZONE
from kg.store import GraphStore
from kg.ticket import Ticket, store_tickets

CLI = str(Path(sys.executable).with_name("cityagent"))


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], env=env, capture_output=True, text=True, timeout=600,
                          check=False)


@pytest.fixture()
def external_env(graph: GraphStore, tmp_path: Path) -> dict[str, str]:
    """Environment that points the CLI at the scratch test server through NEO4J_URI."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "CITYAGENT_"))}
    env.update(NEO4J_URI=graph.connection.uri, NEO4J_USER=graph.connection.user,
               NEO4J_PASSWORD=graph.connection.password.get_secret_value()
               if graph.connection.password else "",
               CITYAGENT_VAR_DIR=str(tmp_path / "var"))
    return env


def test_demo_load_is_idempotent_and_counts_print(
    graph: GraphStore, external_env: dict[str, str]
) -> None:
    first = _run(["demo", "load"], external_env)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["counts"]["nodes"]["Department"] >= 40
    second = _run(["demo", "load"], external_env)
    assert json.loads(second.stdout)["counts"] == report["counts"]
    counts = json.loads(_run(["kg", "counts"], external_env).stdout)
    assert counts == report["counts"]
    assert not (Path(external_env["CITYAGENT_VAR_DIR"]) / "neo4j").exists()  # started nothing


def test_export_import_and_bad_files(
    graph: GraphStore, external_env: dict[str, str], tmp_path: Path
) -> None:
    graph.write("CREATE (:Region:District {id: 'R9', name: '测试区'})")
    out = tmp_path / "g.jsonld"
    exported = _run(["kg", "export", "--format", "json-ld", str(out)], external_env)
    assert exported.returncode == 0, exported.stderr
    assert "@context" in out.read_text(encoding="utf-8")
    graph.clear()
    imported = _run(["kg", "import", str(out)], external_env)
    assert imported.returncode == 0 and "imported 1 nodes" in imported.stdout
    bad = tmp_path / "bad.ttl"
    bad.write_text("this is not turtle", encoding="utf-8")
    failed = _run(["kg", "import", str(bad)], external_env)
    assert failed.returncode == 2
    assert "bad.ttl is not valid turtle" in failed.stderr and "Traceback" not in failed.stderr
    assert graph.counts().total_nodes == 1


def test_local_server_start_status_stop(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "CITYAGENT_"))}
    env.update(CITYAGENT_VAR_DIR=str(tmp_path / "var"), CITYAGENT_NEO4J_BOLT_PORT="0")
    assert _run(["neo4j", "status"], env).returncode == 1
    started = _run(["neo4j", "start"], env)
    try:
        assert started.returncode == 0, started.stderr
        assert "Neo4j is running at bolt://127.0.0.1:" in started.stdout
        status = _run(["neo4j", "status"], env)
        assert status.returncode == 0 and "answers" in status.stdout
        password = tmp_path / "var" / "neo4j-password"
        assert password.stat().st_mode & 0o777 == 0o600
    finally:
        stopped = _run(["neo4j", "stop"], env)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert _run(["neo4j", "status"], env).returncode == 1


def test_ingest_needs_a_city_and_topics_build_and_list(
    graph: GraphStore, external_env: dict[str, str], tmp_path: Path
) -> None:
    source = tmp_path / "messages.jsonl"
    source.write_text(json.dumps({"text": "长河路的路灯坏了", "time": "2025/5/10 9:00:00"},
                                 ensure_ascii=False) + "\n", encoding="utf-8")
    empty = _run(["ingest", "messages", str(source)], external_env)
    assert empty.returncode == 2 and "load a city first" in empty.stderr
    missing = _run(["ingest", "messages", str(tmp_path / "none.jsonl")], external_env)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    texts = ["长河路的路灯坏了，晚上一片漆黑", "长河路路灯不亮，请来修路灯",
             "长河路路灯坏了好几天", "长河路路灯晚上不亮很危险"]
    store_tickets(graph, [
        Ticket(id=f"T{k}", call_time=datetime(2025, 5, 10 + k, 9, tzinfo=CITY_TIMEZONE),
               summary=text, transcript=text)
        for k, text in enumerate(texts)
    ])
    built = _run(["topics", "build", "--days", "60", "--until", "2025-06-01"], external_env)
    assert built.returncode == 0, built.stderr
    assert json.loads(built.stdout)["topics"] == 1
    listed = json.loads(_run(["topics", "list"], external_env).stdout)
    assert listed[0]["ticket_count"] == 4 and "路灯" in listed[0]["keywords"]
    bad = _run(["topics", "build", "--until", "昨天"], external_env)
    assert bad.returncode == 2 and "昨天" in bad.stderr and "Traceback" not in bad.stderr


FAQ_CSV = """question,answer,paraphrases,category
借记卡丢了怎么挂失？,请拨打客服热线或到网点办理挂失。,银行卡丢了怎么办|卡片遗失如何冻结,银行卡
跨行转账多久到账？,一般实时到账，最迟次日。,转账到别的银行要多久|跨行汇款几天到,转账
手机银行密码忘了怎么办？,在登录页点击忘记密码重置。,手机银行登录不上忘了密码|找回登录密码,手机银行
,没有问题的答案,,
"""


def test_ingest_faq_then_eval_faq(
    graph: GraphStore, external_env: dict[str, str], tmp_path: Path
) -> None:
    faq = tmp_path / "faq.csv"
    faq.write_text(FAQ_CSV, encoding="utf-8")
    first = _run(["ingest", "faq", str(faq), "--kb", "demo_faq"], external_env)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert (report["imported"], report["skipped"]) == (3, 1)
    assert [e["row"] for e in report["errors"]] == [5]
    again = json.loads(_run(["ingest", "faq", str(faq), "--kb", "demo_faq"], external_env).stdout)
    assert again["new"] == 0
    assert (tmp_path / "var" / "index" / "knowledge" / "manifest.json").is_file()

    questions = tmp_path / "questions.jsonl"
    questions.write_text(
        "\n".join(json.dumps({"question": q, "standard_question": s}, ensure_ascii=False)
                  for q, s in [("我的卡不见了要怎么挂失", "借记卡丢了怎么挂失？"),
                               ("转到外地银行几天能到", "跨行转账多久到账？"),
                               ("信用卡年费多少", "信用卡年费是多少？")]),
        encoding="utf-8",
    )
    evaluated = _run(["eval", "faq", "--kb", str(faq), "--data", str(questions)], external_env)
    assert evaluated.returncode == 0, evaluated.stderr
    figures = json.loads(evaluated.stdout)
    assert (figures["n_questions"], figures["n_unknown"]) == (3, 1)
    assert 0.0 <= figures["top1"] <= figures["top5"] <= 1.0
    assert [p["threshold"] for p in figures["precision_coverage"]][:2] == [0.05, 0.1]

    questions.write_text('{"question": ""}\n', encoding="utf-8")
    bad = _run(["eval", "faq", "--kb", str(faq), "--data", str(questions)], external_env)
    assert bad.returncode == 2 and "questions.jsonl:1" in bad.stderr
