--[[
heads-activate: make a stored heads version the active one (a rollback, or a refused candidate put in by hand).
  Every process follows the active version within seconds (ml/heads-source.ts). The id comes from a request
  path and may hold any character: it is looked up as a member of the versions zset and never becomes a key.
  Activating the version already active changes nothing and sends nothing.
KEYS[1] versions zset   KEYS[2] active version (string)   KEYS[3] outbox stream
ARGV[1] version id   ARGV[2] now ISO
Validates before writing: the zset, the active key and the outbox hold their types.
Reply: {"activated", previous} | {"unchanged", previous} | {"missing", ""} (previous is "" when none was active)
Event (when activated): model_version_activated {version, previous, activated_at}.
]]
-- @include "guard"
need(KEYS[1], "zset")
need(KEYS[2], "string")
need(KEYS[3], "stream")
if not redis.call("ZSCORE", KEYS[1], ARGV[1]) then return {"missing", ""} end
local previous = redis.call("GET", KEYS[2]) or ""
if previous == ARGV[1] then return {"unchanged", previous} end
redis.call("SET", KEYS[2], ARGV[1])
redis.call("XADD", KEYS[3], "*", "type", "model_version_activated", "data",
  cjson.encode({version = ARGV[1], previous = previous ~= "" and previous or cjson.null, activated_at = ARGV[2]}))
return {"activated", previous}
