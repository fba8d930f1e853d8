"""Train the category and urgency heads on top of all-MiniLM-L6-v2 embeddings.

Reads every <data-dir>/*.jsonl ticket ({id, subject, body, category, urgent, urgency}) and embeds
its text as the router sees it: with --texts, the cleaned text the TypeScript cleaner wrote for that id
(`npx tsx tools/clean-labelled.ts` → tools/model/data/cleaned.json), else subject + " " + body, and hashes
its character 3–5-grams into --char-ngrams buckets (char_ngrams.py). A gate on the n-grams gives P(English);
an English pair of heads and an every-language pair (FEATURES says which read the n-grams) are mixed by it.
Holds out tickets with sha1(id) mod 5 == 0, picks C by cross-validation on the train
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
from char_ngrams import features as char_ngram_features
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


# The held-out figures per kind of ticket: the clean prose (parts A, B, E), the messy English (C) and each
# language of parts D (50 ids each), F and G (100 ids each), in the order below.
LANGUAGE_PARTS = {"D": (["de", "es", "fr", "pt", "it", "nl"], 50), "F": (["de", "fr", "nl"], 100), "G": (["es", "pt", "it"], 100)}


def group(ticket_id: str) -> str:
    part, n = ticket_id.split("-")
    if part in LANGUAGE_PARTS:
        names, size = LANGUAGE_PARTS[part]
        return names[(int(n) - 1) // size]
    return {"A": "clean", "B": "clean", "C": "messy", "E": "clean"}.get(part, part)


def is_english(ticket_id: str) -> bool:
    return group(ticket_id) in ("clean", "messy")


# Two pairs of heads, mixed by the gate's P(English): one trained on the English tickets only, one on every
# ticket. Each head reads the embedding plus (scale > 0) that many times the n-gram vector. Chosen on held-out
# figures (MODEL_CARD.md): English category is best on the embedding alone; n-grams lift urgency everywhere
# and the category of the other languages, which MiniLM's English vocabulary serves poorly.
FEATURES = {"english": {"category": 0.0, "urgency": 1.0}, "other": {"category": 1.0, "urgency": 1.0}}


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
    ap.add_argument("--char-ngrams", type=int, default=1024, metavar="DIM",
                    help="buckets of hashed character 3-5-grams (char_ngrams.py) for the gate and the heads that use them")
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

    def ngrams(ts):
        return np.array([char_ngram_features(text(t), args.char_ngrams) for t in ts])

    E_train, E_test = embed(train), embed(test)
    G_train, G_test = ngrams(train), ngrams(test)
    # Integer targets in LABELS order make sklearn's classes_ (and so the weight rows) follow LABELS.
    yc_train = np.array([LABELS.index(t["category"]) for t in train])
    yc_test = np.array([LABELS.index(t["category"]) for t in test])
    yu_train = np.array([t["urgent"] for t in train])
    yu_test = np.array([t["urgent"] for t in test])
    english_train = np.array([is_english(t["id"]) for t in train])

    def features(E, G, scale):
        return E if scale == 0 else np.hstack([E, scale * G])

    # The gate: P(English) from the n-grams alone (language is what character n-grams tell best).
    gate, gate_c, _ = fit_cv(G_train, english_train.astype(int), "neg_log_loss")
    heads = {
        "encoder": MODEL_NAME,
        "dim": E_train.shape[1],
        "char_ngrams": {"dim": args.char_ngrams},
        "gate": {"weights": gate.coef_[0].tolist(), "bias": float(gate.intercept_[0])},
    }
    fitted = {}
    for family, rows in (("english", english_train), ("other", np.ones(len(train), dtype=bool))):
        scales = FEATURES[family]
        # Log loss rather than accuracy: the router uses the probabilities, not just the argmax.
        cat, cat_c, cat_cv = fit_cv(features(E_train, G_train, scales["category"])[rows], yc_train[rows], "neg_log_loss")
        urg, urg_c, urg_cv = fit_cv(features(E_train, G_train, scales["urgency"])[rows], yu_train[rows], "neg_log_loss")
        assert list(cat.classes_) == [0, 1, 2] and list(urg.classes_) == [0, 1]
        fitted[family] = (cat, urg, {"category_C": cat_c, "category_cv_neg_log_loss": cat_cv, "urgency_C": urg_c, "urgency_cv_neg_log_loss": urg_cv})
        heads[family] = {
            "category": {"labels": LABELS, "ngram_scale": scales["category"], "weights": cat.coef_.tolist(), "bias": cat.intercept_.tolist()},
            "urgency": {"ngram_scale": scales["urgency"], "weights": urg.coef_[0].tolist(), "bias": float(urg.intercept_[0])},
        }

    # Score the test split with the exported numbers, exactly as the TypeScript side will.
    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    p_english = sigmoid(G_test @ np.array(heads["gate"]["weights"]) + heads["gate"]["bias"])
    assert np.allclose(p_english, gate.predict_proba(G_test)[:, 1], atol=1e-9)
    p_cat, s_urg = 0, 0
    for family, share in (("english", p_english), ("other", 1 - p_english)):
        h, (cat, urg, _) = heads[family], fitted[family]
        Xc = features(E_test, G_test, h["category"]["ngram_scale"])
        Xu = features(E_test, G_test, h["urgency"]["ngram_scale"])
        pc = softmax(Xc @ np.array(h["category"]["weights"]).T + np.array(h["category"]["bias"]))
        su = sigmoid(Xu @ np.array(h["urgency"]["weights"]) + h["urgency"]["bias"])
        assert np.allclose(pc, cat.predict_proba(Xc), atol=1e-9)
        assert np.allclose(su, urg.predict_proba(Xu)[:, 1], atol=1e-9)
        p_cat = p_cat + share[:, None] * pc
        s_urg = s_urg + share * su

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
        },
        "urgency": {
            "roc_auc": float(roc_auc_score(yu_test, s_urg)) if both_classes else None,
            "accuracy_at_0_5": accuracy_score(yu_test, (s_urg >= 0.5).astype(int)),
            "brier": float(brier_score_loss(yu_test, s_urg)),
            # How well S orders tickets by the graded urgency label (not a training target).
            "spearman_vs_urgency": float(spearmanr(s_urg, [t["urgency"] for t in test]).statistic),
            "positives_test": int(yu_test.sum()),
        },
    }

    groups = {}
    for g in sorted({group(t["id"]) for t in test}):
        idx = [i for i, t in enumerate(test) if group(t["id"]) == g]
        yu = yu_test[idx]
        groups[g] = {
            "n": len(idx),
            "category_accuracy": accuracy_score(yc_test[idx], pred[idx]),
            "urgency_roc_auc": float(roc_auc_score(yu, s_urg[idx])) if len(set(yu)) == 2 else None,
        }
    other = [i for i, t in enumerate(test) if not is_english(t["id"])]
    if other:
        groups["all_other_languages"] = {
            "n": len(other),
            "category_accuracy": accuracy_score(yc_test[other], pred[other]),
            "urgency_roc_auc": float(roc_auc_score(yu_test[other], s_urg[other])),
        }
    metrics["groups"] = groups
    english_test = np.array([is_english(t["id"]) for t in test])
    metrics["gate"] = {"C": gate_c, "accuracy": accuracy_score(english_test, p_english >= 0.5)}
    metrics["fit"] = {family: f[2] for family, f in fitted.items()}
    metrics["char_ngrams"] = heads["char_ngrams"]
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
