import type { EventBridgeEvent } from "aws-lambda";

export const ACTIVITY_TYPES = [
  "ticket_accepted",
  "ticket_processed",
  "ticket_popped",
  "queue_cleared",
  "master_incident_created",
  "ticket_linked_to_master_incident",
  "incident_resolved",
  "incident_updated",
  "ticket_assigned_to_agent",
  // Offers and finishing work (README "Offers and finishing work"), appended by the scripts that change the state.
  "ticket_offered",
  "offer_accepted",
  "offer_rejected",
  "offer_expired",
  "ticket_resolved",
  "agent_updated",
  // An agent corrected a ticket's label (record-correction.lua, with the model's answer it replaces).
  "ticket_relabelled",
  // Learning (README "Learning from corrections"): a retrain asked for, its version stored, a version made active.
  "retrain_requested",
  "heads_retrained",
  "model_version_activated",
  "circuit_breaker_state_changed",
  "webhook_failed",
] as const;
export type ActivityType = (typeof ACTIVITY_TYPES)[number];

export const WEBHOOK_TYPES = [
  "webhook.high_urgency",
  "webhook.master_incident",
  "webhook.incident_update",
  "webhook.incident_resolved",
] as const;
export type WebhookType = (typeof WEBHOOK_TYPES)[number];

export type EventType = ActivityType | WebhookType;
export interface BusEvent {
  type: EventType;
  data: Record<string, unknown>;
}

export const EVENT_SOURCE = "smart-support";
export type SmartSupportEvent = EventBridgeEvent<EventType, Record<string, unknown>>;

/** Fan-out of domain events: EventBridge in AWS, in-process locally. Publishing never waits for targets. */
export interface EventBus {
  publish(events: BusEvent[]): Promise<void>;
  /** A script appended events to the outbox itself: deliver them (wake this process's consumers / relay). */
  appended?(): void;
}

/** The bus's rules, the single truth for both the in-process bus and the CDK EventBridge rules. */
export const EVENT_RULES = {
  activity: ACTIVITY_TYPES as readonly EventType[],
  webhooks: WEBHOOK_TYPES as readonly EventType[],
} as const;
export type RuleName = keyof typeof EVENT_RULES;
