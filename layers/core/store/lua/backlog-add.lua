--[[
backlog-add: put work nobody can take now into the urgency-ordered backlog — only if it is still waiting.
  Routing's status check and the insert are one step, so a ticket popped, assigned or linked between
  routing's read and this call is never added (the backlog would keep a stale member for good).
  ticket:   added as "t:<id>" while the ticket is processed, unassigned and in no incident.
  incident: added as "i:<id>" while the incident is open and has no owner.
KEYS[1] backlog zset   KEYS[2] ticket hash (ticket) | incident hash (incident)
ARGV[1] "ticket" | "incident"   ARGV[2] ticket or incident id   ARGV[3] score
Validates before writing: the backlog is a zset, the record a hash.
Reply: 1 in the backlog now (added, or already there) | 0 no longer waiting: nothing written
]]
-- @include "keys"
-- @include "guard"
need(KEYS[1], "zset")
need(KEYS[2], "hash")
local h = redis.call("HMGET", KEYS[2], "status", "agent_id", "incident_id")
local owned = h[2] and h[2] ~= ""
local member
if ARGV[1] == "ticket" then
  if h[1] ~= "processed" or owned or (h[3] and h[3] ~= "") then return 0 end
  member = backlog_ticket(ARGV[2])
else
  if h[1] ~= "open" or owned then return 0 end
  member = backlog_incident(ARGV[2])
end
redis.call("ZADD", KEYS[1], "NX", ARGV[3], member)
return 1
