--[[
reserve-tickets: reserve ticket ids for intake, all or nothing.
  A new id is stored with status "accepted" and the next arrival sequence. An id already live with the
  same payload hash is a replay: its first job id is answered again. An id live with another payload is a
  conflict, and then nothing at all is written.
  When the intake queue is a Redis stream (local runtime), the records are appended to it here too, so
  reservation and enqueue are one atomic step and a ticket answered 202 is always queued.
KEYS[1]  sequence counter   KEYS[2]  counters hash   KEYS[3]  intake stream, or "" when the queue is elsewhere
KEYS[4]  outbox stream: a new ticket's ticket_accepted event is appended in this same step
KEYS[4+i] ticket hash of item i
ARGV[1] ttl seconds   ARGV[2] now (ISO 8601)   ARGV[3] now (epoch ms)   ARGV[4] resend-after ms
ARGV[5+6(i-1) ..] per item: payload_hash, job_id, subject, body, customer_id ("" = none), ticket_id
Reply: {"conflict", i} (1-based item index)
     | {"ok", job_1, send_1, job_2, send_2, …} where send_i is 1 when item i must (still) go to the queue: a
       new ticket, or a replay whose ticket is still unqueued after resend-after ms. With an intake stream
       this script has already appended it (send_i is then 2).
Validates before writing: sequence, counters, stream and every ticket key hold their types (and the
payload conflict check), so a conflict or a bad key writes nothing.
]]
-- @include "guard"
need(KEYS[1], "string")
need(KEYS[2], "hash")
need_number(KEYS[2], "tickets_accepted_total")
if KEYS[3] ~= "" then need(KEYS[3], "stream") end
need(KEYS[4], "stream")
for i = 5, #KEYS do need(KEYS[i], "hash") end
local n = #KEYS - 4
local stream = KEYS[3]
local ttl, now_iso, now_ms, resend_after = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])

local seen = {}
for i = 1, n do
  local key, hash = KEYS[4 + i], ARGV[5 + 6 * (i - 1)]
  local known = seen[key] or redis.call("HGET", key, "payload_hash")
  if known and known ~= hash then return {"conflict", i} end
  seen[key] = hash
end

local reply = {"ok"}
for i = 1, n do
  local key, base = KEYS[4 + i], 5 + 6 * (i - 1)
  local job, send = ARGV[base + 1], 0
  local existing = redis.call("HMGET", key, "job_id", "status", "queued", "send_lease_ms")
  if existing[1] then
    job = existing[1]
    if existing[2] == "accepted" and existing[3] ~= "1" and now_ms - tonumber(existing[4] or 0) >= resend_after then
      redis.call("HSET", key, "send_lease_ms", now_ms)
      send = 1
    end
  else
    local fields = {"ticket_id", ARGV[base + 5], "payload_hash", ARGV[base], "job_id", job, "subject", ARGV[base + 2], "body", ARGV[base + 3],
      "status", "accepted", "accepted_at", now_iso, "seq", redis.call("INCR", KEYS[1]), "send_lease_ms", now_ms}
    if ARGV[base + 4] ~= "" then
      table.insert(fields, "customer_id"); table.insert(fields, ARGV[base + 4])
    end
    redis.call("HSET", key, unpack(fields))
    redis.call("EXPIRE", key, ttl)
    redis.call("HINCRBY", KEYS[2], "tickets_accepted_total", 1)
    redis.call("HINCRBY", KEYS[2], "accepted:" .. math.floor(now_ms / 60000), 1)
    redis.call("XADD", KEYS[4], "*", "type", "ticket_accepted",
      "data", cjson.encode({ticket_id = ARGV[base + 5], job_id = job, subject = ARGV[base + 2]}))
    send = 1
  end
  if send == 1 and stream ~= "" then
    redis.call("XADD", stream, "*", "body", cjson.encode({ticket_id = ARGV[base + 5], job_id = job}))
    redis.call("HSET", key, "queued", "1")
    send = 2
  end
  table.insert(reply, job)
  table.insert(reply, send)
end
return reply
