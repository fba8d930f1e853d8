"""Train the category and urgency heads on top of all-MiniLM-L6-v2 embeddings.

Reads every <data-dir>/*.jsonl ticket ({id, subject, body, category, urgent, urgency}) and embeds
its text as the router sees it: with --texts, the cleaned text the TypeScript cleaner wrote for that id
(`npx tsx tools/clean-labelled.ts` → tools/model/data/cleaned.json), else subject + " " + body;
holds out tickets with sha1(id) mod 5 == 0, picks C by cross-validation on the train
split only, and writes:
  layers/models/heads.json         weights the TypeScript router applies to embeddings
  layers/models/metrics.json       held-out metrics
  tools/model/data/split.json      {"train": [ids], "test": [ids]}
  tools/model/data/heldout.jsonl   held-out tickets, for the TypeScript baseline
"""

import argparse
import hashlib
import json
from pathlib import Path

from common import DATA_DIR, MODEL_NAME, MODELS_DIR, load_sentence_transformer

import numpy as np
from scipy.stats import spearmanr
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, brier_score_loss, confusion_matrix, precision_recall_fscore_support, roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold

LABELS = ["Billing", "Technical", "Legal"]
# Embeddings are unit vectors with small per-feature values, so useful C runs high.
C_GRID = np.logspace(-2, 4, 13)
SEED = 0


def load_tickets(data_dir: Path):
    files = sorted(data_dir.glob("*.jsonl"))
    if not files:
        raise SystemExit(f"no *.jsonl files in {data_dir}")
    tickets, seen = [], {}
    for f in files:
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{f.name}:{n}"
            try:
                t = json.loads(line)
            except json.JSONDecodeError as e:
                raise SystemExit(f"{where}: bad JSON ({e})")
            if t.get("category") not in LABELS or t.get("urgent") not in (0, 1):
                raise SystemExit(f"{where}: bad category/urgent in {line[:120]}")
            if not isinstance(t.get("id"), str):
                raise SystemExit(f"{where}: id must be a string")
            # The split is keyed on id, so a duplicate would silently land on both sides or twice.
            if t["id"] in seen:
                raise SystemExit(f"{where}: duplicate id {t['id']!r} (first seen at {seen[t['id']]})")
            seen[t["id"]] = where
            tickets.append(t)
    print(f"read {len(tickets)} tickets from {len(files)} files")
    return sorted(tickets, key=lambda t: t["id"])


def is_heldout(ticket_id: str) -> bool:
    return int(hashlib.sha1(ticket_id.encode("utf-8")).hexdigest(), 16) % 5 == 0


def fit_cv(X, y, scoring):
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    search = GridSearchCV(LogisticRegression(max_iter=5000), {"C": C_GRID}, scoring=scoring, cv=folds)
    search.fit(X, y)
    return search.best_estimator_, float(search.best_params_["C"]), float(search.best_score_)


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=DATA_DIR / "raw")
    ap.add_argument("--out", type=Path, help="write all four outputs into this directory instead (for trial runs)")
    ap.add_argument("--texts", type=Path, help="JSON {id: cleaned text} from tools/clean-labelled.ts (what the router embeds)")
    args = ap.parse_args()
    models_dir = args.out or MODELS_DIR
    split_dir = args.out or DATA_DIR

    tickets = load_tickets(args.data_dir)
    train = [t for t in tickets if not is_heldout(t["id"])]
    test = [t for t in tickets if is_heldout(t["id"])]

    st = load_sentence_transformer()

    cleaned = json.loads(args.texts.read_text(encoding="utf-8")) if args.texts else None

    def text(t):
        return cleaned[t["id"]] if cleaned is not None else t["subject"] + " " + t["body"]

    def embed(ts):
        return st.encode([text(t) for t in ts], normalize_embeddings=True, batch_size=32, convert_to_numpy=True).astype(np.float64)

    X_train, X_test = embed(train), embed(test)
    # Integer targets in LABELS order make sklearn's classes_ (and so the weight rows) follow LABELS.
    yc_train = np.array([LABELS.index(t["category"]) for t in train])
    yc_test = np.array([LABELS.index(t["category"]) for t in test])
    yu_train = np.array([t["urgent"] for t in train])
    yu_test = np.array([t["urgent"] for t in test])

    # Log loss rather than accuracy: the router uses the probabilities, not just the argmax.
    cat, cat_c, cat_cv = fit_cv(X_train, yc_train, "neg_log_loss")
    urg, urg_c, urg_cv = fit_cv(X_train, yu_train, "neg_log_loss")
    assert list(cat.classes_) == [0, 1, 2] and list(urg.classes_) == [0, 1]

    heads = {
        "encoder": MODEL_NAME,
        "dim": X_train.shape[1],
        "category": {"labels": LABELS, "weights": cat.coef_.tolist(), "bias": cat.intercept_.tolist()},
        "urgency": {"weights": urg.coef_[0].tolist(), "bias": float(urg.intercept_[0])},
    }

    # Score the test split with the exported numbers, exactly as the TypeScript side will.
    W, b = np.array(heads["category"]["weights"]), np.array(heads["category"]["bias"])
    p_cat = softmax(X_test @ W.T + b)
    s_urg = 1 / (1 + np.exp(-(X_test @ np.array(heads["urgency"]["weights"]) + heads["urgency"]["bias"])))
    assert np.allclose(p_cat, cat.predict_proba(X_test), atol=1e-9)
    assert np.allclose(s_urg, urg.predict_proba(X_test)[:, 1], atol=1e-9)

    pred = p_cat.argmax(axis=1)
    prec, rec, _, support = precision_recall_fscore_support(yc_test, pred, labels=[0, 1, 2], zero_division=0)
    both_classes = len(set(yu_test)) == 2
    metrics = {
        "encoder": MODEL_NAME,
        "counts": {"train": len(train), "test": len(test)},
        "category": {
            "labels": LABELS,
            "accuracy": accuracy_score(yc_test, pred),
            "confusion_matrix": confusion_matrix(yc_test, pred, labels=[0, 1, 2]).tolist(),
            "per_class": {
                label: {"precision": float(prec[i]), "recall": float(rec[i]), "support": int(support[i])}
                for i, label in enumerate(LABELS)
            },
            "C": cat_c,
            "cv_neg_log_loss": cat_cv,
        },
        "urgency": {
            "roc_auc": float(roc_auc_score(yu_test, s_urg)) if both_classes else None,
            "accuracy_at_0_5": accuracy_score(yu_test, (s_urg >= 0.5).astype(int)),
            "brier": float(brier_score_loss(yu_test, s_urg)),
            # How well S orders tickets by the graded urgency label (not a training target).
            "spearman_vs_urgency": float(spearmanr(s_urg, [t["urgency"] for t in test]).statistic),
            "positives_test": int(yu_test.sum()),
            "C": urg_c,
            "cv_neg_log_loss": urg_cv,
        },
    }

    # The held-out figures per kind of ticket: the clean prose (parts A, B), the messy English (C) and each
    # language of part D (50 ids each, in this order).
    def group(ticket_id):
        part, n = ticket_id.split("-")
        if part == "D":
            return ["de", "es", "fr", "pt", "it", "nl"][(int(n) - 1) // 50]
        return {"A": "clean", "B": "clean", "C": "messy", "E": "clean"}.get(part, part)

    groups = {}
    for g in sorted({group(t["id"]) for t in test}):
        idx = [i for i, t in enumerate(test) if group(t["id"]) == g]
        yu = yu_test[idx]
        groups[g] = {
            "n": len(idx),
            "category_accuracy": accuracy_score(yc_test[idx], pred[idx]),
            "urgency_roc_auc": float(roc_auc_score(yu, s_urg[idx])) if len(set(yu)) == 2 else None,
        }
    metrics["groups"] = groups
    metrics["texts"] = "cleaned" if cleaned is not None else "subject + body"

    models_dir.mkdir(parents=True, exist_ok=True)
    split_dir.mkdir(parents=True, exist_ok=True)
    (models_dir / "heads.json").write_text(json.dumps(heads) + "\n")
    (models_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    (split_dir / "split.json").write_text(
        json.dumps({"train": [t["id"] for t in train], "test": [t["id"] for t in test]}, indent=1) + "\n"
    )
    with open(split_dir / "heldout.jsonl", "w", encoding="utf-8") as f:
        for t in test:
            f.write(json.dumps(t, ensure_ascii=False) + "\n")

    print(json.dumps(metrics, indent=2))
    print(f"wrote heads.json, metrics.json to {models_dir}; split.json, heldout.jsonl to {split_dir}")


if __name__ == "__main__":
    main()
