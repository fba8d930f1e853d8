--[[
pop-ticket: take the most urgent ticket (earliest among equals) off the queue, atomically, and give back
the capacity unit it held with its agent (the popped ticket keeps agent_id, as a record of who had it); a
pending offer is withdrawn with its unit (its deadline is dropped by the sweep).
KEYS[1] queue zset   KEYS[2] counters hash   KEYS[3] assignments zset   KEYS[4] backlog zset
ARGV[1] ticket key prefix   ARGV[2] now (ISO 8601)   ARGV[3] ttl seconds for the popped ticket
ARGV[4] agent key prefix
Validates before writing: the top member is only read (ZREVRANGE) while every key the pop touches is
checked — queue, counters, assignments, backlog, the ticket's hash, its agent's hash and ticket set — and
only then removed. A member whose ticket hash is gone is dropped (that removal is complete on its own).
Reply: flat HGETALL of the popped ticket | {} when the queue is empty
]]
-- @include "keys"
-- @include "guard"
-- @include "assignment"
need(KEYS[1], "zset")
need(KEYS[2], "hash")
need_number(KEYS[2], "tickets_popped_total")
need(KEYS[3], "zset")
need(KEYS[4], "zset")
while true do
  local top = redis.call("ZREVRANGE", KEYS[1], 0, 0)
  if #top == 0 then return {} end
  local id = top[1]
  local key = ARGV[1] .. enc(id)
  if redis.call("EXISTS", key) == 1 then
    check_ticket(ARGV[1], ARGV[4], id)
    redis.call("ZREM", KEYS[1], id)
    release_charge(ARGV[1], ARGV[4], id)
    local agent = redis.call("HGET", key, "agent_id")
    if agent and agent ~= "" then redis.call("SREM", tickets_of(ARGV[4], agent), id) end
    redis.call("ZREM", KEYS[3], id)
    redis.call("ZREM", KEYS[4], backlog_ticket(id))
    redis.call("HSET", key, "status", "popped", "popped_at", ARGV[2])
    redis.call("EXPIRE", key, tonumber(ARGV[3]))
    redis.call("HINCRBY", KEYS[2], "tickets_popped_total", 1)
    return redis.call("HGETALL", key)
  end
  -- A member whose ticket hash is gone (cleared by hand) is dropped rather than served half-empty.
  redis.call("ZREM", KEYS[1], id)
end
