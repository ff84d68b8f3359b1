"""Fine-tune the pretrained character encoder for CLUENER's entities (torch; a GPU helps).

Starts from multilingual-e5-small's weights (``nlu/e5_checkpoint.py``), adds a linear
layer scoring BIO tags per character (``nlu/bio_tags.py``) and trains all of it with
cross-entropy. The architecture mirrors :func:`nlu.onnx_encoder.encoder_graph` parameter for
parameter, so the weights it returns are served on the CPU by ONNX Runtime. The checkpoint with the
best exact-span F1 on a selection split (cut from the training part, never the held-out
split) is kept.

Only numpy, torch and pydantic are imported, so the module runs on a GPU machine given the
arrays that :mod:`nlu.encoder_ner_data` prepares. Twelve layers and 15 epochs of CLUENER's
9.7k training sentences take a few minutes on one GPU and hours on two CPU cores.
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - torch's own convention
from pydantic import BaseModel, ConfigDict

from nlu.bio_tags import row_spans, span_f1, tags_to_spans
from nlu.char_encoder import POSITION_IDS, CharVocab, padded_rows
from nlu.e5_checkpoint import EncoderShape
from nlu.encoder_fine_tune import FineTuneConfig, FineTuneResult, TaggedSentences

logger = logging.getLogger(__name__)


class CharEncoderTagger(torch.nn.Module):  # type: ignore[misc]
    """The e5 encoder (first ``layers`` layers) with a BIO tag classifier on each character.

    Without ``tag.w``/``tag.b`` in the weights it is the bare encoder: :meth:`states` only.
    """

    def __init__(
        self, weights: dict[str, np.ndarray], shape: EncoderShape, layers: int, dropout: float
    ) -> None:
        super().__init__()
        self.shape = shape
        self.layers = layers
        self.dropout = dropout
        keep = {
            name: value
            for name, value in weights.items()
            if not name.startswith("l") or int(name[1 : name.index(".")]) < layers
        }
        self.params = torch.nn.ParameterDict(
            {name.replace(".", "/"): torch.nn.Parameter(torch.from_numpy(value.copy()))
             for name, value in keep.items()}
        )

    def _w(self, name: str) -> torch.Tensor:
        return self.params[name.replace(".", "/")]

    def _linear(self, x: torch.Tensor, name: str) -> torch.Tensor:
        return F.linear(x, self._w(name + ".w"), self._w(name + ".b"))

    def _norm(self, x: torch.Tensor, name: str) -> torch.Tensor:
        return F.layer_norm(
            x, (self.shape.hidden,), self._w(name + ".w"), self._w(name + ".b"), self.shape.eps
        )

    def states(
        self, ids: torch.Tensor, mask: torch.Tensor, positions: torch.Tensor
    ) -> torch.Tensor:
        """Hidden states ``[batch, length, hidden]`` of padded id rows (with ``bos``/``eos``).

        The sentence encoder of ``retrieval/`` pools these; the tagger scores them.
        """
        batch, length = ids.shape
        heads = self.shape.heads
        width = self.shape.hidden // heads
        drop = self.dropout if self.training else 0.0
        x = self._w("emb.word")[ids] + self._w("emb.pos")[:length] + self._w("emb.type")[0]
        if "emb/seg" in self.params:
            x = x + self._w("emb.seg")[positions]
        x = F.dropout(self._norm(x, "emb.ln"), drop, self.training)
        attend = mask[:, None, None, :].bool()
        for layer in range(self.layers):
            p = f"l{layer}."

            def split(t: torch.Tensor) -> torch.Tensor:
                return t.view(batch, length, heads, width).transpose(1, 2)

            q, k, v = (split(self._linear(x, p + n)) for n in ("q", "k", "v"))
            context = F.scaled_dot_product_attention(q, k, v, attn_mask=attend, dropout_p=drop)
            context = context.transpose(1, 2).reshape(batch, length, -1)
            x = self._norm(x + F.dropout(self._linear(context, p + "ao"), drop, self.training),
                           p + "aln")
            mid = F.gelu(self._linear(x, p + "fi"))
            x = self._norm(x + F.dropout(self._linear(mid, p + "fo"), drop, self.training),
                           p + "oln")
        return x

    def forward(
        self, ids: torch.Tensor, mask: torch.Tensor, positions: torch.Tensor
    ) -> torch.Tensor:
        """Tag scores ``[batch, length, tags]`` of padded id rows (with ``bos``/``eos``)."""
        x = self.states(ids, mask, positions)
        return self._linear(F.dropout(x, self.dropout, self.training), "tag")

    def load_numpy_weights(self, weights: dict[str, np.ndarray]) -> None:
        """Set the parameters from arrays named as :meth:`numpy_weights` returns them."""
        with torch.no_grad():
            for name, value in weights.items():
                self._w(name).copy_(torch.from_numpy(value))

    def numpy_weights(self) -> dict[str, np.ndarray]:
        """The parameters as float32 arrays under the names the served graph is built from."""
        return {
            name.replace("/", "."): value.detach().float().cpu().numpy()
            for name, value in self.params.items()
        }


class _Batch(BaseModel):
    """Padded rows with ``bos``/``eos``; tags are -100 on specials and padding."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    ids: np.ndarray
    mask: np.ndarray
    positions: np.ndarray
    tags: np.ndarray

    def tensors(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(ids, mask, positions)`` on ``device``, as the model takes them."""
        ids, mask, positions = (
            torch.from_numpy(a).to(device) for a in (self.ids, self.mask, self.positions)
        )
        return ids, mask, positions


def _batches(
    data: TaggedSentences, order: list[int], size: int, vocab: CharVocab
) -> list[_Batch]:
    out = []
    for at in range(0, len(order), size):
        chosen = order[at : at + size]
        ids, mask, positions = padded_rows(
            [data.ids[i] for i in chosen], [data.positions[i] for i in chosen], vocab
        )
        tags = np.full(ids.shape, -100, dtype=np.int64)
        for row, i in enumerate(chosen):
            tags[row, 1 : len(data.tags[i]) + 1] = data.tags[i]
        out.append(_Batch(ids=ids, mask=mask, positions=positions, tags=tags))
    return out


def predict_spans(
    model: CharEncoderTagger,
    data: TaggedSentences,
    labels: list[str],
    vocab: CharVocab,
    device: torch.device,
) -> list[list[tuple[int, int, str]]]:
    """BIO-valid spans the model predicts for each sentence (batched, no gradients)."""
    model.eval()
    spans: list[list[tuple[int, int, str]]] = []
    with torch.no_grad():
        for batch in _batches(data, list(range(len(data.ids))), 128, vocab):
            scores = model(*batch.tensors(device))
            log_probs = F.log_softmax(scores.float(), dim=-1).cpu().numpy()
            spans.extend(row_spans(log_probs, (batch.mask.sum(axis=1) - 2).tolist(), labels))
    return spans


def fine_tune(
    weights: dict[str, np.ndarray],
    shape: EncoderShape,
    labels: list[str],
    vocab: CharVocab,
    train: TaggedSentences,
    selection: TaggedSentences,
    config: FineTuneConfig,
) -> FineTuneResult:
    """Fine-tune the encoder and a new tag layer; keep the epoch best on ``selection``.

    ``weights`` are the pretrained float32 tensors (embedding rows already trimmed to the
    vocabulary whose ids ``train`` uses); ``vocab`` gives the ``bos``, ``eos`` and pad ids.
    Runs on CUDA when there is one (bf16 autocast), else on the CPU. With
    ``config.max_minutes`` it stops after the epoch that spends the budget (the learning
    rate schedule still assumes all epochs).
    """
    started = time.time()
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    n_tags = 1 + 2 * len(labels)
    head = {
        "tag.w": rng.normal(0.0, 0.02, (n_tags, shape.hidden)).astype(np.float32),
        "tag.b": np.zeros(n_tags, dtype=np.float32),
    }
    if config.word_positions:
        head["emb.seg"] = np.zeros((len(POSITION_IDS), shape.hidden), dtype=np.float32)
    model = CharEncoderTagger({**weights, **head}, shape, config.layers, config.dropout)
    model.to(device)
    head_params = [p for n, p in model.params.items() if n.startswith("tag/")]
    decay = [p for n, p in model.params.items() if not n.startswith("tag/") and p.ndim == 2]
    no_decay = [p for n, p in model.params.items() if not n.startswith("tag/") and p.ndim < 2]
    optimizer = torch.optim.AdamW(
        [
            {"params": decay, "lr": config.learning_rate, "weight_decay": config.weight_decay},
            {"params": no_decay, "lr": config.learning_rate, "weight_decay": 0.0},
            {"params": head_params, "lr": config.head_learning_rate, "weight_decay": 0.0},
        ]
    )
    steps_per_epoch = math.ceil(len(train.ids) / config.batch_size)
    total = steps_per_epoch * config.epochs
    warmup = max(1, int(total * config.warmup_fraction))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: min((step + 1) / warmup, max(0.0, (total - step) / (total - warmup))),
    )
    gold = [tags_to_spans(list(t), labels) for t in selection.tags]
    best_f1, best_epoch, best_weights, history = -1.0, 0, model.numpy_weights(), []
    averaged: list[dict[str, np.ndarray]] = []
    use_bf16 = device.type == "cuda"
    for epoch in range(1, config.epochs + 1):
        model.train()
        order = [int(i) for i in rng.permutation(len(train.ids))]
        for batch in _batches(train, order, config.batch_size, vocab):
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16):
                scores = model(*batch.tensors(device))
            loss = F.cross_entropy(
                scores.float().view(-1, n_tags), torch.from_numpy(batch.tags).to(device).view(-1),
                ignore_index=-100,
            )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
        f1 = span_f1(predict_spans(model, selection, labels, vocab, device), gold)
        history.append(round(f1, 4))
        logger.info("encoder NER epoch %d: selection F1 %.4f (%.0f s)", epoch, f1,
                    time.time() - started)
        if f1 > best_f1:
            best_f1, best_epoch, best_weights = f1, epoch, model.numpy_weights()
        if epoch > config.epochs - config.average_last:
            averaged.append(model.numpy_weights())
        if config.max_minutes is not None and time.time() - started > config.max_minutes * 60:
            logger.info("encoder NER: time budget spent after epoch %d", epoch)
            break
    if len(averaged) > 1:
        mean = {name: np.mean([w[name] for w in averaged], axis=0) for name in averaged[0]}
        model.load_numpy_weights(mean)
        f1 = span_f1(predict_spans(model, selection, labels, vocab, device), gold)
        logger.info("encoder NER: mean of the last %d epochs, selection F1 %.4f",
                    len(averaged), f1)
        history.append(round(f1, 4))
        if f1 > best_f1:
            best_f1, best_epoch, best_weights = f1, 0, mean
    return FineTuneResult(
        config=config,
        weights=best_weights,
        best_epoch=best_epoch,
        selection_f1=round(best_f1, 4),
        history=history,
        seconds=round(time.time() - started, 1),
        device=str(torch.cuda.get_device_name(0) if use_bf16 else "cpu"),
    )
