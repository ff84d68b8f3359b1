"""Pure-logic tests of the demo city's emergency graph and its tools (no database needed)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from ingest.demo import emergency, finance, government, tools
from kg.errors import DataValidationError
from kg.records import GraphBundle
from tests.ingest.support import assert_valid, by_label, copy_data, edges

RESOURCE_LABELS = ("PumpStation", "Shelter", "Team", "Vehicle")
SENSOR_LABELS = ("Camera", "WaterGauge")
# The demo city box (regions.yaml): about 40 x 40 km around lat 30.2, lon 120.2.
LAT_RANGE = (30.02, 30.38)
LON_RANGE = (120.00, 120.40)


@pytest.fixture(scope="module")
def bundle() -> GraphBundle:
    return emergency.build(emergency.DATA_DIR)


@pytest.fixture(scope="module")
def tool_bundle(bundle: GraphBundle) -> GraphBundle:
    return tools.build(tools.DATA_DIR, [bundle, finance.build(finance.DATA_DIR)])


@pytest.fixture(scope="module")
def government_bundle() -> GraphBundle:
    return government.build(government.DATA_DIR)


# -- ontology and integrity -------------------------------------------------------------
@pytest.mark.parametrize("which", ["emergency", "tools"])
def test_every_node_and_relationship_validates(which: str, bundle: GraphBundle,
                                               tool_bundle: GraphBundle) -> None:
    checked = bundle if which == "emergency" else tool_bundle
    assert_valid(checked)


def test_ids_are_unique_across_the_demo_city(bundle: GraphBundle, tool_bundle: GraphBundle,
                                             government_bundle: GraphBundle) -> None:
    everything = [*bundle.nodes, *tool_bundle.nodes, *government_bundle.nodes,
                  *finance.build(finance.DATA_DIR).nodes]
    counts = Counter(str(n.properties["id"]) for n in everything)
    assert [node_id for node_id, n in counts.items() if n > 1] == []


def test_every_relationship_endpoint_exists(bundle: GraphBundle, tool_bundle: GraphBundle,
                                            government_bundle: GraphBundle) -> None:
    """Endpoints of the emergency and tool edges exist in the combined demo city."""
    everything = [*bundle.nodes, *tool_bundle.nodes, *government_bundle.nodes,
                  *finance.build(finance.DATA_DIR).nodes]
    known = {(n.label, str(n.properties["id"])) for n in everything}
    for rel in [*bundle.relationships, *tool_bundle.relationships]:
        assert (rel.start.label, rel.start.key) in known, rel
        assert (rel.end.label, rel.end.key) in known, rel


def test_no_duplicate_relationships(bundle: GraphBundle, tool_bundle: GraphBundle) -> None:
    counts = Counter((r.type, r.start.key, r.end.key)
                     for r in [*bundle.relationships, *tool_bundle.relationships])
    assert [key for key, n in counts.items() if n > 1] == []


def test_counts(bundle: GraphBundle) -> None:
    labels = Counter(n.label for n in bundle.nodes)
    assert labels["HazardType"] >= 8
    assert labels["Plan"] >= 3
    assert labels["PumpStation"] >= 20
    assert labels["Shelter"] >= 15
    assert labels["Team"] >= 12
    assert labels["Vehicle"] >= 15
    assert labels["Camera"] >= 30
    assert labels["WaterGauge"] >= 20


def test_build_is_deterministic(bundle: GraphBundle, tmp_path: Path) -> None:
    assert emergency.build(copy_data(tmp_path)) == bundle
    assert tools.build(tmp_path / "data") == tools.build()


# -- content ----------------------------------------------------------------------------
def test_hazards_have_keywords_and_the_core_ones_exist(bundle: GraphBundle) -> None:
    hazards = {h.properties["name"]: h for h in by_label(bundle, "HazardType")}
    for name in ("内涝", "火灾", "地震", "台风", "交通事故", "危化品泄漏", "食物中毒", "山体滑坡"):
        assert hazards[name].properties["keywords"], name
    assert hazards["内涝"].properties["id"] == "H01"


def test_plans_cover_hazards_and_have_an_issuer(bundle: GraphBundle,
                                                government_bundle: GraphBundle) -> None:
    departments = {d.properties["id"] for d in by_label(government_bundle, "Department")}
    covers = defaultdict(set)
    for plan, hazard in edges(bundle, "COVERS"):
        covers[plan].add(hazard)
    issuer = dict(edges(bundle, "ISSUED_BY"))
    for plan in by_label(bundle, "Plan"):
        pid = plan.properties["id"]
        assert covers[pid], pid
        assert issuer[pid] in departments, pid
    covered = set().union(*covers.values())
    assert {h.properties["id"] for h in by_label(bundle, "HazardType")} == covered


def test_resources_and_sensors_are_placed_and_owned(bundle: GraphBundle) -> None:
    located = defaultdict(list)
    for rel in bundle.relationships:
        if rel.type == "LOCATED_IN":
            located[rel.start.key].append(rel.end.label)
    owners = Counter(end for _, end in edges(bundle, "RESPONSIBLE_FOR"))
    for node in by_label(bundle, *RESOURCE_LABELS, *SENSOR_LABELS, "Location"):
        props = node.properties
        assert located[props["id"]] in (["Street"], ["Community"]), props["id"]
        assert owners[props["id"]] == 1, props["id"]
        assert LAT_RANGE[0] <= props["lat"] <= LAT_RANGE[1], props["id"]
        assert LON_RANGE[0] <= props["lon"] <= LON_RANGE[1], props["id"]


def test_capacities_and_units(bundle: GraphBundle) -> None:
    units = {"PumpStation": "m³/h", "Shelter": "人", "Team": "人"}
    for node in by_label(bundle, *RESOURCE_LABELS):
        assert node.properties["capacity"] > 0, node
        if node.label in units:
            assert node.properties["capacity_unit"] == units[node.label], node
        else:
            assert node.properties["capacity_unit"], node
    kinds = {t.properties["kind"] for t in by_label(bundle, "Team")}
    assert {"消防", "排涝", "医疗", "电力抢修"} <= kinds


def test_cameras_observe_gauges_at_flood_prone_spots(bundle: GraphBundle) -> None:
    labels = {str(n.properties["id"]): n.label for n in bundle.nodes}
    watched = defaultdict(set)
    for camera, target in edges(bundle, "OBSERVES"):
        assert labels[camera] == "Camera"
        watched[labels[target]].add(target)
    gauges = {g.properties["id"] for g in by_label(bundle, "WaterGauge")}
    assert watched["WaterGauge"] == gauges
    spots = by_label(bundle, "Location")
    assert watched["Location"] == {s.properties["id"] for s in spots}
    kinds = Counter(s.properties["kind"] for s in spots)
    assert kinds["下穿隧道"] >= 3 and kinds["低洼路段"] >= 3
    for gauge in by_label(bundle, "WaterGauge"):
        assert gauge.properties["warning_level_cm"] > 0


# -- tools ------------------------------------------------------------------------------
def _applies(tool_bundle: GraphBundle, tool_id: str) -> set[str]:
    return {end for start, end in edges(tool_bundle, "APPLIES_TO") if start == tool_id}


def test_tools_are_complete(tool_bundle: GraphBundle) -> None:
    found = {t.properties["name"]: t.properties for t in by_label(tool_bundle, "Tool")}
    assert set(found) == {"水尺读数识别", "烟火识别", "区域入侵检测", "排涝泵车与救援队调度",
                          "避难场所疏散分配", "工单派发均衡", "投资组合优化", "银企融资匹配"}
    operated = {end for _, end in edges(tool_bundle, "OPERATES")}
    for props in found.values():
        assert props["id"].startswith("T-")
        assert props["kind"] in ("perception", "optimisation")
        for key in ("input_schema", "output_schema"):
            assert json.loads(props[key])["type"] == "object"
        assert ":" in props["entrypoint"] and props["entrypoint"].startswith("bots.tools.")
        assert props["id"] in operated
        assert _applies(tool_bundle, props["id"])


def test_tools_apply_to_the_right_nodes(bundle: GraphBundle, tool_bundle: GraphBundle) -> None:
    fin = finance.build(finance.DATA_DIR)
    by_name = {t.properties["name"]: t.properties["id"] for t in by_label(tool_bundle, "Tool")}
    gauge_cameras = {c for c, g in edges(bundle, "OBSERVES") if g.startswith("WG-")}
    assert gauge_cameras <= _applies(tool_bundle, by_name["水尺读数识别"])
    cameras = {c.properties["id"] for c in by_label(bundle, "Camera")}
    assert _applies(tool_bundle, by_name["烟火识别"]) == cameras
    assert _applies(tool_bundle, by_name["区域入侵检测"]) < cameras
    dispatch = _applies(tool_bundle, by_name["排涝泵车与救援队调度"])
    assert "H01" in dispatch
    assert {p.properties["id"] for p in by_label(bundle, "PumpStation")} <= dispatch
    shelters = {s.properties["id"] for s in by_label(bundle, "Shelter")}
    assert _applies(tool_bundle, by_name["避难场所疏散分配"]) == shelters
    filed = {f.properties["id"] for f in by_label(fin, "Fund") if "filing_code" in f.properties}
    portfolio = _applies(tool_bundle, by_name["投资组合优化"])
    assert filed <= portfolio
    assert not set(finance.planted_patterns()["fake_private_fund"]) & portfolio
    loans = {p.properties["id"] for p in by_label(fin, "LoanProduct")}
    assert _applies(tool_bundle, by_name["银企融资匹配"]) == loans


def test_tools_build_without_bundles_matches(tool_bundle: GraphBundle) -> None:
    assert tools.build(tools.DATA_DIR) == tool_bundle


# -- malformed data ---------------------------------------------------------------------
def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(("file", "old", "new", "names"), [
    ("emergency.yaml", "{id: PS-07, name: 新城排涝泵站, region: 新城街道, capacity: 10800, ",
     "{id: PS-07, name: 新城排涝泵站, region: 新城街道, ", ("emergency.yaml", "PS-07", "capacity")),
    ("emergency.yaml", "region: 长河社区, address: 滨江区长河路立交桥下",
     "region: 不存在社区, address: 滨江区长河路立交桥下",
     ("emergency.yaml", "LF-08", "不存在社区")),
    ("emergency.yaml", "    department: 滨江市消防救援支队\n    issued_on: 2023-11-09",
     "    department: 滨江市消防局\n    issued_on: 2023-11-09",
     ("emergency.yaml", "PLAN-03", "滨江市消防局")),
    ("emergency.yaml", "    covers: [H06]\n", "    covers: [H99]\n",
     ("emergency.yaml", "PLAN-04", "H99")),
    ("emergency.yaml", "{id: TM-03, name: 高新区消防救援站", "{id: TM-02, name: 高新区消防救援站",
     ("emergency.yaml", "TM-02", "duplicate")),
])
def test_malformed_entry_names_file_and_entry(tmp_path: Path, file: str, old: str, new: str,
                                              names: tuple[str, ...]) -> None:
    data_dir = copy_data(tmp_path)
    _edit(data_dir / file, old, new)
    with pytest.raises(DataValidationError) as caught:
        emergency.build(data_dir)
    for name in names:
        assert name in str(caught.value)


@pytest.mark.parametrize(("old", "new", "names"), [
    ("    kind: perception\n    description: 从摄像头画面",
     "    kind: vision\n    description: 从摄像头画面",
     ("tools.yaml", "T-PERC-WATER-GAUGE", "kind")),
    ("      - {label: Shelter}\n", "      - {label: Shelter, kind: 不存在}\n",
     ("tools.yaml", "T-OPT-EVACUATION", "matches no node")),
    ("    entrypoint: bots.tools.optimisation.tools:optimise_portfolio\n",
     "    entrypoint: bots.tools.optimisation.tools\n", ("tools.yaml", "T-OPT-PORTFOLIO")),
    ("    operators: [滨江市应急管理局]\n", "    operators: [滨江市不存在局]\n",
     ("tools.yaml", "T-OPT-EVACUATION", "滨江市不存在局")),
])
def test_malformed_tool_names_file_and_tool(tmp_path: Path, bundle: GraphBundle, old: str,
                                            new: str, names: tuple[str, ...]) -> None:
    data_dir = copy_data(tmp_path)
    _edit(data_dir / "tools.yaml", old, new)
    with pytest.raises(DataValidationError) as caught:
        tools.build(data_dir, [bundle, finance.build(finance.DATA_DIR)])
    for name in names:
        assert name in str(caught.value)


def test_missing_file_is_reported(tmp_path: Path) -> None:
    data_dir = copy_data(tmp_path)
    (data_dir / "emergency.yaml").unlink()
    with pytest.raises(DataValidationError, match=r"emergency\.yaml"):
        emergency.build(data_dir)
