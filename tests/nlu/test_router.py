"""The first-level router: the committed model, evaluation files and a tiny training run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import nlu.router
from kg.errors import DataValidationError
from nlu.evaluate_router import evaluate_router
from nlu.router import (
    EMBEDDING_DIM,
    LABELS,
    EmbeddingView,
    Router,
    RouteResult,
    _SigmoidCalibratedLinear,
    embed_texts,
    load_router,
)
from nlu.train_router import (
    LabelledText,
    RouterConfig,
    TrainSources,
    _EmbeddingBank,
    reply_department_label,
    train_router,
)

# Hand-written messages, one or two per class.
EXAMPLES: list[tuple[str, str]] = [
    ("小区门口的路灯坏了一个月了没人修，晚上出行很不安全", "城乡建设"),
    ("物业公司乱收停车费，业委会也不管，希望住建部门处理", "城乡建设"),
    ("工厂半夜排放刺鼻废气，周边居民被熏得睡不着觉", "环境保护"),
    ("河道里有企业偷排污水，水体发黑发臭，鱼都死了", "环境保护"),
    ("公交车司机拒载老人，还不按站停车，请交通部门管一管", "交通运输"),
    ("出租车不打表乱要价，网约车在机场违规揽客", "交通运输"),
    ("孩子上小学划片不合理，学校还乱收补课费", "教育文体"),
    ("公司拖欠我们三个月工资不发，也不给缴社保", "劳动和社会保障"),
    ("超市卖过期食品，投诉到市场监管也没有下文", "商贸旅游"),
    ("医院看病排队太久，医生态度恶劣，还乱开检查", "卫生计生"),
]


def _write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8"
    )
    return path


@pytest.fixture(scope="module")
def router():  # type: ignore[no-untyped-def]
    return load_router()


def test_committed_router_routes_hand_written_messages(router) -> None:  # type: ignore[no-untyped-def]
    results = router.predict_batch([text for text, _ in EXAMPLES])
    got = [r.label for r in results]
    expected = [label for _, label in EXAMPLES]
    correct = sum(g == e for g, e in zip(got, expected, strict=True))
    assert correct >= len(EXAMPLES) - 1, list(zip(got, expected, strict=True))
    for result in results:
        assert isinstance(result, RouteResult)
        assert set(result.scores) == set(LABELS)
        assert sum(result.scores.values()) == pytest.approx(1.0, abs=1e-6)
        assert result.confidence == pytest.approx(result.scores[result.label])
        assert result.evidence, result


def test_predict_single_matches_batch_and_rejects_empty(router) -> None:  # type: ignore[no-untyped-def]
    single = router.predict(EXAMPLES[2][0])
    assert single.label == "环境保护"
    assert single.scores == router.predict_batch([EXAMPLES[2][0]])[0].scores
    assert router.predict_batch([]) == []
    with pytest.raises(DataValidationError):
        router.predict("   ")


def test_evaluate_router_reports_scores_and_confusion(router, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = _write_jsonl(tmp_path / "eval.jsonl", [{"text": t, "label": y} for t, y in EXAMPLES])
    report = evaluate_router(data, router)
    assert report.n == len(EXAMPLES)
    assert 0.8 <= report.macro_f1 <= 1.0
    assert 0.8 <= report.accuracy <= 1.0
    assert report.labels == list(LABELS)
    assert len(report.confusion_matrix) == 7
    assert all(len(row) == 7 for row in report.confusion_matrix)
    assert sum(map(sum, report.confusion_matrix)) == len(EXAMPLES)
    assert set(report.per_class) == set(LABELS)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "eval.jsonl:2"),
        (json.dumps({"text": "路灯坏了", "label": "农村农业"}, ensure_ascii=False), "unknown"),
        (json.dumps({"label": "城乡建设"}, ensure_ascii=False), "eval.jsonl:2"),
        ("[1, 2]", "eval.jsonl:2"),
    ],
)
def test_evaluate_router_rejects_bad_lines(tmp_path: Path, line: str, message: str) -> None:
    good = json.dumps({"text": EXAMPLES[0][0], "label": EXAMPLES[0][1]}, ensure_ascii=False)
    data = tmp_path / "eval.jsonl"
    data.write_text(good + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        evaluate_router(data)
    assert message in str(info.value)
    assert "eval.jsonl:2" in str(info.value)


def test_reply_department_label() -> None:
    assert reply_department_label("经市教育局调查核实，现答复如下") == "教育文体"
    assert reply_department_label("市公安局回复") == "其他"
    assert reply_department_label("感谢您的来信") is None


# Tiny synthetic training data: per class, templates filled with class words.
_CLASS_WORDS: dict[str, list[str]] = {
    "城乡建设": ["路灯", "物业", "拆迁", "违建", "井盖", "停水"],
    "环境保护": ["废气", "污水", "噪音", "垃圾焚烧", "扬尘", "排污"],
    "交通运输": ["公交", "出租车", "地铁", "站台", "网约车", "客运"],
    "教育文体": ["学校", "老师", "学位", "补课", "幼儿园", "体育馆"],
    "劳动和社会保障": ["工资", "社保", "养老金", "劳动合同", "失业", "工伤"],
    "商贸旅游": ["商场", "景区", "门票", "假货", "导游", "消费者"],
    "卫生计生": ["医院", "医生", "疫苗", "药店", "二胎", "诊所"],
}
_TEMPLATES = ["反映{w}问题，希望尽快处理", "关于{w}的投诉，{w}一直没人管", "请问{w}怎么办理"]


def _synthetic_sources() -> TrainSources:
    labelled = []
    unlabelled = []
    for label, words in _CLASS_WORDS.items():
        for i, word in enumerate(words):
            labelled.append(
                LabelledText(text=_TEMPLATES[i % 3].format(w=word) + f"（{label}）", label=label)
            )
            unlabelled.append(f"我想咨询{word}和{words[(i + 1) % len(words)]}的事情")
    weak = [
        LabelledText(text=" ".join(words[:3]), label=label, origin="scheme")
        for label, words in _CLASS_WORDS.items()
    ]
    return TrainSources(labelled=labelled, weak=weak, unlabelled=unlabelled)


def test_train_router_on_tiny_data(tmp_path: Path) -> None:
    out = tmp_path / "model"
    cfg = RouterConfig(
        max_features=5_000, pseudo_threshold=0.3, pseudo_rounds=2, use_embedding=True
    )
    small = cfg.model_copy(update={"use_self_training": False, "use_embedding": False})
    report = train_router(
        tmp_path,
        out,
        seed=1,
        sources=_synthetic_sources(),
        config=cfg,
        ablation=[("no embeddings", small), ("final", cfg)],
        n_folds=2,
        embedding_cache=tmp_path / "embeddings.npz",
    )
    assert report.n_labelled == 42
    assert [row.name for row in report.ablation] == ["no embeddings", "final"]
    assert report.cv is not None and 0.0 <= report.cv.macro_f1 <= 1.0
    assert set(report.cv.per_class_f1) == set(LABELS)
    assert (out / "router.joblib").is_file() and (out / "router.json").is_file()
    meta = json.loads((out / "router.json").read_text(encoding="utf-8"))
    assert meta["labels"] == list(LABELS)
    assert (tmp_path / "embeddings.npz").is_file()
    trained = load_router(out)
    result = trained.predict("小区路灯不亮，物业不管")
    assert result.label == "城乡建设"
    assert sum(result.scores.values()) == pytest.approx(1.0)
    _check_embedding_columns(trained, cfg.embedding_view())


def _check_embedding_columns(router: Router, view: EmbeddingView | None) -> None:
    """The router appends the scaled embeddings after its TF-IDF columns, which alone give
    the evidence."""
    assert view is not None and router.embedding == view
    texts = ["小区路灯不亮，物业不管", "公交车拒载老人"]
    features = router.featurize(texts)
    n_text = router.explain_coef.shape[1]
    assert features.shape == (2, n_text + EMBEDDING_DIM)
    expected = view.weight * embed_texts(texts, view)
    assert np.allclose(features[:, n_text:].toarray(), expected)
    for text, result in zip(texts, router.predict_batch(texts), strict=True):
        assert result.evidence and all(term in text for term in result.evidence), result


def test_train_router_reads_a_data_dir(tmp_path: Path) -> None:
    sources = _synthetic_sources()
    rows = [{"text": r.text, "label": r.label} for r in sources.labelled]
    _write_jsonl(tmp_path / "labelled_sample.jsonl", rows)
    _write_jsonl(tmp_path / "messages_with_votes.jsonl", [{"text": t} for t in sources.unlabelled])
    (tmp_path / "category_scheme.csv").write_text(
        "一级分类,二级分类,三级分类\n城乡建设,城市建设,路灯\n卫生计生,医政监管,医院\n",
        encoding="utf-8",
    )
    no_embedding = RouterConfig(use_embedding=False)
    report = train_router(
        tmp_path, tmp_path / "model", demo_dir=None, config=no_embedding, cross_validation=False
    )
    assert report.cv is None and report.ablation == []
    assert report.weak_by_origin == {"scheme": 2}
    assert report.n_unlabelled == len(sources.unlabelled)
    trained = load_router(tmp_path / "model")
    assert trained.embedding is None
    assert trained.featurize(["小区路灯不亮"]).shape[1] == trained.explain_coef.shape[1]
    _write_jsonl(tmp_path / "labelled_sample.jsonl", [{"text": "x", "label": "未知"}])
    with pytest.raises(DataValidationError, match=r"labelled_sample\.jsonl:1"):
        train_router(
            tmp_path,
            tmp_path / "model2",
            demo_dir=None,
            config=no_embedding,
            cross_validation=False,
        )


def test_router_fast_probabilities_are_sklearns() -> None:
    router = load_router()
    fast = _SigmoidCalibratedLinear.of(router.classifier)
    assert fast is not None
    features = router.featurize(
        ["市民：滨江区长河街道的路灯坏了三天了", "小区路灯不亮，物业不管", "hello"]
    )
    assert np.array_equal(fast.predict_proba(features), router.classifier.predict_proba(features))


def test_embeddings_cover_only_the_opening() -> None:
    view = EmbeddingView(max_chars=8)
    long, short = embed_texts(
        ["小区 路灯\n不亮，物业不管，已经一个月了", "小区 路灯 不亮，物业"], view
    )
    assert long.shape == (EMBEDDING_DIM,)
    assert np.allclose(long, short)
    assert np.linalg.norm(long) == pytest.approx(1.0, abs=1e-3)


def test_embedding_bank_reuses_its_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache" / "embeddings.npz"
    view = EmbeddingView(max_chars=16, weight=2.0)
    texts = ["小区路灯不亮", "公交车拒载老人", "小区路灯不亮"]
    first = _EmbeddingBank(cache).block(texts, view).toarray()
    assert first.shape == (3, EMBEDDING_DIM) and cache.is_file()
    assert np.allclose(first, 2.0 * embed_texts(texts, view))

    def no_encoder() -> None:
        raise AssertionError("the cached texts must not be encoded again")

    monkeypatch.setattr(nlu.router, "sentence_encoder", no_encoder)
    again = _EmbeddingBank(cache).block(texts[:2], view).toarray()
    assert np.array_equal(again, first[:2])
    stale = _EmbeddingBank(cache)
    stale.encoder_version = "0.0.0"
    assert stale._read_cache() == {}
