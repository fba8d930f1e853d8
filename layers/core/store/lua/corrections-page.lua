--[[
corrections-page: one page of the corrections, oldest first (by the seq each got when it was last recorded),
starting strictly after a seq, so a reader pages through all of them whatever is added meanwhile. Read-only.
KEYS[1] order zset (ticket id → record seq)   KEYS[2] corrections hash   KEYS[3] embeddings hash
ARGV[1] after seq (exclusive; 0 = from the oldest)   ARGV[2] count
Reply: {seq, record JSON, embedding | "", …} three per correction
]]
local out = {}
local ids = redis.call("ZRANGEBYSCORE", KEYS[1], "(" .. ARGV[1], "+inf", "WITHSCORES", "LIMIT", 0, tonumber(ARGV[2]))
for i = 1, #ids, 2 do
  table.insert(out, ids[i + 1])
  table.insert(out, redis.call("HGET", KEYS[2], ids[i]) or "")
  table.insert(out, redis.call("HGET", KEYS[3], ids[i]) or "")
end
return out
