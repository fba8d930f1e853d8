--[[
correction-changes: what changed among the corrections since a reader's last look, for a process's in-memory
copy of their embeddings (services/correction-vectors.ts). A correction recorded, replaced or given its
embedding takes a new change seq; dropped ones are not listed: they are the oldest, so a reader forgets every
correction whose record seq is below the smallest one left. Read-only.
KEYS[1] changes zset (ticket id → change seq)   KEYS[2] order zset (ticket id → record seq)
KEYS[3] embeddings hash
ARGV[1] after change seq (exclusive; 0 = everything)   ARGV[2] count
Reply: {smallest record seq | "" (none left), ticket id, record seq, change seq, embedding | "", …}
]]
local first = redis.call("ZRANGE", KEYS[2], 0, 0, "WITHSCORES")
local out = {first[2] or ""}
local ids = redis.call("ZRANGEBYSCORE", KEYS[1], "(" .. ARGV[1], "+inf", "WITHSCORES", "LIMIT", 0, tonumber(ARGV[2]))
for i = 1, #ids, 2 do
  table.insert(out, ids[i])
  table.insert(out, redis.call("ZSCORE", KEYS[2], ids[i]) or "")
  table.insert(out, ids[i + 1])
  table.insert(out, redis.call("HGET", KEYS[3], ids[i]) or "")
end
return out
