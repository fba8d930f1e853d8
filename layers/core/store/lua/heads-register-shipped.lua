--[[
heads-register-shipped: record the shipped heads (layers/models/heads.json) as version "v1", once.
  Every process that needs the versions may call it (the first use of learning in a deployment); only the first
  call writes, the others find v1 there and change nothing. v1 becomes the active version unless one already is.
KEYS[1] versions zset   KEYS[2] active version (string)
ARGV[1] version key prefix (the version's hash is prefix .. enc("v1"), its weights that .. ":weights")
ARGV[2] heads JSON   ARGV[3] metrics JSON ({"heldout": {…}})   ARGV[4] created_at ISO
Validates before writing: both JSON arguments decode to objects, created_at is not empty; the zset, the active
key, the hash and the weights key hold their types.
Reply: 1 registered now | 0 already registered
]]
-- @include "keys"
-- @include "guard"
local vkey = ARGV[1] .. enc("v1")
local wkey = vkey .. ":weights"
need(KEYS[1], "zset")
need(KEYS[2], "string")
need(vkey, "hash")
need(wkey, "string")
if redis.call("ZSCORE", KEYS[1], "v1") then return 0 end
local function object(name, raw)
  local ok, value = pcall(cjson.decode, raw)
  if not ok or type(value) ~= "table" then error({err = "ERR " .. name .. " must be a JSON object"}) end
end
object("heads", ARGV[2])
object("metrics", ARGV[3])
if ARGV[4] == "" then error({err = "ERR created_at must not be empty"}) end
redis.call("SET", wkey, ARGV[2])
redis.call("HSET", vkey, "version", "v1", "source", "shipped", "created_at", ARGV[4], "promoted", "1",
  "reasons", "[]", "corrections", "0", "c", "", "based_on", "", "metrics", ARGV[3])
redis.call("ZADD", KEYS[1], 1, "v1")
redis.call("SET", KEYS[2], "v1", "NX")
return 1
