--[[
assign-incident: make an agent the owner of a master incident, for one unit of capacity; every ticket of
the incident is recorded to the owner without a unit of its own, and tickets that held a unit with some
agent give it back (a pending offer of one is withdrawn). Incidents are never offered: the owner has it at
once, offers or not (README "Offers and finishing work").
KEYS[1] incident hash   KEYS[2] agent hash   KEYS[3] assignments zset   KEYS[4] backlog zset
KEYS[5] incident tickets list
ARGV[1] incident id   ARGV[2] agent id   ARGV[3] ticket key prefix   ARGV[4] agent key prefix
ARGV[5] now ms   ARGV[6] now ISO
Validates before writing: the incident, its ticket list, the agent, every ticket of the incident and the
agents they hold units with.
Reply: 1 assigned | 0 the agent cannot take it | -1 the incident is not assignable (resolved or owned)
]]
-- @include "keys"
-- @include "guard"
-- @include "assignment"
need(KEYS[1], "hash")
need(KEYS[3], "zset")
need(KEYS[4], "zset")
need(KEYS[5], "list")
local i = redis.call("HMGET", KEYS[1], "status", "agent_id")
if i[1] ~= "open" or (i[2] and i[2] ~= "") then
  redis.call("ZREM", KEYS[4], backlog_incident(ARGV[1]))
  return -1
end
check_agent(ARGV[4], ARGV[2])
local tickets = redis.call("LRANGE", KEYS[5], 0, -1)
for _, ticket in ipairs(tickets) do check_ticket(ARGV[3], ARGV[4], ticket) end
if not agent_can_take(KEYS[2]) then return 0 end
redis.call("HINCRBY", KEYS[2], "current_load", 1)
redis.call("HSET", KEYS[1], "agent_id", ARGV[2], "updated_at", ARGV[6])
for _, ticket in ipairs(tickets) do
  if redis.call("HGET", ARGV[3] .. enc(ticket), "status") == "processed" then
    release_charge(ARGV[3], ARGV[4], ticket)
    record_assignment(ARGV[3], ARGV[4], KEYS[3], ticket, ARGV[2], "0", ARGV[5], ARGV[6])
  end
  redis.call("ZREM", KEYS[4], backlog_ticket(ticket))
end
redis.call("ZREM", KEYS[4], backlog_incident(ARGV[1]))
return 1
