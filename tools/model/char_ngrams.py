"""Hashed character n-grams of a ticket's cleaned text: the language-robust features beside the embedding.

MiniLM is an English model; character 3–5-grams ("rechn", "factur", "fattur") carry the topic words of the
other languages whatever the tokeniser makes of them. The TypeScript twin is layers/core/domain/char-ngrams.ts;
both must give the same vector for the same text (fixtures: layers/models/fixtures/char-ngrams.json, written by
make_fixtures.py and checked by test/unit/char-ngrams.test.ts).

Definition (keep the two in step):
  1. NFKC, then lower-case (full Unicode mapping), then every run of characters that are not letters (\\p{L})
     or digits (\\p{N}) becomes one space; strip; keep the first MAX_CHARS code points; pad with one space
     on each side. An empty result gives the zero vector.
  2. Every run of n consecutive code points, n = 3..5, is encoded as UTF-8 and hashed with 32-bit FNV-1a.
     Bucket = hash mod dim; sign = -1 when bit 31 of the hash is set, else +1. Signed counts per bucket.
  3. Each bucket v becomes sign(v)·log1p(|v|); the vector is L2-normalised.
"""

import math
import unicodedata

import numpy as np
import regex

N_MIN, N_MAX = 3, 5
# A cleaned ticket past this is a ramble; its first 4,000 characters say what it is about.
MAX_CHARS = 4000
FNV_OFFSET, FNV_PRIME = 0x811C9DC5, 0x01000193

_NOT_WORD = regex.compile(r"[^\p{L}\p{N}]+")


def normalise(text: str) -> str:
    t = _NOT_WORD.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip()
    return " " + t[:MAX_CHARS] + " " if t else ""


def fnv1a(data: bytes) -> int:
    h = FNV_OFFSET
    for byte in data:
        h = ((h ^ byte) * FNV_PRIME) & 0xFFFFFFFF
    return h


def features(text: str, dim: int) -> np.ndarray:
    t = normalise(text)
    counts = np.zeros(dim, dtype=np.float64)
    for n in range(N_MIN, N_MAX + 1):
        for i in range(len(t) - n + 1):
            h = fnv1a(t[i : i + n].encode("utf-8"))
            counts[h % dim] += -1.0 if h & 0x80000000 else 1.0
    v = np.sign(counts) * np.log1p(np.abs(counts))
    norm = math.sqrt(float(v @ v))
    return v / norm if norm > 0 else v


# Texts where a JavaScript twin tends to drift: case mappings that change length (İ, ẞ), Greek final sigma,
# compatibility forms NFKC folds (ligatures, full-width, superscripts), astral characters, the MAX_CHARS cut.
EDGE_TEXTS = [
    "",
    "   ",
    "?!",
    "ab",
    "abc",
    "Rechnung doppelt abgebucht – bitte Gutschrift für RE-2024-0113",
    "Facture en double, merci de rembourser la deuxième échéance",
    "Fattura con partita IVA errata, potete riemetterla?",
    "Não consigo fazer login desde a atualização, erro 500 no painel",
    "No puedo iniciar sesión, la página devuelve 503 desde esta mañana",
    "Factuur klopt niet: BTW-nummer ontbreekt, graag een creditnota",
    "GROSSE STRAẞE ẞ ß İSTANBUL ΟΔΥΣΣΕΥΣ ΣΊΣΥΦΟΣ",
    "ﬁnance ﬂoor ＦＵＬＬＷＩＤＴＨ １２３ x² ½ Ⅻ ㎏",
    "𝐁𝐨𝐥𝐝 𝔉𝔯𝔞𝔨𝔱𝔲𝔯 😡🔥 𠀋𠀍 emoji-🙏-word",
    "e\u0301te\u0301 \u00e9t\u00e9 o\u0308 ö",
    "tab\tnew\nline\r\nzero\u200bwidth soft\u00adhyphen nbsp\u00a0here",
    "٣٤٥ ১২৩ ๑๒๓ 四五六",
    "a_b snake_case CamelCase kebab-case dot.case",
    "é" * 4100,
    "word " * 900,
]


def write_fixtures(dim: int = 1024) -> None:
    from make_fixtures import FIXED_TEXTS, LONG_TEXTS
    from common import MODELS_DIR
    import json

    items = []
    for text in EDGE_TEXTS + FIXED_TEXTS + LONG_TEXTS:
        v = features(text, dim)
        nz = np.flatnonzero(v)
        items.append({"text": text, "normalised": normalise(text), "nonzero": {str(int(k)): float(v[k]) for k in nz}})
    path = MODELS_DIR / "fixtures" / "char-ngrams.json"
    path.write_text(json.dumps({"dim": dim, "items": items}, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path}: {len(items)} texts, {path.stat().st_size} bytes")


if __name__ == "__main__":
    write_fixtures()
