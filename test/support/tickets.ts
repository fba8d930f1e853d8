// Texts whose scores sit far from every threshold, so tests read the same with the transformer (S ≈ 0.97 /
// 0.01) and with the baseline (0.85 / 0.25). Identical texts give identical S, which is what FIFO ties need.
export const URGENT_TEXT = {
  subject: "Production down",
  body: "Our production site is down for every customer, urgent! We are losing orders right now.",
};
export const CALM_TEXT = { subject: "Question", body: "How do I export a report?" };

export const urgent = (ticket_id: string) => ({ ticket_id, ...URGENT_TEXT });
export const calm = (ticket_id: string) => ({ ticket_id, ...CALM_TEXT });
