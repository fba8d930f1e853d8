--[[
pop-ticket: take the most urgent ticket (earliest among equals) off the queue, atomically.
KEYS[1] queue zset   KEYS[2] counters hash
ARGV[1] ticket key prefix   ARGV[2] now (ISO 8601)   ARGV[3] ttl seconds for the popped ticket
Reply: flat HGETALL of the popped ticket | {} when the queue is empty
]]
while true do
  local top = redis.call("ZPOPMAX", KEYS[1])
  if #top == 0 then return {} end
  local key = ARGV[1] .. top[1]
  -- A member whose ticket hash is gone (cleared by hand) is dropped rather than served half-empty.
  if redis.call("EXISTS", key) == 1 then
    redis.call("HSET", key, "status", "popped", "popped_at", ARGV[2])
    redis.call("EXPIRE", key, tonumber(ARGV[3]))
    redis.call("HINCRBY", KEYS[2], "tickets_popped_total", 1)
    return redis.call("HGETALL", key)
  end
end
