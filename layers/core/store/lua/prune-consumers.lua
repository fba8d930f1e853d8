--[[
prune-consumers: remove consumers that are gone from a stream's consumer group, never one holding records.
  A consumer with nothing pending is removed when it is the caller leaving (graceful stop), or when it has not
  read for longer than the idle limit (its process died). One with pending records stays: they are reclaimed
  by a live consumer first, and DELCONSUMER would drop them from the group.
KEYS[1] stream
ARGV[1] group   ARGV[2] the leaving consumer ("" for none)   ARGV[3] idle limit ms
Reply: number of consumers removed
Validates before writing: the key is a stream (or absent).
]]
-- @include "guard"
need(KEYS[1], "stream")
local consumers = redis.pcall("XINFO", "CONSUMERS", KEYS[1], ARGV[1])
if type(consumers) ~= "table" or consumers.err then return 0 end -- no stream or no group: nothing to prune
local removed = 0
for _, c in ipairs(consumers) do
  local info = {}
  for i = 1, #c, 2 do info[c[i]] = c[i + 1] end
  local leaving = info.name == ARGV[2]
  if info.pending == 0 and (leaving or info.idle > tonumber(ARGV[3])) then
    redis.call("XGROUP", "DELCONSUMER", KEYS[1], ARGV[1], info.name)
    removed = removed + 1
  end
end
return removed
