--[[
resolve-incident: mark an open incident resolved; it takes no new links from now on.
KEYS[1] incident hash   KEYS[2] open incidents set   KEYS[3] incidents version counter
ARGV[1] incident id   ARGV[2] now ISO
Reply: 1 resolved now | 0 already resolved | -1 no such incident
]]
local status = redis.call("HGET", KEYS[1], "status")
if not status then return -1 end
if status == "resolved" then return 0 end
redis.call("HSET", KEYS[1], "status", "resolved", "resolved_at", ARGV[2], "updated_at", ARGV[2])
redis.call("SREM", KEYS[2], ARGV[1])
redis.call("INCR", KEYS[3])
return 1
