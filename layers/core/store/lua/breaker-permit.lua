--[[
breaker-permit: may this process run the transformer now? (domain/breaker.ts `permit`, atomically)
  closed → "call". open → "reject" until the open wait has passed, then half-open and this caller is the
  first "probe"; the wait is cooldown × 2^(trips − 1), capped at max-cooldown (trips = openings since the
  breaker last closed). half-open → "probe" while fewer than max-probes are admitted this round, else
  "reject"; a round with no verdict for stale-ms (its probers died) starts over.
KEYS[1] breaker hash
ARGV[1] now ms ("" = Redis TIME)   ARGV[2] cooldown ms   ARGV[3] max probes   ARGV[4] stale ms
ARGV[5] max cooldown ms
Reply: {permission, epoch, state before, state after, opened_at ms}
Validates before writing: the arguments are numbers, the breaker key is a hash (or absent).
]]
-- @include "guard"
need(KEYS[1], "hash")
local cooldown, max_probes, stale, max_cooldown = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
if not (cooldown and max_probes and stale and max_cooldown) or (ARGV[1] ~= "" and not tonumber(ARGV[1])) then
  error({err = "ERR breaker-permit: bad arguments"})
end
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call("TIME")
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local h = redis.call("HMGET", KEYS[1], "state", "opened_at_ms", "half_open_at_ms", "probes_in_flight", "probe_successes", "epoch",
  "calls", "trips")
local state = h[1] or "closed"
local opened_at, half_open_at = tonumber(h[2] or 0), tonumber(h[3] or 0)
local probes, successes, epoch = tonumber(h[4] or 0), tonumber(h[5] or 0), tonumber(h[6] or 0)
local calls, trips = h[7] or "", tonumber(h[8] or 0)
local before, permission = state, "reject"

if state == "closed" then
  permission = "call"
elseif state == "open" then
  local wait = math.min(cooldown * 2 ^ math.max(trips - 1, 0), math.max(max_cooldown, cooldown))
  if now - opened_at >= wait then
    state, half_open_at, probes, successes, epoch = "half_open", now, 1, 0, epoch + 1
    permission = "probe"
  end
else
  if now - half_open_at >= stale then
    half_open_at, probes, successes, epoch = now, 0, 0, epoch + 1
  end
  if probes + successes < max_probes then
    probes = probes + 1
    permission = "probe"
  end
end

redis.call("HSET", KEYS[1], "state", state, "opened_at_ms", opened_at, "half_open_at_ms", half_open_at,
  "probes_in_flight", probes, "probe_successes", successes, "epoch", epoch, "calls", calls, "trips", trips)
return {permission, epoch, before, state, opened_at}
