"""Parameter building blocks shared by the risk queries: ids, depths, thresholds and limits.

Every bound is enforced by pydantic, so a negative threshold, a ratio above 1 or an unbounded
path length is refused with a message naming the field before any Cypher runs.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

EntityId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^\S+$",
                                description="节点编号（id），如 CO-000123")]
Ratio = Annotated[float, Field(ge=0.0, le=1.0, description="比例，0 到 1 之间的小数")]
RowLimit = Annotated[int, Field(ge=1, le=1000, description="最多返回的行数")]

MAX_PATH_LENGTH = 8  # no query walks further: path counts grow fast with length
Depth = Annotated[int, Field(ge=1, le=MAX_PATH_LENGTH, description="最多经过的关系层数")]
CycleLength = Annotated[int, Field(ge=2, le=MAX_PATH_LENGTH, description="环的最大长度")]


class RiskParams(BaseModel):
    """Base of every risk query's parameters: unknown fields are refused, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)
