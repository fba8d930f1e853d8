--[[
offer-expire: expire one offer whose deadline has passed (the sweep, sweepExpiredOffers, calls it for each due
member of the deadlines zset). One script per offer: when two workers sweep at once, only one expires it.
The unit goes back, the agent never gets this ticket offered again, and the ticket waits in the backlog
(scored as in the queue) for the next best agent.
KEYS[1] offer deadlines zset   KEYS[2] ticket hash   KEYS[3] backlog zset   KEYS[4] queue zset
KEYS[5] outbox stream
ARGV[1] ticket id   ARGV[2] ticket key prefix   ARGV[3] agent key prefix   ARGV[4] now ms
Validates before writing: the five keys' types and the ticket's agents' keys.
A deadline whose offer is no longer pending (answered, or withdrawn by a pop, resolve or incident) is
dropped; a pending offer of a ticket that has joined a master incident since is withdrawn with its unit.
Event in the same step: offer_expired.
Reply: "expired" | "stale" (nothing pending: the deadline is dropped) | "not_due" (the deadline is put
       back at the offer's own)
]]
-- @include "keys"
-- @include "guard"
-- @include "assignment"
-- @include "offer"
local ticket, tprefix, aprefix, now_ms = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
need(KEYS[1], "zset")
need(KEYS[2], "hash")
need(KEYS[3], "zset")
need(KEYS[4], "zset")
need(KEYS[5], "stream")
check_ticket(tprefix, aprefix, ticket)
local t = redis.call("HMGET", KEYS[2], "offer_status", "offer_expires_ms", "incident_id")
if t[1] ~= "pending" then
  redis.call("ZREM", KEYS[1], ticket)
  return "stale"
end
if t[3] and t[3] ~= "" then
  release_charge(tprefix, aprefix, ticket)
  redis.call("ZREM", KEYS[1], ticket)
  return "stale"
end
local deadline = tonumber(t[2] or "0")
if deadline > tonumber(now_ms) then
  redis.call("ZADD", KEYS[1], deadline, ticket)
  return "not_due"
end
local agent = decline_offer(tprefix, aprefix, ticket, "expired", KEYS[1], KEYS[4], KEYS[3])
emit(KEYS[5], "offer_expired", {ticket_id = ticket, agent_id = agent})
return "expired"
