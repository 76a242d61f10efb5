"""The dynamically quantized int8 embedder: built once from the bundled weight-only int8
file, cached, integer arithmetic, vectors close to the float32 model's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ragkit.embeddings import make_embedder
from ragkit.embeddings.onnx import QINT8_ID, bundled_int8_model
from ragkit.embeddings.quantize import build_dynamic_int8, cached_dynamic_int8
from ragkit.errors import ModelError

pytestmark = pytest.mark.slow

TEXTS = [
    "The Ember brewing kettle carries an eighteen-month warranty.",
    "Green tea leaves are steamed soon after picking to stop oxidation.",
    "无锡的园林以小巧精致著称。",
]


def test_built_model_uses_integer_kernels_and_matches_the_float_model(tmp_path: Path) -> None:
    import onnx

    models = tmp_path / "models"
    embedder = make_embedder("bundled-int8", 8, models)
    assert embedder.id == QINT8_ID
    assert not models.exists()  # nothing is built until something is embedded
    vectors = embedder.embed(TEXTS)
    built = list(models.glob("*.onnx"))
    assert len(built) == 1
    ops = {n.op_type for n in onnx.load(str(built[0])).graph.node}
    assert "MatMulInteger" in ops and "DynamicQuantizeLinear" in ops
    reference = make_embedder("bundled-onnx").embed(TEXTS)
    cosines = (vectors * reference).sum(axis=1)
    assert np.all(cosines > 0.98), cosines
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # A second embedder finds the cached build instead of building again.
    mtime = built[0].stat().st_mtime_ns
    assert cached_dynamic_int8(bundled_int8_model(), models) == built[0]
    assert built[0].stat().st_mtime_ns == mtime
    assert not [p for p in models.iterdir() if p.name.startswith(".build-")]


def test_a_model_without_the_weight_only_pattern_is_refused(tmp_path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], [y])
    plain = tmp_path / "plain.onnx"
    onnx.save(helper.make_model(graph), str(plain))
    with pytest.raises(ModelError, match="no weight-only int8 pattern"):
        build_dynamic_int8(plain, tmp_path / "out.onnx")
    assert not (tmp_path / "out.onnx").exists()
