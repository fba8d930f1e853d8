--[[
retrain-renew: a worker still running a retrain renews its claim on the jobs it took, so no other worker
  takes them for dead (retrain-claim reclaims a job idle past the timeout). A job another consumer has taken
  meanwhile stays that consumer's.
KEYS[1] retrain-jobs stream
ARGV[1] group   ARGV[2] consumer   ARGV[3..] the jobs' entry ids
Validates before writing: the key is a stream (or absent).
Reply: number of the jobs the consumer still holds
]]
-- @include "guard"
need(KEYS[1], "stream")
local groups = redis.pcall("XINFO", "GROUPS", KEYS[1])
if type(groups) ~= "table" or groups.err then return 0 end
local held = 0
for i = 3, #ARGV do
  local p = redis.call("XPENDING", KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)[1]
  if p and p[2] == ARGV[2] then
    redis.call("XCLAIM", KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], "JUSTID")
    held = held + 1
  end
end
return held
