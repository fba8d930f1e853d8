"""Write layers/models/similarity.onnx: which window vectors are within the dedup threshold of each query.

sure = NonZero(queries · windowᵀ > high) and near = NonZero(low < queries · windowᵀ ≤ high), each an int64
[2, K] list of (query row, window row); the caller re-checks the few `near` pairs in float64. Both inputs
are L2-normalised vectors of one space (384-d MiniLM, or the lexical signature), so the product is their
cosine. The exact search over the whole window then runs on onnxruntime's matrix kernels, and only the
matches come back to JavaScript.
"""
from pathlib import Path

import onnx
from onnx import TensorProto, helper

OUT = Path(__file__).resolve().parents[2] / "layers" / "models" / "similarity.onnx"


def main() -> None:
    queries = helper.make_tensor_value_info("queries", TensorProto.FLOAT, ["batch", "dim"])
    window = helper.make_tensor_value_info("window", TensorProto.FLOAT, ["window", "dim"])
    low = helper.make_tensor_value_info("low", TensorProto.FLOAT, [])
    high = helper.make_tensor_value_info("high", TensorProto.FLOAT, [])
    sure = helper.make_tensor_value_info("sure", TensorProto.INT64, [2, "matches"])
    near = helper.make_tensor_value_info("near", TensorProto.INT64, [2, "borderline"])
    nodes = [
        helper.make_node("Gemm", ["queries", "window"], ["scores"], transB=1),
        helper.make_node("Greater", ["scores", "high"], ["above_high"]),
        helper.make_node("Greater", ["scores", "low"], ["above_low"]),
        helper.make_node("Not", ["above_high"], ["not_above_high"]),
        helper.make_node("And", ["above_low", "not_above_high"], ["band"]),
        helper.make_node("NonZero", ["above_high"], ["sure"]),
        helper.make_node("NonZero", ["band"], ["near"]),
    ]
    graph = helper.make_graph(nodes, "similarity", [queries, window, low, high], [sure, near])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="smart-support")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, OUT)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
