"""A synthetic company registry of any size, with planted risk patterns and their truth file.

``generate_registry(out, companies=N, seed=S)`` writes the CSV files that
:mod:`ingest.registry` reads (companies, persons ≈ 0.8 N, shareholdings ≈ 1.9 N, legal reps,
officers, controls, guarantees ≈ 0.3 N, funds, managers, products, investments, risk events)
and ``truth.json`` listing every planted instance. The same N and seed give the same files.
Rows are streamed company by company, so a million companies take little memory.

Background data is acyclic by construction: a company only ever holds shares in, or stands
surety for, a company that comes before it in a hidden random order. The companies of planted
patterns are set aside: no other company holds or guarantees them, so the only shareholding and
guarantee cycles in the registry are the planted ones and a detector's precision is measurable.

Planted, at fixed rates per 10,000 companies (at least two of each): guarantee circles of 3–6
companies, circular shareholdings of 2–5, shell clusters (one person controlling 15–20
companies through holding chains of up to four levels, with shared nominee legal
representatives and address), missing controllers (a person holding and controlling 3–5
companies, with a 「实控人失联」 event) and overdue funds (a fund whose product is overdue, with a
「逾期兑付」 event).
"""

from __future__ import annotations

import csv
import json
import logging
import math
import random
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from ingest.registry.rows import REGISTRY_FILES, columns
from kg.errors import DataValidationError

log = logging.getLogger(__name__)

TRUTH_FILE = "truth.json"
MIN_COMPANIES = 1000
MAX_COMPANIES = 1_000_000
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌"
_WORDS = "华信达通和泰安盛隆兴恒丰鑫源宏远嘉诚瑞德正元昌富祥利"
_TRADES = ("科技", "贸易", "实业", "建设", "投资", "物流", "商贸", "制造", "能源", "置业")
_INDUSTRIES = ("制造业", "批发和零售业", "建筑业", "租赁和商务服务业", "房地产业",
               "信息传输、软件和信息技术服务业", "交通运输、仓储和邮政业", "金融业")
_TITLES = ("董事", "监事", "经理", "财务负责人")
_EVENTS = (("失信被执行", "中"), ("行政处罚", "低"), ("经营异常", "低"), ("涉诉", "中"))
_START = date(2000, 1, 1)


class PlantRates(BaseModel):
    """Planted instances per 10,000 companies (each kind at least ``minimum`` times)."""

    guarantee_circles: float = 5.0
    circular_shareholdings: float = 5.0
    shell_clusters: float = 1.0
    missing_controllers: float = 2.0
    overdue_funds: float = 2.0
    minimum: int = 2

    def count(self, kind: str, companies: int) -> int:
        """How many instances of ``kind`` a registry of ``companies`` gets."""
        rate = float(getattr(self, kind))
        return max(self.minimum, round(rate * companies / 10_000))


class ShellCluster(BaseModel):
    """One person controlling many companies through chains below one holding company."""

    controller: str
    top: str
    companies: list[str]


class MissingController(BaseModel):
    """A vanished controller, the companies they control, and the event that reports it."""

    event: str
    controller: str
    companies: list[str]


class OverdueFund(BaseModel):
    """A fund whose product is overdue, its manager, and the event that reports it."""

    event: str
    fund: str
    product: str
    manager: str


class RegistryTruth(BaseModel):
    """Every planted instance; cycles list members in order (each points to the next)."""

    companies: int
    seed: int
    rows: dict[str, int] = Field(default_factory=dict)
    guarantee_circles: list[list[str]] = Field(default_factory=list)
    circular_shareholdings: list[list[str]] = Field(default_factory=list)
    shell_clusters: list[ShellCluster] = Field(default_factory=list)
    missing_controllers: list[MissingController] = Field(default_factory=list)
    overdue_funds: list[OverdueFund] = Field(default_factory=list)


def _coprime(rng: random.Random, n: int) -> int:
    while True:
        a = rng.randrange(max(2, n // 3), max(3, n))
        if math.gcd(a, n) == 1:
            return a


class _Ids:
    """Scrambled, zero-padded ids: index ``i`` of a kind maps to a fixed random-looking number."""

    def __init__(self, rng: random.Random, prefix: str, n: int) -> None:
        self.prefix, self.n = prefix, n
        self.a, self.b = _coprime(rng, n), rng.randrange(n)
        self.width = len(str(n))

    def __call__(self, i: int) -> str:
        return f"{self.prefix}{(self.a * i + self.b) % self.n:0{self.width}d}"


class _Generator:
    """Writes one registry; one instance per call, with its own seeded random source."""

    def __init__(self, out: Path, companies: int, seed: int, rates: PlantRates) -> None:
        self.out, self.n, self.rng = out, companies, random.Random(seed)
        self.rates = rates
        self.persons = max(10, int(companies * 0.8))
        self.funds = max(10, companies // 100)
        self.cid = _Ids(self.rng, "C", companies)
        self.pid = _Ids(self.rng, "P", self.persons)
        self.fid = _Ids(self.rng, "F", self.funds)
        self.truth = RegistryTruth(companies=companies, seed=seed)
        self.writers: dict[str, Any] = {}
        self.events = 0
        self.reserved: set[int] = set()

    # -- small helpers -------------------------------------------------------------------
    def row(self, table: str, /, **values: Any) -> None:
        self.writers[table].writerow([values.get(c, "") for c in columns(REGISTRY_FILES[table])])
        self.truth.rows[table] = self.truth.rows.get(table, 0) + 1

    def day(self, first: date = _START, last: date = date(2025, 6, 30)) -> str:
        return (first + timedelta(days=self.rng.randrange((last - first).days + 1))).isoformat()

    def person(self) -> str:
        return self.pid(self.rng.randrange(self.persons))

    def split(self, total: float, parts: int) -> list[float]:
        """``total`` in ``parts`` shares of whole permille, largest first."""
        units = round(total * 1000)
        cuts = sorted(self.rng.sample(range(1, units), parts - 1)) if parts > 1 else []
        return sorted(((b - a) / 1000 for a, b in zip([0, *cuts], [*cuts, units], strict=True)),
                      reverse=True)

    def reserve(self, count: int) -> list[int]:
        """``count`` companies set aside for a planted pattern."""
        picked: list[int] = []
        while len(picked) < count:
            i = self.rng.randrange(self.n)
            if i not in self.reserved:
                self.reserved.add(i)
                picked.append(i)
        return picked

    def event(self, kind: str, severity: str, involved: list[str], text: str) -> str:
        self.events += 1
        event_id = f"E{self.events:07d}"
        self.row("risk_events", id=event_id, type=kind, date=self.day(date(2024, 1, 1)),
                 description=text, name=f"{involved[0]}{kind}", severity=severity,
                 involved_ids=";".join(involved))
        return event_id

    # -- nodes -----------------------------------------------------------------------------
    def write_persons(self) -> None:
        for j in range(self.persons):
            gender = "男" if self.rng.random() < 0.55 else "女"
            name = self.rng.choice(_SURNAMES) + "".join(
                self.rng.choice(_GIVEN) for _ in range(self.rng.choice((1, 2))))
            self.row("persons", id=self.pid(j), name=name, gender=gender,
                     birth_year=self.rng.randint(1950, 2000))

    def write_company(self, i: int, address: str | None = None) -> None:
        cid = self.cid(i)
        name = (f"滨江{''.join(self.rng.sample(_WORDS, 2))}{self.rng.choice(_TRADES)}"
                f"有限公司{cid[1:]}")
        self.row("companies", id=cid, name=name, kind="有限责任公司",
                 industry=self.rng.choice(_INDUSTRIES),
                 registered_capital=self.rng.choice((50, 100, 500, 1000, 5000)),
                 founded_on=self.day(), status="存续",
                 address=address or f"滨江市{self.rng.choice(_WORDS)}路{self.rng.randrange(999)}号")

    # -- background relationships ----------------------------------------------------------
    def later_company(self, i: int) -> int | None:
        """A company after ``i`` in the hidden order that is not set aside, if one is found."""
        if i >= self.n - 1:
            return None
        j = self.rng.randrange(i + 1, self.n)
        return None if j in self.reserved else j

    def background_holders(self, i: int) -> None:
        parts = self.rng.choices((1, 2, 3), weights=(3, 4, 3))[0]
        holders: set[str] = set()
        ratios = self.split(self.rng.choice((1.0, 1.0, 0.9)), parts)
        for ratio in ratios:
            kind = self.rng.random()
            later = self.later_company(i) if kind < 0.3 else None
            holder = (self.cid(later) if later is not None else
                      self.fid(self.rng.randrange(self.funds)) if kind > 0.95 else self.person())
            if holder in holders:
                continue
            holders.add(holder)
            self.row("shareholdings", holder_id=holder, company_id=self.cid(i), ratio=ratio,
                     since=self.day())
            if ratio >= 0.5 and holder.startswith("P"):
                self.row("controls", controller_id=holder, company_id=self.cid(i))

    def background_people(self, i: int) -> None:
        rep = self.person()
        self.row("legal_reps", person_id=rep, company_id=self.cid(i), since=self.day())
        if self.rng.random() < 0.5:
            officer = self.person()
            if officer != rep:
                self.row("officers", person_id=officer, company_id=self.cid(i),
                         title=self.rng.choice(_TITLES))

    def background_guarantee(self, i: int) -> None:
        if self.rng.random() >= 0.3:
            return
        later = self.later_company(i) if self.rng.random() < 0.7 else None
        guarantor = self.cid(later) if later is not None else self.person()
        self.row("guarantees", guarantor_id=guarantor, guaranteed_id=self.cid(i),
                 amount=float(self.rng.choice((100, 300, 500, 1000, 3000))),
                 date=self.day(date(2015, 1, 1)))

    # -- planted patterns --------------------------------------------------------------------
    def persons_hold(self, company: str, total: float) -> None:
        """Persons hold ``total`` of ``company`` between them."""
        if total < 0.01:
            return
        seen: set[str] = set()
        for ratio in self.split(total, self.rng.randint(1, 2)):
            holder = self.person()
            if holder not in seen:
                seen.add(holder)
                self.row("shareholdings", holder_id=holder, company_id=company, ratio=ratio)

    def plant_circle(self) -> list[str]:
        members = [self.cid(i) for i in self.reserve(self.rng.randint(3, 6))]
        for k, member in enumerate(members):
            self.row("guarantees", guarantor_id=member, guaranteed_id=members[(k + 1) % len(
                members)], amount=float(self.rng.choice((2000, 5000, 8000))),
                date=self.day(date(2022, 1, 1)))
            self.persons_hold(member, 1.0)
        return members

    def plant_cross_holding(self) -> list[str]:
        members = [self.cid(i) for i in self.reserve(self.rng.randint(2, 5))]
        for k, member in enumerate(members):
            ratio = self.rng.randint(20, 50) / 100
            self.row("shareholdings", holder_id=member,
                     company_id=members[(k + 1) % len(members)], ratio=ratio)
        for member in members:
            self.persons_hold(member, 0.5)
        return members

    def plant_shells(self) -> ShellCluster:
        boss = self.person()
        top, *shells = [self.cid(i) for i in self.reserve(self.rng.randint(16, 21))]
        self.row("shareholdings", holder_id=boss, company_id=top, ratio=1.0)
        self.row("controls", controller_id=boss, company_id=top)
        nominees = [self.person() for _ in range(3)]
        levels: list[list[str]] = [[top]]
        for shell in shells:
            parent_level = self.rng.choice(levels[:3])
            parent = self.rng.choice(parent_level)
            depth = levels.index(parent_level) + 1
            if depth == len(levels):
                levels.append([])
            levels[depth].append(shell)
            ratio = self.rng.randint(80, 100) / 100
            self.row("shareholdings", holder_id=parent, company_id=shell, ratio=ratio)
            self.persons_hold(shell, 1.0 - ratio)
        for company in [top, *shells]:
            self.row("legal_reps", person_id=self.rng.choice(nominees), company_id=company)
        return ShellCluster(controller=boss, top=top, companies=shells)

    def plant_missing(self) -> MissingController:
        boss = self.person()
        companies = [self.cid(i) for i in self.reserve(self.rng.randint(3, 5))]
        for company in companies:
            self.row("shareholdings", holder_id=boss, company_id=company, ratio=0.6)
            self.persons_hold(company, 0.4)
            self.row("controls", controller_id=boss, company_id=company)
            self.row("legal_reps", person_id=boss, company_id=company)
        event = self.event("实控人失联", "高", [boss, *companies],
                           "实际控制人失联，旗下企业资金链断裂")
        return MissingController(event=event, controller=boss, companies=companies)

    # -- funds ------------------------------------------------------------------------------
    def write_funds(self, overdue: int) -> None:
        managers = [self.cid(i) for i in self.reserve(max(1, self.funds // 5))]
        for manager in managers:
            self.persons_hold(manager, 1.0)
        investments: set[tuple[str, str]] = set()
        for k in range(self.funds):
            fund, manager = self.fid(k), managers[k % len(managers)]
            planted = k < overdue
            self.row("funds", id=fund, name=f"滨江{''.join(self.rng.sample(_WORDS, 2))}私募基金"
                     f"{fund[1:]}", kind="私募股权基金", size=float(self.rng.randint(1, 50) * 1000),
                     founded_on=self.day(date(2015, 1, 1)), status="清盘" if planted else "运行")
            self.row("managers", manager_id=manager, fund_id=fund)
            for p in range(2):
                product = f"D{fund[1:]}{p}"
                overdue_product = planted and p == 0
                self.row("products", id=product, name=f"{fund}号{p + 1}期", issuer_id=fund,
                         kind="私募产品", term_months=self.rng.choice((12, 24, 36)),
                         expected_return=self.rng.randint(6, 12) / 100,
                         status="逾期" if overdue_product else "存续")
                for _ in range(max(1, self.n // (self.funds * 20))):
                    pair = (self.person(), product)
                    if pair not in investments:
                        investments.add(pair)
                        self.row("investments", investor_id=pair[0], target_id=product,
                                 amount=float(self.rng.choice((100, 200, 300, 500))))
                if overdue_product:
                    event = self.event("逾期兑付", "高", [product, fund, manager],
                                       "产品到期未能兑付，投资人集中投诉")
                    self.truth.overdue_funds.append(OverdueFund(
                        event=event, fund=fund, product=product, manager=manager))

    # -- the whole registry ------------------------------------------------------------------
    def plant(self) -> dict[str, str]:
        """Plant every pattern; returns the shared address of each shell company."""
        rates, n = self.rates, self.n
        self.truth.guarantee_circles = [self.plant_circle()
                                        for _ in range(rates.count("guarantee_circles", n))]
        self.truth.circular_shareholdings = [
            self.plant_cross_holding() for _ in range(rates.count("circular_shareholdings", n))]
        self.truth.shell_clusters = [self.plant_shells()
                                     for _ in range(rates.count("shell_clusters", n))]
        self.truth.missing_controllers = [self.plant_missing()
                                          for _ in range(rates.count("missing_controllers", n))]
        addresses = {}
        for k, cluster in enumerate(self.truth.shell_clusters):
            for company in [cluster.top, *cluster.companies]:
                addresses[company] = f"滨江市自贸区商务秘书中心{k + 1:03d}室"
        return addresses

    def run(self) -> RegistryTruth:
        self.out.mkdir(parents=True, exist_ok=True)
        with ExitStack() as stack:
            for kind, model in REGISTRY_FILES.items():
                handle = stack.enter_context(
                    (self.out / f"{kind}.csv").open("w", encoding="utf-8", newline=""))
                self.writers[kind] = csv.writer(handle)
                self.writers[kind].writerow(columns(model))
            self.write_persons()
            addresses = self.plant()
            self.write_funds(self.rates.count("overdue_funds", self.n))
            for i in self.companies():
                self.write_company(i, addresses.get(self.cid(i)))
                if i in self.reserved:
                    continue
                self.background_holders(i)
                self.background_people(i)
                self.background_guarantee(i)
                if self.rng.random() < 0.001:
                    kind, severity = self.rng.choice(_EVENTS)
                    self.event(kind, severity, [self.cid(i)], f"企业{kind}")
        return self.truth

    def companies(self) -> Iterator[int]:
        for i in range(self.n):
            if i and i % 100_000 == 0:
                log.info("synthetic registry: %d of %d companies written", i, self.n)
            yield i


def generate_registry(
    out: Path,
    companies: int = 10_000,
    seed: int = 7,
    rates: PlantRates | None = None,
) -> RegistryTruth:
    """Write a synthetic registry of ``companies`` companies to folder ``out``, with its truth.

    Benchmarks and tests need registries of known size whose risk patterns are known exactly,
    to time loads and queries at scale and to measure the detectors' precision and recall.
    Returns the truth, which is also written to ``out/truth.json``.
    """
    if not MIN_COMPANIES <= companies <= MAX_COMPANIES:
        raise DataValidationError(
            f"companies: 企业数须在 {MIN_COMPANIES} 到 {MAX_COMPANIES} 之间，实际为 {companies}")
    truth = _Generator(out, companies, seed, rates or PlantRates()).run()
    (out / TRUTH_FILE).write_text(truth.model_dump_json(indent=1), encoding="utf-8")
    log.info("synthetic registry of %d companies written to %s: %s", companies, out,
             json.dumps(truth.rows))
    return truth


def read_truth(folder: Path) -> RegistryTruth:
    """The truth file a generated registry was written with."""
    return RegistryTruth.model_validate_json((folder / TRUTH_FILE).read_text(encoding="utf-8"))
