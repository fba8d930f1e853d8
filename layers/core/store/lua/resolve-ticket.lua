--[[
resolve-ticket: the agent finished a ticket: it leaves the queue, the backlog and its agent's tickets, the
capacity unit it held comes back (a pending offer is withdrawn with its unit), and it is "resolved" (keeping
agent_id as the record of who had it, as a pop does; the hash expires after the ticket TTL).
KEYS[1] ticket hash   KEYS[2] queue zset   KEYS[3] assignments zset   KEYS[4] backlog zset
KEYS[5] counters hash   KEYS[6] offer deadlines zset   KEYS[7] outbox stream
ARGV[1] ticket id   ARGV[2] ticket key prefix   ARGV[3] agent key prefix   ARGV[4] now ISO
ARGV[5] ttl seconds for the resolved ticket
Validates before writing: the seven keys' types (and tickets_resolved_total a number), the ticket's agents'
keys.
Event in the same step: ticket_resolved.
Reply: {"resolved", agent id or ""} | {"already"} (resolved before: nothing written) | {"missing"}
       | {"not_processed", status} (accepted and not classified yet, or popped)
]]
-- @include "keys"
-- @include "guard"
-- @include "assignment"
-- @include "offer"
local ticket, tprefix, aprefix = ARGV[1], ARGV[2], ARGV[3]
need(KEYS[1], "hash")
need(KEYS[2], "zset")
need(KEYS[3], "zset")
need(KEYS[4], "zset")
need(KEYS[5], "hash")
need_number(KEYS[5], "tickets_resolved_total")
need(KEYS[6], "zset")
need(KEYS[7], "stream")
local status = redis.call("HGET", KEYS[1], "status")
if not status then return {"missing"} end
if status == "resolved" then return {"already"} end
if status ~= "processed" then return {"not_processed", status} end
check_ticket(tprefix, aprefix, ticket)
release_charge(tprefix, aprefix, ticket)
local h = redis.call("HMGET", KEYS[1], "agent_id", "incident_id")
local agent = h[1] or ""
if agent ~= "" then redis.call("SREM", tickets_of(aprefix, agent), ticket) end
redis.call("ZREM", KEYS[2], ticket)
redis.call("ZREM", KEYS[3], ticket)
redis.call("ZREM", KEYS[4], backlog_ticket(ticket))
redis.call("ZREM", KEYS[6], ticket)
redis.call("HSET", KEYS[1], "status", "resolved", "resolved_at", ARGV[4])
redis.call("EXPIRE", KEYS[1], tonumber(ARGV[5]))
redis.call("HINCRBY", KEYS[5], "tickets_resolved_total", 1)
emit(KEYS[7], "ticket_resolved", {ticket_id = ticket, agent_id = agent ~= "" and agent or cjson.null,
  incident_id = (h[2] and h[2] ~= "") and h[2] or cjson.null})
return {"resolved", agent}
