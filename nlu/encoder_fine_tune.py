"""What a fine-tune of the character encoder takes and gives, without torch.

The fine-tune itself (``nlu/train_encoder_ner.py``) needs torch; these types do not, so the
service and the training command can describe and save a fine-tune's result on any machine.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field


class TaggedSentences(BaseModel):
    """Sentences as character ids, their word positions (``nlu/word_positions.py``) and BIO
    tag ids, without the ``bos``/``eos`` specials."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    ids: list[np.ndarray]
    positions: list[np.ndarray]
    tags: list[np.ndarray]


class FineTuneConfig(BaseModel):
    """What a fine-tune may vary; the defaults are the committed model's."""

    layers: int = 6
    learning_rate: float = 1e-4
    head_learning_rate: float = 1e-3
    epochs: int = 15
    batch_size: int = 32
    warmup_fraction: float = 0.06
    weight_decay: float = 0.01
    dropout: float = 0.1
    seed: int = 0
    max_minutes: float | None = None
    word_positions: bool = True
    average_last: int = 4


class FineTuneResult(BaseModel):
    """The best weights (float32, numpy names) and how they were reached."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    config: FineTuneConfig
    weights: dict[str, np.ndarray]
    best_epoch: int = Field(
        description="Epoch of the kept weights; 0 for the mean of the last epochs."
    )
    selection_f1: float
    history: list[float]
    seconds: float
    device: str
