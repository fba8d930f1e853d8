--[[
agent-next: the most urgent ticket an agent has now, in the queue's own order (score high → low, equal scores
member high → low by bytes, as ZREVRANGE). Read-only.
KEYS[1] the agent's ticket set   KEYS[2] queue zset
ARGV[1] ticket key prefix
Reply: flat HGETALL of that ticket | {} when none of the agent's tickets waits in the queue
]]
-- @include "keys"
-- memcmp order, as Redis orders equal scores (Lua's "<" follows the server's collation locale).
local function before(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end
local best, best_score = nil, nil
for _, id in ipairs(redis.call("SMEMBERS", KEYS[1])) do
  local s = redis.call("ZSCORE", KEYS[2], id)
  if s then
    s = tonumber(s)
    if not best or s > best_score or (s == best_score and before(best, id)) then best, best_score = id, s end
  end
end
if not best then return {} end
return redis.call("HGETALL", ARGV[1] .. enc(best))
