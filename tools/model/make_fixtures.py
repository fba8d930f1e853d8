"""Write layers/models/fixtures/parity.json: reference embeddings from sentence-transformers.

The TypeScript encoder (own tokenizer + ONNX + pooling) must reproduce these, so the
texts aim at the places where a re-implementation tends to drift: truncation at
max_seq_length, BERT normalisation (lower-casing, accent stripping, control chars,
CJK splitting), unknown tokens and whitespace handling.
"""

import json

from common import MODEL_NAME, MODELS_DIR, load_sentence_transformer

LOREM_TICKET = (
    "Since the migration last Tuesday our nightly export job has failed with a timeout "
    "after roughly forty minutes. We retried with smaller batches, rotated the API key, "
    "and checked the firewall rules, but nothing changed. The dashboard still shows the "
    "job as running, and support case 55123 was closed without a resolution. "
)

FIXED_TEXTS = [
    # short
    "hi",
    "Hi",
    "HELP",
    "ok?",
    "refund",
    "a",
    # typical tickets: subject + " " + body
    "Double charge on my card I was billed twice for the Pro plan on 3 March. Please refund the duplicate.",
    "Invoice missing VAT number Our finance team needs the invoice re-issued with our VAT ID DE123456789.",
    "Cancel subscription Please cancel my subscription at the end of the current billing period.",
    "Upgrade pricing question What does it cost to move from 10 to 25 seats mid-cycle? Is it prorated?",
    "Login broken after update Since version 4.2 the login page just spins forever on Chrome and Firefox.",
    "API returns 500 POST /v1/orders returns HTTP 500 for any payload larger than 1 MB. Started yesterday.",
    "Password reset email never arrives I requested a reset three times, nothing in inbox or spam.",
    "Mobile app crash The Android app crashes when I open the camera scanner on a Pixel 7.",
    "GDPR data deletion request Under Article 17 GDPR I request erasure of all personal data you hold about me.",
    "Subpoena received We have been served a subpoena regarding account #88421 and need your legal contact.",
    "Terms of service question Does clause 9.3 allow us to resell the service to our own customers?",
    "Copyright infringement A user on your platform is hosting our copyrighted photos without permission.",
    "URGENT: production down!!! All our stores cannot process payments since 08:00, we are losing money every minute.",
    "not urgent, just curious whether you plan to support dark mode at some point",
    # mixed case
    "ReFuNd My MoNeY pLeAsE",
    "iPhone macOS GitHub OAuth2 JSON-RPC PostgreSQL",
    "THE WHOLE TICKET IS WRITTEN IN CAPITAL LETTERS BECAUSE THE CUSTOMER IS ANGRY",
    # unicode: accents, other scripts, emoji, RTL
    "Café résumé naïve façade coöperate",
    "ÉCOLE ÜBER STRASSE Straße Ångström",
    "e\u0301te\u0301 (decomposed accents) vs \u00e9t\u00e9 (precomposed)",
    "İstanbul DİKKAT ıiİI",
    "Привет, у меня не работает оплата картой",
    "Γεια σας, η χρέωση είναι λάθος",
    "我的账单有问题，请帮我退款。",
    "ログインできません。パスワードをリセットしてください。",
    "결제가 두 번 되었습니다. 환불해 주세요.",
    "مرحبا، لدي مشكلة في الفاتورة",
    "שלום, החשבון שלי נחסם",
    "Thanks!!! 🙏🙏 the app is 🔥 but billing is 💸😡",
    "👍",
    "Mixed: refund 退款 возврат remboursement 🧾",
    "zero\u200bwidth soft\u00adhyphen no\u00a0break bell\u0007char",
    # whitespace-heavy
    "   leading and trailing spaces   ",
    "tabs\tbetween\twords\t\tand\t\t\tmore",
    "line one\nline two\r\nline three\n\n\nline six",
    "   \n\t  \r\n   ",
    "spaced     out      words       everywhere",
    # punctuation-only / symbols
    "?!?!",
    "...",
    "!!!???!!!",
    "--- *** ### @@@ $$$ %%% ^^^ &&& ((( )))",
    "«»„“”‘’…–—•·",
    # numbers / code
    "12345",
    "3.14159 2,718 1e-9 -42 0x1F 1_000_000",
    "Order #A-2024-000123 total $1,299.99 (EUR 1.199,00) due 2024-03-15T10:30:00Z",
    "Error: TypeError: Cannot read properties of undefined (reading 'map') at App.tsx:42:17",
    "def handler(event):\n    return {'statusCode': 500, 'body': json.dumps(event)}",
    '{"error":"rate_limited","retry_after":30,"request_id":"req_9f8e7d6c"}',
    "SELECT * FROM invoices WHERE customer_id = 42 AND status <> 'paid';",
    "curl -X POST https://api.example.com/v1/refunds -H 'Authorization: Bearer sk_test_abc'",
    "Contact me at jane.doe+billing@example.co.uk or +44 20 7946 0958",
    # a single "word" longer than WordPiece's 100-char limit becomes [UNK]
    "token " + "x" * 120 + " end",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
]

# Long texts, well past 256 tokens, so truncation is exercised.
LONG_TEXTS = [
    "Export job keeps failing " + LOREM_TICKET * 8,
    "Legal hold " + " ".join(f"Clause {i}: the processor shall notify the controller without undue delay." for i in range(40)),
    "Stack trace\n" + "\n".join(f"    at com.example.service.Handler{i}.process(Handler{i}.java:{i * 7})" for i in range(80)),
    "Billing history " + " ".join(f"2024-{m:02d} invoice €{m * 13}.00 paid;" for m in range(1, 13)) * 6,
    "请帮忙" * 300,
    "🙂 " * 400,
]


def exact_length_text(tokenizer, n_tokens):
    """A text that tokenizes to exactly n_tokens (specials included), to pin the truncation edge."""
    words = "the invoice was charged twice and the customer wants a refund today".split()
    words = [w for w in words if len(tokenizer.tokenize(w)) == 1]  # one token per step
    text = ""
    i = 0
    while len(tokenizer(text)["input_ids"]) < n_tokens:
        text = (text + " " + words[i % len(words)]).strip()
        i += 1
    assert len(tokenizer(text)["input_ids"]) == n_tokens
    return text


def main():
    st = load_sentence_transformer()
    tokenizer = st.tokenizer
    max_tokens = st.max_seq_length

    # Both sides of the truncation edge: 255 and 256 fit, 257 loses one word.
    boundary = [exact_length_text(tokenizer, n) for n in (max_tokens - 1, max_tokens, max_tokens + 1)]
    texts = FIXED_TEXTS + LONG_TEXTS + boundary
    assert len(texts) == len(set(texts)), "duplicate fixture text"

    # One text per batch: no padding, which is how the TypeScript side encodes a ticket.
    embeddings = st.encode(texts, normalize_embeddings=True, batch_size=1, convert_to_numpy=True)

    items = [{"text": t, "embedding": [round(float(x), 6) for x in e]} for t, e in zip(texts, embeddings)]
    out = {"model": MODEL_NAME, "max_tokens": max_tokens, "items": items}

    path = MODELS_DIR / "fixtures" / "parity.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, ensure_ascii=False) + "\n", encoding="utf-8")

    n_truncated = sum(len(tokenizer(t)["input_ids"]) > max_tokens for t in texts)
    print(f"wrote {path}: {len(items)} items, {n_truncated} longer than {max_tokens} tokens, "
          f"{path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
