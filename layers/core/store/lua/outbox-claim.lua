--[[
outbox-claim: the next events for one consumer of one group (a bus target, or the EventBridge relay).
  Creates the group on first use and again after Redis lost it (a restart without persistence): it starts at
  the beginning of the outbox, which only ever holds events some group still needs. First the group's events
  that a consumer took but did not acknowledge within the visibility timeout (it died, or failed): claimed for
  this consumer, their delivery count up by one; those past max deliveries go to the dead-letter stream with
  the group's name and leave the group. Then new events.
KEYS[1] outbox stream   KEYS[2] dead-letter stream
ARGV[1] group   ARGV[2] consumer   ARGV[3] visibility timeout ms   ARGV[4] count   ARGV[5] max deliveries
Reply: {{id, {field, value, …}, deliveries}, …}
Validates before writing: both keys are streams (or absent).
]]
-- @include "guard"
-- @include "reclaim"
need(KEYS[1], "stream")
need(KEYS[2], "stream")
local created = redis.pcall("XGROUP", "CREATE", KEYS[1], ARGV[1], "0", "MKSTREAM")
if type(created) == "table" and created.err and not string.find(created.err, "BUSYGROUP", 1, true) then
  return redis.error_reply(created.err)
end
local count = tonumber(ARGV[4])
-- Dead letters keep the entry in the outbox (other groups may still need it) and say which group gave up.
local out = reclaim(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], count, ARGV[5], {"group", ARGV[1]}, false)
if #out < count then
  local fresh = redis.call("XREADGROUP", "GROUP", ARGV[1], ARGV[2], "COUNT", count - #out, "STREAMS", KEYS[1], ">")
  if fresh then
    for _, entry in ipairs(fresh[1][2]) do out[#out + 1] = {entry[1], entry[2], 1} end
  end
end
return out
