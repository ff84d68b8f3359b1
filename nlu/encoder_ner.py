"""The trained NER as a spaCy component: a fine-tuned character encoder that tags BIO.

``cityagent_encoder_ner`` holds an :class:`EncoderNer` (the ONNX graph and the vocabulary,
saved with the pipeline) and sets ``doc.ents`` from the spans it finds. Texts longer than a
window are cut at sentence ends (the model was fine-tuned on CLUENER's sentences of up to 50
characters); a batch of texts is run as rows of similar length, so that padding stays small.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel
from spacy.language import Language
from spacy.tokens import Doc

from nlu.bio_tags import row_spans
from nlu.char_encoder import CharVocab, padded_rows
from nlu.e5_checkpoint import EncoderShape
from nlu.onnx_encoder import encoder_graph, open_session, run_encoder
from nlu.word_positions import position_ids

#: Longest row the encoder reads, in characters; longer texts are cut at sentence ends.
WINDOW_CHARS = 126
#: Characters (padding included) per forward pass in bulk work.
BATCH_CHARS = 4096
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")
GRAPH_FILE = "encoder.onnx"
CONFIG_FILE = "encoder.json"

Span = tuple[int, int, str]


class EncoderNerConfig(BaseModel):
    """What the weights need to be read: the encoder's shape, the vocabulary, the labels."""

    shape: EncoderShape
    vocab: CharVocab
    labels: list[str]


def windows(text: str, limit: int = WINDOW_CHARS) -> list[tuple[int, str]]:
    """``(offset, piece)`` pieces of ``text`` of at most ``limit`` characters, cut after
    sentence ends where possible and hard at ``limit`` otherwise."""
    pieces: list[tuple[int, str]] = []
    start = 0
    current = ""
    for sentence in _SENTENCE_END.split(text):
        while len(sentence) > limit:
            if current:
                pieces.append((start, current))
                start += len(current)
                current = ""
            pieces.append((start, sentence[:limit]))
            start += limit
            sentence = sentence[limit:]
        if len(current) + len(sentence) > limit:
            pieces.append((start, current))
            start += len(current)
            current = ""
        current += sentence
    if current:
        pieces.append((start, current))
    return pieces


class EncoderNer:
    """The fine-tuned encoder as an int8 ONNX graph (``nlu/onnx_encoder.py``), with what
    reading text into it needs."""

    def __init__(self, config: EncoderNerConfig, graph: bytes) -> None:
        self.config = config
        self.graph = graph
        self._session = open_session(graph)

    @classmethod
    def from_weights(cls, config: EncoderNerConfig, weights: dict[str, np.ndarray]) -> EncoderNer:
        """The model of freshly fine-tuned float32 weights, as it will be saved and served."""
        return cls(config, encoder_graph(weights, config.shape).SerializeToString())

    def spans(self, texts: Sequence[str]) -> list[list[Span]]:
        """``(start, end, label)`` entity spans of each text, offsets in characters."""
        rows = [
            (i, offset, piece)
            for i, text in enumerate(texts)
            for offset, piece in windows(text)
            if piece.strip()
        ]
        rows.sort(key=lambda row: len(row[2]))
        found: list[list[Span]] = [[] for _ in texts]
        at = 0
        while at < len(rows):
            end = at + 1
            while end < len(rows) and (end - at + 1) * (len(rows[end][2]) + 2) <= BATCH_CHARS:
                end += 1
            for (i, offset, _), spans in zip(
                rows[at:end], self._tag([r[2] for r in rows[at:end]]), strict=True
            ):
                found[i].extend((s + offset, e + offset, label) for s, e, label in spans)
            at = end
        return [sorted(spans) for spans in found]

    def _tag(self, pieces: list[str]) -> list[list[Span]]:
        vocab = self.config.vocab
        ids, mask, positions = padded_rows(
            [vocab.encode(p) for p in pieces], [position_ids(p) for p in pieces], vocab
        )
        log_probs = run_encoder(self._session, ids, mask, positions)
        return row_spans(log_probs, [len(p) for p in pieces], self.config.labels)

    def save(self, path: Path) -> None:
        """Write the graph and the config."""
        path.mkdir(parents=True, exist_ok=True)
        (path / GRAPH_FILE).write_bytes(self.graph)
        (path / CONFIG_FILE).write_text(
            json.dumps(self.config.model_dump(), ensure_ascii=False), encoding="utf-8"
        )

    @classmethod
    def load(cls, path: Path) -> EncoderNer:
        """Read what :meth:`save` wrote."""
        config = EncoderNerConfig.model_validate_json(
            (path / CONFIG_FILE).read_text(encoding="utf-8")
        )
        return cls(config, (path / GRAPH_FILE).read_bytes())


class EncoderNerComponent:
    """spaCy component ``cityagent_encoder_ner``: entities from :class:`EncoderNer`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.model: EncoderNer | None = None

    def _set(self, docs: list[Doc]) -> list[Doc]:
        if self.model is None:
            raise ValueError(f"{self.name}: no weights; load a saved pipeline")
        for doc, spans in zip(docs, self.model.spans([d.text for d in docs]), strict=True):
            ents = (doc.char_span(s, e, label=lab, alignment_mode="contract")
                    for s, e, lab in spans)
            doc.ents = [ent for ent in ents if ent is not None]
        return docs

    def __call__(self, doc: Doc) -> Doc:
        """Set the entities of one doc."""
        return self._set([doc])[0]

    def pipe(self, docs: Iterable[Doc], batch_size: int = 256) -> Iterator[Doc]:
        """Set the entities of many docs, ``batch_size`` texts per run of the encoder."""
        batch: list[Doc] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) == batch_size:
                yield from self._set(batch)
                batch = []
        if batch:
            yield from self._set(batch)

    def to_disk(self, path: str | Path, exclude: Iterable[str] = ()) -> None:
        """Save the model next to the pipeline's config (spaCy's serialisation hook)."""
        if self.model is not None:
            self.model.save(Path(path))

    def from_disk(self, path: str | Path, exclude: Iterable[str] = ()) -> EncoderNerComponent:
        """Load the model saved by :meth:`to_disk`."""
        self.model = EncoderNer.load(Path(path))
        return self


@Language.factory("cityagent_encoder_ner")
def make_encoder_ner(nlp: Language, name: str) -> EncoderNerComponent:
    """spaCy factory of :class:`EncoderNerComponent` (weights come from ``from_disk``)."""
    return EncoderNerComponent(name)
