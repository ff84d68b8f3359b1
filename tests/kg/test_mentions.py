"""Surface forms of the graph's names: short forms and mentions found in a question."""

from __future__ import annotations

from kg.mentions import Candidate, MentionIndex, short_forms


def test_short_forms_drop_the_city_the_legal_form_and_an_events_subject() -> None:
    """Also a partnership fund called a 基金."""
    assert "城市建设投资" in short_forms("滨江城市建设投资有限公司")
    assert "周德明失联" in short_forms("鼎盛集团实际控制人周德明失联")
    assert short_forms("滨江银行") == []
    assert "沃土绿色发展基金" in short_forms("滨江沃土绿色发展股权投资合伙企业（有限合伙）")


def test_the_longest_form_wins_where_names_overlap() -> None:
    event = Candidate(id="RE-1", name="鼎盛集团实际控制人周德明失联", label="RiskEvent")
    person = Candidate(id="P-1", name="周德明", label="Person")
    index = MentionIndex([(form, event) for form in (event.name, *short_forms(event.name))]
                         + [(person.name, person)])
    found = index.find("周德明失联那件事牵扯到哪些企业")
    assert [(m.text, m.candidates[0].id) for m in found] == [("周德明失联", "RE-1")]
