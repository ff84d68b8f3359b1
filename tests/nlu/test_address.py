"""Address normalisation against the demo city 「滨江市」 (pure: no database)."""

from __future__ import annotations

import json
from typing import NamedTuple

import pytest

from ingest.demo import government
from kg.gazetteer import Gazetteer, gazetteer_from_bundle
from nlu.address import AddressMatch, find_address_spans, normalise_address


class Case(NamedTuple):
    text: str
    district: str | None
    street: str | None
    community: str | None
    landmark: str | None = None


# Real names from ingest/demo/data/regions.yaml.
CASES = [
    # full names
    Case("滨江区江南街道闻涛社区", "滨江区", "江南街道", "闻涛社区"),
    Case("老城区城南街道望江社区", "老城区", "城南街道", "望江社区"),
    Case("江北区北湖街道翠苑社区12幢3单元", "江北区", "北湖街道", "翠苑社区"),
    Case("南山县桃源镇上坞村", "南山县", "桃源镇", "上坞村"),
    Case("沿江街道东信社区", "滨江区", "沿江街道", "东信社区"),
    Case("湖滨街道", "临湖区", "湖滨街道", None),
    # abbreviations and aliases
    Case("滨江江南闻涛", "滨江区", "江南街道", "闻涛社区"),
    Case("老城城南望江那边", "老城区", "城南街道", "望江社区"),
    Case("城关镇县前社区", "南山县", "城关镇", "县前社区"),
    # community alone implies street and district
    Case("柳巷社区", "老城区", "西门街道", "柳巷社区"),
    Case("白马湖社区", "滨江区", "长河街道", "白马湖社区"),
    Case("湖西村", "临湖区", "湖西镇", "湖西村"),
    Case("市民中心", "滨江区", "新城街道", "市民中心社区"),
    # landmark alone implies community, street and district
    Case("在滨江公园门口", "老城区", "城南街道", "江滨社区", "澜江公园"),
    Case("我在澜江公园散步", "老城区", "城南街道", "江滨社区", "澜江公园"),
    Case("滨江市第一人民医院门口", "老城区", "鼓楼街道", "府前社区", "滨江市第一人民医院"),
    Case("市一医院急诊", "老城区", "鼓楼街道", "府前社区", "滨江市第一人民医院"),
    Case("县医院", "南山县", "城关镇", "县前社区", "南山县人民医院"),
    Case("北湖湿地公园", "江北区", "北湖街道", "荷塘社区", "北湖湿地公园"),
    Case("溪头卫生院", "南山县", "溪头镇", "溪头村", "溪头镇中心卫生院"),
    Case("高新临港物流园", "高新区", "临港街道", "物流园社区", "临港物流园"),
    # colloquial suffixes and house numbers
    Case("柳巷小区", "老城区", "西门街道", "柳巷社区"),
    Case("望江路31号", "老城区", "城南街道", "望江社区"),
    Case("江滨路", "老城区", "城南街道", "江滨社区"),
    Case("南山区城关镇", "南山县", "城关镇", None),
    Case("临湖区青山街茶园社区", "临湖区", "青山街道", "茶园社区"),
    Case("纺织新村小区3幢", "老城区", "东关街道", "纺织新村社区", "纺织新村小区"),
    # one wrong, missing or swapped character
    Case("打铁港社区", "老城区", "西门街道", "打铁巷社区"),
    Case("塘子社区", "滨江区", "长河街道", "塘子堰社区"),
    Case("老成区西门街道", "老城区", "西门街道", None),
    Case("石乔街道", "江北区", "石桥街道", None),
    # conflicting district: the more specific consistent chain wins
    Case("江北区江南街道闻涛社区", "滨江区", "江南街道", "闻涛社区"),
    # noisy transcript lines
    Case(
        "市民：喂，你好，我家住在江北区运河街道桥西社区5栋2单元，楼下的下水道堵了好几天了",
        "江北区", "运河街道", "桥西社区",
    ),
    Case(
        "坐席：请问您的具体位置？市民：就在高新区科创街道智慧谷社区软件园旁边",
        "高新区", "科创街道", "智慧谷社区", "高新区软件园",
    ),
    Case(
        "嗯那个，就是滨江区新城街道世纪城这边，晚上施工太吵了",
        "滨江区", "新城街道", "世纪城社区",
    ),
    # a road found as the address does not silence a place named along it
    Case("我们沿江大道往东信方向那段人行道，盲道上全是铁桩子", "滨江区", "沿江街道", "东信社区"),
    # a bare name before 「那头」 is said as a place
    Case("南山县城，城西那头，靠近老车站", "南山县", "城关镇", "城西社区"),
    # no address at all
    Case("我要投诉噪音扰民，晚上十一点还在施工", None, None, None),
    Case("以前在外省交了八年社保，现在回滨江了，想把养老保险转回来", None, None, None),
    # a community said by its full name beats a neighbour's bare alias (the lake 青湖)
    Case("青湖荷花社区那段湖边，有人往湖里打桩", "临湖区", "湖滨街道", "荷花社区"),
    # where the caller works is not the place
    Case("府前社区我们楼下新开了一家剧本杀店，半夜吵。我在市博物馆做讲解员。",
         "老城区", "鼓楼街道", "府前社区"),
    # a hall where paperwork is done on the spot is not the place
    Case("我想在桥西社区那边的夜市摆个奶茶摊，还是要去市政务服务中心现场办？",
         "江北区", "运河街道", "桥西社区"),
    Case("我们小区门口的路灯坏了", None, None, None),
]


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return gazetteer_from_bundle(government.build(government.DATA_DIR))


def _got(match: AddressMatch) -> tuple[str | None, ...]:
    return (match.district, match.street, match.community, match.landmark)


@pytest.mark.parametrize("case", CASES, ids=[c.text[:16] for c in CASES])
def test_case(case: Case, gazetteer: Gazetteer) -> None:
    match = normalise_address(case.text, gazetteer)
    assert _got(match) == (case.district, case.street, case.community, case.landmark)
    assert 0.0 <= match.confidence <= 1.0
    if case.district is None:
        assert match.confidence == 0.0
    else:
        assert match.confidence > 0.3


def test_accuracy_over_all_cases(gazetteer: Gazetteer) -> None:
    """Measured accuracy over the list: exact chain, and field by field (printed as JSON)."""
    exact = 0
    fields = {"district": 0, "street": 0, "community": 0}
    for case in CASES:
        match = normalise_address(case.text, gazetteer)
        exact += _got(match) == (case.district, case.street, case.community, case.landmark)
        for name in fields:
            fields[name] += getattr(match, name) == getattr(case, name)
    report = {"cases": len(CASES), "exact": exact, "exact_accuracy": exact / len(CASES)}
    report.update({name: hits / len(CASES) for name, hits in fields.items()})
    print(json.dumps(report, ensure_ascii=False))
    assert len(CASES) >= 25
    assert exact / len(CASES) >= 0.9


def test_ids_follow_the_names(gazetteer: Gazetteer) -> None:
    match = normalise_address("滨江区江南街道闻涛社区", gazetteer)
    assert (match.district_id, match.street_id, match.community_id) == (
        "R01-02", "R01-02-01", "R01-02-01-03",
    )
    assert match.landmark_id is None
    park = normalise_address("在滨江公园门口", gazetteer)
    assert (park.landmark_id, park.community_id) == ("L011", "R01-01-03-04")


def test_no_address_gives_zero_confidence_and_no_ids(gazetteer: Gazetteer) -> None:
    text = "你好，我想反映一下噪音问题"
    match = normalise_address(text, gazetteer)
    assert match.confidence == 0.0
    assert match.raw == text
    assert match.evidence == []
    ids = (match.district_id, match.street_id, match.community_id, match.landmark_id)
    assert ids == (None, None, None, None)


@pytest.mark.parametrize("text", ["社区", "小区", "街道", "我们社区", "我家小区", "这个村"])
def test_generic_words_alone_match_nothing(text: str, gazetteer: Gazetteer) -> None:
    match = normalise_address(text, gazetteer)
    assert (match.district, match.confidence, match.evidence) == (None, 0.0, [])


def test_a_conflicting_district_lowers_the_confidence(gazetteer: Gazetteer) -> None:
    consistent = normalise_address("滨江区江南街道", gazetteer)
    conflicting = normalise_address("江北区江南街道", gazetteer)
    assert (consistent.street, conflicting.street) == ("江南街道", "江南街道")
    assert conflicting.district == "滨江区"
    assert conflicting.conflict and not consistent.conflict
    assert conflicting.confidence < consistent.confidence
    unused = [e.entry_name for e in conflicting.evidence if not e.used]
    assert unused == ["江北区"]


def test_a_fuzzy_match_is_less_sure_than_an_exact_one(gazetteer: Gazetteer) -> None:
    exact = normalise_address("打铁巷社区", gazetteer)
    fuzzy = normalise_address("打铁港社区", gazetteer)
    assert exact.community == fuzzy.community == "打铁巷社区"
    assert fuzzy.confidence < exact.confidence
    assert [(e.how, e.distance, e.matched) for e in fuzzy.evidence] == [("fuzzy", 1, "打铁巷社区")]


def test_a_wrong_character_shared_by_two_villages_keeps_only_their_town(
    gazetteer: Gazetteer,
) -> None:
    match = normalise_address("桃源镇中坞村", gazetteer)
    assert (match.district, match.street, match.community) == ("南山县", "桃源镇", None)


def test_house_numbers_stay_in_raw(gazetteer: Gazetteer) -> None:
    text = "市民：我住在老城区府前路88号3幢2单元501室，楼道灯坏了"
    match = normalise_address(text, gazetteer)
    assert match.raw == "老城区府前路88号3幢2单元501室"
    assert (match.district, match.community) == ("老城区", "府前社区")
    assert all(not e.surface[0].isdigit() for e in match.evidence)


def test_evidence_names_the_surface_strings(gazetteer: Gazetteer) -> None:
    match = normalise_address("我在滨江江南闻涛这边", gazetteer)
    found = {(e.surface, e.entry_name, e.how) for e in match.evidence}
    assert found == {
        ("滨江", "滨江区", "alias"),
        ("江南", "江南街道", "alias"),
        ("闻涛", "闻涛社区", "alias"),
    }
    text = "我在滨江江南闻涛这边"
    assert all(text[e.start : e.end] == e.surface for e in match.evidence)


def test_ticket_address_has_the_contract_fields(gazetteer: Gazetteer) -> None:
    address = normalise_address("柳巷社区", gazetteer).ticket_address()
    assert set(address) == {"raw", "district", "street", "community", "confidence"}
    assert address["community"] == "柳巷社区"


def test_full_width_digits_are_read_as_digits(gazetteer: Gazetteer) -> None:
    match = normalise_address("望江路３１号", gazetteer)
    assert match.community == "望江社区"
    assert match.raw == "望江路３１号"


def test_a_name_before_a_word_of_position_is_a_place(gazetteer: Gazetteer) -> None:
    text = "老城区有个老师在家里开补习班。\n不方便说太细，在文庙那边。"
    match = normalise_address(text, gazetteer)
    assert (match.district, match.street, match.community) == ("老城区", "鼓楼街道", "文庙社区")
    # A name shared by a street and one of its communities stays at the street.
    match = normalise_address("江北区的，北湖那边的初中", gazetteer)
    assert (match.district, match.street, match.community) == ("江北区", "北湖街道", None)


def test_a_place_for_paperwork_is_not_the_address(gazetteer: Gazetteer) -> None:
    match = normalise_address("二手房过户要预约吗？在市民中心办还是在哪里？", gazetteer)
    assert match.district is None and match.confidence < 0.3


def test_find_address_spans_in_transcript_lines() -> None:
    text = "市民：喂，你好，我家住在江北区运河街道桥西社区5栋2单元，楼下的下水道堵了"
    assert [text[s:e] for s, e in find_address_spans(text)] == ["江北区运河街道桥西社区5栋2单元"]
    text = "在滨江公园门口"
    assert [text[s:e] for s, e in find_address_spans(text)] == ["滨江公园"]
    assert find_address_spans("你好，我想反映一下噪音问题") == []
    assert find_address_spans("我家小区") == []


def test_the_index_is_built_once_per_gazetteer(gazetteer: Gazetteer) -> None:
    copy = Gazetteer(entries=list(gazetteer.entries))
    normalise_address("柳巷社区", copy)
    index: object = copy.derived("nlu.address.index", lambda g: pytest.fail("rebuilt"))
    assert index is copy.derived("nlu.address.index", lambda g: pytest.fail("rebuilt"))


def test_a_place_taken_back_gives_way_to_the_correction(gazetteer: Gazetteer) -> None:
    text = "我住老城区柳巷社区……哎不对，说错了，是西门社区，柳巷那边是我儿子家。"
    match = normalise_address(text, gazetteer)
    assert (match.street, match.community) == ("西门街道", "西门社区")


def test_a_place_written_out_with_its_town_beats_one_said_in_passing(
    gazetteer: Gazetteer,
) -> None:
    text = "地址是临湖区湖西镇湖西村，快递老是送到沈家村去"
    match = normalise_address(text, gazetteer)
    assert (match.street, match.community) == ("湖西镇", "湖西村")


def test_a_short_generic_word_with_one_other_character_is_no_fuzzy_name(
    gazetteer: Gazetteer,
) -> None:
    # 「大医院」 is one character from 「县医院」 (an alias of the county hospital).
    match = normalise_address("我是南山县城关镇的，上个月在外地一家大医院做手术", gazetteer)
    assert (match.street, match.community) == ("城关镇", None)


def test_a_flat_block_names_its_community(gazetteer: Gazetteer) -> None:
    match = normalise_address("我是去年引进到高新区的，住云谷人才公寓", gazetteer)
    assert match.community == "人才公寓社区"


def test_a_trip_is_placed_where_it_began(gazetteer: Gazetteer) -> None:
    text = "前天晚上我在万象汇门口叫了个网约车，要去老城区火车站，结果司机一路绕到江北区"
    match = normalise_address(text, gazetteer)
    assert (match.district, match.community) == ("滨江区", "世纪城社区")
    # Without a trip, 「去」 before a place changes nothing.
    match = normalise_address("我每天去老城区火车站那边上班，那边路灯坏了", gazetteer)
    assert match.community == "火车站社区"


def test_a_landmark_before_a_word_of_position_and_a_ride_from_somewhere(
    gazetteer: Gazetteer,
) -> None:
    match = normalise_address("区实小门口每天放学，江南大道辅道上的车停得乱七八糟", gazetteer)
    assert match.community == "滨江花园社区"
    match = normalise_address("120从南山县城东社区拉到县医院，收了六百多", gazetteer)
    assert match.community == "城东社区"


def test_a_boarding_place_a_service_window_and_the_city_by_its_short_name(
    gazetteer: Gazetteer,
) -> None:
    # The trip was boarded at the old station; the towns on its way are not the address.
    text = "今天一早在老火车站门口上的大巴，说好去桃源古村，结果一路拉到店里购物"
    assert normalise_address(text, gazetteer).community == "火车站社区"
    # A hall visited for a service at its window is not where the problem is.
    match = normalise_address("跑了一趟市民中心，等了半天，窗口说材料不齐", gazetteer)
    assert match.district is None
    # A hospital's own window is the hospital's doing: it is the place.
    match = normalise_address("早上六点多就到县医院了，想挂个专家号，窗口说只能网上预约", gazetteer)
    assert match.community == "县前社区"
    # Where the caller works or studies is not where the problem is.
    text = "我是今晚奥体中心演唱会的志愿者，在软件园上班，天桥东边的台阶塌了两级"
    assert normalise_address(text, gazetteer).community == "沿江社区"
    text = "我是滨江职院的学生，三个月前在东湖社区那家驾校报了名"
    assert normalise_address(text, gazetteer).community == "东湖社区"
    # A school's own gate is not 南门社区; a place taken back with 「不是不是」.
    text = "我是滨江职院的学生，我们学校南门对过那排烧烤店油烟忒大"
    assert normalise_address(text, gazetteer).community == "华丰社区"
    text = "在我们柳巷……不是不是，是新桥社区活动室办讲座"
    assert normalise_address(text, gazetteer).community == "新桥社区"
    # 「我们滨江」 is the city, not 滨江区.
    assert normalise_address("孩子的社保是在我们滨江交的", gazetteer).district is None
    assert normalise_address("滨江那边的路灯坏了", gazetteer).district == "滨江区"
    # Living, working or insured in the city is not a place in it.
    for text in ("2024年博士毕业后引进到滨江工作", "我是滨江的退休职工", "我妈是滨江的医保",
                 "外省的公积金能不能先转到滨江来"):
        assert normalise_address(text, gazetteer).district is None, text


def test_a_road_named_like_a_place_does_not_place_the_call(gazetteer: Gazetteer) -> None:
    # 「湖滨路」 is a road in 湖滨街道; the caller named only the street.
    match = normalise_address("湖滨街道湖滨路两边贴满了小广告", gazetteer)
    assert (match.street, match.community) == ("湖滨街道", None)
    # A trip by ambulance is placed where it began, not at the hospital it went to.
    match = normalise_address("我爸在北湖街道家里摔倒，叫了120，拉到江北医院", gazetteer)
    assert (match.street, match.community) == ("北湖街道", None)


def test_an_estate_word_a_gate_and_a_licensing_point(gazetteer: Gazetteer) -> None:
    # 「雅苑小区」 is the estate 雅苑 (湖滨雅苑), not 翠苑小区 one character off.
    assert normalise_address("我们雅苑小区地下车库全淹了", gazetteer).community == "湖滨社区"
    # 「人才公寓南门」 is the estate's south gate, not 南门社区.
    match = normalise_address("人才公寓南门外面人行道上有个井盖松了", gazetteer)
    assert match.community == "人才公寓社区"
    # Where a plate is issued is paperwork, not where the problem is.
    assert normalise_address("我骑到白沙街道那个上牌点，不给上牌", gazetteer).district is None
