"""Write layers/models/similarity.onnx: which window vectors may be within the dedup threshold of each query.

The window is searched in integers (each vector quantised with its own scale), where onnxruntime's integer
matrix kernels are about 1.5× faster than float32:

    scores[n, b] = window_scale[n] · query_scale[b] · Σ_d (window[n, d] − 128) · queries_t[d, b]
    sure = NonZero(scores > high)      near = NonZero(low < scores ≤ high)

each an int64 [2, K] list of (window row, query column). The caller sets low/high to the threshold minus/plus
the largest quantisation error the batch can have, so every pair above the threshold is in `sure` or `near`,
and re-checks the few `near` pairs in float64: the count stays exact. Vectors are L2-normalised (MiniLM
384-d or the 512-d lexical signature); the graph holds no weights.

The caller's representation is what keeps MatMulInteger exact on every CPU (layers/core/domain/quantize.ts):
window rows in [-127, 127] stored +128 (uint8, zero point 128), queries in [-64, 64] (int8). On x86-64 without
VNNI the U8S8 kernel sums PAIRS of u8 × s8 products in a saturating int16 (PMADDUBSW): 2 · 255 · 64 = 32,640
fits, 2 · 255 · 127 did not (queries at ±127 lost a third of the true pairs on AVX2 machines).
"""
from pathlib import Path

import onnx
from onnx import TensorProto, helper

OUT = Path(__file__).resolve().parents[2] / "layers" / "models" / "similarity.onnx"


def main() -> None:
    inputs = [
        helper.make_tensor_value_info("window", TensorProto.UINT8, ["window", "dim"]),
        helper.make_tensor_value_info("queries_t", TensorProto.INT8, ["dim", "batch"]),
        helper.make_tensor_value_info("window_zero", TensorProto.UINT8, []),
        helper.make_tensor_value_info("window_scale", TensorProto.FLOAT, ["window", 1]),
        helper.make_tensor_value_info("query_scale", TensorProto.FLOAT, [1, "batch"]),
        helper.make_tensor_value_info("low", TensorProto.FLOAT, []),
        helper.make_tensor_value_info("high", TensorProto.FLOAT, []),
    ]
    outputs = [
        helper.make_tensor_value_info("sure", TensorProto.INT64, [2, "matches"]),
        helper.make_tensor_value_info("near", TensorProto.INT64, [2, "borderline"]),
    ]
    nodes = [
        helper.make_node("MatMulInteger", ["window", "queries_t", "window_zero"], ["acc"]),
        helper.make_node("Cast", ["acc"], ["acc_f"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["acc_f", "window_scale"], ["scaled"]),
        helper.make_node("Mul", ["scaled", "query_scale"], ["scores"]),
        helper.make_node("Greater", ["scores", "high"], ["above_high"]),
        helper.make_node("Greater", ["scores", "low"], ["above_low"]),
        helper.make_node("Not", ["above_high"], ["not_above_high"]),
        helper.make_node("And", ["above_low", "not_above_high"], ["band"]),
        helper.make_node("NonZero", ["above_high"], ["sure"]),
        helper.make_node("NonZero", ["band"], ["near"]),
    ]
    graph = helper.make_graph(nodes, "similarity", inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="smart-support")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, OUT)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
