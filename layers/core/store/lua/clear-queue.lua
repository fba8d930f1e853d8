--[[
clear-queue: empty the urgency queue; the tickets it held keep their records but leave the queue.
KEYS[1] queue zset
ARGV[1] ticket key prefix   ARGV[2] ttl seconds
Reply: number of tickets removed
]]
local ids = redis.call("ZRANGE", KEYS[1], 0, -1)
for _, id in ipairs(ids) do
  redis.call("EXPIRE", ARGV[1] .. id, tonumber(ARGV[2]))
end
redis.call("DEL", KEYS[1])
return #ids
