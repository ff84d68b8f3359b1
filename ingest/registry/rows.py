"""The rows of a company registry, one pydantic model per file, and what each row references.

Units follow the demo city's finance graph: share ratios as fractions (0.35 = 35 %), amounts,
capital and sizes in 万元, dates as ``YYYY-MM-DD``. Empty CSV cells are missing values.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^\S+$")]
Text = Annotated[str, Field(min_length=1, max_length=2000)]
Amount = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
Ratio = Annotated[float, Field(gt=0.0, le=1.0, allow_inf_nan=False)]

# Labels an id may stand for, by the role it plays in a row (the ontology's domain and range).
COMPANY = ("Company",)
HOLDERS = ("Person", "Company", "Fund")
PARTIES = ("Company", "Person")
ISSUERS = ("Company", "Fund")
TARGETS = ("Product", "Fund")
INVOLVED = ("Company", "Person", "Fund", "Product")


class RegistryRow(BaseModel):
    """Base of every registry row: unknown columns refused, blanks read as missing values."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _blanks_are_missing(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}
        return data


class NodeRow(RegistryRow):
    """A row that is one node: ``label`` names its class, ``id`` its key."""

    label: ClassVar[str]
    id: Id

    def references(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """(field, id, labels it may have) of every other node this row names."""
        return []

    def links(self) -> list[tuple[str, str, str]]:
        """(relationship type, start id, end id) of the relationships this row implies."""
        return []

    def properties(self) -> dict[str, Any]:
        """The node's properties: every filled column but those naming other nodes."""
        skip = {name for name, _, _ in self.references()}
        return {k: v for k, v in self.model_dump().items() if k not in skip and v is not None}


class EdgeRow(RegistryRow):
    """A row that is one relationship from the ``start_field`` id to the ``end_field`` id."""

    rel_type: ClassVar[str]
    start_field: ClassVar[str]
    end_field: ClassVar[str]
    start_labels: ClassVar[tuple[str, ...]]
    end_labels: ClassVar[tuple[str, ...]]

    @property
    def start(self) -> str:
        """The id at the relationship's start."""
        return str(getattr(self, self.start_field))

    @property
    def end(self) -> str:
        """The id at the relationship's end."""
        return str(getattr(self, self.end_field))

    def properties(self) -> dict[str, Any]:
        """The relationship's properties: every column but the two ids."""
        skip = {self.start_field, self.end_field}
        return {k: v for k, v in self.model_dump().items() if k not in skip and v is not None}


class CompanyRow(NodeRow):
    """companies.csv: one company."""

    label: ClassVar[str] = "Company"
    name: Text
    credit_code: Annotated[str, Field(pattern=r"^[0-9A-Z]{18}$")] | None = None
    kind: Text | None = None
    industry: Text | None = None
    registered_capital: Amount | None = None
    founded_on: dt.date | None = None
    status: Text | None = None
    address: Text | None = None
    phone: Text | None = None


class PersonRow(NodeRow):
    """persons.csv: one natural person."""

    label: ClassVar[str] = "Person"
    name: Text
    id_number: Annotated[str, Field(pattern=r"^\d{17}[\dX]$")] | None = None
    gender: Annotated[str, Field(pattern=r"^[男女]$")] | None = None
    birth_year: Annotated[int, Field(ge=1900, le=2100)] | None = None
    address: Text | None = None
    phone: Text | None = None


class FundRow(NodeRow):
    """funds.csv: one (private) fund."""

    label: ClassVar[str] = "Fund"
    name: Text
    kind: Text | None = None
    filing_code: Text | None = None
    size: Amount | None = None
    founded_on: dt.date | None = None
    status: Text | None = None


class ProductRow(NodeRow):
    """products.csv: one financial product and the fund or company that issues it."""

    label: ClassVar[str] = "Product"
    name: Text
    issuer_id: Id
    kind: Text | None = None
    size: Amount | None = None
    expected_return: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    term_months: Annotated[int, Field(ge=0, le=1200)] | None = None
    issued_on: dt.date | None = None
    status: Text | None = None

    def references(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """The issuer, a company or a fund."""
        return [("issuer_id", self.issuer_id, ISSUERS)]

    def links(self) -> list[tuple[str, str, str]]:
        """The issuer ISSUES the product."""
        return [("ISSUES", self.issuer_id, self.id)]


class RiskEventRow(NodeRow):
    """risk_events.csv: one risk event and the entities it involves (ids separated by ``;``)."""

    label: ClassVar[str] = "RiskEvent"
    type: Text
    date: dt.date
    description: Text | None = None
    name: Text | None = None
    severity: Text | None = None
    involved_ids: Annotated[list[Id], Field(min_length=1)]

    @field_validator("involved_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.replace("|", ";").split(";") if part.strip()]
        return value

    def references(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """Every entity the event involves."""
        return [("involved_ids", i, INVOLVED) for i in self.involved_ids]

    def links(self) -> list[tuple[str, str, str]]:
        """The event INVOLVES each of its entities."""
        return [("INVOLVES", self.id, i) for i in self.involved_ids]

    def properties(self) -> dict[str, Any]:
        """The ontology's names: ``type`` is the event's kind, ``date`` when it occurred."""
        props = {"id": self.id, "name": self.name or self.type, "kind": self.type,
                 "occurred_on": self.date, "description": self.description,
                 "severity": self.severity}
        return {k: v for k, v in props.items() if v is not None}


class ShareholdingRow(EdgeRow):
    """shareholdings.csv: ``holder_id`` holds ``ratio`` of ``company_id``."""

    rel_type: ClassVar[str] = "HOLDS_SHARES"
    start_field: ClassVar[str] = "holder_id"
    end_field: ClassVar[str] = "company_id"
    start_labels: ClassVar[tuple[str, ...]] = HOLDERS
    end_labels: ClassVar[tuple[str, ...]] = COMPANY
    holder_id: Id
    company_id: Id
    ratio: Ratio
    since: dt.date | None = None


class ControlRow(EdgeRow):
    """controls.csv: ``controller_id`` is the declared actual controller of ``company_id``."""

    rel_type: ClassVar[str] = "CONTROLS"
    start_field: ClassVar[str] = "controller_id"
    end_field: ClassVar[str] = "company_id"
    start_labels: ClassVar[tuple[str, ...]] = PARTIES
    end_labels: ClassVar[tuple[str, ...]] = COMPANY
    controller_id: Id
    company_id: Id
    since: dt.date | None = None


class LegalRepRow(EdgeRow):
    """legal_reps.csv: ``person_id`` is the legal representative of ``company_id``."""

    rel_type: ClassVar[str] = "IS_LEGAL_REP"
    start_field: ClassVar[str] = "person_id"
    end_field: ClassVar[str] = "company_id"
    start_labels: ClassVar[tuple[str, ...]] = ("Person",)
    end_labels: ClassVar[tuple[str, ...]] = COMPANY
    person_id: Id
    company_id: Id
    since: dt.date | None = None


class OfficerRow(EdgeRow):
    """officers.csv: ``person_id`` serves ``company_id`` as ``title`` (董事, 监事, 经理 …)."""

    rel_type: ClassVar[str] = "SERVES_AS"
    start_field: ClassVar[str] = "person_id"
    end_field: ClassVar[str] = "company_id"
    start_labels: ClassVar[tuple[str, ...]] = ("Person",)
    end_labels: ClassVar[tuple[str, ...]] = COMPANY
    person_id: Id
    company_id: Id
    title: Text
    since: dt.date | None = None


class GuaranteeRow(EdgeRow):
    """guarantees.csv: ``guarantor_id`` stands surety for ``guaranteed_id`` for ``amount`` 万元."""

    rel_type: ClassVar[str] = "GUARANTEES"
    start_field: ClassVar[str] = "guarantor_id"
    end_field: ClassVar[str] = "guaranteed_id"
    start_labels: ClassVar[tuple[str, ...]] = PARTIES
    end_labels: ClassVar[tuple[str, ...]] = COMPANY
    guarantor_id: Id
    guaranteed_id: Id
    amount: Amount
    date: dt.date | None = None

    def properties(self) -> dict[str, Any]:
        """The amount, and the guarantee's date as the ontology's ``since``."""
        props: dict[str, Any] = {"amount": self.amount}
        if self.date is not None:
            props["since"] = self.date
        return props


class ManagerRow(EdgeRow):
    """managers.csv: company (or person) ``manager_id`` manages fund ``fund_id``."""

    rel_type: ClassVar[str] = "MANAGES"
    start_field: ClassVar[str] = "manager_id"
    end_field: ClassVar[str] = "fund_id"
    start_labels: ClassVar[tuple[str, ...]] = PARTIES
    end_labels: ClassVar[tuple[str, ...]] = ("Fund",)
    manager_id: Id
    fund_id: Id
    since: dt.date | None = None


class InvestmentRow(EdgeRow):
    """investments.csv: ``investor_id`` put ``amount`` 万元 into product or fund ``target_id``."""

    rel_type: ClassVar[str] = "INVESTS_IN"
    start_field: ClassVar[str] = "investor_id"
    end_field: ClassVar[str] = "target_id"
    start_labels: ClassVar[tuple[str, ...]] = HOLDERS
    end_labels: ClassVar[tuple[str, ...]] = TARGETS
    investor_id: Id
    target_id: Id
    amount: Amount


# The registry's files in the order they are checked and written: nodes before the
# relationships that point at them.
NODE_FILES: dict[str, type[NodeRow]] = {
    "companies": CompanyRow,
    "persons": PersonRow,
    "funds": FundRow,
    "products": ProductRow,
    "risk_events": RiskEventRow,
}
EDGE_FILES: dict[str, type[EdgeRow]] = {
    "shareholdings": ShareholdingRow,
    "controls": ControlRow,
    "legal_reps": LegalRepRow,
    "officers": OfficerRow,
    "guarantees": GuaranteeRow,
    "managers": ManagerRow,
    "investments": InvestmentRow,
}
REGISTRY_FILES: dict[str, type[RegistryRow]] = {**NODE_FILES, **EDGE_FILES}
REQUIRED_FILES = ("companies",)


def columns(model: type[RegistryRow]) -> list[str]:
    """The columns of a registry file, in the order its model declares them."""
    return list(model.model_fields)


def required_columns(model: type[RegistryRow]) -> list[str]:
    """The columns every row of a file must fill."""
    return [name for name, f in model.model_fields.items() if f.is_required()]
