--[[
window-append: log tickets' dedup vectors and drop what has left the window.
  The log is the dedup window: its entry ids are Redis times, so trimming by MINID is trimming by age.
  Workers mirror it incrementally (XRANGE after the last id they saw). dedup-apply logs its links here too
  (entries i = incident, m = JSON array of ticket ids), so a mirror knows which window tickets are in which
  incident.
KEYS[1] dedup log stream
ARGV[1] window ms (entries older than now - window - 60 s are trimmed; the slack keeps a slow reader whole)
ARGV[2..] per ticket: ticket id, space ("semantic" | "lexical"), packed vector (the embedding when the model
          scored the ticket, else its lexical signature), packed lexical signature ("" when none: the ticket
          has no other signature than v)
Reply: id of the last entry added
Validates before writing: the log is a stream (or absent).
]]
-- @include "guard"
need(KEYS[1], "stream")
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local last = ""
for i = 2, #ARGV, 4 do
  if ARGV[i + 3] ~= "" then
    last = redis.call("XADD", KEYS[1], "*", "t", ARGV[i], "s", ARGV[i + 1], "v", ARGV[i + 2], "l", ARGV[i + 3])
  else
    last = redis.call("XADD", KEYS[1], "*", "t", ARGV[i], "s", ARGV[i + 1], "v", ARGV[i + 2])
  end
end
redis.call("XTRIM", KEYS[1], "MINID", "~", now - tonumber(ARGV[1]) - 60000)
return last
