import { ago, byId, clock, h, setText } from "../dom.js";
import type { BreakerState, Snapshot } from "../types.js";

/** Minutes of throughput the model/baseline share is taken over. */
const SHARE_MINUTES = 10;

const LABEL: Record<BreakerState, { text: string; attr: string; explain: string }> = {
  closed: { text: "Closed", attr: "closed", explain: "the model scores every ticket" },
  open: { text: "Open", attr: "open", explain: "the model is skipped: the keyword baseline scores tickets until the cooldown ends" },
  half_open: { text: "Half-open", attr: "half-open", explain: "a few probe calls test whether the model is healthy again" },
};

/** Breaker: state badge (data-state = closed | open | half-open), when it opened, model vs baseline share. */
export function setupBreaker(): (s: Snapshot) => void {
  const badge = byId("breaker-badge");
  byId("share-window").textContent = String(SHARE_MINUTES);
  return (s) => {
    const b = s.metrics.circuit_breaker;
    const label = LABEL[b.state] ?? { text: b.state, attr: b.state, explain: "" };
    badge.dataset.state = label.attr;
    setText(badge, label.text);
    setText(byId("breaker-explain"), label.explain);
    setText(byId("breaker-opened"), b.opened_at ? `${clock(b.opened_at)} (${ago(b.opened_at)})` : "never");
    setText(byId("breaker-probes"), String(b.half_open_probes));

    const recent = (s.metrics.throughput ?? []).slice(-SHARE_MINUTES);
    const model = recent.reduce((n, m) => n + m.transformer, 0);
    const baseline = recent.reduce((n, m) => n + m.baseline, 0);
    const total = model + baseline;
    const modelPct = total ? Math.round((model / total) * 100) : 0;
    byId("share-model").style.width = total ? `${(model / total) * 100}%` : "0";
    byId("share-baseline").style.width = total ? `${(baseline / total) * 100}%` : "0";
    byId("share-bar").dataset.empty = String(total === 0);
    const text = total
      ? `Model ${modelPct}% (${model}) · baseline ${100 - modelPct}% (${baseline}) of ${total} tickets`
      : `No tickets scored in the last ${SHARE_MINUTES} minutes.`;
    const share = byId("share-text");
    if (share.dataset.text !== text) {
      share.dataset.text = text;
      share.replaceChildren(
        ...(total
          ? [
              h("span", { class: "key model", "aria-hidden": "true" }),
              `Model ${modelPct}% (${model}) · `,
              h("span", { class: "key baseline", "aria-hidden": "true" }),
              `baseline ${100 - modelPct}% (${baseline}) of ${total} tickets`,
            ]
          : [text]),
      );
    }
  };
}
