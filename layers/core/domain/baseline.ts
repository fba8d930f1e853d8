import type { Category } from "./schemas.js";

// Milestone 1's rules: keyword category and regex urgency. They are what the system falls back to when
// the transformer is unavailable, so they must stay cheap and never throw.

const CATEGORY_KEYWORDS: Record<Category, RegExp> = {
  Billing:
    /\b(bill(ing|ed)?|invoices?|charge[sd]?|charging|refunds?|payments?|paid|pay|subscriptions?|plans?|pricing|price|credit card|card|receipts?|vat|tax|prorat\w*|discount|coupon|overcharged|upgrade|downgrade|seats?|renewal|dunning|purchase order)\b/gi,
  Legal:
    /\b(legal|lawyers?|attorneys?|lawsuit|sue|suing|court|subpoena|gdpr|ccpa|hipaa|privacy|dpa|data processing agreement|contract|terms of (service|use)|tos|liabilit\w*|compliance|copyright|dmca|trademark|cease and desist|breach notification|personal data|erasure|subprocessors?|soc ?2|iso ?27001|law enforcement|counsel|litigation|infring\w*)\b/gi,
  Technical:
    /\b(error|errors|bug|crash\w*|broken|login|log in|sign in|password|api|server|outage|down|timeout|timed out|slow|latency|500|502|503|504|404|sso|saml|2fa|webhooks?|integration|sync|export|import|upload|app|page|dashboard|not working|doesn'?t work|fails?|failing|failed)\b/gi,
};

// Ties go to Technical: most tickets a router sees are, and a wrong Technical costs least.
const TIE_ORDER: Category[] = ["Technical", "Billing", "Legal"];

export function baselineCategory(text: string): Category {
  let best: Category = "Technical";
  let bestHits = 0;
  for (const category of TIE_ORDER) {
    const hits = text.match(CATEGORY_KEYWORDS[category])?.length ?? 0;
    if (hits > bestHits) {
      best = category;
      bestHits = hits;
    }
  }
  return best;
}

// Priority and severity labels count as whole tokens only: "P0", "P1", "sev1", "sev 1", "sev-1", "severity 1",
// but not "P10", "sev10", "severity 12" or "press 1".
const URGENT =
  /\b(urgent(ly)?|asap|as soon as possible|emergency|critical|immediately|right now|broken|down|outage|not working|can'?t|cannot|unable|blocked|blocking|production|prod|data loss|lost|security|breach|hacked|leak(ed)?|lawsuit|sue|deadline|escalat\w*|crash(es|ed|ing)?|fail(s|ed|ing)?|503|500|p[01]|sev(erity)?[ -]?1)\b|!!+/i;

/** S for the regex baseline: urgent tickets land above the 0.8 webhook line, the rest well below 0.5. */
export const BASELINE_URGENT_SCORE = 0.85;
export const BASELINE_CALM_SCORE = 0.25;

export function baselineUrgency(text: string): number {
  return URGENT.test(text) ? BASELINE_URGENT_SCORE : BASELINE_CALM_SCORE;
}
