--[[
window-append: log tickets' dedup vectors and drop what has left the window.
  The log is the dedup window: its entry ids are Redis times, so trimming by MINID is trimming by age.
  Workers mirror it incrementally (XRANGE after the last id they saw).
KEYS[1] dedup log stream
ARGV[1] window ms (entries older than now - window - 60 s are trimmed; the slack keeps a slow reader whole)
ARGV[2..] per ticket: ticket id, space ("semantic" | "lexical"), packed vector
Reply: id of the last entry added
Validates before writing: the log is a stream (or absent).
]]
-- @include "guard"
need(KEYS[1], "stream")
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local last = ""
for i = 2, #ARGV, 3 do
  last = redis.call("XADD", KEYS[1], "*", "t", ARGV[i], "s", ARGV[i + 1], "v", ARGV[i + 2])
end
redis.call("XTRIM", KEYS[1], "MINID", "~", now - tonumber(ARGV[1]) - 60000)
return last
