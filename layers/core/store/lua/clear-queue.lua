--[[
clear-queue: empty the urgency queue, every assignment and the backlog: loads go back to 0 and open
incidents lose their owner. The tickets keep their records but leave the queue.
KEYS[1] queue zset   KEYS[2] agents set   KEYS[3] assignments zset   KEYS[4] backlog zset
KEYS[5] open incidents set
ARGV[1] ticket key prefix   ARGV[2] ttl seconds   ARGV[3] agent key prefix   ARGV[4] incident key prefix
Reply: number of tickets removed from the queue
]]
local ids = redis.call("ZRANGE", KEYS[1], 0, -1)
for _, id in ipairs(ids) do
  local key = ARGV[1] .. id
  redis.call("HDEL", key, "agent_id", "charged", "assigned_at")
  redis.call("EXPIRE", key, tonumber(ARGV[2]))
end
for _, agent in ipairs(redis.call("SMEMBERS", KEYS[2])) do
  redis.call("HSET", ARGV[3] .. agent, "current_load", 0)
  redis.call("DEL", ARGV[3] .. agent .. ":tickets")
end
for _, inc in ipairs(redis.call("SMEMBERS", KEYS[5])) do
  redis.call("HDEL", ARGV[4] .. inc, "agent_id")
end
redis.call("DEL", KEYS[1], KEYS[3], KEYS[4])
return #ids
