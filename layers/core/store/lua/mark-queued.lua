--[[
mark-queued: note that the intake records of these tickets reached the queue, so replays stop resending.
KEYS[i] ticket hash.   ARGV: none.
Reply: number of tickets marked (a ticket already gone is skipped).
Validates before writing: every key is a hash (or gone).
]]
-- @include "guard"
for i = 1, #KEYS do need(KEYS[i], "hash") end
local marked = 0
for i = 1, #KEYS do
  if redis.call("EXISTS", KEYS[i]) == 1 then
    redis.call("HSET", KEYS[i], "queued", "1")
    marked = marked + 1
  end
end
return marked
