"""The dynamically quantized int8 embedder: built once from the bundled weight-only int8
file, cached, integer arithmetic, vectors close to the float32 model's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ceilings import HANG_S

from ragkit.errors import ModelError
from ragkit.models.embeddings import make_embedder
from ragkit.models.embeddings.onnx import QINT8_ID, bundled_int8_model
from ragkit.models.embeddings.quantize import build_dynamic_int8, cached_dynamic_int8
from ragkit.options import Models

pytestmark = pytest.mark.slow(reason="quantizes the bundled embedder and compares it with float32")

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
    # Attention is one fused int8 node per layer, not the exported float32 subgraph.
    assert {"QAttention", "SkipLayerNormalization"} <= ops and "Softmax" not in ops
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


def test_concurrent_first_builds_leave_one_whole_file_and_say_so(tmp_path: Path) -> None:
    import subprocess
    import sys

    models = tmp_path / "models"
    code = (
        "import sys\nfrom pathlib import Path\n"
        "from ragkit.models.embeddings.onnx import bundled_int8_model\n"
        "from ragkit.models.embeddings.quantize import cached_dynamic_int8\n"
        "print(cached_dynamic_int8(bundled_int8_model(), Path(sys.argv[1])))\n"
    )
    root = Path(__file__).resolve().parents[2]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(models)],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [p.communicate(timeout=HANG_S) for p in procs]
    assert all(p.returncode == 0 for p in procs), results
    paths = {out.strip() for out, _ in results}
    assert len(paths) == 1
    # A first run prints one line while it builds, so it does not look stuck.
    assert any("preparing the int8 embedding model" in err for _, err in results)
    assert [p.name for p in models.iterdir()] == [Path(paths.pop()).name]
    embedder = make_embedder("bundled-int8", 8, models)
    assert embedder.embed(TEXTS[:1]).shape == (1, 384)


def test_an_index_built_with_the_float_model_opens_searches_and_grows_with_int8(
    tmp_path: Path,
) -> None:
    from ragkit import KnowledgeBase
    from ragkit.index.manifest import read_manifest

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "kettle.md").write_text(TEXTS[0], encoding="utf-8")
    (docs / "tea.md").write_text(TEXTS[1], encoding="utf-8")
    fp32 = KnowledgeBase.open(tmp_path / "ix", models=Models(embedder=make_embedder("bundled")))
    fp32.add([docs / "kettle.md"])
    fp32.close()
    # Today's default embedder (int8) reads and adds to the float32-built index.
    kb = KnowledgeBase.open(
        tmp_path / "ix",
        models=Models(embedder=make_embedder("bundled-int8", 8, tmp_path / "models")),
    )
    hits = kb.search("kettle warranty", k=1, mode="dense")
    assert hits and hits[0].chunk.source.endswith("kettle.md")
    report = kb.add([docs])
    assert [o.status for o in report.files].count("indexed") == 1
    hits = kb.search("steamed green tea leaves", k=1, mode="dense")
    assert hits and hits[0].chunk.source.endswith("tea.md")
    assert read_manifest(tmp_path / "ix").embedder.id == "all-MiniLM-L6-v2"
    kb.close()


def test_batches_side_by_side_give_the_vectors_of_one_batch_at_a_time(tmp_path: Path) -> None:
    from ragkit.models.embeddings.onnx import bundled_qint8_embedder

    texts = [f"{t} ({i} {'more words ' * (i % 7)})" for i, t in enumerate(TEXTS * 12)]
    parallel = bundled_qint8_embedder(4, tmp_path / "models")
    parallel.workers = 3
    single = bundled_qint8_embedder(4, tmp_path / "models")
    single.workers = 1
    done: list[int] = []
    vectors = parallel.embed(texts, progress=done.append)
    # Same batches (longest first), so the same per-batch quantization: equal vectors.
    assert np.array_equal(vectors, single.embed(texts))
    assert sum(done) == len(texts) and len(done) == 9


def test_a_graph_without_the_attention_pattern_is_left_as_it_is() -> None:
    from onnx import TensorProto, helper

    from ragkit.models.embeddings.quantize import fuse_attention

    x = helper.make_tensor_value_info("attention_mask", TensorProto.FLOAT, [1, 2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])
    graph = helper.make_graph([helper.make_node("Relu", ["attention_mask"], ["y"])], "g", [x], [y])
    model = helper.make_model(graph)
    before = model.SerializeToString()
    assert fuse_attention(model, 12) == 0
    assert model.SerializeToString() == before
