--[[
record-correction: an agent's corrected label for a processed ticket, kept beside the model's answer it
replaces. One correction per ticket: a second one replaces the first in the same slot (and becomes the newest).
The corrections are bounded: past ARGV[7] the oldest are dropped, in this same step. Every correction counts
towards the next retrain: when LEARNING_RETRAIN_EVERY (ARGV[8] > 0) have arrived since the last job, the
counter restarts and a retrain job is queued, so concurrent labels from any number of processes queue exactly
one job per that many corrections.
KEYS[1] ticket hash   KEYS[2] corrections hash (ticket id → record JSON)
KEYS[3] embeddings hash (ticket id → base64 float32)   KEYS[4] order zset (ticket id → record seq)
KEYS[5] changes zset (ticket id → seq of its last change)   KEYS[6] state hash (seq, since_retrain)
KEYS[7] retrain jobs stream   KEYS[8] outbox stream
ARGV[1] ticket id   ARGV[2] the ticket's job_id when the caller read it (its text was cleaned from that record)
ARGV[3] category ("" = not corrected)   ARGV[4] urgent ("true" | "false" | "" = not corrected)
ARGV[5] cleaned text   ARGV[6] corrected at (ISO)   ARGV[7] max corrections kept (≥ 1)
ARGV[8] retrain every (≥ 0; 0 = never by count)   ARGV[9] id for the retrain job, used if one is queued
The record: {ticket_id, category?, urgent?, model: {category, urgency_score, model, heads_version?}, text,
corrected_at, seq}. The embedding is not copied here (store/corrections.ts says why): a replacement keeps the
one already known when its text is the same, else it is dropped until a worker fills it in.
Validates before writing: every key's type, the state's numbers, the arguments, the old record's JSON.
Events in the same step: ticket_relabelled {ticket_id, correction, model, replaced}; retrain_requested
{job_id, reason, requested_at} when a job is queued (the job stream's fields are the same).
Reply: {"recorded", record JSON, "1" replaced | "0", job id | ""} | {"missing"} | {"not_processed", status}
       | {"changed"} (the ticket's job_id is no longer ARGV[2]) | {"invalid", what}
]]
-- @include "guard"
need(KEYS[1], "hash")
need(KEYS[2], "hash")
need(KEYS[3], "hash")
need(KEYS[4], "zset")
need(KEYS[5], "zset")
need(KEYS[6], "hash")
need(KEYS[7], "stream")
need(KEYS[8], "stream")
need_number(KEYS[6], "seq")
need_number(KEYS[6], "since_retrain")

local ticket, category, urgent, text, at = ARGV[1], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local max_kept, every = tonumber(ARGV[7]), tonumber(ARGV[8])
local categories = {Billing = true, Technical = true, Legal = true}
if category ~= "" and not categories[category] then return {"invalid", "category must be Billing, Technical or Legal"} end
if urgent ~= "" and urgent ~= "true" and urgent ~= "false" then return {"invalid", "urgent must be true or false"} end
if category == "" and urgent == "" then return {"invalid", "a correction needs a category, urgent or both"} end
if not max_kept or max_kept < 1 or max_kept % 1 ~= 0 then return {"invalid", "max corrections must be a whole number >= 1"} end
if not every or every < 0 or every % 1 ~= 0 then return {"invalid", "retrain every must be a whole number >= 0"} end
if at == "" or ARGV[9] == "" then return {"invalid", "corrected at and the job id must not be empty"} end

local h = redis.call("HMGET", KEYS[1], "status", "job_id", "category", "urgency_score", "model", "heads_version")
local status = h[1]
if not status then return {"missing"} end
if h[2] ~= ARGV[2] then return {"changed"} end
if status == "accepted" or not h[3] then return {"not_processed", status} end

local old = redis.call("HGET", KEYS[2], ticket)
local old_text = old and cjson.decode(old).text

local model = {category = h[3], urgency_score = tonumber(h[4]) or 0, model = h[5] or "baseline"}
if h[6] and h[6] ~= "" then model.heads_version = h[6] end
local seq = redis.call("HINCRBY", KEYS[6], "seq", 1)
local record = {ticket_id = ticket, model = model, text = text, corrected_at = at, seq = seq}
local correction = {corrected_at = at}
if category ~= "" then record.category = category; correction.category = category end
if urgent ~= "" then record.urgent = (urgent == "true"); correction.urgent = record.urgent end
local json = cjson.encode(record)

redis.call("HSET", KEYS[2], ticket, json)
-- The embedding is the text's: a replacement of another text (an id reused after its ticket expired) loses it.
if old_text ~= text then redis.call("HDEL", KEYS[3], ticket) end
redis.call("ZADD", KEYS[4], seq, ticket)
redis.call("ZADD", KEYS[5], seq, ticket)
while redis.call("ZCARD", KEYS[4]) > max_kept do
  local oldest = redis.call("ZPOPMIN", KEYS[4])[1]
  redis.call("HDEL", KEYS[2], oldest)
  redis.call("HDEL", KEYS[3], oldest)
  redis.call("ZREM", KEYS[5], oldest)
end

redis.call("XADD", KEYS[8], "*", "type", "ticket_relabelled", "data",
  cjson.encode({ticket_id = ticket, correction = correction, model = model, replaced = old ~= false}))

local job = ""
local since = redis.call("HINCRBY", KEYS[6], "since_retrain", 1)
if every > 0 and since >= every then
  job = ARGV[9]
  redis.call("HSET", KEYS[6], "since_retrain", 0)
  -- Bounded: jobs come one per `every` corrections, so a thousand waiting means no worker has run for long.
  redis.call("XADD", KEYS[7], "MAXLEN", "~", 1000, "*", "job_id", job, "reason", "corrections", "requested_at", at)
  redis.call("XADD", KEYS[8], "*", "type", "retrain_requested", "data",
    cjson.encode({job_id = job, reason = "corrections", requested_at = at}))
end
return {"recorded", json, old and "1" or "0", job}
