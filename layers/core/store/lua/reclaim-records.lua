--[[
reclaim-records: hand records whose consumer went silent to another consumer; dead-letter the hopeless.
  A record pending longer than the visibility timeout is claimed for the caller (its delivery count goes
  up by one, as an SQS receive does). One delivered more than max-receives times moves to the dead-letter
  stream instead, with its original id and delivery count, and leaves the group.
KEYS[1] intake stream   KEYS[2] dead-letter stream
ARGV[1] group   ARGV[2] consumer   ARGV[3] min idle ms   ARGV[4] count   ARGV[5] max receives
Reply: {{id, {field, value, …}, deliveries}, …} claimed for the caller
Validates before writing (XAUTOCLAIM is a write): both keys are streams (or absent).
]]
-- @include "guard"
need(KEYS[1], "stream")
need(KEYS[2], "stream")
local claimed = redis.call("XAUTOCLAIM", KEYS[1], ARGV[1], ARGV[2], ARGV[3], "0-0", "COUNT", ARGV[4])[2]
local out = {}
for _, entry in ipairs(claimed) do
  local id, fields = entry[1], entry[2]
  local deliveries = redis.call("XPENDING", KEYS[1], ARGV[1], id, id, 1)[1][4]
  if deliveries > tonumber(ARGV[5]) then
    local dead = {"original_id", id, "deliveries", deliveries}
    for i = 1, #fields do table.insert(dead, fields[i]) end
    redis.call("XADD", KEYS[2], "*", unpack(dead))
    redis.call("XACK", KEYS[1], ARGV[1], id)
    redis.call("XDEL", KEYS[1], id)
  else
    table.insert(out, {id, fields, deliveries})
  end
end
return out
