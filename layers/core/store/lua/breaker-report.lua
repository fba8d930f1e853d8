--[[
breaker-report: record a transformer call's outcome (domain/breaker.ts `report`, atomically).
  Only a report from the epoch that admitted the call counts.
  closed: the outcome joins the window of the last window-size calls (the oldest falls out); once the
    window holds min(min-calls, window-size) calls, failures/calls ≥ failure-rate% or slow/calls ≥ slow-rate%
    opens the breaker (trips + 1, window emptied).
  half-open: a slow or failed probe reopens it (trips + 1, so the open wait grows); max-probes healthy
    probes close it (window emptied, trips 0).
KEYS[1] breaker hash
ARGV[1] now ms ("" = Redis TIME)   ARGV[2] epoch of the permission   ARGV[3] "call" | "probe"
ARGV[4] outcome: "s" success | "w" slow | "f" failure   ARGV[5] max probes   ARGV[6] window size
ARGV[7] min calls   ARGV[8] failure rate %   ARGV[9] slow rate %
Reply: {state before, state after, opened_at ms, epoch}
Validates before writing: the arguments are well formed, the breaker key is a hash (or absent).
]]
-- @include "guard"
need(KEYS[1], "hash")
local outcome, max_probes, size, min_calls = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local failure_rate, slow_rate = tonumber(ARGV[8]), tonumber(ARGV[9])
if not (tonumber(ARGV[2]) and max_probes and size and size >= 1 and min_calls and failure_rate and slow_rate)
  or (outcome ~= "s" and outcome ~= "w" and outcome ~= "f") or (ARGV[1] ~= "" and not tonumber(ARGV[1])) then
  error({err = "ERR breaker-report: bad arguments"})
end
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call("TIME")
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local h = redis.call("HMGET", KEYS[1], "state", "opened_at_ms", "probes_in_flight", "probe_successes", "epoch", "calls", "trips")
local state = h[1] or "closed"
local opened_at, probes, successes, epoch = tonumber(h[2] or 0), tonumber(h[3] or 0), tonumber(h[4] or 0), tonumber(h[5] or 0)
local calls, trips = h[6] or "", tonumber(h[7] or 0)
local before = state

local function open()
  state, opened_at, probes, successes, epoch, calls, trips = "open", now, 0, 0, epoch + 1, "", trips + 1
end

local function count(letter)
  local _, n = string.gsub(calls, letter, "")
  return n
end

if tonumber(ARGV[2]) == epoch then
  if state == "closed" then
    calls = string.sub(calls .. outcome, -size)
    local n = #calls
    if n >= math.min(min_calls, size)
      and (count("f") * 100 >= failure_rate * n or count("w") * 100 >= slow_rate * n) then
      open()
    end
  elseif state == "half_open" and ARGV[3] == "probe" then
    if outcome ~= "s" then
      open()
    else
      probes, successes = math.max(0, probes - 1), successes + 1
      if successes >= max_probes then
        state, probes, successes, epoch, calls, trips = "closed", 0, 0, epoch + 1, "", 0
      end
    end
  end
  redis.call("HSET", KEYS[1], "state", state, "opened_at_ms", opened_at, "probes_in_flight", probes,
    "probe_successes", successes, "epoch", epoch, "calls", calls, "trips", trips)
end
return {before, state, opened_at, epoch}
