--[[
join-incident-owner: record a processed ticket of an owned master incident to the incident's owner, without a
unit of capacity. Needed when the owner was chosen while this ticket was still being classified elsewhere
(assign-incident records only the tickets already processed then).
KEYS[1] ticket hash   KEYS[2] incident hash   KEYS[3] assignments zset
ARGV[1] ticket id   ARGV[2] ticket key prefix   ARGV[3] agent key prefix   ARGV[4] now ms   ARGV[5] now ISO
Validates before writing: ticket, incident, assignments, the owner's and the ticket's agent keys.
Reply: the owner's agent id | "" when there is nothing to record
]]
-- @include "keys"
-- @include "guard"
-- @include "assignment"
need(KEYS[2], "hash")
need(KEYS[3], "zset")
check_ticket(ARGV[2], ARGV[3], ARGV[1])
local t = redis.call("HMGET", KEYS[1], "status", "agent_id")
local owner = redis.call("HGET", KEYS[2], "agent_id")
if t[1] ~= "processed" or (t[2] and t[2] ~= "") or not owner or owner == "" then return "" end
check_agent(ARGV[3], owner)
record_assignment(ARGV[2], ARGV[3], KEYS[3], ARGV[1], owner, "0", ARGV[4], ARGV[5])
return owner
