--[[
clear-queue: empty the urgency queue, every assignment, every pending offer and the backlog: loads go back to
0 and open incidents lose their owner. The tickets keep their records but leave the queue (a pending offer
ends "withdrawn"; the deadlines left behind are dropped by the sweep).
KEYS[1] queue zset   KEYS[2] agents set   KEYS[3] assignments zset   KEYS[4] backlog zset
KEYS[5] open incidents set
ARGV[1] ticket key prefix   ARGV[2] ttl seconds   ARGV[3] agent key prefix   ARGV[4] incident key prefix
Validates before writing: the five keys, every queued ticket's hash, every agent's hash, ticket set and
offers zset, every open incident's hash.
Reply: number of tickets removed from the queue
]]
-- @include "keys"
-- @include "guard"
-- @include "assignment"
need(KEYS[1], "zset")
need(KEYS[2], "set")
need(KEYS[3], "zset")
need(KEYS[4], "zset")
need(KEYS[5], "set")
local ids = redis.call("ZRANGE", KEYS[1], 0, -1)
local agents = redis.call("SMEMBERS", KEYS[2])
local incidents = redis.call("SMEMBERS", KEYS[5])
for _, id in ipairs(ids) do need(ARGV[1] .. enc(id), "hash") end
for _, agent in ipairs(agents) do
  need(ARGV[3] .. enc(agent), "hash")
  need(tickets_of(ARGV[3], agent), "set")
  need(offers_of(ARGV[3], agent), "zset")
end
for _, inc in ipairs(incidents) do need(ARGV[4] .. enc(inc), "hash") end

for _, id in ipairs(ids) do
  local key = ARGV[1] .. enc(id)
  redis.call("HDEL", key, "agent_id", "charged", "assigned_at")
  if redis.call("HGET", key, "offer_status") == "pending" then redis.call("HSET", key, "offer_status", "withdrawn") end
  redis.call("EXPIRE", key, tonumber(ARGV[2]))
end
for _, agent in ipairs(agents) do
  redis.call("HSET", ARGV[3] .. enc(agent), "current_load", 0)
  redis.call("DEL", tickets_of(ARGV[3], agent), offers_of(ARGV[3], agent))
end
for _, inc in ipairs(incidents) do
  redis.call("HDEL", ARGV[4] .. enc(inc), "agent_id")
end
redis.call("DEL", KEYS[1], KEYS[3], KEYS[4])
return #ids
