--[[
breaker-report: record a transformer call's verdict (domain/breaker.ts `report`, atomically).
  Only a report from the epoch that admitted the call counts. closed: an unhealthy call opens the breaker.
  half-open: an unhealthy probe reopens it; max-probes healthy probes close it.
KEYS[1] breaker hash
ARGV[1] now ms ("" = Redis TIME)   ARGV[2] epoch of the permission   ARGV[3] "call" | "probe"
ARGV[4] 1 healthy (no error, within budget) | 0 unhealthy   ARGV[5] max probes
Reply: {state before, state after, opened_at ms, epoch}
Validates before writing: the breaker key is a hash (or absent).
]]
-- @include "guard"
need(KEYS[1], "hash")
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call("TIME")
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local h = redis.call("HMGET", KEYS[1], "state", "opened_at_ms", "probes_in_flight", "probe_successes", "epoch")
local state = h[1] or "closed"
local opened_at, probes, successes, epoch = tonumber(h[2] or 0), tonumber(h[3] or 0), tonumber(h[4] or 0), tonumber(h[5] or 0)
local before, healthy, max_probes = state, ARGV[4] == "1", tonumber(ARGV[5])

local function open()
  state, opened_at, probes, successes, epoch = "open", now, 0, 0, epoch + 1
end

if tonumber(ARGV[2]) == epoch then
  if state == "closed" then
    if not healthy then open() end
  elseif state == "half_open" and ARGV[3] == "probe" then
    if not healthy then
      open()
    else
      probes, successes = math.max(0, probes - 1), successes + 1
      if successes >= max_probes then
        state, probes, successes, epoch = "closed", 0, 0, epoch + 1
      end
    end
  end
  redis.call("HSET", KEYS[1], "state", state, "opened_at_ms", opened_at, "probes_in_flight", probes,
    "probe_successes", successes, "epoch", epoch)
end
return {before, state, opened_at, epoch}
