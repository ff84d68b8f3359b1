"""Questions in two parts: splitting (pure, on a small name index) and joining the answers."""

from __future__ import annotations

from bots.text2cypher.clauses import side_by_side, two_parts
from kg.mentions import Candidate, MentionIndex

INDEX = MentionIndex([("临港化工", Candidate(id="C1", name="滨江临港化工有限公司",
                                            label="Company")),
                      ("智谷软件", Candidate(id="C2", name="滨江智谷软件有限公司",
                                            label="Company"))])


def test_two_roles_of_one_subject_become_two_questions() -> None:
    assert two_parts("智谷软件的法人和实控人分别是谁？", INDEX) == [
        "智谷软件的法人是谁", "智谷软件的实控人是谁"]


def test_a_second_part_about_the_same_company_carries_its_name() -> None:
    assert two_parts("临港化工的法人是谁？该公司登记的联系电话是多少", INDEX) == [
        "临港化工的法人是谁", "临港化工的登记的联系电话是多少"]


def test_one_question_or_a_follow_up_figure_stays_whole() -> None:
    assert two_parts("临港化工的法人是谁？", INDEX) is None
    assert two_parts("临港化工的第一大股东是谁，持股多少？", INDEX) is None
    assert two_parts("临港化工给谁担保了，又有谁给它担保？", INDEX) is None
    assert two_parts("法人是谁？电话是多少", INDEX) is None


def test_a_one_row_answer_goes_beside_each_row_of_the_other() -> None:
    joined = side_by_side((["股东"], [["甲"], ["乙"]]), (["法定代表人"], [["丙"]]))
    assert joined == (["股东", "法定代表人"], [["甲", "丙"], ["乙", "丙"]])
    assert side_by_side((["a"], [[1], [2]]), (["b"], [[3], [4]])) is None
