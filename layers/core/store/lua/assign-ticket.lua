--[[
assign-ticket: reserve one unit of an agent's capacity for a processed ticket (check + increment + record,
atomically, so two workers never overbook an agent).
KEYS[1] agent hash   KEYS[2] ticket hash   KEYS[3] assignments zset   KEYS[4] backlog zset
ARGV[1] ticket id   ARGV[2] agent id   ARGV[3] ticket key prefix   ARGV[4] agent key prefix
ARGV[5] now ms   ARGV[6] now ISO
Validates before writing: the ticket, agent, agents' ticket sets, assignments and backlog hold their types.
Reply: 1 assigned | 0 the agent cannot take it (offline, full, unknown) | -1 the ticket is not assignable
       (not waiting in the queue, already assigned, on offer to someone, or part of a master incident)
]]
-- @include "keys"
-- @include "guard"
-- @include "assignment"
need(KEYS[3], "zset")
need(KEYS[4], "zset")
check_ticket(ARGV[3], ARGV[4], ARGV[1])
check_agent(ARGV[4], ARGV[2])
local t = redis.call("HMGET", KEYS[2], "status", "agent_id", "incident_id", "offer_status")
if t[1] ~= "processed" or (t[2] and t[2] ~= "") or (t[3] and t[3] ~= "") or t[4] == "pending" then
  redis.call("ZREM", KEYS[4], backlog_ticket(ARGV[1]))
  return -1
end
if not agent_can_take(KEYS[1]) then return 0 end
redis.call("HINCRBY", KEYS[1], "current_load", 1)
record_assignment(ARGV[3], ARGV[4], KEYS[3], ARGV[1], ARGV[2], "1", ARGV[5], ARGV[6])
redis.call("ZREM", KEYS[4], backlog_ticket(ARGV[1]))
return 1
