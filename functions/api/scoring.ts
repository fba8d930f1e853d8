import { isUrgent } from "../../layers/core/domain/classification.js";
import { cleanTicketText } from "../../layers/core/domain/clean-text.js";
import { ErrorBody, UrgencyIn, UrgencyOut } from "../../layers/core/domain/schemas.js";
import { json, route } from "./http.js";

export const urgencyScore = route(
  {
    method: "POST",
    path: "/urgency-score",
    name: "urgencyScore",
    summary: "Score a text's urgency with the current model (nothing is queued)",
    body: UrgencyIn,
    needsModel: true,
    responses: { 200: { description: "Score", schema: UrgencyOut }, 422: { description: "Invalid", schema: ErrorBody } },
  },
  async (rt, { body }) => {
    // The model reads cleaned text, as it does for tickets (quoted history, signatures, HTML, logs removed).
    const [c] = await rt.classifier.classify([cleanTicketText("", body.text).text]);
    const s = c!.urgency_score;
    return json(200, { urgency_score: s, is_urgent: isUrgent(s), model: c!.model });
  },
);
