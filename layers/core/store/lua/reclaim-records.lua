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
-- @include "reclaim"
need(KEYS[1], "stream")
need(KEYS[2], "stream")
return reclaim(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], {}, true)
