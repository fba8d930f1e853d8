--[[
outbox-append: add events to the outbox, the durable log every event passes through (DESIGN §3).
  The outbox is never trimmed by length: an entry leaves when every consumer group has acknowledged it
  (outbox-ack), so nothing a target has not handled can be cut off.
KEYS[1] outbox stream
ARGV    type1, data1 (JSON), type2, data2, …
Reply: {id, …} the entries' ids, which are the events' ids
Validates before writing: the outbox is a stream (or absent).
]]
-- @include "guard"
need(KEYS[1], "stream")
local ids = {}
for i = 1, #ARGV, 2 do
  ids[#ids + 1] = redis.call("XADD", KEYS[1], "*", "type", ARGV[i], "data", ARGV[i + 1])
end
return ids
