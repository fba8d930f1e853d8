--[[
reserve-tickets: reserve ticket ids for intake, all or nothing.
  A new id is stored with status "accepted" and the next arrival sequence. An id already live with the
  same payload hash is a replay: its first job id is answered again. An id live with another payload is a
  conflict, and then nothing at all is written.
  Lane: a new ticket counts once in each of its flood bands (domain/flood-bands.ts) for the current minute;
  when one of its bands was carried by more than the threshold of tickets in this minute and the one before
  (itself included), it goes to the flood lane, else to the main lane. The lane is kept on the ticket, so a
  resend goes where the first send went.
  When the intake queue is a Redis stream (local runtime), the records are appended to their lane's stream
  here too, so reservation and enqueue are one atomic step and a ticket answered 202 is always queued.
KEYS[1]  sequence counter   KEYS[2]  counters hash
KEYS[3]  main-lane stream, KEYS[4] flood-lane stream: both "" when the queue is elsewhere
KEYS[5]  outbox stream: a new ticket's ticket_accepted event is appended in this same step
KEYS[5+i] ticket hash of item i
ARGV[1] ttl seconds   ARGV[2] now (ISO 8601)   ARGV[3] now (epoch ms)   ARGV[4] resend-after ms
ARGV[5] band counters' key prefix: the script appends the minute; a hash per minute, a field per band
ARGV[6] flood threshold: more than this many tickets sharing a band → flood lane; 0 = lanes off
ARGV[7+7(i-1) ..] per item: payload_hash, job_id, subject, body, customer_id ("" = none), ticket_id,
  its bands separated by spaces ("" = none)
Reply: {"conflict", i} (1-based item index)
     | {"ok", job_1, send_1, lane_1, job_2, send_2, lane_2, …} where send_i is 1 when item i must (still) go
       to the queue: a new ticket, or a replay whose ticket is still unqueued after resend-after ms. With
       intake streams this script has already appended it (send_i is then 2). lane_i is "main" or "flood".
Validates before writing: sequence, counters, streams, every ticket key and both minutes' band counters hold
their types (and the payload conflict check), so a conflict or a bad key writes nothing.
]]
-- @include "guard"
need(KEYS[1], "string")
need(KEYS[2], "hash")
need_number(KEYS[2], "tickets_accepted_total")
if KEYS[3] ~= "" then need(KEYS[3], "stream") end
if KEYS[4] ~= "" then need(KEYS[4], "stream") end
need(KEYS[5], "stream")
for i = 6, #KEYS do need(KEYS[i], "hash") end
local n = #KEYS - 5
local streams = {main = KEYS[3], flood = KEYS[4]}
local ttl, now_iso, now_ms, resend_after = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local band_prefix, threshold = ARGV[5], tonumber(ARGV[6])
local minute = math.floor(now_ms / 60000)
local ARGS_PER_ITEM = 7

local function bands_of(i)
  local out = {}
  for band in string.gmatch(ARGV[7 + ARGS_PER_ITEM * (i - 1) + 6], "%S+") do table.insert(out, band) end
  return out
end
local this_minute, last_minute = band_prefix .. minute, band_prefix .. (minute - 1)
if threshold > 0 then
  need(this_minute, "hash")
  need(last_minute, "hash")
end

local seen = {}
for i = 1, n do
  local key, hash = KEYS[5 + i], ARGV[7 + ARGS_PER_ITEM * (i - 1)]
  local known = seen[key] or redis.call("HGET", key, "payload_hash")
  if known and known ~= hash then return {"conflict", i} end
  seen[key] = hash
end

-- Counts the new ticket in its bands; "flood" when one of them was carried by more than threshold tickets.
local function lane_of(i)
  if threshold <= 0 then return "main" end
  local most = 0
  for _, band in ipairs(bands_of(i)) do
    local total = redis.call("HINCRBY", this_minute, band, 1) + tonumber(redis.call("HGET", last_minute, band) or "0")
    if total > most then most = total end
  end
  -- Read for one more minute as "the last", then gone.
  redis.call("EXPIRE", this_minute, 120)
  if most > threshold then return "flood" end
  return "main"
end

local reply = {"ok"}
for i = 1, n do
  local key, base = KEYS[5 + i], 7 + ARGS_PER_ITEM * (i - 1)
  local job, send, lane = ARGV[base + 1], 0, "main"
  local existing = redis.call("HMGET", key, "job_id", "status", "queued", "send_lease_ms", "lane")
  if existing[1] then
    job = existing[1]
    lane = existing[5] or "main"
    if existing[2] == "accepted" and existing[3] ~= "1" and now_ms - tonumber(existing[4] or 0) >= resend_after then
      redis.call("HSET", key, "send_lease_ms", now_ms)
      send = 1
    end
  else
    lane = lane_of(i)
    local fields = {"ticket_id", ARGV[base + 5], "payload_hash", ARGV[base], "job_id", job, "subject", ARGV[base + 2], "body", ARGV[base + 3],
      "status", "accepted", "accepted_at", now_iso, "seq", redis.call("INCR", KEYS[1]), "send_lease_ms", now_ms, "lane", lane}
    if ARGV[base + 4] ~= "" then
      table.insert(fields, "customer_id"); table.insert(fields, ARGV[base + 4])
    end
    redis.call("HSET", key, unpack(fields))
    redis.call("EXPIRE", key, ttl)
    redis.call("HINCRBY", KEYS[2], "tickets_accepted_total", 1)
    redis.call("HINCRBY", KEYS[2], "accepted:" .. math.floor(now_ms / 60000), 1)
    if lane == "flood" then redis.call("HINCRBY", KEYS[2], "tickets_flood_lane_total", 1) end
    redis.call("XADD", KEYS[5], "*", "type", "ticket_accepted",
      "data", cjson.encode({ticket_id = ARGV[base + 5], job_id = job, subject = ARGV[base + 2]}))
    send = 1
  end
  if send == 1 and streams[lane] ~= "" then
    redis.call("XADD", streams[lane], "*", "body", cjson.encode({ticket_id = ARGV[base + 5], job_id = job}))
    redis.call("HSET", key, "queued", "1")
    send = 2
  end
  table.insert(reply, job)
  table.insert(reply, send)
  table.insert(reply, lane)
end
return reply
