--[[
resolve-incident: mark an open incident resolved; it takes no new links from now on, and its owner gets
back the unit of capacity the incident held.
KEYS[1] incident hash   KEYS[2] open incidents set   KEYS[3] incidents version counter
ARGV[1] incident id   ARGV[2] now ISO   ARGV[3] agent key prefix
Validates before writing: the incident hash, the open set, the version counter, the owner's hash.
Reply: 1 resolved now | 0 already resolved | -1 no such incident
]]
-- @include "keys"
-- @include "guard"
need(KEYS[1], "hash")
need(KEYS[2], "set")
need(KEYS[3], "string")
local status = redis.call("HGET", KEYS[1], "status")
if not status then return -1 end
if status == "resolved" then return 0 end
local owner = redis.call("HGET", KEYS[1], "agent_id")
local akey = nil
if owner and owner ~= "" then
  akey = ARGV[3] .. enc(owner)
  need(akey, "hash")
  need_number(akey, "current_load")
end
redis.call("HSET", KEYS[1], "status", "resolved", "resolved_at", ARGV[2], "updated_at", ARGV[2])
redis.call("SREM", KEYS[2], ARGV[1])
redis.call("INCR", KEYS[3])
if akey then
  local load = tonumber(redis.call("HGET", akey, "current_load") or "0")
  if load > 0 then redis.call("HSET", akey, "current_load", load - 1) end
end
return 1
