--[[
retrain-request: queue a retrain job and announce it, in one step (POST /models/retrain).
  Jobs are entries of the retrain-jobs stream, the same shape whoever asks (this script for a manual request,
  the label script every LEARNING_RETRAIN_EVERY corrections): job_id, reason, requested_at. A worker claims
  them (retrain-claim) and one retrain covers every job waiting.
KEYS[1] retrain-jobs stream   KEYS[2] outbox stream
ARGV[1] job id   ARGV[2] reason ("manual" | "corrections")   ARGV[3] requested_at ISO
Validates before writing: no argument is empty; both keys are streams (or absent).
Reply: the job's stream entry id
Event: retrain_requested {job_id, reason, requested_at}.
]]
-- @include "guard"
need(KEYS[1], "stream")
need(KEYS[2], "stream")
for i = 1, 3 do
  if ARGV[i] == nil or ARGV[i] == "" then error({err = "ERR argument " .. i .. " must not be empty"}) end
end
local id = redis.call("XADD", KEYS[1], "*", "job_id", ARGV[1], "reason", ARGV[2], "requested_at", ARGV[3])
redis.call("XADD", KEYS[2], "*", "type", "retrain_requested", "data",
  cjson.encode({job_id = ARGV[1], reason = ARGV[2], requested_at = ARGV[3]}))
return id
