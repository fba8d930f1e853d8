--[[
outbox-ack: a group has handled these events; each one no group still needs leaves the outbox.
  An entry is still needed by a group that has it pending, or that has not read that far yet.
KEYS[1] outbox stream
ARGV[1] group   ARGV[2..] entry ids
Reply: number of entries deleted from the outbox
Validates before writing: the outbox is a stream (or absent).
]]
-- @include "guard"
need(KEYS[1], "stream")
local ids = {}
for i = 2, #ARGV do ids[#ids + 1] = ARGV[i] end
if #ids == 0 then return 0 end
redis.call("XACK", KEYS[1], ARGV[1], unpack(ids))

-- Stream ids compare as (milliseconds, sequence).
local function split(id)
  local ms, seq = string.match(id, "^(%d+)-(%d+)$")
  return tonumber(ms), tonumber(seq)
end
local function after(a, b)
  local am, as = split(a)
  local bm, bs = split(b)
  return am > bm or (am == bm and as > bs)
end

local groups = {}
for _, g in ipairs(redis.call("XINFO", "GROUPS", KEYS[1])) do
  local info = {}
  for i = 1, #g, 2 do info[g[i]] = g[i + 1] end
  groups[#groups + 1] = info
end
local deleted = 0
for _, id in ipairs(ids) do
  local needed = false
  for _, g in ipairs(groups) do
    if after(id, g["last-delivered-id"]) or #redis.call("XPENDING", KEYS[1], g.name, id, id, 1) > 0 then
      needed = true
      break
    end
  end
  if not needed then deleted = deleted + redis.call("XDEL", KEYS[1], id) end
end
return deleted
