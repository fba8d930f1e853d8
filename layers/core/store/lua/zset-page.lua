--[[
zset-page: one page of a sorted set in ZREVRANGE order (score high → low, equal scores member high → low
by bytes), starting strictly after a position. The position is the last (score, member) a reader saw, not
an offset, so members added or removed meanwhile do not shift the page: each member present throughout is
seen exactly once. Read-only.
KEYS[1] sorted set
ARGV[1] count   ARGV[2] after score (as Redis printed it; "" = from the top)   ARGV[3] after member
Reply: {member, score, member, score, …} at most count pairs
]]
local n = tonumber(ARGV[1])
if ARGV[2] == "" then return redis.call("ZREVRANGE", KEYS[1], 0, n - 1, "WITHSCORES") end
-- memcmp order, as Redis orders equal scores (Lua's "<" follows the server's collation locale).
local function before(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end
local out = {}
local ties = redis.call("ZREVRANGEBYSCORE", KEYS[1], ARGV[2], ARGV[2], "WITHSCORES")
for i = 1, #ties, 2 do
  if #out >= 2 * n then break end
  if before(ties[i], ARGV[3]) then
    table.insert(out, ties[i]); table.insert(out, ties[i + 1])
  end
end
local left = n - #out / 2
if left > 0 then
  local rest = redis.call("ZREVRANGEBYSCORE", KEYS[1], "(" .. ARGV[2], "-inf", "WITHSCORES", "LIMIT", 0, left)
  for i = 1, #rest do table.insert(out, rest[i]) end
end
return out
