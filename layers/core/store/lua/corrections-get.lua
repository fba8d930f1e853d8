--[[
corrections-get: the corrections of some tickets, with their embeddings if asked. Read-only.
KEYS[1] corrections hash (ticket id → record JSON)   KEYS[2] embeddings hash (ticket id → base64 float32)
ARGV[1] "1" = with embeddings, "0" = records only   ARGV[2..] ticket ids
Reply: {record JSON | "", embedding | "", …} two per id, in ARGV order ("" = none)
]]
local out = {}
for i = 2, #ARGV do
  table.insert(out, redis.call("HGET", KEYS[1], ARGV[i]) or "")
  table.insert(out, ARGV[1] == "1" and (redis.call("HGET", KEYS[2], ARGV[i]) or "") or "")
end
return out
