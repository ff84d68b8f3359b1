"""Questions about one person holding two roles towards the same company, across the register.

「法定代表人和实际控制人不是同一个人的企业有多少家」, 「法定代表人既不是股东、也不是实际控制人的
企业」 and 「既是公司股东、又在同一家公司当监事的人有多少个」 ask whether the person holding one
role towards a company also holds another towards that very company: a condition on a pair of
relationships with one person and one company at their ends, which the frames (one relationship
at a time) cannot say. The question is read into a :class:`RoleOverlap` and compiled to one
parameterised read-only query; relationship types are checked against the ontology.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from bots.text2cypher.frames import CompiledFrame
from kg.ontology import Ontology


class Role(BaseModel):
    """A role a person holds towards a company: a relationship from the person to it, and the
    job title when it is a position."""

    rel: str
    title_zh: str
    job: str | None = Field(default=None, description="the SERVES_AS title (监事)")
    held: bool = Field(default=True, description="False: the same person must not hold it")
    asked: bool = Field(default=False, description="shown as a yes/no beside each pair, not "
                        "required of it (「他是否同时为该企业的法定代表人」)")
    share_over: float | None = Field(default=None, gt=0, lt=1, description="a holding above "
                                     "this share (「自己持股超过一半」)")


class RoleOverlap(BaseModel):
    """Companies whose holder of the first role holds (or not) the others too, or the persons
    holding two roles towards one company."""

    subject: Literal["Company", "Person"]
    roles: list[Role] = Field(min_length=2, max_length=3)
    presumed: bool = Field(default=False, description="the company must have a holder of "
                           "every role at all (「法定代表人和实际控制人不是同一个人」)")
    scope: Role | None = Field(default=None, description="a role the companies of a share's "
                               "whole all have a holder of (「有实际控制人的企业里」)")
    answer: Literal["rows", "count", "share"] = "rows"
    company_id: str | None = Field(default=None, description="the one company asked about "
                                   "(「远航物流的股东里，有谁同时在公司任职」)")
    person_id: str | None = Field(default=None, description="the one person asked about "
                                  "(「王建国既担任法定代表人、又直接持股的企业」)")


_ROLE_WORDS: tuple[tuple[str, str, str], ...] = (
    (r"法定代表人|法人代表|(?<!企业)法人(?!股东|单位)", "IS_LEGAL_REP", "法定代表人"),
    (r"实际控制人|实控人|实际控制|控制人", "CONTROLS", "实际控制人"),
    (r"股东|持有[一-龥]{0,6}?(?:股份|股权)|持股|入股", "HOLDS_SHARES", "股东"),
    (r"(?<!被)担保", "GUARANTEES", "担保人"),
    (r"任职|职务|高管", "SERVES_AS", "职务"),
)
_SAME = re.compile(r"同一|该企业|该公司|这家公司|这家企业|本企业|本公司|(?:其|他|她)?本人|"
                   r"既不是|也不是|自己|同时(?:也|还)?(?:是|为|担任|兼任|持股)|兼任|也是|又是")
"""The words that tie the two roles to one company (or one person)."""
_NOT_SAME = re.compile(r"(?:不是|并非|不为)同一")
_NEGATED = re.compile(r"(?:不是|并非|不为|不|没有|未|没)(?:其|该企业的?|该公司的?|本企业的?|"
                      r"同时|兼任|担任|为|是|当)*$")
_SUBJECT = re.compile(r"(?:多少|几)(?:家|个)(?P<many>企业|公司)的|"
                      r"的(?P<noun>企业|公司|自然人|个人|人)"
                      r"(?:有|一共|共|总共|合计|数量|名单|是|都|各|占|涉及|$|多少|几|中|里|所在|"
                      r"对应|及|和)")
_ALSO = re.compile(r"同时|又|也|兼|既")
"""Of one named company or person, the words that ask for a second role."""
_COMPANY_END = re.compile(r"^〈E〉的")
"""A named company the roles are held towards (「〈E〉的股东里…」)."""
_COUNT = re.compile(r"多少|(?<![那这哪])几(?:家|个|位|人|名)|数量|总数|数目")
_SHARE = re.compile(r"(?<!持股)比例|占比|百分之|占全部|占多|占几成|所占")
_SCOPE = re.compile(
    r"^(?:在)?(?:有|登记了?|存在)(?P<role>[一-龥]{2,6}?)的(?:企业|公司)(?:里|中|当中)")
"""The companies a share is out of, named before what is asked of them."""
_SCOPE_AFTER = re.compile(
    r"占(?:全部|所有)?(?:有|登记了?|存在)(?P<role>[一-龥]{2,6}?)的(?:企业|公司)(?:总数|总量|数量)?")
"""The companies a share is out of, named after what is asked of them (「…占有实际控制人的
企业总数的比例」)."""
_WHETHER = re.compile(
    r"(?:是否|是不是|有没有)(?:同时|也|还|兼任?|担任|为|是|该企业的?|该公司的?)*$")
"""Before a later role of one named person: whether they hold it, asked of each company."""
_OVER_HALF = re.compile(r"(?:持股|股东|持有股份)(?:比例)?(?:(?:超过|过|高于|大于)(?:一半|半数|50%)|"
                        r"过半|(?:一半|半数|50%)以上)")
"""A holding role over half the company (「自己持股超过一半」)."""
_OTHER_COMPANY = re.compile(r"别的公司|别的企业|其他公司|其他企业|其它公司|其它企业|另外")


def parse_role_overlap(text: str, titles: Sequence[str] = (),
                       anchor: tuple[str, str] | None = None) -> RoleOverlap | None:
    """The two or three roles the (normalised) question ties to one company, in the order it
    says them, or None when it asks no such thing. ``titles`` are the job titles the graph
    knows (监事), roles too. ``anchor`` is the (label, id) of the one company or person the
    question names, written 〈E〉 in it."""
    if _OTHER_COMPANY.search(text):
        return None
    named: dict[str, str] = {}
    if anchor is None:
        if not _SAME.search(text):
            return None
        subjects = list(_SUBJECT.finditer(text))
        if not subjects:
            return None
        noun = subjects[-1].group("noun") or subjects[-1].group("many")
        subject: Literal["Company", "Person"] = ("Company" if noun in ("企业", "公司")
                                                 else "Person")
    else:
        label, entity_id = anchor
        company_end = label == "Company" and _COMPANY_END.search(text) is not None
        also = _ALSO.search(text) or (label == "Person" and re.search("是否|是不是", text))
        if not also or not (company_end or label == "Person"):
            return None
        subject = "Person" if company_end else "Company"
        named = {"company_id" if company_end else "person_id": entity_id}
    scope = None
    scoped = _SCOPE.match(text) or _SCOPE_AFTER.search(text)
    if scoped and (said := _roles_in_order(scoped.group("role"), titles)):
        _, rel, title_zh, job = said[0]
        scope = Role(rel=rel, title_zh=title_zh, job=job)
        text = text[scoped.end():] if scoped.start() == 0 else text[:scoped.start()] + "占比"
    roles: list[Role] = []
    for start, rel, title_zh, job in _roles_in_order(text, titles):
        if any(r.rel == rel and r.job == job for r in roles):
            continue
        before = text[max(0, start - 10):start]
        held = not (roles and _NEGATED.search(before))
        asked = bool(roles and named.get("person_id") and _WHETHER.search(before))
        over = _OVER_HALF.match(text, start) if rel == "HOLDS_SHARES" else None
        roles.append(Role(rel=rel, title_zh=title_zh, job=job, held=held or asked, asked=asked,
                          share_over=0.5 if over else None))
    if not 2 <= len(roles) <= 3 or not roles[0].held:
        return None
    presumed = bool(_NOT_SAME.search(text))
    if presumed:  # 「A和B不是同一个人」: the second role's holder is not the first's
        roles[-1] = roles[-1].model_copy(update={"held": False})
    if subject == "Person" and not all(r.held for r in roles):
        return None
    answer: Literal["rows", "count", "share"] = (
        "share" if _SHARE.search(text) else "count" if _COUNT.search(text) else "rows")
    return RoleOverlap(subject=subject, roles=roles, presumed=presumed, scope=scope,
                       answer=answer, **named)


def _roles_in_order(text: str, titles: Sequence[str]) -> list[tuple[int, str, str, str | None]]:
    """Each role word in the text, left to right: its start, relationship, Chinese title and
    job title; a word inside a longer one found first counts once."""
    found: list[tuple[int, int, str, str, str | None]] = []
    for pattern, rel, title_zh in _ROLE_WORDS:
        found += [(m.start(), m.end(), rel, title_zh, None) for m in re.finditer(pattern, text)]
    for title in titles:
        found += [(m.start(), m.end(), "SERVES_AS", title, title)
                  for m in re.finditer(re.escape(title), text)]
    found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
    kept: list[tuple[int, str, str, str | None]] = []
    covered = -1
    for start, end, rel, title_zh, job in found:
        if start >= covered:
            kept.append((start, rel, title_zh, job))
            covered = end
    return kept


def compile_role_overlap(asked: RoleOverlap, ontology: Ontology) -> CompiledFrame:
    """The overlap as one read-only query: the companies (and the first role's holder) or the
    persons (and the company), counted, or as a share of every company (ValueError for a
    relationship type the ontology does not know)."""
    params: dict[str, Any] = {}
    arrows = [_arrow(role, f"job{i}", params, ontology) for i, role in enumerate(asked.roles)]
    first, others = arrows[0], list(zip(asked.roles[1:], arrows[1:], strict=True))
    ties = [_tie(role, arrow, f"over{i}", params)
            for i, (role, arrow) in enumerate(zip(asked.roles, arrows, strict=True))
            if not role.asked and (i > 0 or role.share_over is not None)]
    for node, entity_id in (("c", asked.company_id), ("p", asked.person_id)):
        if entity_id is not None:
            params[f"{node}_id"] = entity_id
            ties.append(f"{node}.id = ${node}_id")
    tied = " AND ".join(ties) or "true"
    head = f"MATCH (p:Person)-{first}->(c:Company) WHERE {tied}"
    facts = _role_facts(asked.roles)
    if asked.subject == "Person":
        if asked.answer == "rows":
            return CompiledFrame(
                cypher=f"{head} RETURN p.name AS 姓名, p.id AS 编号, p.birth_year AS 出生年份, "
                       f"c.name AS 企业{facts} ORDER BY 编号, 企业", params=params)
        return CompiledFrame(cypher=f"{head} RETURN count(DISTINCT p) AS 人数, "
                                    "count(DISTINCT c) AS 涉及企业数", params=params)
    # a company must have a holder of the scope's role and, when the question presumes them,
    # of every role it names; a share is out of the companies that do (else out of all)
    required = [_arrow(asked.scope, "scope", params, ontology)] if asked.scope else []
    required += arrows if asked.presumed else []
    required = list(dict.fromkeys(required))

    def having(node: str) -> str:
        return " AND ".join(f"EXISTS {{ MATCH ()-{arrow}->({node}) }}" for arrow in required)

    if required:
        head += f" AND {having('c')}"
    if asked.answer == "rows":
        first_role = asked.roles[0]
        named = (first_role.title_zh if first_role.rel != "SERVES_AS" or first_role.job
                 else "任职人员")
        holder = "" if asked.person_id else f", p.name AS {named}"
        whether = "".join(f", EXISTS {{ MATCH (p)-{arrow}->(c) }} AS 是否{role.title_zh}"
                          for role, arrow in others if role.asked)
        return CompiledFrame(
            cypher=f"{head} RETURN c.name AS 企业, c.id AS 编号{holder}{facts}{whether} "
                   "ORDER BY 编号", params=params)
    if asked.answer == "count":
        return CompiledFrame(cypher=f"{head} RETURN count(DISTINCT c) AS 企业数量",
                             params=params)
    whole = f"WHERE {having('every')} " if required else ""
    return CompiledFrame(
        cypher=f"MATCH (every:Company) {whole}WITH count(every) AS 总数 {head} "
               "WITH 总数, count(DISTINCT c) AS 企业数量 "
               "RETURN 企业数量, 总数, toFloat(企业数量) / 总数 AS 占比", params=params)


_FACTS = {"HOLDS_SHARES": ("ratio", "持股比例"), "GUARANTEES": ("amount", "担保金额_万元"),
          "SERVES_AS": ("title", "职务")}
"""What each listed pair's relationship of a held role tells, shown beside it."""


def _role_facts(roles: list[Role]) -> str:
    """RETURN items (each with a leading comma) of what the person's held roles towards the
    company tell: the stake, the guarantee's amount, the job title."""
    items = []
    for role in roles:
        if role.held and not role.asked and role.rel in _FACTS:
            prop, column = _FACTS[role.rel]
            items.append(f", [(p)-[x:{role.rel}]->(c) | x.{prop}][0] AS {column}")
    return "".join(dict.fromkeys(items))


def _tie(role: Role, arrow: str, name: str, params: dict[str, Any]) -> str:
    """The condition that the person holds (or not) the role towards the company, above its
    share when it sets one."""
    tie = f"(p)-{arrow}->(c)"
    if role.share_over is not None:
        params[name] = role.share_over
        body = arrow.removeprefix("[").removesuffix("]")
        tie = f"EXISTS {{ MATCH (p)-[x{body}]->(c) WHERE x.ratio > ${name} }}"
    return tie if role.held else f"NOT {tie}"


def _arrow(role: Role, name: str, params: dict[str, Any], ontology: Ontology) -> str:
    """The role's relationship as a pattern's arrow body, its job title a parameter."""
    if role.rel not in ontology.relationships:
        raise ValueError(f"unknown relationship type {role.rel}")
    if role.job is None:
        return f"[:{role.rel}]"
    params[name] = role.job
    return f"[:{role.rel} {{title: ${name}}}]"
