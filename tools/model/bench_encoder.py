"""Time sentence-transformers (torch, CPU) on a list of texts: the comparison `npm run bench models` prints.

    .venv/bin/python bench_encoder.py --texts /tmp/texts.json [--threads 2] [--batch-sizes 16,32]

Reads a JSON array of strings (the bench writes the same cleaned ticket texts the TypeScript pipeline
encodes), encodes them all with all-MiniLM-L6-v2 at each batch size after a short warm-up, and prints one
JSON line: tickets/s at the best batch size, every batch size's rate, and the torch thread count.
`encode` sorts the texts by length itself, so every batch size gets the whole set's sorting; tokenisation
and mean pooling are inside the timing, as they are in the pipeline.
"""

import argparse
import json
import os
import time

# One JSON line on stdout, nothing else on stderr but errors: no progress bars.
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TQDM_DISABLE", "1")

from common import load_sentence_transformer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", required=True, help="JSON file: an array of strings")
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads (the encoder's ENCODER_THREADS)")
    parser.add_argument("--batch-sizes", default="16,32", help="comma-separated batch sizes to time")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)

    with open(args.texts, encoding="utf-8") as f:
        texts = json.load(f)
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts) or not texts:
        raise SystemExit("--texts must hold a non-empty JSON array of strings")

    model = load_sentence_transformer()
    model.eval()
    # The first batches are slow (allocations, kernel choice): not part of the timing.
    model.encode(texts[:64], batch_size=32, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False)

    rates: dict[str, float] = {}
    with torch.inference_mode():
        for batch_size in (int(b) for b in args.batch_sizes.split(",")):
            started = time.perf_counter()
            model.encode(texts, batch_size=batch_size, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False)
            rates[str(batch_size)] = len(texts) / (time.perf_counter() - started)

    best = max(rates, key=rates.__getitem__)
    print(
        json.dumps(
            {
                "texts": len(texts),
                "tickets_per_s": rates[best],
                "batch_size": int(best),
                "by_batch_size": rates,
                "torch_threads": torch.get_num_threads(),
                "max_seq_length": model.max_seq_length,
            }
        )
    )


if __name__ == "__main__":
    main()
