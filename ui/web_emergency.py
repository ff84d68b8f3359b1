"""The 「应急指挥」 tab: a district's incidents, resources, cameras and shelters on a map, the
waterlogging drill's dispatch plan as a table and routes, a gauge frame read (and acted on
above the alert line), and the latest tool runs. Only for
the duty officer's key, as the ``/emergency`` endpoints."""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from bots.emergency_drill import run_flood_drill
from bots.gauge_alert import read_gauge_and_act
from kg.emergency_sites import emergency_sites
from kg.errors import CityAgentError
from kg.tool_runs import tool_runs
from ui.emergency_map import render_sites_svg
from ui.services import Services

ALL_CITY = "全市"
_PLAN_COLUMNS = ["资源", "事件（水尺）", "能力", "数量", "行驶时间（分钟）"]


def _message(text: str) -> str:
    return f'<div class="kg-empty">{html.escape(text)}</div>'


def emergency_tab(services: Services) -> None:
    """Add the duty officers' tab to the Blocks being built."""
    store = services.store
    runner = services.tool_runner

    def district_of(choice: str) -> str | None:
        return None if choice == ALL_CITY else choice

    def show(key: str, district: str) -> tuple[str, Any]:
        try:
            services.role_keys.check(key.strip(), "duty_officer")
            sites = emergency_sites(store, district_of(district))
            runs = tool_runs(store, limit=10)
        except CityAgentError as exc:
            return _message(exc.message), pd.DataFrame()
        table = pd.DataFrame([[r.tool_id, r.persona, r.outcome, r.created_at, r.elapsed_ms]
                              for r in runs],
                             columns=["工具", "角色", "结果", "时间", "耗时（毫秒）"])
        return render_sites_svg(sites), table

    def read(key: str, camera: str, image_path: str | None) -> str:
        if not image_path or not camera.strip():
            return "请填写摄像头编号并上传一张水尺画面。"
        try:
            services.role_keys.check(key.strip(), "duty_officer")
            data = base64.b64encode(Path(image_path).read_bytes()).decode("ascii")
            alert = read_gauge_and_act(runner, camera.strip(), data)
        except CityAgentError as exc:
            return f"无法读数：{exc.message}"
        level = alert.reading.output.get("level_cm")
        shown = f"{level:.0f} 厘米" if level is not None else "无法读数"
        return (f"**{alert.gauge_id}** 水位：{shown}（置信度 "
                f"{alert.reading.output.get('confidence', 0):.2f}）\n\n{alert.message}")

    def drill(key: str, district: str) -> tuple[str, Any, str]:
        try:
            services.role_keys.check(key.strip(), "duty_officer")
            sites = emergency_sites(store, district_of(district))
            plan = run_flood_drill(runner, sites, district_of(district))
        except CityAgentError as exc:
            return _message(exc.message), pd.DataFrame(), ""
        output = plan.run.output
        rows = [[a["resource_id"], a["incident_id"], a["kind"], a["units"],
                 round(a["travel_min"], 1)] for a in output["assignments"]]
        routes = [(a["resource_id"], a["incident_id"]) for a in output["assignments"]]
        summary = (f"{output['message']}（方案 {output['objective']:.1f}，基线 "
                   f"{output['baseline_objective']:.1f}，求解 {plan.run.elapsed_ms:.0f} 毫秒，"
                   f"调用记录 {plan.run.run_id}）")
        return (render_sites_svg(plan.sites, routes), pd.DataFrame(rows, columns=_PLAN_COLUMNS),
                summary)

    with gr.Tab("应急指挥", id="emergency"):
        with gr.Row():
            key = gr.Textbox(label="值班角色密钥（X-API-Key）", type="password",
                             elem_id="duty-key", scale=3)
            district = gr.Dropdown(label="区域", value=ALL_CITY, elem_id="duty-district",
                                   choices=[ALL_CITY, "老城区", "滨江区", "江北区", "高新区",
                                            "临湖区", "南山县"], scale=2)
        with gr.Row():
            look = gr.Button("显示态势", elem_id="duty-show")
            go = gr.Button("内涝演练：调度泵车与救援队", variant="primary", elem_id="duty-drill")
        picture = gr.HTML(_message("输入值班密钥后点击「显示态势」。"), elem_id="duty-map")
        summary = gr.Markdown(elem_id="duty-summary")
        plan = gr.Dataframe(label="调度方案", elem_id="duty-plan", wrap=True)
        with gr.Row():
            camera = gr.Textbox(label="摄像头编号", placeholder="如 CAM-01A", elem_id="duty-camera",
                                scale=1)
            frame = gr.Image(label="上传水尺画面", type="filepath", elem_id="duty-frame", scale=2)
            reading = gr.Markdown(elem_id="duty-reading")
        read_button = gr.Button("读取水位", elem_id="duty-read")
        runs = gr.Dataframe(label="最近的工具调用记录", elem_id="duty-runs")
        look.click(show, [key, district], [picture, runs])
        go.click(drill, [key, district], [picture, plan, summary])
        read_button.click(read, [key, camera, frame], reading)
