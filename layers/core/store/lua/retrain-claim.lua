--[[
retrain-claim: the retrain jobs for one worker to run now, all of them in one claim: one retrain covers every
  job waiting. Only one retrain runs at a time across workers: while another consumer holds a job it renewed
  within the timeout (retrain-renew), nothing is claimed and new jobs wait for the next claim after it. A job
  whose consumer went silent past the timeout (its process died) is claimed again, its delivery count up by
  one; past max deliveries it moves to the dead-letter stream and leaves the jobs stream. Creates the consumer
  group on first use (and again after Redis lost it), from the start of the stream.
KEYS[1] retrain-jobs stream   KEYS[2] dead-letter stream
ARGV[1] group   ARGV[2] consumer   ARGV[3] timeout ms   ARGV[4] max deliveries
Validates before writing: both keys are streams (or absent).
Reply: {{id, {field, value, …}, deliveries}, …} claimed for the caller (empty: nothing waits, or another runs)
]]
-- @include "guard"
-- @include "reclaim"
need(KEYS[1], "stream")
need(KEYS[2], "stream")
local created = redis.pcall("XGROUP", "CREATE", KEYS[1], ARGV[1], "0", "MKSTREAM")
if type(created) == "table" and created.err and not string.find(created.err, "BUSYGROUP", 1, true) then
  return redis.error_reply(created.err)
end
local held = redis.call("XPENDING", KEYS[1], ARGV[1])[1]
if held > 0 then
  local stale = redis.call("XPENDING", KEYS[1], ARGV[1], "IDLE", ARGV[3], "-", "+", held)
  if held > #stale then return {} end
end
local out = reclaim(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], 1000, ARGV[4], {}, true)
local fresh = redis.call("XREADGROUP", "GROUP", ARGV[1], ARGV[2], "COUNT", 1000, "STREAMS", KEYS[1], ">")
if fresh then
  for _, entry in ipairs(fresh[1][2]) do out[#out + 1] = {entry[1], entry[2], 1} end
end
return out
