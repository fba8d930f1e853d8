--[[
correction-embeddings: fills in the embeddings of corrections recorded without one (a worker embedded their
cleaned text). Only an empty slot is filled: a correction that has one keeps it, an unknown or dropped one is
skipped. Each fill is a change, so processes' copies of the embeddings pick it up.
KEYS[1] corrections hash   KEYS[2] embeddings hash   KEYS[3] changes zset   KEYS[4] state hash (seq)
ARGV[1..] ticket id, embedding (base64 float32, not empty), …
Validates before writing: every key's type, the seq a number, the arguments paired and each embedding set.
Reply: the number of embeddings filled in | {"invalid", what} (nothing written)
]]
-- @include "guard"
need(KEYS[1], "hash")
need(KEYS[2], "hash")
need(KEYS[3], "zset")
need(KEYS[4], "hash")
need_number(KEYS[4], "seq")
if #ARGV % 2 ~= 0 then return {"invalid", "ticket ids and embeddings must come in pairs"} end
for i = 2, #ARGV, 2 do
  if ARGV[i] == "" then return {"invalid", "an embedding must not be empty"} end
end
local filled = 0
for i = 1, #ARGV, 2 do
  local id = ARGV[i]
  if redis.call("HEXISTS", KEYS[1], id) == 1 and redis.call("HEXISTS", KEYS[2], id) == 0 then
    redis.call("HSET", KEYS[2], id, ARGV[i + 1])
    redis.call("ZADD", KEYS[3], redis.call("HINCRBY", KEYS[4], "seq", 1), id)
    filled = filled + 1
  end
end
return filled
