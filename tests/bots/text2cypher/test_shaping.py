"""Shaping a template's rows (pure): figures set on them, other named entities, ties at a
ranking's cut."""

from __future__ import annotations

from bots.text2cypher.frame_conditions import figure_conditions
from bots.text2cypher.shaping import (
    counts_by_column,
    counts_per_subject,
    difference_of_two,
    drop_named_entities,
    keep_named_entities,
    kept_by_figures,
    members_asked,
    ranked_rows,
    shape_rows,
    totals_each_way,
    totals_per_named_value,
    totals_per_party,
)
from bots.text2cypher.templates import normalise

HOLDERS = [["甲公司", 0.38], ["韩海燕", 0.17], ["乙公司", 0.05]]


def test_figures_read_as_fractions_and_ten_thousands() -> None:
    share, = figure_conditions("持股10%以上的股东")
    assert (share.op, share.value, share.kind) == (">=", 0.1, "share")
    amount, = figure_conditions("担保金额超过1亿元的")
    assert (amount.op, amount.value, amount.kind) == (">", 10000.0, "amount")
    half, = figure_conditions("控股（持股过半）的子公司")
    assert (half.op, half.value) == (">", 0.5)
    assert figure_conditions("注册资本是多少") == []
    wholly, = figure_conditions("国资运营100%持股的全资子公司")
    assert (wholly.op, wholly.value) == ("=", 1.0)
    reached, = figure_conditions("单笔担保金额达到5000万的")
    assert (reached.op, reached.value) == (">=", 5000.0)


def test_rows_are_kept_to_the_figures_the_question_sets() -> None:
    columns = ["股东", "持股比例"]
    assert kept_by_figures(normalise("持股10%以上的股东有哪些"), columns, HOLDERS) == HOLDERS[:2]
    assert kept_by_figures("持股过半的股东", columns, HOLDERS) == []
    assert kept_by_figures("股东有哪些", columns, HOLDERS) == HOLDERS
    assert kept_by_figures("金额超过100万的", columns, HOLDERS) == HOLDERS


def test_rows_are_kept_to_another_named_entity_when_any_names_it() -> None:
    assert keep_named_entities(["韩海燕"], HOLDERS) == [HOLDERS[1]]
    assert keep_named_entities(["丙公司"], HOLDERS) == HOLDERS
    circles = [[["甲公司", "乙公司"], 2], [["丙公司", "丁公司"], 2]]
    assert keep_named_entities(["丁公司"], circles) == [circles[1]]


def test_a_ranking_keeps_rows_tied_at_the_cut() -> None:
    rows = [["a", 45.0], ["b", 20.0], ["c", 45.0], ["d", 45.0]]
    top = ranked_rows("单笔投得最多的是谁", ["投资人", "金额_万元"], rows)
    assert top is not None and sorted(r[0] for r in top) == ["a", "c", "d"]
    two = ranked_rows("投得最多的前两位", ["投资人", "金额_万元"], rows)
    assert two is not None and len(two) == 3


def test_rows_naming_an_excluded_entity_are_dropped() -> None:
    assert drop_named_entities(["甲公司"], HOLDERS) == HOLDERS[1:]
    assert drop_named_entities([], HOLDERS) == HOLDERS


def test_counting_by_the_row_when_it_asks_how_many_transfers() -> None:
    rows = [["甲公司", "孙立伟", 100.0], ["甲公司", "孙立伟", 248.0]]
    shaped = shape_rows("往孙立伟转过几笔钱一共多少万", ["付款方", "收款方", "金额_万元"], rows)
    assert shaped is not None and shaped.rows == [[2, 348.0]]


def test_a_total_comes_with_how_many_it_adds_up() -> None:
    rows = [["甲公司", "CO-1", 300.0], ["乙公司", "CO-2", 2000.0]]
    shaped = shape_rows("恒信集团 对外担保 总额", ["被担保企业", "编号", "金额_万元"], rows)
    assert shaped is not None and shaped.columns == ["金额_万元合计", "笔数"]
    assert shaped.rows == [[2300.0, 2]]


def test_amounts_totalled_per_party_when_it_asks_who_each_came_from() -> None:
    columns = ["付款方", "收款方", "金额_万元"]
    rows = [["甲公司", "孙立伟", 100.0], ["乙公司", "孙立伟", 2.0], ["甲公司", "孙立伟", 248.0]]
    for question in ("孙立伟一共收到多少转账分别是谁转过来的",
                     "孙立伟收到的转账每个来源各转了几笔"):
        shaped = totals_per_party(question, columns, rows, "孙立伟")
        assert shaped is not None and sorted(shaped.rows) == [["乙公司", 2.0, 1],
                                                              ["甲公司", 348.0, 2]]


def test_counts_and_totals_for_each_entity_compared() -> None:
    columns = ["主体", "基金", "编号", "规模_万元"]
    rows = [["甲", "F1", "FD-1", 100.0], ["甲", "F2", "FD-2", 50.0], ["乙", "F3", "FD-3", 80.0]]
    shaped = counts_per_subject("甲和乙哪家管理的基金总规模更大各管几只总规模多少", columns, rows)
    assert shaped is not None and shaped.rows == [["甲", 2, 150.0], ["乙", 1, 80.0]]
    more = counts_per_subject("甲和乙相比哪家发的基金更多", columns, rows)
    assert more is not None and more.rows == [["甲", 2], ["乙", 1]]


def test_sorting_on_request_and_figures_on_the_column_they_follow() -> None:
    columns = ["产品", "编号", "最高额度", "最高年利率"]
    rows = [["甲", "L1", 30.0, 0.108], ["乙", "L2", 2000.0, 0.055], ["丙", "L3", 1000.0, 0.06]]
    ordered = ranked_rows("按最高额度从大到小排一下", columns, rows)
    assert ordered is not None and [r[0] for r in ordered] == ["乙", "丙", "甲"]
    kept = kept_by_figures(normalise("贷款产品里最高年利率不超过6%的是哪几款"), columns, rows)
    assert [r[0] for r in kept] == ["乙", "丙"]


def test_chain_members_come_with_their_distance_from_the_start() -> None:
    chains = [[["甲", "乙"], 1, 100.0], [["甲", "乙", "丙"], 2, 300.0]]
    members = members_asked("甲的担保往下传三层以内会牵连到哪些企业", chains, "甲")
    assert members is not None and members.columns == ["成员", "层级"]
    assert members.rows == [["乙", 1], ["丙", 2]]


def test_an_average_beside_the_count() -> None:
    rows = [["甲", 10.0], ["乙", 30.0]]
    shaped = shape_rows("鑫盛优选一号的投资人一共多少人单笔平均投多少", ["投资人", "金额_万元"],
                        rows)
    assert shaped is not None and shaped.rows == [[2, 40.0, 20.0]]


def test_two_entities_compared_by_how_much_and_counted_each() -> None:
    columns = ["主体", "企业", "注册资本_万元"]
    rows = [["乙", "乙", 36000.0], ["甲", "甲", 42000.0]]
    shaped = difference_of_two(normalise("甲和乙，哪家注册资本高？差多少万元"), columns, rows)
    assert shaped is not None and shaped.rows == [["甲", 42000.0, "乙", 36000.0, 6000.0]]
    assert difference_of_two(normalise("甲和乙，哪家注册资本更高"), columns, rows) is None
    held = [["吴立新", 1973, "A公司", "CO-1"], ["吴立新", 1973, "B公司", "CO-2"],
            ["周德明", 1968, "C公司", "CO-3"]]
    counted = counts_per_subject(normalise("吴立新和周德明各自控制了几家公司"),
                                 ["主体", "出生年份", "企业", "编号"], held)
    assert counted is not None and counted.rows == [["吴立新", 1973, 2], ["周德明", 1968, 1]]
    assert counts_per_subject(normalise("叫张伟的有好几个人，各自是哪家公司的法人"),
                              ["主体", "出生年份", "企业", "编号"], held) is None


def test_template_rows_broken_down_by_a_column() -> None:
    rows = [["甲", "CO-1", "批发和零售业"], ["乙", "CO-2", "制造业"],
            ["丙", "CO-3", "批发和零售业"]]
    shaped = counts_by_column(normalise("王建国实际控制的公司按行业分布各有几家"),
                              ["企业", "编号", "行业"], rows)
    assert shaped is not None and shaped.rows == [["批发和零售业", 2], ["制造业", 1]]
    assert counts_by_column(normalise("王建国实际控制的公司有哪些"), ["企业", "编号", "行业"],
                            rows) is None


def test_flows_each_way_and_totals_for_each_value_named() -> None:
    rows = [["甲", "乙", 10.0], ["丙", "甲", 4.0], ["丁", "甲", 1.5]]
    columns = ["付款方", "收款方", "金额_万元"]
    each_way = totals_each_way(normalise("甲的账户转进来一共多少钱，转出去一共多少钱？"),
                               columns, rows, "甲")
    assert each_way is not None and each_way.rows == [[5.5, 2, 10.0, 1]]
    holders = [["A公司", 0.3, "企业"], ["张三", 0.05, "自然人"], ["B公司", 0.2, "企业"]]
    split = totals_per_named_value(normalise("企业股东合计持股多少，自然人股东合计持股多少"),
                                   ["股东", "持股比例", "股东类型"], holders)
    assert split is not None and split.rows == [[0.5, 2, 0.05, 1]]
    assert totals_per_named_value("企业股东持股多少", ["股东", "持股比例", "股东类型"],
                                  holders) is None
