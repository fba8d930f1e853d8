--[[
store-processed: record a classified ticket and put it in the urgency queue, exactly once.
  Delivery is at-least-once, so two workers may classify the same ticket; only the first to get here
  (status still "accepted") stores it, and only that one is told to emit events.
KEYS[1] ticket hash   KEYS[2] queue zset   KEYS[3] counters hash
ARGV[1] ticket id   ARGV[2] queue score   ARGV[3..] field, value pairs of the classification
Reply: 1 stored and queued | 0 already processed (or popped) | -1 no such ticket
]]
local status = redis.call("HGET", KEYS[1], "status")
if not status then return -1 end
if status ~= "accepted" then return 0 end
local fields = {"status", "processed"}
for i = 3, #ARGV do table.insert(fields, ARGV[i]) end
redis.call("HSET", KEYS[1], unpack(fields))
-- A queued ticket lives until it is popped: an expiring hash would leave a dangling queue member.
redis.call("PERSIST", KEYS[1])
redis.call("ZADD", KEYS[2], ARGV[2], ARGV[1])
redis.call("HINCRBY", KEYS[3], "tickets_processed_total", 1)
return 1
