"""The finance graph of the demo city 「滨江市」: companies, people, funds, banks and planted risks.

``build(data_dir)`` turns the hand-written parts (``finance.yaml``, ``bank.yaml``,
``bank_knowledge.yaml``) and the region list (``regions.yaml``) into one GraphBundle. Everything
random comes from one ``random.Random`` seeded in ``finance.yaml`` and only ever iterates lists,
so two builds are equal record for record.

What it holds:

* ≥ 600 companies (state-owned platforms, private groups, ordinary firms, fund managers, the four
  banks) with abbreviations as aliases, valid unified social credit codes, capital, founding date,
  industry, status, address, and LOCATED_IN a street or district;
* ≥ 400 persons with fictional but well-formed ID numbers, including homonyms (same name,
  different people told apart by ID number, birth year and companies);
* ≥ 50 private funds MANAGED by manager companies (and by fund-manager persons), the products
  funds and companies ISSUE, who INVESTS_IN them, accounts, TRANSFERS between accounts;
* the banks with their LoanProducts and wealth products (``Bank ISSUES Product``: the ontology
  has no OFFERS relationship), and the bank knowledge base of 滨江市民银行 (KnowledgeEntry
  PROVIDED_BY the bank, ABOUT a Category of scheme ``bank``);
* planted risk patterns, whose ids ``planted_patterns()`` returns: a circular shareholding, a
  guarantee circle, a controller behind ≥ 15 shell companies, a missing controller, an overdue
  redemption and a fake private fund.

Units: capital, sizes and amounts in 万元; share ratios, rates and returns as fractions
(0.036 = 3.6 %). Companies are LOCATED_IN a region (the ontology has no REGISTERED_IN).

The YAML readers it uses live in ``data_files.py``, shared with the other domain builders.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

from ingest.demo.data_files import (
    DATA_DIR,
    REGIONS_FILE,
    DemoFile,
    RegionIndex,
    RegionInfo,
    entry_label,
)
from kg.errors import DataValidationError
from kg.records import GraphBundle, NodeRef, RelRecord

log = logging.getLogger(__name__)

FINANCE_FILE = "finance.yaml"
BANK_FILE = "bank.yaml"
KNOWLEDGE_FILE = "bank_knowledge.yaml"
DEMO_BANK_ID = "CO-BANK-001"
DEMO_TODAY = date(2025, 6, 30)  # the demo city's "now": no date in the finance graph is later


# ======================================================================================
# Fictional identifiers with real check digits
# ======================================================================================
_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def credit_code_check(first17: str) -> str:
    """The GB 32100 check character of a unified social credit code's first 17 characters."""
    total = sum(_CREDIT_CHARS.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return _CREDIT_CHARS[(31 - total % 31) % 31]


def make_credit_code(rng: random.Random, area_code: str) -> str:
    """A well-formed unified social credit code of an enterprise registered in ``area_code``."""
    org8 = "MA" + "".join(rng.choice(_CREDIT_CHARS) for _ in range(6))
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w
                for c, w in zip(org8, _ORG_WEIGHTS, strict=True))
    check9 = {10: "X", 11: "0"}.get(11 - total % 11, str(11 - total % 11))
    first17 = "91" + area_code + org8 + check9
    return first17 + credit_code_check(first17)


def id_number_check(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of a resident ID number's first 17 digits."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def make_id_number(rng: random.Random, area_code: str, birth: date, male: bool) -> str:
    """A fictional resident ID number (fictional area codes 3399xx) with a valid check digit."""
    seq = rng.randrange(0, 500) * 2 + (1 if male else 0)
    first17 = f"{area_code}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_number_check(first17)


# ======================================================================================
# Records the builder keeps before it writes them
# ======================================================================================
@dataclass
class _Company:
    key: str
    name: str
    aliases: list[str]
    kind: str
    industry: str
    capital: float
    founded_on: date
    region: RegionInfo
    address: str
    phone: str
    status: str = "存续"
    description: str | None = None
    label: str = "Company"
    credit_code: str | None = None
    id: str = ""
    rank: int = 0

    def ref(self) -> NodeRef:
        return NodeRef(label=self.label, key=self.id)

    @property
    def alive(self) -> bool:
        return self.status in ("存续", "在业")


@dataclass
class _Person:
    key: str
    name: str
    gender: str
    birth_year: int
    id_number: str
    address: str
    id: str = ""

    def ref(self) -> NodeRef:
        return NodeRef(label="Person", key=self.id)


@dataclass
class _Fund:
    key: str
    name: str
    aliases: list[str]
    kind: str
    style: str
    size: float
    founded_on: date
    manager: _Company
    filing_code: str | None
    status: str
    expected_return: float
    description: str | None = None
    id: str = ""

    def ref(self) -> NodeRef:
        return NodeRef(label="Fund", key=self.id)


@dataclass
class _Product:
    key: str
    issuer: _Fund | _Company
    name: str
    kind: str
    size: float | None
    expected_return: float | None
    term_months: int | None
    issued_on: date
    status: str
    description: str | None = None
    id: str = ""

    def ref(self) -> NodeRef:
        return NodeRef(label="Product", key=self.id)


@dataclass
class _Account:
    holder: NodeRef
    holder_name: str
    bank: _Company
    kind: str
    opened_on: date
    status: str = "正常"
    id: str = ""

    def ref(self) -> NodeRef:
        return NodeRef(label="Account", key=self.id)


@dataclass
class _Transfer:
    source: _Account
    target: _Account
    amount: float
    time: datetime
    pattern: str | None = None


@dataclass
class _Event:
    kind: str
    name: str
    occurred_on: date
    severity: str
    source: str
    description: str
    involves: list[NodeRef]
    pattern: str | None = None
    id: str = ""


@dataclass
class _Cast:
    """The people and companies of the planted scenarios, kept for wiring them up."""

    shell_boss: _Person
    nominees: list[_Person]
    missing_boss: _Person
    fake_boss: _Person
    cycle_owner: _Person
    cycle: list[_Company] = field(default_factory=list)
    circle: list[_Company] = field(default_factory=list)
    shells: list[_Company] = field(default_factory=list)
    missing: list[_Company] = field(default_factory=list)
    overdue_manager: _Company | None = None
    fake_manager: _Company | None = None


def _weighted(rng: random.Random, items: Sequence[Any], weights: Sequence[float]) -> Any:
    return rng.choices(list(items), weights=list(weights), k=1)[0]


def _day_between(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max(0, (end - start).days)))


def _moment(rng: random.Random, day: date, first_hour: int = 8, last_hour: int = 19) -> datetime:
    hour = rng.randint(first_hour, last_hour)
    return datetime(day.year, day.month, day.day, hour, rng.randint(0, 59), rng.randint(0, 59),
                    tzinfo=CITY_TZ)


def _split_units(rng: random.Random, parts: int, units: int) -> list[int]:
    """``units`` split into ``parts`` positive integers, largest first."""
    if parts <= 1:
        return [units]
    cuts = sorted(rng.sample(range(1, units), parts - 1))
    sizes = [b - a for a, b in zip([0, *cuts], [*cuts, units], strict=True)]
    return sorted(sizes, reverse=True)


def _pct(value: float) -> str:
    return f"{value:.2f}%"


CITY_TZ = timezone(timedelta(hours=8))
_BANK_WEIGHTS = {"CO-BANK-001": 45.0, "CO-BANK-002": 25.0, "CO-BANK-003": 20.0, "CO-BANK-004": 10.0}
_TECH = ("制造业", "信息传输、软件和信息技术服务业", "科学研究和技术服务业")
_STATUSES = ("存续", "在业", "吊销", "注销", "迁出")
_BIG_KINDS = ("股份有限公司", "国有控股", "国有独资")


# ======================================================================================
# The builder
# ======================================================================================
class _FinanceBuilder:
    """Builds the finance bundle; one instance per build, with its own seeded random source."""

    def __init__(self, data_dir: Path) -> None:
        self.fin = DemoFile(data_dir, FINANCE_FILE)
        self.bank_file = DemoFile(data_dir, BANK_FILE)
        self.knowledge = DemoFile(data_dir, KNOWLEDGE_FILE)
        self.regions = RegionIndex(data_dir)
        self.rng = random.Random(int(self.fin.field(self.fin.data, "seed", "seed", int)))
        self.counts = self._counts()
        self.planted: dict[str, Any] = self.fin.section("planted", dict)
        self.bundle = GraphBundle()
        self.persons: list[_Person] = []
        self.companies: list[_Company] = []
        self.funds: list[_Fund] = []
        self.products: list[_Product] = []
        self.accounts: list[_Account] = []
        self.transfers: list[_Transfer] = []
        self.events: list[_Event] = []
        self.banks: dict[str, _Company] = {}
        self.anchors: dict[str, _Company] = {}
        self.ordinary: list[_Company] = []
        self.ordinary_persons: list[_Person] = []
        self.homonyms: list[_Person] = []
        self.holders: dict[str, list[tuple[NodeRef, float]]] = {}
        self.share_edges: dict[tuple[str, str], RelRecord] = {}
        self.controlled: set[str] = set()
        self.legal_reps: dict[str, _Person] = {}
        self.person_by_id: dict[str, _Person] = {}
        self.accounts_of: dict[str, list[_Account]] = {}
        self.patterns: dict[str, list[str]] = {}
        self.id_numbers: set[str] = set()
        self.names_taken: set[str] = set()
        self.filing_codes: set[str] = set()

    # -- small helpers -------------------------------------------------------------------
    def _counts(self) -> dict[str, int]:
        out = {}
        for key, value in self.fin.section("counts", dict).items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise self.fin.error(f"counts.{key}", "must be a non-negative integer")
            out[str(key)] = value
        return out

    def count(self, key: str) -> int:
        if key not in self.counts:
            raise self.fin.error("counts", f"missing field {key!r}")
        return self.counts[key]

    def spec(self, *path: str) -> Any:
        """A required mapping inside ``planted`` (e.g. spec("shell_controller", "person"))."""
        node: Any = self.planted
        for i, key in enumerate(path):
            where = ".".join(("planted", *path[: i + 1]))
            if not isinstance(node, Mapping) or not isinstance(node.get(key), Mapping):
                raise self.fin.error(where, "missing or not a mapping")
            node = node[key]
        return node

    def node(self, label: str, **props: Any) -> NodeRef:
        """Add a node, leaving out properties that have no value."""
        return self.bundle.node(label, **{k: v for k, v in props.items() if v is not None})

    def record(self, pattern: str, ids: Iterable[str]) -> None:
        self.patterns.setdefault(pattern, []).extend(ids)

    def region(self, name: str, where: str) -> RegionInfo:
        info = self.regions.find(name, f"{FINANCE_FILE}: entry {where!r}")
        if info.label not in ("District", "Street"):
            raise self.fin.error(where, f"region {name!r} must be a district or a street")
        return info

    def phone(self) -> str:
        return f"0579-8{self.rng.randint(6, 8)}{self.rng.randint(0, 999999):06d}"

    def address(self, region: RegionInfo) -> str:
        roads = self.fin.section("roads", dict).get(region.district_name)
        if not roads:
            raise self.fin.error("roads", f"no roads for district {region.district_name!r}")
        road, number = self.rng.choice(list(roads)), self.rng.randint(1, 999)
        text = f"滨江市{region.district_name}{road}{number}号"
        if self.rng.random() < 0.6:
            floor, room = self.rng.randint(1, 20), self.rng.randint(1, 30)
            text += f"{self.rng.randint(1, 12)}幢{floor}{room:02d}室"
        return text

    def capital(self, low: float, high: float) -> float:
        steps = [float(s) for s in self.fin.section("capital_steps")]
        value = low * (high / low) ** self.rng.random()
        return min(steps, key=lambda s: abs(s - value))

    def pick_person(self, at: date) -> _Person:
        """An ordinary person who is at least 22 on ``at``; a busy few are picked more often."""
        pool = self.ordinary_persons
        busy = [p for p in pool if p.birth_year <= 1980][:25]
        for _ in range(100):
            person = self.rng.choice(busy if self.rng.random() < 0.1 else pool)
            if person.birth_year <= at.year - 22:
                return person
        return min(pool, key=lambda p: p.birth_year)

    # -- persons -------------------------------------------------------------------------
    def new_person(self, key: str, name: str, gender: str, birth_year: int) -> _Person:
        community = self.rng.choice(self.regions.of_label("Community"))
        street = self.regions.find(community.parent_id or community.id, REGIONS_FILE)
        birth = date(birth_year, 1, 1) + timedelta(days=self.rng.randint(0, 364))
        area = self.regions.district_code(community)
        number = make_id_number(self.rng, area, birth, gender == "男")
        while number in self.id_numbers:
            number = make_id_number(self.rng, area, birth, gender == "男")
        self.id_numbers.add(number)
        place = f"滨江市{community.district_name}{street.name}{community.name}"
        if community.name.endswith("村"):
            address = f"{place}{self.rng.randint(1, 300)}号"
        else:
            address = (f"{place}{self.rng.randint(1, 40)}幢{self.rng.randint(1, 6)}单元"
                       f"{self.rng.randint(1, 18)}{self.rng.randint(1, 4):02d}室")
        person = _Person(key, name, gender, birth_year, number, address)
        self.persons.append(person)
        return person

    def random_name(self, gender: str) -> str:
        surnames = self.fin.section("surnames")
        given = self.fin.section("given_names", dict).get(gender)
        if not given:
            raise self.fin.error("given_names", f"no given names for {gender!r}")
        surname = _weighted(self.rng, surnames, [1.0 / (i + 4) for i in range(len(surnames))])
        return f"{surname}{self.rng.choice(list(given))}"

    def planted_person(self, *path: str) -> _Person:
        spec = self.spec(*path)
        where = ".".join(("planted", *path))
        return self.new_person(where, str(self.fin.field(spec, "name", where)),
                               str(self.fin.field(spec, "gender", where)),
                               int(self.fin.field(spec, "birth_year", where, int)))

    def make_persons(self) -> _Cast:
        for i in range(self.count("persons")):
            gender = "男" if self.rng.random() < 0.55 else "女"
            person = self.new_person(f"gen:{i}", self.random_name(gender), gender,
                                     self.rng.randint(1952, 2001))
            self.ordinary_persons.append(person)
        for label, entry in self.fin.entries("homonyms"):
            name = str(self.fin.field(entry, "name", label))
            gender = str(self.fin.field(entry, "gender", label))
            for i in range(int(self.fin.field(entry, "count", label, int))):
                self.homonyms.append(self.new_person(f"homonym:{name}:{i}", name, gender,
                                                     self.rng.randint(1955, 1985)))
        nominees = [
            self.new_person(f"nominee:{i}", str(self.fin.field(n, "name", f"nominee {i}")),
                            str(self.fin.field(n, "gender", f"nominee {i}")),
                            int(self.fin.field(n, "birth_year", f"nominee {i}", int)))
            for i, n in enumerate(self.fin.field(self.spec("shell_controller"), "nominees",
                                                 "planted.shell_controller", list))
        ]
        cast = _Cast(
            shell_boss=self.planted_person("shell_controller", "person"),
            nominees=nominees,
            missing_boss=self.planted_person("missing_controller", "person"),
            fake_boss=self.planted_person("fake_private_fund", "controller"),
            cycle_owner=self.pick_person(date(2012, 1, 1)),
        )
        self.homonyms.append(cast.shell_boss)
        return cast

    # -- companies -----------------------------------------------------------------------
    def new_company(self, key: str, name: str, aliases: list[str], industry: str, capital: float,
                    founded_on: date, region: RegionInfo, **extra: Any) -> _Company:
        if name in self.names_taken:
            raise self.fin.error(key, f"company name {name!r} is used twice")
        self.names_taken.add(name)
        extra.setdefault("kind", "股份有限公司" if "股份有限公司" in name else "有限责任公司")
        address = extra.pop("address", None) or self.address(region)
        phone = extra.pop("phone", None) or self.phone()
        company = _Company(key, name, aliases, extra.pop("kind"), industry, capital, founded_on,
                           region, address, phone, **extra)
        company.rank = len(self.companies)
        self.companies.append(company)
        return company

    def spec_company(self, entry: Mapping[str, Any], where: str, **extra: Any) -> _Company:
        """A company from a hand-written entry (anchors, planted companies, fund managers)."""
        f = self.fin
        founded = (f.date_field(entry, "founded_on", where) if entry.get("founded_on")
                   else _day_between(self.rng, date(2012, 1, 1), date(2019, 12, 31)))
        capital = entry.get("capital") or self.rng.choice([1000, 2000, 5000])
        return self.new_company(
            where, str(f.field(entry, "name", where)), [str(a) for a in entry.get("aliases") or []],
            str(entry.get("industry") or extra.pop("industry", "金融业")), float(capital), founded,
            self.region(str(f.field(entry, "region", where)), where), **extra)

    def spec_companies(self, *path: str, minimum: int = 1) -> list[_Company]:
        where = ".".join(("planted", *path))
        entries = self.fin.field(self.spec(*path), "companies", where, list)
        if len(entries) < minimum:
            raise self.fin.error(where, f"needs at least {minimum} companies")
        return [self.spec_company(e, f"{where}.{entry_label(e, i)}") for i, e in enumerate(entries)]

    def make_banks(self) -> None:
        f = self.bank_file
        for label, entry in f.entries("banks"):
            bid = str(f.field(entry, "id", label))
            region = self.regions.find(str(f.field(entry, "region", bid)), f"{BANK_FILE}: {bid}")
            self.banks[bid] = self.new_company(
                bid, str(f.field(entry, "name", bid)), f.str_list(entry, "aliases", bid), "金融业",
                float(f.field(entry, "registered_capital", bid, (int, float))),
                f.date_field(entry, "founded_on", bid), region,
                kind=str(f.field(entry, "kind", bid)), address=str(f.field(entry, "address", bid)),
                phone=str(f.field(entry, "phone", bid)), label="Bank",
                description=str(f.field(entry, "description", bid)).strip(),
                credit_code=str(f.field(entry, "credit_code", bid)))
            self.banks[bid].id = bid
        if DEMO_BANK_ID not in self.banks:
            raise f.error(DEMO_BANK_ID, "the demo bank is missing")

    def make_anchors(self) -> None:
        for label, entry in self.fin.entries("anchors"):
            key = str(self.fin.field(entry, "key", label))
            self.anchors[key] = self.spec_company(
                entry, key, kind=str(self.fin.field(entry, "kind", key)),
                description=entry.get("description"))

    def industry_table(self) -> list[dict[str, Any]]:
        for label, entry in self.fin.entries("industries"):
            for key in ("word", "short", "industry", "capital", "weight"):
                self.fin.field(entry, key, label)
        return [entry for _, entry in self.fin.entries("industries")]

    def free_trade_names(self) -> list[str]:
        """字号 not used by a hand-written company, so its abbreviation stays distinct."""
        reserved = " ".join(sorted(self.names_taken))
        return [str(t) for t in self.fin.section("trade_names") if str(t) not in reserved]

    def make_ordinary_companies(self) -> None:
        industries = self.industry_table()
        weights = [float(i["weight"]) for i in industries]
        trade_names = self.free_trade_names()
        streets = self.regions.of_label("Street")
        while len(self.ordinary) < self.count("companies"):
            ind = _weighted(self.rng, industries, weights)
            trade = self.rng.choice(trade_names)
            low, high = (float(x) for x in ind["capital"])
            joint = high >= 3000 and self.rng.random() < 0.08
            name = f"滨江{trade}{ind['word']}{'股份' if joint else ''}有限公司"
            if name in self.names_taken:
                continue
            status = _weighted(self.rng, _STATUSES, [80, 10, 4, 4, 2])
            region = self.rng.choice(streets)
            if self.rng.random() < 0.1:
                region = self.regions.find(region.district_id, REGIONS_FILE)
            self.ordinary.append(self.new_company(
                f"gen:{len(self.ordinary)}", name, [f"{trade}{ind['short']}"],
                str(ind["industry"]), self.capital(low * (3 if joint else 1), high),
                _day_between(self.rng, date(1996, 1, 1), date(2024, 12, 31)), region,
                status=status))

    def make_shells(self, cast: _Cast) -> None:
        where = "planted.shell_controller"
        spec, f = self.spec("shell_controller"), self.fin
        start, end = (date.fromisoformat(str(d)) for d in f.field(spec, "founded_between", where))
        region = self.region(str(f.field(spec, "region", where)), where)
        words = [str(w) for w in f.field(spec, "industry_words", where, list)]
        industry_of = {str(i["word"]): str(i["industry"]) for i in self.industry_table()}
        trade_names = self.free_trade_names()
        while len(cast.shells) < int(f.field(spec, "count", where, int)):
            word = self.rng.choice(words)
            name = f"滨江{self.rng.choice(trade_names)}{word}有限公司"
            if name in self.names_taken:
                continue
            cast.shells.append(self.new_company(
                f"shell:{len(cast.shells)}", name, [], industry_of.get(word, "批发和零售业"),
                float(self.rng.choice(f.field(spec, "capitals", where, list))),
                _day_between(self.rng, start, end), region,
                address=str(f.field(spec, "address", where)),
                phone=str(f.field(spec, "phone", where))))

    def make_companies(self, cast: _Cast) -> list[tuple[_Company, Mapping[str, Any]]]:
        self.make_banks()
        self.make_anchors()
        managers: list[tuple[_Company, Mapping[str, Any]]] = []
        for label, entry in self.fin.entries("fund_managers"):
            registration = self.fin.field(entry, "registration", label)
            managers.append((self.spec_company(
                entry, label, description=f"私募基金管理人，登记编号{registration}。"), entry))
        cast.cycle = self.spec_companies("circular_shareholding", minimum=3)
        cast.circle = self.spec_companies("guarantee_circle", minimum=4)
        cast.missing = self.spec_companies("missing_controller", minimum=2)
        overdue = self.spec("overdue_redemption", "manager")
        cast.overdue_manager = self.spec_company(
            overdue, "planted.overdue_redemption.manager",
            description=f"私募基金管理人，登记编号{overdue.get('registration', '')}。")
        cast.fake_manager = self.spec_company(
            self.spec("fake_private_fund", "manager"), "planted.fake_private_fund.manager",
            description="自称私募基金管理人，未在中国证券投资基金业协会登记。")
        self.make_shells(cast)
        self.make_ordinary_companies()
        return managers

    # -- ids -----------------------------------------------------------------------------
    def assign_ids(self) -> None:
        """Shuffle, then number: an id says nothing about whether its node is planted."""
        companies = [c for c in self.companies if c.label != "Bank"]
        self.rng.shuffle(companies)
        for i, company in enumerate(companies, start=1):
            company.id = f"CO-{i:05d}"
        persons = list(self.persons)
        self.rng.shuffle(persons)
        for i, person in enumerate(persons, start=1):
            person.id = f"P{i:05d}"
            self.person_by_id[person.id] = person

    # -- writing nodes -------------------------------------------------------------------
    def write_company(self, c: _Company) -> None:
        code = c.credit_code or make_credit_code(self.rng, self.regions.district_code(c.region))
        self.node(
            c.label, id=c.id, name=c.name, aliases=c.aliases or None, kind=c.kind,
            credit_code=code, registered_capital=c.capital, founded_on=c.founded_on,
            industry=c.industry, status=c.status, address=c.address, phone=c.phone,
            description=c.description)
        self.bundle.rel("LOCATED_IN", c.ref(), c.region.ref())

    def write_person(self, p: _Person) -> None:
        self.node("Person", id=p.id, name=p.name, gender=p.gender,
                         birth_year=p.birth_year, id_number=p.id_number, address=p.address)

    # -- ownership and control -----------------------------------------------------------
    def hold(self, holder: NodeRef, target: _Company, ratio: float,
             since: date | None = None) -> None:
        """``holder`` holds ``ratio`` of ``target``; a second stake of the same holder adds up.

        One relationship per holder and company, since the graph merges HOLDS_SHARES on
        (start, end) and a second edge would overwrite the first ratio.
        """
        stakes = self.holders.setdefault(target.id, [])
        for i, (known, old) in enumerate(stakes):
            if known == holder:
                stakes[i] = (holder, round(old + ratio, 4))
                self.share_edges[(holder.key, target.id)].properties["ratio"] = stakes[i][1]
                return
        stakes.append((holder, round(ratio, 4)))
        self.bundle.rel("HOLDS_SHARES", holder, target.ref(), ratio=round(ratio, 4),
                        since=since or target.founded_on)
        self.share_edges[(holder.key, target.id)] = self.bundle.relationships[-1]

    def control(self, holder: NodeRef, target: _Company, since: date | None = None) -> None:
        self.controlled.add(target.id)
        self.bundle.rel("CONTROLS", holder, target.ref(), since=since or target.founded_on)

    def persons_hold(self, target: _Company, units: int,
                     people: list[_Person] | None = None) -> None:
        """Persons hold ``units`` half-percents of ``target`` (new random people unless given)."""
        if units <= 0:
            return
        parts = _split_units(self.rng, min(len(people) if people else self.rng.randint(1, 3),
                                           units), units)
        owners = people or [self.pick_person(target.founded_on) for _ in parts]
        for owner, part in zip(owners, parts, strict=False):
            self.hold(owner.ref(), target, part / 200)

    def own_anchors(self) -> None:
        """Parents hold their anchors; the state-owned root (no parent) has no shareholder."""
        for label, entry in self.fin.entries("anchors"):
            company = self.anchors[str(entry["key"])]
            parent_key = entry.get("parent")
            if not parent_key:
                if not company.kind.startswith("国有"):
                    self.persons_hold(company, 200)
                continue
            parent = self.anchors.get(str(parent_key))
            if parent is None or parent.rank > company.rank:
                raise self.fin.error(label, f"parent {parent_key!r} must be an anchor listed above")
            ratio = float(self.fin.field(entry, "ratio", label, (int, float)))
            self.hold(parent.ref(), company, ratio, max(company.founded_on, parent.founded_on))
            units = 200 - round(ratio * 200)
            if units > 0 and company.kind.startswith("国有"):
                other = self.anchors[
                    "city_invest" if parent_key != "city_invest" else "state_capital"]
                self.hold(other.ref(), company, units / 200,
                          max(company.founded_on, other.founded_on))
            elif units > 0:
                self.persons_hold(company, units if company.kind != "股份有限公司" else units // 2)

    def own_banks(self) -> None:
        shareholders = self.fin.section("bank_shareholders", dict)
        for bid, bank in self.banks.items():
            for holder_key, ratio in (shareholders.get(bid) or {}).items():
                holder = self.banks.get(holder_key) or self.anchors.get(holder_key)
                if holder is None:
                    raise self.fin.error(f"bank_shareholders.{bid}",
                                         f"unknown holder {holder_key!r}")
                self.hold(holder.ref(), bank, float(ratio))
            if bank.kind != "股份制商业银行分行":
                for _ in range(self.rng.randint(3, 6)):
                    self.hold(self.pick_person(bank.founded_on).ref(), bank,
                              self.rng.randint(1, 6) / 200)

    def own_managers(self, managers: list[tuple[_Company, Mapping[str, Any]]]) -> None:
        for company, entry in managers:
            units = 200
            if entry.get("parent"):
                parent = self.anchors.get(str(entry["parent"]))
                if parent is None:
                    raise self.fin.error(company.key, f"unknown parent {entry['parent']!r}")
                ratio = float(self.fin.field(entry, "ratio", company.key, (int, float)))
                self.hold(parent.ref(), company, ratio)
                units -= round(ratio * 200)
            self.persons_hold(company, units)

    def corporate_holder(self, target: _Company) -> _Company | None:
        """An earlier-ranked live company (never a bank or a planted one) to hold ``target``."""
        pool = [c for c in [*self.anchors.values(), *self.ordinary]
                if c.rank < target.rank and c.alive and c.industry != "金融业"]
        return self.rng.choice(pool) if pool else None

    def own_ordinary(self, equity_funds: list[_Fund]) -> None:
        for company in self.ordinary:
            parts = _weighted(self.rng, [1, 2, 3, 4], [30, 40, 20, 10])
            units = self.rng.randint(120, 190) if company.kind == "股份有限公司" else 200
            sizes = _split_units(self.rng, parts, units)
            for i, size in enumerate(sizes):
                holder: _Company | _Fund | None = None
                draw = self.rng.random()
                last = i == len(sizes) - 1 and i > 0
                if last and equity_funds and company.industry in _TECH and draw < 0.35:
                    holder = self.rng.choice(equity_funds)
                elif draw < 0.15:
                    holder = self.corporate_holder(company)
                if holder is None:
                    self.hold(self.pick_person(company.founded_on).ref(), company, size / 200)
                else:
                    since = max(company.founded_on, holder.founded_on)
                    self.hold(holder.ref(), company, size / 200, since)

    def own_planted(self, cast: _Cast) -> None:
        ratios = [float(r) for r in self.fin.field(self.spec("circular_shareholding"), "ratios",
                                                   "planted.circular_shareholding", list)]
        if len(ratios) != len(cast.cycle):
            raise self.fin.error("planted.circular_shareholding", "needs one ratio per company")
        for i, company in enumerate(cast.cycle):
            holder = cast.cycle[i - 1]
            self.hold(holder.ref(), company, ratios[i - 1])
            self.persons_hold(company, 200 - round(ratios[i - 1] * 200), [cast.cycle_owner])
        for company in cast.circle:
            self.persons_hold(company, 200)
        for i, shell in enumerate(cast.shells):
            owner = cast.shell_boss if i % 9 < 5 else cast.nominees[i % len(cast.nominees)]
            self.hold(owner.ref(), shell, 1.0)
            self.control(cast.shell_boss.ref(), shell)
        self.own_missing_group(cast)
        assert cast.fake_manager is not None and cast.overdue_manager is not None
        self.hold(cast.fake_boss.ref(), cast.fake_manager, 0.9)
        self.hold(cast.nominees[0].ref(), cast.fake_manager, 0.1)
        self.control(cast.fake_boss.ref(), cast.fake_manager)
        self.persons_hold(cast.overdue_manager, 200)

    def own_missing_group(self, cast: _Cast) -> None:
        where = "planted.missing_controller"
        entries = self.fin.field(self.spec("missing_controller"), "companies", where, list)
        group = cast.missing[0]
        for entry, company in zip(entries, cast.missing, strict=True):
            ratio = float(self.fin.field(entry, "ratio", company.key, (int, float)))
            owner = cast.missing_boss.ref() if company is group else group.ref()
            self.hold(owner, company, ratio)
            self.persons_hold(company, 200 - round(ratio * 200))
            self.control(cast.missing_boss.ref(), company)
            if company is not group and ratio > 0.5:
                self.control(group.ref(), company)

    def derive_control(self) -> None:
        """CONTROLS from a holder with more than half, or a clear relative majority (≥ 30 %)."""
        for company in self.companies:
            if company.id in self.controlled:
                continue
            stakes = sorted(self.holders.get(company.id, []), key=lambda s: -s[1])
            if not stakes or stakes[0][0].label == "Fund":
                continue
            top = stakes[0][1]
            second = stakes[1][1] if len(stakes) > 1 else 0.0
            if top > 0.5 or (top >= 0.3 and second < top / 2):
                self.control(stakes[0][0], company)

    # -- officers ------------------------------------------------------------------------
    def appoint(self, company: _Company, rep: _Person, big: bool) -> None:
        since = min(company.founded_on + timedelta(days=self.rng.randint(0, 400)), DEMO_TODAY)
        self.legal_reps[company.id] = rep
        self.bundle.rel("IS_LEGAL_REP", rep.ref(), company.ref(), since=since)
        pick = self.pick_person
        if company.label == "Bank":
            titles = [("董事长", rep), ("行长", pick(since)), ("监事长", pick(since))]
        elif big:
            titles = [("董事长", rep), ("总经理", pick(since)), ("监事", pick(since))]
        else:
            titles = [("执行董事兼总经理", rep), ("监事", pick(since))]
        if self.rng.random() < 0.4:
            titles.append(("财务负责人", pick(since)))
        seen: set[str] = set()
        for title, person in titles:
            if person.id not in seen:
                seen.add(person.id)
                self.bundle.rel("SERVES_AS", person.ref(), company.ref(), title=title, since=since)

    def controller_person(self, company: _Company) -> _Person | None:
        stakes = sorted(self.holders.get(company.id, []), key=lambda s: -s[1])
        if stakes and stakes[0][0].label == "Person" and stakes[0][1] > 0.5:
            return self.person_by_id[stakes[0][0].key]
        return None

    def appoint_all(self, cast: _Cast) -> None:
        fixed: dict[str, _Person] = {cast.missing[0].id: cast.missing_boss,
                                     cast.missing[1].id: cast.missing_boss}
        assert cast.fake_manager is not None
        fixed[cast.fake_manager.id] = cast.fake_boss
        for i, shell in enumerate(cast.shells):
            nominee = cast.nominees[i % len(cast.nominees)]
            fixed[shell.id] = cast.shell_boss if i % 3 == 0 else nominee
        innocent = [p for p in self.homonyms if p.key.startswith("homonym:")]
        for person, company in zip(innocent, self.ordinary, strict=False):
            fixed.setdefault(company.id, person)
        for company in self.companies:
            rep = fixed.get(company.id) or self.controller_person(company)
            if rep is None or (company.id not in fixed and self.rng.random() < 0.3):
                rep = self.pick_person(company.founded_on)
            big = company.capital >= 5000 or company.kind in _BIG_KINDS
            self.appoint(company, rep, big)

    # -- funds and products --------------------------------------------------------------
    def filing_code(self) -> str:
        letters = "ABCDEFGHJKLMNPQRTUVWXY"
        while True:
            code = "S" + "".join(self.rng.choice(letters) for _ in range(2))
            code += str(self.rng.randint(100, 999))
            if code not in self.filing_codes:
                self.filing_codes.add(code)
                return code

    def new_fund(self, company: _Company, entry: Mapping[str, Any], j: int, stem: str) -> _Fund:
        style = str(self.fin.field(entry, "style", company.key))
        spec = self.fin.section("fund_name_parts", dict).get(style)
        if not isinstance(spec, Mapping):
            raise self.fin.error(company.key, f"no fund_name_parts for style {style!r}")
        short = str(self.fin.field(entry, "short", company.key))
        suffix = str(self.fin.field(spec, "suffix", style))
        if style == "证券":
            alias = f"{short}{stem}{self.rng.choice([1, 1, 2, 3, 5, 6, 8])}号"
            name, expected = f"{alias}{suffix}", self.rng.uniform(0.05, 0.12)
        else:
            prefix = short if short.startswith("滨江") else f"滨江{short}"
            name, alias = f"{prefix}{stem}{suffix}", f"{short}{stem}基金"
            low_high = (0.08, 0.14) if style == "股权" else (0.1, 0.18)
            expected = self.rng.uniform(*low_high)
        low, high = (float(x) for x in self.fin.field(spec, "size", style, list))
        size = round(low * (high / low) ** self.rng.random(), -2)
        founded = _day_between(self.rng, company.founded_on + timedelta(days=180),
                               date(2024, 12, 31))
        status = _weighted(self.rng, ["正常运作", "提前清算", "已清算", "延期清算"], [85, 5, 5, 5])
        return _Fund(f"{company.key}:{j}", name, [alias], str(self.fin.field(spec, "kind", style)),
                     style, size, founded, company, self.filing_code(), status, round(expected, 3))

    def make_funds(self, managers: list[tuple[_Company, Mapping[str, Any]]]) -> None:
        low, high = (int(x) for x in self.fin.section("funds_per_manager"))
        for company, entry in managers:
            style = str(self.fin.field(entry, "style", company.key))
            stems = list(self.fin.section("fund_name_parts", dict).get(style, {}).get("stems", []))
            if not stems:
                raise self.fin.error(company.key, f"no fund name stems for style {style!r}")
            self.rng.shuffle(stems)
            for j in range(self.rng.randint(low, high)):
                self.funds.append(self.new_fund(company, entry, j, stems[j % len(stems)]))

    def planted_fund(self, scenario: str, manager: _Company, filed: bool) -> _Fund:
        where = f"planted.{scenario}.fund"
        spec = self.spec(scenario, "fund")
        name = str(self.fin.field(spec, "name", where))
        fund = _Fund(
            where, name, [name.removesuffix("私募投资基金").removesuffix("私募基金")],
            str(self.fin.field(spec, "kind", where)), "证券",
            float(self.fin.field(spec, "size", where, (int, float))),
            self.fin.date_field(spec, "founded_on", where), manager,
            self.filing_code() if filed else None, "延期兑付" if filed else "未备案", 0.0)
        if not filed:
            fund.description = "未在中国证券投资基金业协会备案，无基金托管人。"
        self.funds.append(fund)
        return fund

    def planted_product(self, scenario: str, issuer: _Fund, status: str) -> _Product:
        where = f"planted.{scenario}.product"
        spec = self.spec(scenario, "product")
        product = _Product(
            where, issuer, str(self.fin.field(spec, "name", where)),
            str(self.fin.field(spec, "kind", where)),
            float(self.fin.field(spec, "size", where, (int, float))),
            float(self.fin.field(spec, "expected_return", where, (int, float))),
            int(self.fin.field(spec, "term_months", where, int)),
            self.fin.date_field(spec, "issued_on", where), status)
        issuer.expected_return = product.expected_return or 0.0
        self.products.append(product)
        return product

    def make_products(self) -> None:
        status_of = {"正常运作": "存续", "提前清算": "已清算", "已清算": "已清算",
                     "延期清算": "延期兑付"}
        term_of = {"股权": 84, "创投": 96}
        for fund in self.funds:
            if fund.key.startswith("planted."):
                continue
            self.products.append(_Product(
                f"fund:{fund.key}", fund, f"{fund.aliases[0]}份额", "私募基金份额",
                fund.size, fund.expected_return, term_of.get(fund.style), fund.founded_on,
                status_of[fund.status]))
        for label, entry in self.fin.entries("company_products"):
            issuer = self.anchors.get(str(self.fin.field(entry, "issuer", label)))
            if issuer is None:
                raise self.fin.error(label, f"unknown issuer {entry['issuer']!r}")
            self.products.append(_Product(
                f"company:{label}", issuer, label, str(self.fin.field(entry, "kind", label)),
                float(self.fin.field(entry, "size", label, (int, float))),
                float(self.fin.field(entry, "expected_return", label, (int, float))),
                int(self.fin.field(entry, "term_months", label, int)),
                self.fin.date_field(entry, "issued_on", label),
                str(self.fin.field(entry, "status", label))))
        for label, entry in self.bank_file.entries("wealth_products"):
            f = self.bank_file
            low_high = entry.get("benchmark")
            expected = round(sum(low_high) / 200, 5) if low_high else None
            bench = f"，业绩比较基准年化{_pct(low_high[0])}—{_pct(low_high[1])}" if low_high else ""
            product = _Product(
                label, self.banks[DEMO_BANK_ID], str(f.field(entry, "name", label)),
                str(f.field(entry, "kind", label)),
                float(f.field(entry, "size", label, (int, float))),
                expected, entry.get("term_months"), f.date_field(entry, "issued_on", label), "存续",
                f"滨江市民银行自营理财，风险等级{f.field(entry, 'risk', label)}{bench}。"
                "理财非存款，业绩比较基准不代表实际收益。")
            product.id = str(f.field(entry, "id", label))
            self.products.append(product)

    def assign_product_ids(self) -> None:
        funds = list(self.funds)
        self.rng.shuffle(funds)
        for i, fund in enumerate(funds, start=1):
            fund.id = f"FD-{i:04d}"
        numbered = [p for p in self.products if not p.id]
        self.rng.shuffle(numbered)
        for i, product in enumerate(numbered, start=1):
            product.id = f"PR-{i:04d}"

    def write_funds_and_products(self, managers: list[tuple[_Company, Mapping[str, Any]]]) -> None:
        fund_managers = {c.id: entry for c, entry in managers}
        for fund in self.funds:
            self.node("Fund", id=fund.id, name=fund.name, aliases=fund.aliases,
                             kind=fund.kind, filing_code=fund.filing_code, size=fund.size,
                             founded_on=fund.founded_on, status=fund.status,
                             description=fund.description)
            self.bundle.rel("LOCATED_IN", fund.ref(), fund.manager.region.ref())
            self.bundle.rel("MANAGES", fund.manager.ref(), fund.ref(), since=fund.founded_on)
            if fund.style == "证券" and fund.manager.id in fund_managers:
                self.bundle.rel("MANAGES", self.pick_person(fund.founded_on).ref(), fund.ref(),
                                since=fund.founded_on)
        for product in self.products:
            self.node("Product", id=product.id, name=product.name, kind=product.kind,
                             size=product.size, expected_return=product.expected_return,
                             term_months=product.term_months, issued_on=product.issued_on,
                             status=product.status, description=product.description)
            self.bundle.rel("ISSUES", product.issuer.ref(), product.ref())

    def write_loan_products(self) -> None:
        f = self.bank_file
        for label, entry in f.entries("loan_products"):
            bank = self.banks.get(str(f.field(entry, "bank", label)))
            if bank is None:
                raise f.error(label, f"unknown bank {entry['bank']!r}")
            low, high = (float(x) for x in f.field(entry, "rate", label, list))
            amount = float(f.field(entry, "amount_max", label, (int, float)))
            kind = str(f.field(entry, "kind", label))
            ref = self.node(
                "LoanProduct", id=str(f.field(entry, "id", label)),
                name=str(f.field(entry, "name", label)), kind=kind,
                rate_min=round(low / 100, 6), rate_max=round(high / 100, 6), amount_max=amount,
                term_months=int(f.field(entry, "term_months", label, int)),
                target_customers=str(f.field(entry, "target_customers", label)),
                conditions=str(f.field(entry, "conditions", label)),
                issued_on=f.date_field(entry, "issued_on", label), status="在售",
                description=(f"{bank.name}{kind}，年利率{_pct(low)}—{_pct(high)}，"
                             f"最高{amount:g}万元。"))
            self.bundle.rel("ISSUES", bank.ref(), ref)

    # -- investments and guarantees ------------------------------------------------------
    def invest(self, investor: NodeRef, target: NodeRef, amount: float, seen: set[tuple[str, str]]
               ) -> bool:
        if (investor.key, target.key) in seen:
            return False
        seen.add((investor.key, target.key))
        self.bundle.rel("INVESTS_IN", investor, target, amount=round(amount, 2))
        return True

    def investors_of(self, scenario: str, product: _Product, low: float, high: float,
                     seen: set[tuple[str, str]]) -> list[_Person]:
        where = f"planted.{scenario}"
        count = int(self.fin.field(self.spec(scenario), "investors", where, int))
        people: list[_Person] = []
        while len(people) < count:
            person = self.rng.choice(self.ordinary_persons)
            amount = round(self.rng.uniform(low, high) / 5) * 5
            if self.invest(person.ref(), product.ref(), amount, seen):
                people.append(person)
        return people

    def make_investments(self) -> set[tuple[str, str]]:
        seen: set[tuple[str, str]] = set()
        pool = [p for p in self.products
                if not p.key.startswith("planted.") and p.status in ("存续", "延期兑付", "已兑付")]
        made = 0
        while made < self.count("product_investments"):
            product = self.rng.choice(pool)
            if product.kind == "私募基金份额":
                amount = float(self.rng.choice([100, 100, 200, 300, 500, 800, 1000]))
            elif isinstance(product.issuer, _Company) and product.issuer.label == "Bank":
                amount = round(self.rng.uniform(1, 300), 2)
            else:
                amount = float(self.rng.choice([10, 20, 30, 50, 100, 200, 300]))
            made += self.invest(self.pick_person(product.issued_on).ref(), product.ref(), amount,
                                seen)
        equity = [f for f in self.funds if f.style != "证券" and not f.key.startswith("planted.")]
        backers = [c for c in [*self.anchors.values(), *self.ordinary]
                   if c.alive and c.capital >= 2000]
        made = 0
        while made < self.count("fund_commitments"):
            fund = self.rng.choice(equity)
            if self.rng.random() < 0.55:
                investor = self.rng.choice(backers).ref()
                amount = fund.size * self.rng.uniform(0.02, 0.2)
            else:
                investor = self.pick_person(fund.founded_on).ref()
                amount = float(self.rng.choice([100, 300, 500, 1000]))
            made += self.invest(investor, fund.ref(), round(amount, -1) or 100, seen)
        guide = self.anchors.get("industry_invest")
        state = {c.id for c in self.anchors.values() if c.kind.startswith("国有")}
        for fund in equity:
            owners = {ref.key for ref, _ in self.holders.get(fund.manager.id, [])}
            if guide and owners & state:
                self.invest(guide.ref(), fund.ref(), round(fund.size * 0.3, -1), seen)
        return seen

    def since(self, company: _Company) -> date:
        """A plausible start date for a guarantee of ``company``'s loan."""
        return _day_between(self.rng, max(company.founded_on, date(2019, 1, 1)), date(2025, 5, 31))

    def guarantee(self, guarantor: NodeRef, borrower: _Company, amount: float, since: date) -> None:
        self.bundle.rel("GUARANTEES", guarantor, borrower.ref(), amount=float(amount), since=since)

    def make_guarantees(self, cast: _Cast) -> None:
        pool = [c for c in [*self.anchors.values(), *self.ordinary]
                if c.alive and c.industry != "金融业"]
        professional = self.anchors.get("guarantee_group")
        pairs: set[tuple[str, str]] = set()
        while len(pairs) < self.count("guarantees"):
            a, b = self.rng.sample(pool, 2)
            guarantor, borrower = (a, b) if a.rank < b.rank else (b, a)
            if professional and self.rng.random() < 0.25:
                guarantor = professional
            if (guarantor.id, borrower.id) in pairs or guarantor is borrower:
                continue
            pairs.add((guarantor.id, borrower.id))
            since = self.since(borrower)
            self.guarantee(guarantor.ref(), borrower, self.capital(100, 5000), since)
        alive = [c for c in self.ordinary if c.alive]
        for company in self.rng.sample(alive, self.count("person_guarantees")):
            self.guarantee(self.legal_reps[company.id].ref(), company, self.capital(50, 3000),
                           self.since(company))
        self.plant_guarantees(cast, pool)

    def plant_guarantees(self, cast: _Cast, pool: list[_Company]) -> None:
        where = "planted.guarantee_circle"
        spec = self.spec("guarantee_circle")
        amounts = [float(a) for a in self.fin.field(spec, "amounts", where, list)]
        if len(amounts) != len(cast.circle):
            raise self.fin.error(where, "needs one amount per company")
        since = self.fin.date_field(spec, "since", where)
        for i, company in enumerate(cast.circle):
            borrower = cast.circle[(i + 1) % len(cast.circle)]
            self.guarantee(company.ref(), borrower, amounts[i], since)
        for company in self.rng.sample(cast.circle, 2):
            self.guarantee(self.rng.choice(pool).ref(), company, self.capital(500, 3000), since)
        group, *subsidiaries = cast.missing
        for sub in subsidiaries:
            self.guarantee(group.ref(), sub, self.capital(3000, 20000), date(2024, 3, 1))
        for creditor in self.rng.sample(pool, 2):
            self.guarantee(creditor.ref(), subsidiaries[0], self.capital(1000, 5000),
                           date(2024, 6, 1))
        self.guarantee(cast.missing_boss.ref(), group, 30000.0, date(2023, 12, 1))
        self.record("guarantee_circle", [c.id for c in cast.circle])

    # -- accounts and transfers ----------------------------------------------------------
    def open_account(self, holder: NodeRef, name: str, kind: str, earliest: date,
                     bank: _Company | None = None, status: str = "正常",
                     latest: date = date(2024, 12, 31)) -> _Account:
        if bank is None:
            bank_id = _weighted(self.rng, list(_BANK_WEIGHTS), list(_BANK_WEIGHTS.values()))
            bank = self.banks[bank_id]
        opened = _day_between(self.rng, max(earliest, bank.founded_on), max(latest, earliest))
        account = _Account(holder, name, bank, kind, opened, status)
        self.accounts.append(account)
        self.accounts_of.setdefault(holder.key, []).append(account)
        return account

    def company_account(self, company: _Company, **extra: Any) -> _Account:
        status = {"注销": "销户", "吊销": "久悬", "迁出": "销户"}.get(company.status, "正常")
        return self.open_account(company.ref(), company.name, "单位基本存款账户",
                                 company.founded_on, status=extra.pop("status", status), **extra)

    def person_account(self, person: _Person) -> _Account:
        return self.open_account(person.ref(), person.name, "个人结算账户",
                                 date(max(person.birth_year + 18, 2000), 1, 1))

    def make_accounts(self, cast: _Cast, planted_people: list[_Person]) -> None:
        for company in [*self.anchors.values(), *self.rng.sample(self.ordinary,
                                                                 self.count("company_accounts"))]:
            self.company_account(company)
            if company.alive and self.rng.random() < 0.2:
                self.open_account(company.ref(), company.name, "单位一般存款账户",
                                  company.founded_on)
        for company in {f.manager.id: f.manager for f in self.funds}.values():
            self.company_account(company)
        for company in [*cast.cycle, *cast.circle]:
            self.company_account(company)
        for shell in cast.shells:
            self.company_account(shell, bank=self.banks[DEMO_BANK_ID],
                                 latest=shell.founded_on + timedelta(days=30))
        for company in cast.missing:
            self.company_account(company, status="冻结", latest=date(2020, 12, 31))
        for fund in self.funds:
            if fund.filing_code:
                bank = self.banks["CO-BANK-003" if self.rng.random() < 0.7 else DEMO_BANK_ID]
                self.open_account(fund.ref(), fund.name, "基金托管账户", fund.founded_on, bank=bank,
                                  latest=fund.founded_on + timedelta(days=20))
        people = self.rng.sample(self.ordinary_persons, self.count("person_accounts"))
        for person in [*people, *planted_people]:
            if person.id not in self.accounts_of:
                self.person_account(person)

    def transfer(self, source: _Account, target: _Account, amount: float, when: datetime,
                 pattern: str | None = None) -> None:
        self.transfers.append(_Transfer(source, target, round(amount, 4), when, pattern))

    def ordinary_transfers(self) -> None:
        active = [a for a in self.accounts if a.status == "正常" and a.holder.label != "Fund"]
        firms = [a for a in active if a.holder.label == "Company"]
        people = [a for a in active if a.holder.label == "Person"]
        ranges = {"c2c": (5, 2000), "c2p": (0.3, 30), "p2p": (0.05, 10), "p2c": (0.1, 50)}
        made = 0
        while made < self.count("transfers"):
            kind = _weighted(self.rng, list(ranges), [45, 25, 15, 15])
            source = self.rng.choice(firms if kind[0] == "c" else people)
            target = self.rng.choice(firms if kind[2] == "c" else people)
            if source.holder == target.holder:
                continue
            low, high = ranges[kind]
            amount = low * (high / low) ** self.rng.random()
            first = max(source.opened_on, target.opened_on, date(2024, 1, 2))
            day = _day_between(self.rng, first, max(first, date(2025, 6, 30)))
            self.transfer(source, target, amount, _moment(self.rng, day))
            made += 1

    def main_account(self, holder: _Company | _Person | _Fund) -> _Account:
        accounts = self.accounts_of.get(holder.id)
        if not accounts:
            raise DataValidationError(f"{FINANCE_FILE}: {holder.name} has no account")
        return accounts[0]

    def planted_transfers(self, cast: _Cast, overdue: tuple[_Fund, list[_Person]],
                          fake: tuple[_Company, list[_Person], list[float]]) -> None:
        start = datetime(2024, 9, 10, 9, 30, tzinfo=CITY_TZ)
        amount = float(self.rng.randint(480, 520))
        for i, shell in enumerate(cast.shells):
            target = cast.shells[(i + 1) % len(cast.shells)]
            self.transfer(self.main_account(shell), self.main_account(target), amount,
                          start + timedelta(minutes=11 * i), "shell_transfer_cycle")
            amount -= 0.05
        boss = self.main_account(cast.shell_boss)
        for shell in self.rng.sample(cast.shells, 6):
            self.transfer(self.main_account(shell), boss, self.rng.uniform(20, 60),
                          start + timedelta(days=1, hours=self.rng.randint(0, 6)), "shell_payouts")
        fund, investors = overdue
        for person in investors:
            day = _day_between(self.rng, date(2024, 1, 2), date(2024, 1, 12))
            self.transfer(self.main_account(person), self.main_account(fund),
                          float(self.rng.choice([100, 200, 300])), _moment(self.rng, day))
        manager, payers, amounts = fake
        for person, paid in zip(payers, amounts, strict=True):
            day = _day_between(self.rng, date(2024, 9, 2), date(2024, 12, 20))
            self.transfer(self.main_account(person), self.main_account(manager), paid,
                          _moment(self.rng, day), "fake_fund_inflows")
        raised = sum(amounts)
        for month in range(5):
            day = date(2024, 10 + month, 15) if month < 3 else date(2025, month - 2, 15)
            self.transfer(self.main_account(manager), self.main_account(cast.fake_boss),
                          raised * 0.12, _moment(self.rng, day), "fake_fund_diversion")
        missing = self.main_account(cast.missing_boss)
        for company in cast.missing[:3]:
            day = _day_between(self.rng, date(2025, 3, 1), date(2025, 3, 31))
            self.transfer(self.main_account(company), missing, self.rng.uniform(800, 3000),
                          _moment(self.rng, day), "missing_controller_outflows")

    def write_accounts_and_transfers(self) -> None:
        accounts = list(self.accounts)
        self.rng.shuffle(accounts)
        for i, account in enumerate(accounts, start=1):
            account.id = f"AC-{i:06d}"
        for account in self.accounts:
            self.node("Account", id=account.id,
                             name=f"{account.holder_name}·{account.bank.name}", kind=account.kind,
                             status=account.status, opened_on=account.opened_on)
            self.bundle.rel("HOLDS_ACCOUNT", account.holder, account.ref())
            self.bundle.rel("OPENED_AT", account.ref(), account.bank.ref())
        ordered = sorted(self.transfers, key=lambda t: (t.time, t.source.id, t.target.id, t.amount))
        for seq, t in enumerate(ordered, start=1):
            tx_id = f"TX{t.time:%Y%m%d}{seq:06d}"
            self.bundle.rel("TRANSFERS", t.source.ref(), t.target.ref(), tx_id=tx_id,
                            amount=t.amount, time=t.time)
            if t.pattern:
                self.record(t.pattern, [tx_id])

    # -- risk events ---------------------------------------------------------------------
    def planted_event(self, scenario: str, kind: str, involves: list[NodeRef]) -> _Event:
        where = f"planted.{scenario}.event"
        spec = self.spec(scenario, "event")
        event = _Event(kind, str(self.fin.field(spec, "name", where)),
                       self.fin.date_field(spec, "occurred_on", where),
                       str(self.fin.field(spec, "severity", where)),
                       str(self.fin.field(spec, "source", where)),
                       str(self.fin.field(spec, "description", where)), involves,
                       f"{scenario}_event")
        self.events.append(event)
        return event

    def background_events(self) -> None:
        templates = self.fin.entries("background_events")
        companies = self.rng.sample([c for c in self.ordinary if c.status != "注销"],
                                    self.count("background_events"))
        for company in companies:
            label, spec = self.rng.choice(templates)
            kind = str(self.fin.field(spec, "kind", label))
            involves = [company.ref()]
            if kind == "失信被执行":
                involves.append(self.legal_reps[company.id].ref())
            text = str(self.fin.field(spec, "description", label))
            text = text.replace("{company}", company.name)
            self.events.append(_Event(
                kind, f"{company.aliases[0] if company.aliases else company.name}{kind}",
                _day_between(self.rng, date(2023, 1, 1), date(2025, 6, 30)),
                str(self.fin.field(spec, "severity", label)),
                str(self.fin.field(spec, "source", label)),
                text, involves))

    def write_events(self) -> None:
        events = list(self.events)
        self.rng.shuffle(events)
        for i, event in enumerate(events, start=1):
            event.id = f"RE-{i:04d}"
        for event in self.events:
            ref = self.node("RiskEvent", id=event.id, name=event.name, kind=event.kind,
                                   occurred_on=event.occurred_on, severity=event.severity,
                                   source=event.source, description=event.description)
            for target in event.involves:
                self.bundle.rel("INVOLVES", ref, target)
            if event.pattern:
                self.record(event.pattern, [event.id])

    # -- bank knowledge ------------------------------------------------------------------
    def write_knowledge(self) -> None:
        f = self.knowledge
        bank_id = str(f.field(f.data, "bank", "bank"))
        if bank_id not in self.banks:
            raise f.error("bank", f"unknown bank {bank_id!r}")
        domain = str(f.field(f.data, "domain", "domain"))
        categories: dict[str, NodeRef] = {}
        for label, entry in f.entries("categories"):
            cid = str(f.field(entry, "id", label))
            if cid in categories:
                raise f.error(cid, "duplicate category id")
            categories[cid] = self.node(
                "Category", id=cid, name=str(f.field(entry, "name", cid)), scheme="bank",
                level="一级", code=cid, keywords=f.str_list(entry, "keywords", cid),
                description=entry.get("description"))
        seen: set[str] = set()
        for label, entry in f.entries("entries"):
            kid = str(f.field(entry, "id", label))
            if kid in seen:
                raise f.error(kid, "duplicate entry id")
            seen.add(kid)
            category = str(f.field(entry, "category", kid))
            if category not in categories:
                raise f.error(kid, f"unknown category {category!r}")
            paraphrases = f.str_list(entry, "paraphrases", kid)
            if not 2 <= len(paraphrases) <= 4:
                raise f.error(kid, "field 'paraphrases' must hold 2 to 4 questions")
            ref = self.node(
                "KnowledgeEntry", id=kid, question=str(f.field(entry, "question", kid, str)),
                answer=str(f.field(entry, "answer", kid, str)), paraphrases=paraphrases,
                keywords=f.str_list(entry, "keywords", kid), domain=domain,
                source=str(f.field(entry, "source", kid, str)),
                valid_from=f.date_field(entry, "valid_from", kid))
            self.bundle.rel("PROVIDED_BY", ref, self.banks[bank_id].ref())
            self.bundle.rel("ABOUT", ref, categories[category])

    # -- the whole build -----------------------------------------------------------------
    def make_planted_funds(self, cast: _Cast) -> tuple[_Fund, _Product, _Fund, _Product]:
        assert cast.overdue_manager is not None and cast.fake_manager is not None
        overdue_fund = self.planted_fund("overdue_redemption", cast.overdue_manager, filed=True)
        fake_fund = self.planted_fund("fake_private_fund", cast.fake_manager, filed=False)
        return (overdue_fund, self.planted_product("overdue_redemption", overdue_fund, "逾期"),
                fake_fund, self.planted_product("fake_private_fund", fake_fund, "涉嫌非法集资"))

    def run(self) -> tuple[GraphBundle, dict[str, list[str]]]:
        cast = self.make_persons()
        managers = self.make_companies(cast)
        self.assign_ids()
        self.make_funds(managers)
        overdue_fund, overdue_product, fake_fund, fake_product = self.make_planted_funds(cast)
        self.make_products()
        self.assign_product_ids()
        for person in self.persons:
            self.write_person(person)
        for company in self.companies:
            self.write_company(company)
        self.own_banks()
        self.own_anchors()
        self.own_managers(managers)
        self.own_planted(cast)
        self.own_ordinary([f for f in self.funds if f.style != "证券" and f.filing_code
                           and not f.key.startswith("planted.")])
        self.derive_control()
        self.appoint_all(cast)
        self.write_funds_and_products(managers)
        self.write_loan_products()
        seen = self.make_investments()
        low, high = (float(x) for x in self.fin.field(self.spec("fake_private_fund"), "amounts",
                                                       "planted.fake_private_fund", list))
        overdue_investors = self.investors_of("overdue_redemption", overdue_product, 100, 600, seen)
        fake_investors = self.investors_of("fake_private_fund", fake_product, low, high, seen)
        self.make_guarantees(cast)
        self.make_accounts(cast, [cast.shell_boss, cast.missing_boss, cast.fake_boss,
                                  *overdue_investors, *fake_investors])
        self.ordinary_transfers()
        fake_amounts = [float(self.rng.choice([5, 10, 20, 30, 50])) for _ in fake_investors]
        self.planted_transfers(cast, (overdue_fund, overdue_investors),
                               (cast.fake_manager or cast.shells[0], fake_investors, fake_amounts))
        self.write_accounts_and_transfers()
        assert cast.overdue_manager is not None and cast.fake_manager is not None
        self.planted_event("missing_controller", "实控人失联",
                           [cast.missing_boss.ref(), *(c.ref() for c in cast.missing)])
        self.planted_event("overdue_redemption", "逾期兑付",
                           [overdue_product.ref(), overdue_fund.ref(), cast.overdue_manager.ref()])
        self.planted_event("fake_private_fund", "虚假私募",
                           [fake_fund.ref(), fake_product.ref(), cast.fake_manager.ref(),
                            cast.fake_boss.ref()])
        self.background_events()
        self.write_events()
        self.write_knowledge()
        self.record_cast(cast, (overdue_fund, overdue_product, overdue_investors),
                         (fake_fund, fake_product, fake_investors))
        return self.bundle, {k: list(v) for k, v in sorted(self.patterns.items())}

    def record_cast(self, cast: _Cast, overdue: tuple[_Fund, _Product, list[_Person]],
                    fake: tuple[_Fund, _Product, list[_Person]]) -> None:
        assert cast.overdue_manager is not None and cast.fake_manager is not None
        self.record("circular_shareholding", [c.id for c in cast.cycle])
        self.record("circular_shareholding_owner", [cast.cycle_owner.id])
        self.record("shell_controller", [cast.shell_boss.id])
        self.record("shell_companies", [c.id for c in cast.shells])
        self.record("shell_nominees", [p.id for p in cast.nominees])
        self.record("missing_controller", [cast.missing_boss.id])
        self.record("missing_controller_companies", [c.id for c in cast.missing])
        self.record("overdue_fund", [overdue[0].id])
        self.record("overdue_product", [overdue[1].id])
        self.record("overdue_manager", [cast.overdue_manager.id])
        self.record("overdue_investors", [p.id for p in overdue[2]])
        self.record("fake_private_fund", [fake[0].id])
        self.record("fake_private_fund_product", [fake[1].id])
        self.record("fake_private_fund_manager", [cast.fake_manager.id])
        self.record("fake_private_fund_controller", [cast.fake_boss.id])
        self.record("fake_private_fund_investors", [p.id for p in fake[2]])
        self.record("homonyms", sorted(p.id for p in self.homonyms))
        self.record("demo_bank", [DEMO_BANK_ID])


@lru_cache(maxsize=4)
def _build(data_dir: Path) -> tuple[GraphBundle, dict[str, list[str]]]:
    bundle, patterns = _FinanceBuilder(data_dir).run()
    log.info("finance demo data: %d nodes, %d relationships",
             len(bundle.nodes), len(bundle.relationships))
    return bundle, patterns


def build(data_dir: Path = DATA_DIR) -> GraphBundle:
    """The finance graph of the demo city, built deterministically from ``data_dir``.

    Returns a fresh copy on every call (the build itself is cached per directory), so callers
    may extend or change the bundle without affecting later builds.
    """
    bundle, _ = _build(Path(data_dir).resolve())
    return bundle.model_copy(deep=True)


def planted_patterns(data_dir: Path = DATA_DIR) -> dict[str, list[str]]:
    """The ids involved in each planted risk pattern, so tests and the regulator work find them.

    Keys: ``circular_shareholding`` (A, B, C: A holds B, B holds C, C holds A),
    ``guarantee_circle`` (in order: each guarantees the next, the last the first),
    ``shell_controller`` / ``shell_companies`` / ``shell_nominees`` / ``shell_transfer_cycle``
    / ``shell_payouts``, ``missing_controller`` / ``missing_controller_companies`` /
    ``missing_controller_event`` / ``missing_controller_outflows``, ``overdue_*`` (fund, product,
    manager, investors, event), ``fake_private_fund*`` and ``fake_fund_*`` transfers,
    ``homonyms`` (every person sharing a name on purpose) and ``demo_bank``. Transfer entries
    are ``tx_id`` values, event entries RiskEvent ids, all others node ids.
    """
    _, patterns = _build(Path(data_dir).resolve())
    return {key: list(ids) for key, ids in patterns.items()}
