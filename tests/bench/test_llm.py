"""The local LLM on this CPU: start-up, first-token latency, tokens per second, and how
often its rewrite of a hotline reply passes the guardrails.

Runs the real embedded server (Gemma 3 270M on llama.cpp, `bots/llm_server.py`), or the
server of ``CITYAGENT_LLM_BASE_URL`` when set (e.g. vLLM on a GPU). Run with ``make bench``
(or ``pytest -o addopts="" tests/bench/test_llm.py -s``); prints its figures and writes
``var/bench/llm.json``.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest

from bots.agents.hotline_assist import SYSTEM_PROMPT
from bots.guardrails import rewrite_problems
from bots.llm import ChatTurn
from bots.llm_server import LocalLLMServer, connect_llm
from kg.settings import Settings, get_settings
from tests.bench.timing import latency_figures

log = logging.getLogger(__name__)
OUT = Path("var/bench/llm.json")
QUESTIONS = [
    "请用一句话介绍滨江市。",
    "公积金提取需要准备哪些材料？",
    "小区门口的路灯坏了应该找哪个部门？",
    "信用卡逾期了会有什么影响？",
    "夏天防汛要注意什么？",
    "孩子上小学怎么报名？",
]
DRAFTS = [
    "您好，您反映的“长河街道路灯不亮”问题，按照《滨江市城市照明管理办法》[1]，由滨江区城市管理局"
    "（联系电话0579-86300001）负责办理，一般在24小时内修复[1]。工单已转办，请保持电话畅通。",
    "您好，您反映的“夜间施工噪音扰民”问题，夜间22时至次日6时禁止产生噪声的建筑施工作业[1]，"
    "已转市生态环境局（联系电话12369）核查处理。感谢您对我们工作的理解和支持。",
    "您好，关于公积金提取，您可携带身份证和相关证明材料到公积金中心办理[1]，也可在线上办理[2]。",
]


@pytest.mark.timeout(1800)
def test_local_llm_latency_and_guardrail_pass_rate(tmp_path: Path) -> None:
    configured = get_settings()
    settings = configured if configured.llm_base_url else Settings(
        var_dir=tmp_path, llm_local_port=0, llm_max_tokens=128, llm_timeout_s=120.0)
    began = time.perf_counter()
    connection = connect_llm(settings, start_local=True)
    startup_s = time.perf_counter() - began
    client = connection.client
    try:
        first, total, rates = [], [], []
        for question in QUESTIONS:
            answer = client.complete([ChatTurn(role="user", content=question)])
            first.append(answer.first_token_s)
            total.append(answer.total_s)
            generating = answer.total_s - answer.first_token_s
            if answer.pieces > 1 and generating > 0:
                rates.append((answer.pieces - 1) / generating)
        passed, problems = 0, []
        for draft in DRAFTS:
            rewrite = client.complete([ChatTurn(role="system", content=SYSTEM_PROMPT),
                                       ChatTurn(role="user", content=f"回复草稿：\n{draft}")])
            found = rewrite_problems(rewrite.text, draft)
            passed += not found
            problems.append(found)
    finally:
        if connection.started_local:
            LocalLLMServer(settings).stop()
    figures = {
        "server": client.base_url,
        "model": client.model,
        "startup_s": round(startup_s, 2),
        "answers": len(QUESTIONS),
        "first_token": latency_figures(first),
        "full_answer": latency_figures(total),
        "tokens_per_s_median": round(sorted(rates)[len(rates) // 2], 1) if rates else None,
        "rewrites": len(DRAFTS),
        "rewrites_passing_guardrails": passed,
        "rewrite_problems": problems,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    assert len(first) == len(QUESTIONS)
