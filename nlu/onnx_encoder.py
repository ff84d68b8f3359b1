"""The character encoder as one ONNX graph, run by ONNX Runtime on the CPU.

The character NER (``nlu/encoder_ner.py``) fine-tunes multilingual-e5-small in torch
(``nlu/train_encoder_ner.py``) and serves it through this graph: embeddings, the transformer
layers and, when the weights hold one, the tag layer's log-probabilities. With ``int8`` every
matrix product reads int8 weights (one scale per output unit, :func:`quantize_weights`) and
quantises its input on the fly, each character's vector to 8 bits over its own range (not the
batch's: a text's entities must not depend on the texts batched with it). ONNX Runtime runs
those products on the CPU's int8 dot-product units: a call's NER took 27 ms with float32
numpy and takes 13 ms so, at the same held-out F1 (``tests/bench/test_hotline.py``). The
matrix products run on the real characters alone, packed (a call's lines padded to its
longest line are 40 % padding); only attention (ONNX Runtime's fused ``MultiHeadAttention``)
reads the padded layout.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper

from nlu.e5_checkpoint import EncoderShape

#: ONNX operator set the graph is written in (exact ``Gelu`` needs 20); attention is ONNX
#: Runtime's own operator, from its ``com.microsoft`` set.
OPSET = 20
_NOT_MATRICES = ("emb.pos", "emb.type", "emb.seg")


def quantize_weights(weights: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Matrices to int8 rows with one float32 scale each (``name`` + ``.scale``); a quarter
    of the float32 size, and what the int8 graph multiplies with."""
    stored: dict[str, np.ndarray] = {}
    for name, value in weights.items():
        if value.ndim == 2 and name not in _NOT_MATRICES:
            scale = np.abs(value).max(axis=1, keepdims=True) / 127.0
            scale[scale == 0] = 1.0
            stored[name] = np.round(value / scale).astype(np.int8)
            stored[name + ".scale"] = scale.astype(np.float32)
        else:
            stored[name] = value.astype(np.float32)
    return stored


class _Graph:
    """Nodes and initialisers of the graph being written, with fresh names for values."""

    def __init__(self, weights: dict[str, np.ndarray], int8: bool) -> None:
        self.weights = quantize_weights(weights) if int8 else weights
        self.int8 = int8
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0

    def const(self, value: np.ndarray, name: str = "") -> str:
        """Name of a new initialiser holding ``value``."""
        self._count += 1
        name = f"{name or 'c'}#{self._count}"
        self.initializers.append(numpy_helper.from_array(value, name))
        return name

    def op(self, op_type: str, *inputs: str, **attrs: Any) -> str:
        """Add a node of one output and return the output's name."""
        return self.ops(op_type, *inputs, outputs=1, **attrs)[0]

    def ops(self, op_type: str, *inputs: str, outputs: int, **attrs: Any) -> list[str]:
        """Add a node and return the names of its ``outputs`` outputs."""
        self._count += 1
        names = [f"{op_type}#{self._count}.{i}" for i in range(outputs)]
        self.nodes.append(helper.make_node(op_type, list(inputs), names, **attrs))
        return names

    def embedding(self, ids: str, name: str) -> str:
        """Rows ``ids`` of a table, read back from int8 when the table is stored so."""
        rows = self.op("Gather", self.const(self.weights[name], name), ids)
        if name + ".scale" not in self.weights:
            return rows
        scales = self.op("Gather", self.const(self.weights[name + ".scale"]), ids)
        return self.op("Mul", self.op("Cast", rows, to=TensorProto.FLOAT), scales)

    def linear(self, x: str, names: Sequence[str]) -> str:
        """``x @ W.T + b`` for the weights ``names`` side by side (q, k and v as one)."""
        matrix = np.concatenate([self.weights[n + ".w"] for n in names])
        bias = self.const(np.concatenate([self.weights[n + ".b"] for n in names]))
        if not self.int8:
            return self.op("Add", self.op("MatMul", x, self.const(matrix.T.copy())), bias)
        scale = np.concatenate([self.weights[n + ".w.scale"] for n in names]).reshape(-1)
        # each row of x to 256 levels over its own range: x = codes * step + low, so
        # x @ W = step * (codes @ W) + low * (column sums of W)
        axis = self.const(np.array([1]))
        low = self.op("ReduceMin", x, axis, keepdims=1)
        step = self.op("Mul", self.op("Sub", self.op("ReduceMax", x, axis, keepdims=1), low),
                       self.const(np.array(1 / 255, np.float32)))
        step = self.op("Max", step, self.const(np.array(1e-12, np.float32)))
        codes = self.op("Round", self.op("Div", self.op("Sub", x, low), step))
        weights = matrix.T.copy()
        product = self.op(
            "MatMulInteger", self.op("Cast", codes, to=TensorProto.UINT8),
            self.const(weights, names[0]), self.const(np.array(0, np.uint8)),
            self.const(np.array(0, np.int8)),
        )
        scaled = self.op("Mul", self.op("Cast", product, to=TensorProto.FLOAT),
                         self.op("Mul", step, self.const(scale)))
        offset = self.const(weights.astype(np.float32).sum(axis=0) * scale)
        return self.op("Add", self.op("Add", scaled, self.op("Mul", low, offset)), bias)

    def layer_norm(self, x: str, name: str, eps: float) -> str:
        """Layer normalisation with the weights ``name.w`` and ``name.b``."""
        return self.op(
            "LayerNormalization", x, self.const(self.weights[name + ".w"]),
            self.const(self.weights[name + ".b"]), axis=-1, epsilon=eps,
        )


def encoder_graph(
    weights: dict[str, np.ndarray], shape: EncoderShape, int8: bool = True
) -> onnx.ModelProto:
    """The encoder of ``weights`` (names as in ``nlu/e5_checkpoint.py``) as an ONNX model.

    Its inputs are the packed real tokens (``ids``, ``where``: position in the row, ``seg``:
    position in the word) and the layout that :func:`run_encoder` derives from a padded
    batch. It outputs ``states`` (hidden states of the packed tokens), or ``log_probs`` over
    the tags when the weights hold a tag layer (``tag.w``, ``tag.b``).
    """
    g = _Graph(weights, int8)
    heads = shape.heads
    x = g.op("Add", g.embedding("ids", "emb.word"), g.embedding("where", "emb.pos"))
    x = g.op("Add", x, g.const(g.weights["emb.type"][0]))
    if "emb.seg" in g.weights:
        x = g.op("Add", x, g.embedding("seg", "emb.seg"))
    x = g.layer_norm(x, "emb.ln", shape.eps)
    zero_row = g.const(np.zeros((1, 3 * shape.hidden), np.float32))
    grid = g.op("Concat", "batch_length", g.const(np.array([3 * shape.hidden])), axis=0)
    for layer in range(shape.layers):
        p = f"l{layer}."
        qkv = g.linear(x, [p + "q", p + "k", p + "v"])
        padded = g.op("Gather", g.op("Concat", qkv, zero_row, axis=0), "slots")
        padded = g.op("Reshape", padded, grid)
        q, k, v = g.ops("Split", padded, axis=-1, num_outputs=3, outputs=3)
        context = g.op(
            "MultiHeadAttention", q, k, v, "", "keep", domain="com.microsoft", num_heads=heads
        )
        context = g.op("Reshape", context, g.const(np.array([-1, shape.hidden])))
        context = g.op("Gather", context, "real")
        x = g.layer_norm(g.op("Add", x, g.linear(context, [p + "ao"])), p + "aln", shape.eps)
        mid = g.op("Gelu", g.linear(x, [p + "fi"]))
        x = g.layer_norm(g.op("Add", x, g.linear(mid, [p + "fo"])), p + "oln", shape.eps)
    output, width_out = "states", shape.hidden
    if "tag.w" in g.weights:
        x = g.op("LogSoftmax", g.linear(x, ["tag"]), axis=-1)
        output, width_out = "log_probs", len(g.weights["tag.b"])
    g.nodes.append(helper.make_node("Identity", [x], [output]))
    inputs = [
        helper.make_tensor_value_info(name, TensorProto.INT64, ["tokens"])
        for name in ("ids", "where", "seg", "real")
    ] + [
        helper.make_tensor_value_info("slots", TensorProto.INT64, ["slots"]),
        helper.make_tensor_value_info("batch_length", TensorProto.INT64, [2]),
        helper.make_tensor_value_info("keep", TensorProto.INT32, ["batch", "length"]),
    ]
    outputs = [helper.make_tensor_value_info(output, TensorProto.FLOAT, ["tokens", width_out])]
    graph = helper.make_graph(g.nodes, "char_encoder", inputs, outputs, g.initializers)
    model = helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)
    ])
    model.ir_version = 9  # read by every onnxruntime the project allows
    return model


def open_session(model: bytes) -> onnxruntime.InferenceSession:
    """An ONNX Runtime session on the CPU for a serialised :func:`encoder_graph`."""
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    return onnxruntime.InferenceSession(
        model, sess_options=options, providers=["CPUExecutionProvider"]
    )


def run_encoder(
    session: onnxruntime.InferenceSession,
    ids: np.ndarray,
    mask: np.ndarray,
    positions: np.ndarray | None = None,
) -> np.ndarray:
    """The graph's output ``[batch, length, width]`` for padded id rows (``mask`` 1 on real
    ids; the outputs at padding are zeros).

    Rows are expected to start with ``bos`` and end with ``eos`` like the pretraining input;
    ``positions`` are the characters' word positions (``emb.seg``), zeros when not given.
    """
    batch, length = ids.shape
    real = np.flatnonzero(mask.reshape(-1) > 0)
    slots = np.full(batch * length, len(real), dtype=np.int64)
    slots[real] = np.arange(len(real))
    seg = np.zeros_like(ids) if positions is None else positions
    feeds = {
        "ids": ids.reshape(-1)[real].astype(np.int64),
        "where": np.tile(np.arange(length, dtype=np.int64), batch)[real],
        "seg": seg.reshape(-1)[real].astype(np.int64),
        "real": real.astype(np.int64),
        "slots": slots,
        "batch_length": np.array([batch, length], dtype=np.int64),
        "keep": (mask > 0).astype(np.int32),
    }
    packed = session.run(None, feeds)[0]
    out = np.zeros((batch * length, packed.shape[-1]), dtype=np.float32)
    out[real] = packed
    return out.reshape(batch, length, -1)
