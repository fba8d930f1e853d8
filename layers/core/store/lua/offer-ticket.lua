--[[
offer-ticket: offer a processed ticket to an agent (ROUTING_OFFERS): one unit of the agent's capacity is held
from now until the ticket is resolved or popped, or the offer is rejected or expires (check + increment +
record, atomically, as assign-ticket does, so two workers never overbook an agent).
KEYS[1] agent hash   KEYS[2] ticket hash   KEYS[3] offer deadlines zset   KEYS[4] backlog zset
KEYS[5] outbox stream
ARGV[1] ticket id   ARGV[2] agent id   ARGV[3] ticket key prefix   ARGV[4] agent key prefix
ARGV[5] now ms   ARGV[6] now ISO   ARGV[7] deadline ms   ARGV[8] deadline ISO
Validates before writing: the ticket, the agent, their agents' keys, the deadlines, backlog and outbox.
Writes: the ticket's offer fields (offer_agent_id, offer_status "pending", offered_at, offer_expires_at,
offer_expires_ms, charged "1"), the agent's load + 1 and offers zset, the deadline; the ticket leaves the
backlog; ticket_offered goes to the outbox in the same step.
Reply: 1 offered | 0 the agent cannot take it (offline, full, unknown) | -2 the agent declined this ticket
       before (rejected it or let it expire) | -1 the ticket is not offerable (not waiting in the queue,
       assigned, on offer already, or part of a master incident)
]]
-- @include "keys"
-- @include "guard"
-- @include "assignment"
-- @include "offer"
need(KEYS[3], "zset")
need(KEYS[4], "zset")
need(KEYS[5], "stream")
check_ticket(ARGV[3], ARGV[4], ARGV[1])
check_agent(ARGV[4], ARGV[2])
local t = redis.call("HMGET", KEYS[2], "status", "agent_id", "incident_id", "offer_status")
if t[1] ~= "processed" or (t[2] and t[2] ~= "") or (t[3] and t[3] ~= "") or t[4] == "pending" then
  redis.call("ZREM", KEYS[4], backlog_ticket(ARGV[1]))
  return -1
end
if declined_by(KEYS[2], ARGV[2]) then return -2 end
if not agent_can_take(KEYS[1]) then return 0 end
redis.call("HINCRBY", KEYS[1], "current_load", 1)
redis.call("HSET", KEYS[2], "offer_agent_id", ARGV[2], "offer_status", "pending", "offered_at", ARGV[6],
  "offer_expires_at", ARGV[8], "offer_expires_ms", ARGV[7], "charged", "1")
redis.call("ZADD", offers_of(ARGV[4], ARGV[2]), ARGV[5], ARGV[1])
redis.call("ZADD", KEYS[3], ARGV[7], ARGV[1])
redis.call("ZREM", KEYS[4], backlog_ticket(ARGV[1]))
emit(KEYS[5], "ticket_offered", {ticket_id = ARGV[1], agent_id = ARGV[2], offered_at = ARGV[6], expires_at = ARGV[8]})
return 1
