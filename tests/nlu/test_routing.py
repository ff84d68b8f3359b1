"""Second-level categories from the caller's words, and the departments that handle them."""

from __future__ import annotations

import numpy as np
import pytest

from ingest.demo import government
from kg.routing_table import RoutingTable, routing_table_from_bundle
from nlu.category_model import load_category_model
from nlu.category_wordings import COLLOQUIAL
from nlu.router import sentence_encoder
from nlu.routing import (
    CONSULT_MEANING_BELOW,
    LEARNED_COLUMNS,
    WEIGHTS,
    CategoryMatcher,
    matching_text,
    meaning_columns,
)

# The first-level router unsure between all seven classes.
FIRST_LEVEL = ["城乡建设", "环境保护", "交通运输", "教育文体", "劳动和社会保障", "商贸旅游",
               "卫生计生"]
UNSURE = dict.fromkeys(FIRST_LEVEL, 1 / len(FIRST_LEVEL))


@pytest.fixture(scope="module")
def table() -> RoutingTable:
    return routing_table_from_bundle(government.build(government.DATA_DIR))


@pytest.fixture(scope="module")
def matcher(table: RoutingTable) -> CategoryMatcher:
    return CategoryMatcher(
        table, places=["澜江公园", "滨江市图书馆", "市图书馆", "港城社区", "长河菜场"],
        learned=load_category_model(),
    )


def test_everyday_words_count_as_the_tables_keywords(table: RoutingTable) -> None:
    keywords = {k for c in table.categories.values() for k in (c.name, *c.keywords)}
    assert set(COLLOQUIAL) <= keywords  # each wording stands for a keyword of the table
    hits = CategoryMatcher(table).keyword_hits("楼下奶茶店外面的音响太吵了，震得头疼")
    assert "噪音" in hits and hits["噪音"].heard in {"音响", "吵"}
    assert str(hits["噪音"]).endswith("（噪音）")


@pytest.mark.parametrize(
    ("text", "l2"),
    [
        ("万象汇那家奶茶店外面放的音响太吵了，从下午到现在一直放", "噪声污染"),
        ("我们村里来了个游医，在村口摆摊给人拔牙打针", "卫生监督"),
        ("公司突然说我不胜任，让我第二天不用来了，一分钱补偿都没有", "劳动关系"),
        ("小区门口天天有人搞讲座卖保健品，说能治糖尿病", "广告与虚假宣传"),
    ],
)
def test_colloquial_complaints_find_their_category(
    matcher: CategoryMatcher, text: str, l2: str
) -> None:
    choice = matcher.choose(text, UNSURE)
    assert choice.category.l2 == l2
    assert "提到" in choice.reason


def test_a_keyword_outweighs_a_moderately_sure_wrong_router(matcher: CategoryMatcher) -> None:
    scores = UNSURE | {"城乡建设": 0.6, "卫生计生": 0.05}
    choice = matcher.choose("我们小区老鼠太多了，晚上在垃圾房那边成群结队的", scores)
    assert choice.category.l2 == "病媒防制与爱国卫生"


def test_phone_numbers_are_not_evidence(matcher: CategoryMatcher) -> None:
    text = "小区门口的理发店充了两千的卡，现在不认了。电话13777120098"
    assert "120" not in matching_text(text) and "理发店" in matching_text(text)
    assert "120" not in matcher.keyword_hits(matching_text(text))
    assert matcher.choose(text, UNSURE).category.l2 != "院前急救"


def test_a_keyword_naming_a_place_is_not_evidence_its_kind_is(matcher: CategoryMatcher) -> None:
    assert "澜江" not in matcher.keyword_hits("澜江公园里面那个公厕太脏了")
    assert "公厕" in matcher.keyword_hits("澜江公园里面那个公厕太脏了")
    assert "澜江" in matcher.keyword_hits("澜江里漂着好多垃圾")
    assert "图书馆" in matcher.keyword_hits("市图书馆周末延长开放了")


def test_the_problem_said_first_outweighs_a_side_remark(matcher: CategoryMatcher) -> None:
    text = "学校门口好多车违停，把路都堵死了，连救护车都过不去"
    assert matcher.choose(text, UNSURE).category.l2 == "道路交通秩序"


def test_two_keywords_of_one_category_outweigh_one_of_another(matcher: CategoryMatcher) -> None:
    text = "楼道里全是小广告，还有人拉横幅，写着通下水道"
    assert matcher.choose(text, UNSURE).category.l2 == "城市管理"


def test_keyword_hits_say_where_they_were_heard(matcher: CategoryMatcher) -> None:
    hits = matcher.keyword_hits("长河菜场门口的水管爆了")
    assert hits["爆管"].heard == "水管爆" and hits["爆管"].start == 7
    assert not hits["爆管"].in_place_name
    # The kind of place a place name ends with is where, not what went wrong.
    assert hits["菜场"].in_place_name


def test_wordings_are_read_in_the_shortest_form(matcher: CategoryMatcher) -> None:
    hits = matcher.keyword_hits("装修队早上六点就开始砸墙")
    assert hits["装修噪音"].heard == "装修队早上六点就开始砸"


def test_confidence_is_the_chosen_categorys_share(matcher: CategoryMatcher) -> None:
    clear = matcher.choose("面包里吃出一根头发", UNSURE)
    vague = matcher.choose("啦啦啦今天天气不错", UNSURE)
    assert clear.category.l2 == "食品安全"
    assert 0.0 < vague.confidence < 0.2 < 0.5 < clear.confidence <= 1.0


def test_text_with_too_little_chinese_gets_no_learned_evidence(matcher: CategoryMatcher) -> None:
    for text in ("asdf qwer", "😀😀😀", "OK"):
        assert matcher.choose(text, UNSURE).confidence < 0.3
        rows, _hits = matcher.word_features([text], [UNSURE])[0]
        assert not rows[:, LEARNED_COLUMNS].any()
    rows, _hits = matcher.word_features(["面包里吃出一根头发"], [UNSURE])[0]
    assert rows[:, LEARNED_COLUMNS].any()


def test_features_have_one_column_per_weight(matcher: CategoryMatcher) -> None:
    text = matching_text("小区里老鼠太多了")
    similarity = np.zeros(len(matcher.leaves))
    rows, hits = matcher.features(text, UNSURE, similarity)
    assert rows.shape == (len(matcher.leaves), len(WEIGHTS.vector()))
    assert len(hits) == len(matcher.leaves) and any(hits)


@pytest.fixture(scope="module")
def meaning_matcher(table: RoutingTable) -> CategoryMatcher:
    """The matcher with the offline sentence encoder and the text model, as the service runs
    it."""
    return CategoryMatcher(table, encoder=sentence_encoder(), learned=load_category_model())


def test_an_uncertain_choice_consults_the_meaning(meaning_matcher: CategoryMatcher) -> None:
    text = "家门口的树上有个马蜂窝"
    by_words = CategoryMatcher(meaning_matcher.table, learned=load_category_model()).choose(
        text, UNSURE)
    choice = meaning_matcher.choose(text, UNSURE)
    assert by_words.confidence < CONSULT_MEANING_BELOW
    assert choice.category.l2 == "园林绿化"
    assert choice.confidence > by_words.confidence
    assert "语义" in choice.reason


def test_a_clear_keyword_choice_does_not_consult_the_meaning(
    meaning_matcher: CategoryMatcher,
) -> None:
    choice = meaning_matcher.choose("小区门口的井盖丢了，晚上黑乎乎的，很危险", UNSURE)
    assert choice.category.l2 == "市政设施"
    assert choice.confidence >= CONSULT_MEANING_BELOW
    assert "语义" not in choice.reason


def test_meaning_closeness_has_one_column_per_category(meaning_matcher: CategoryMatcher) -> None:
    closeness = meaning_matcher.meaning_closeness(["停车费涨价了", "孩子的助学金没发"])
    assert closeness.shape == (2, len(meaning_matcher.leaves))
    columns = meaning_columns(closeness[0])
    assert columns[:, 1].sum() == 1  # exactly one closest category
    assert columns.min() >= 0 and columns.max() == 1


class _CountingEncoder:
    """The offline encoder, counting the texts it is asked to encode as queries."""

    def __init__(self) -> None:
        self.inner = sentence_encoder()
        self.queries: list[str] = []

    def query(self, texts: list[str]) -> np.ndarray:
        self.queries.extend(texts)
        return np.asarray(self.inner.query(texts))

    def passage(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.inner.passage(texts))


def test_an_opening_encoded_once_is_reused_until_forgotten(table: RoutingTable) -> None:
    encoder = _CountingEncoder()
    matcher = CategoryMatcher(table, encoder=encoder)
    opening = "晚上楼道里老鼠跑来跑去，比猫还大"
    first = matcher.meaning_closeness([opening])
    again = matcher.meaning_closeness([opening, opening])
    assert encoder.queries == [opening]
    assert np.allclose(first[0], again[1], atol=1e-6)
    matcher.forget()
    matcher.meaning_closeness([opening])
    assert encoder.queries == [opening, opening]
