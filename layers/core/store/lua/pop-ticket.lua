--[[
pop-ticket: take the most urgent ticket (earliest among equals) off the queue, atomically, and give back
the capacity unit it held with its agent (the popped ticket keeps agent_id, as a record of who had it).
KEYS[1] queue zset   KEYS[2] counters hash   KEYS[3] assignments zset   KEYS[4] backlog zset
ARGV[1] ticket key prefix   ARGV[2] now (ISO 8601)   ARGV[3] ttl seconds for the popped ticket
ARGV[4] agent key prefix
Reply: flat HGETALL of the popped ticket | {} when the queue is empty
]]
-- @include "assignment"
while true do
  local top = redis.call("ZPOPMAX", KEYS[1])
  if #top == 0 then return {} end
  local id = top[1]
  local key = ARGV[1] .. id
  -- A member whose ticket hash is gone (cleared by hand) is dropped rather than served half-empty.
  if redis.call("EXISTS", key) == 1 then
    release_charge(ARGV[1], ARGV[4], id)
    local agent = redis.call("HGET", key, "agent_id")
    if agent and agent ~= "" then redis.call("SREM", ARGV[4] .. agent .. ":tickets", id) end
    redis.call("ZREM", KEYS[3], id)
    redis.call("ZREM", KEYS[4], id)
    redis.call("HSET", key, "status", "popped", "popped_at", ARGV[2])
    redis.call("EXPIRE", key, tonumber(ARGV[3]))
    redis.call("HINCRBY", KEYS[2], "tickets_popped_total", 1)
    return redis.call("HGETALL", key)
  end
end
