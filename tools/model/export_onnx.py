"""Export the all-MiniLM-L6-v2 transformer to ONNX, copy its tokenizer, and write its int8 variant.

The ONNX graph stops at last_hidden_state: pooling (attention-masked mean) and
L2 normalisation are done on the TypeScript side.

Fused graph: the model is traced with eager attention and then rewritten by onnxruntime's transformer
optimizer into its BERT operators (EmbedLayerNormalization, Attention, SkipLayerNormalization, BiasGelu).
Traced with transformers' default (sdpa) attention, the graph carries mask code (IsNaN/Where) that neither
the optimizer nor onnxruntime's own session optimizer recognise, and every layer's attention runs as a dozen
small operators: on the 2-core machine the fused graph is ~1.2× faster at the same parity (MODEL_CARD.md).
The fused Attention reads the mask as a length per row (EmbedLayerNormalization's mask index), so the
encoder must pad on the right, as ours does; the batched parity check below covers that path.

model.int8.onnx (ENCODER_PRECISION=int8): the fused graph with the weights of its attention and first
feed-forward layers quantised to int8 per channel, activations quantised at run time (onnxruntime's dynamic
quantisation). The feed-forward output layers stay fp32: their input, the GELU output, has a few large
values that per-tensor activation quantisation cannot hold, and they alone took the median parity from 0.996
to 0.992 (each of the six contributes about the same). reduce_range keeps the weights to 7 bits: on CPUs
without VNNI, onnxruntime multiplies u8 activations by s8 weights in pairs summed into int16 (vpmaddubsw),
which saturates with full 8-bit weights (255·127·2 > 32767) and not with 7-bit ones (255·63·2 < 32767), so
every CPU computes the same integers. Its parity and speed are in MODEL_CARD.md.
"""

import json
import shutil
import sys
import warnings

from common import MODELS_DIR, load_sentence_transformer, model_dir

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic
from onnxruntime.transformers.optimizer import optimize_model

# The TorchScript exporter is deprecated and warns about traced Python branches in
# transformers' mask code; the parity check below is what tells us the graph is right.
for category in (DeprecationWarning, UserWarning, torch.jit.TracerWarning):
    warnings.filterwarnings("ignore", category=category)

OPSET = 17  # old enough for any recent onnxruntime, including onnxruntime-node 1.30
OUT_DIR = MODELS_DIR / "minilm"
INPUTS = ["input_ids", "attention_mask", "token_type_ids"]

CHECK_TEXTS = [
    "hi",
    "I was charged twice for my subscription this month, please refund one payment.",
    "The app crashes on startup after the latest update. Stack trace: NullPointerException at line 42.",
    "Our lawyers need a copy of the data processing agreement (DPA) and your GDPR sub-processor list.",
    "Ça ne marche pas — 请帮忙 🙏 مرحبا",
    "word " * 400,  # past max_seq_length, exercises truncation
]


class HiddenStates(torch.nn.Module):
    """Return a bare tensor so the exported graph has exactly one named output."""

    def __init__(self, bert):
        super().__init__()
        self.bert = bert

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.bert(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state


def onnx_embed(session, tokenizer, texts, max_len):
    enc = tokenizer(texts, padding=True, truncation=True, max_length=max_len, return_tensors="np")
    feeds = {name: enc[name].astype(np.int64) for name in INPUTS}
    hidden = session.run(["last_hidden_state"], feeds)[0]
    mask = feeds["attention_mask"][..., None].astype(np.float32)
    pooled = (hidden * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def main():
    st = load_sentence_transformer()
    st.eval()
    transformer = st[0]
    bert = transformer.auto_model
    tokenizer = transformer.tokenizer
    max_len = st.max_seq_length

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    onnx_path = OUT_DIR / "model.onnx"
    traced_path = OUT_DIR / "model.traced.onnx"

    # Eager attention traces to the plain MatMul/Softmax pattern the transformer optimizer fuses (module docstring).
    bert.set_attn_implementation("eager")
    # Batch of 2 with padding so the trace sees a non-trivial attention mask.
    sample = tokenizer(["hello world", "a slightly longer example sentence"], padding=True, return_tensors="pt")
    args = tuple(sample[name] for name in INPUTS)
    dyn = {0: "batch", 1: "sequence"}
    # The TorchScript exporter (dynamo=False) emits opset 17 directly and needs no onnxscript.
    torch.onnx.export(
        HiddenStates(bert).eval(),
        args,
        str(traced_path),
        input_names=INPUTS,
        output_names=["last_hidden_state"],
        dynamic_axes={**{n: dyn for n in INPUTS}, "last_hidden_state": dyn},
        opset_version=OPSET,
        do_constant_folding=True,
        dynamo=False,
    )
    layers = bert.config.num_hidden_layers
    # opt_level 0: only the optimizer's own (Python, CPU-independent) fusions; the session applies the rest.
    fused = optimize_model(
        str(traced_path), model_type="bert", num_heads=bert.config.num_attention_heads, hidden_size=bert.config.hidden_size, opt_level=0
    )
    traced_path.unlink()
    stats = fused.get_fused_operator_statistics()
    expected = {"EmbedLayerNormalization": 1, "Attention": layers, "SkipLayerNormalization": 2 * layers, "BiasGelu": layers}
    if any(stats.get(op) != n for op, n in expected.items()):
        sys.exit(f"fusion incomplete: {stats} (expected {expected})")
    fused.save_model_to_file(str(onnx_path))
    if any(t.data_location == onnx.TensorProto.EXTERNAL for t in onnx.load(str(onnx_path)).graph.initializer):
        sys.exit("model.onnx references external data; expected a single file")

    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(model_dir() / name, OUT_DIR / name)
    tok_json = json.loads((OUT_DIR / "tokenizer.json").read_text())

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    ref = st.encode(CHECK_TEXTS, normalize_embeddings=True, convert_to_numpy=True)
    # Batched (padded) and one-by-one (no padding) runs take different mask paths; check both.
    batched = onnx_embed(session, tokenizer, CHECK_TEXTS, max_len)
    single = np.concatenate([onnx_embed(session, tokenizer, [t], max_len) for t in CHECK_TEXTS])
    cos = np.concatenate([(ref * batched).sum(1), (ref * single).sum(1)])
    max_abs = float(max(np.abs(ref - batched).max(), np.abs(ref - single).max()))

    print(f"wrote {onnx_path} ({onnx_path.stat().st_size} bytes), opset {OPSET}")
    for io in list(session.get_inputs()) + list(session.get_outputs()):
        print(f"  {io.name}: {io.type} {io.shape}")
    print(f"max_seq_length: {max_len}")
    print(f"tokenizer.json truncation: {tok_json.get('truncation')}")
    print(f"tokenizer.json padding: {tok_json.get('padding')}")
    print(f"parity vs sentence-transformers: min cosine {cos.min():.8f}, max |diff| {max_abs:.2e}")
    if cos.min() < 0.9999:
        sys.exit("parity check failed")

    int8_path = OUT_DIR / "model.int8.onnx"
    # The feed-forward output layers stay fp32 (module docstring).
    ffn_out = [n.name for n in onnx.load(str(onnx_path)).graph.node if n.op_type == "MatMul" and n.name.endswith("/output/dense/MatMul") and "/attention/" not in n.name]
    if len(ffn_out) != layers:
        sys.exit(f"expected {layers} feed-forward output MatMuls, found {ffn_out}")
    quantize_dynamic(
        str(onnx_path),
        str(int8_path),
        weight_type=QuantType.QInt8,
        per_channel=True,
        reduce_range=True,
        nodes_to_exclude=ffn_out,
        # The fused operators are not in ONNX's shape inference; their outputs are float.
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )
    int8 = ort.InferenceSession(str(int8_path), providers=["CPUExecutionProvider"])
    cos8 = (ref * onnx_embed(int8, tokenizer, CHECK_TEXTS, max_len)).sum(1)
    print(f"wrote {int8_path} ({int8_path.stat().st_size} bytes); vs sentence-transformers: min cosine {cos8.min():.4f}")
    # Measured on the parity fixtures (MODEL_CARD.md): ≥ 0.98; below that the quantisation has gone wrong.
    if cos8.min() < 0.98:
        sys.exit("int8 parity check failed")


if __name__ == "__main__":
    main()
