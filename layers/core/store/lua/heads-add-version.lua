--[[
heads-add-version: store a retrained candidate as the next version ("v2", "v3", …), promoted or not, and — when
  the guard promoted it — make it the active version in the same step. A promotion holds only against the
  version the guard compared the candidate with: if another version became active meanwhile (a rollback, a
  concurrent retrain), the candidate is stored unpromoted with a reason saying so. Events go to the outbox in the
  same step: heads_retrained {version, promoted, reasons, metrics}, and when activated model_version_activated
  {version, previous}.
KEYS[1] retrained-versions counter   KEYS[2] versions zset   KEYS[3] active version (string)   KEYS[4] outbox stream
ARGV[1] version key prefix (a version's hash is prefix .. enc(id), its weights that .. ":weights")
ARGV[2] heads JSON   ARGV[3] metrics JSON   ARGV[4] source ("retrained" | "shipped")   ARGV[5] created_at ISO
ARGV[6] "1" promote | "0" keep   ARGV[7] the guard's reasons, JSON array of strings   ARGV[8] corrections trained on
ARGV[9] C chosen, JSON   ARGV[10] the version the guard compared with (based_on)   ARGV[11] the event's metrics summary, JSON
Validates before writing: every JSON argument decodes (heads, metrics, C, summary to objects, reasons to an array),
source and the promote flag are known values, corrections is a non-negative integer, created_at and based_on are
not empty; the counter is a number and every key holds its type.
Reply: {version, promoted 1|0, previous active version ("" if none), final reasons JSON}
]]
-- @include "keys"
-- @include "guard"
local function decoded(name, raw, want_array)
  local ok, value = pcall(cjson.decode, raw)
  if not ok or type(value) ~= "table" then error({err = "ERR " .. name .. " must be JSON " .. (want_array and "array" or "object")}) end
  return value
end
decoded("heads", ARGV[2])
decoded("metrics", ARGV[3])
local reasons = decoded("reasons", ARGV[7], true)
decoded("c", ARGV[9])
decoded("summary", ARGV[11])
for _, r in ipairs(reasons) do
  if type(r) ~= "string" then error({err = "ERR reasons must be strings"}) end
end
if ARGV[4] ~= "retrained" and ARGV[4] ~= "shipped" then error({err = "ERR source must be retrained or shipped"}) end
if ARGV[6] ~= "1" and ARGV[6] ~= "0" then error({err = "ERR promote must be 1 or 0"}) end
if not (ARGV[8] == "0" or string.match(ARGV[8], "^[1-9]%d*$")) then error({err = "ERR corrections must be a non-negative integer"}) end
if ARGV[5] == "" then error({err = "ERR created_at must not be empty"}) end
if ARGV[10] == "" then error({err = "ERR based_on must not be empty"}) end

need(KEYS[1], "string")
need(KEYS[2], "zset")
need(KEYS[3], "string")
need(KEYS[4], "stream")
local seq = redis.call("GET", KEYS[1]) or "0"
if not string.match(seq, "^%d+$") then error({err = "ERR " .. KEYS[1] .. " is not a number"}) end
-- v1 is the shipped heads: the counter counts retrained versions, the first of which is v2.
local number = tonumber(seq) + 2
local id = "v" .. number
local vkey = ARGV[1] .. enc(id)
local wkey = vkey .. ":weights"
need(vkey, "hash")
need(wkey, "string")
if redis.call("EXISTS", vkey, wkey) > 0 or redis.call("ZSCORE", KEYS[2], id) then
  error({err = "ERR version " .. id .. " already exists"})
end

local previous = redis.call("GET", KEYS[3]) or ""
local promoted = ARGV[6] == "1"
if promoted and previous ~= "" and previous ~= ARGV[10] then
  promoted = false
  table.insert(reasons, "the active version changed from " .. ARGV[10] .. " to " .. previous ..
    " while this candidate was trained: it was not compared with " .. previous .. " and is not activated")
end
local reasons_json = #reasons == 0 and "[]" or cjson.encode(reasons)

redis.call("SET", KEYS[1], tostring(number - 1))
redis.call("SET", wkey, ARGV[2])
redis.call("HSET", vkey, "version", id, "source", ARGV[4], "created_at", ARGV[5], "promoted", promoted and "1" or "0",
  "reasons", reasons_json, "corrections", ARGV[8], "c", ARGV[9], "based_on", ARGV[10], "metrics", ARGV[3])
redis.call("ZADD", KEYS[2], number, id)
if promoted then redis.call("SET", KEYS[3], id) end

-- Event data is built as JSON text here: cjson would turn an empty reasons list into {}.
local function emit(type, data)
  redis.call("XADD", KEYS[4], "*", "type", type, "data", data)
end
emit("heads_retrained", '{"version":' .. cjson.encode(id) .. ',"promoted":' .. tostring(promoted) ..
  ',"reasons":' .. reasons_json .. ',"corrections":' .. ARGV[8] .. ',"metrics":' .. ARGV[11] .. '}')
if promoted then
  emit("model_version_activated", cjson.encode({version = id, previous = previous ~= "" and previous or cjson.null, activated_at = ARGV[5]}))
end
return {id, promoted and 1 or 0, previous, reasons_json}
