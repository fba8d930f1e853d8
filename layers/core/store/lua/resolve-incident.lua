--[[
resolve-incident: mark an open incident resolved; it takes no new links from now on, and its owner gets
back the unit of capacity the incident held. Its events go to the outbox in the same step, once — only the
call that resolves it appends them, so a repeated resolve (or a retried request) sends nothing again:
incident_resolved and the webhook intent webhook.incident_resolved (delivery id "incident_resolved:<id>").
KEYS[1] incident hash   KEYS[2] open incidents set   KEYS[3] incidents version counter
KEYS[4] outbox stream   KEYS[5] the incident's ticket list
ARGV[1] incident id   ARGV[2] now ISO   ARGV[3] agent key prefix
Validates before writing: the incident hash, the open set, the version counter, the outbox, the ticket list,
the owner's hash.
Reply: 1 resolved now | 0 already resolved | -1 no such incident
]]
-- @include "keys"
-- @include "guard"
need(KEYS[1], "hash")
need(KEYS[2], "set")
need(KEYS[3], "string")
need(KEYS[4], "stream")
need(KEYS[5], "list")
local status = redis.call("HGET", KEYS[1], "status")
if not status then return -1 end
if status == "resolved" then return 0 end
local owner = redis.call("HGET", KEYS[1], "agent_id")
local akey = nil
if owner and owner ~= "" then
  akey = ARGV[3] .. enc(owner)
  need(akey, "hash")
  need_number(akey, "current_load")
end
redis.call("HSET", KEYS[1], "status", "resolved", "resolved_at", ARGV[2], "updated_at", ARGV[2])
redis.call("SREM", KEYS[2], ARGV[1])
redis.call("INCR", KEYS[3])
if akey then
  local load = tonumber(redis.call("HGET", akey, "current_load") or "0")
  if load > 0 then redis.call("HSET", akey, "current_load", load - 1) end
end
local count = redis.call("LLEN", KEYS[5])
local h = redis.call("HMGET", KEYS[1], "summary", "category", "created_at", "last_update_step")
local incident = {incident_id = ARGV[1], summary = h[1] or "", ticket_count = count, category = h[2] or "",
  status = "resolved", created_at = h[3] or "", resolved_at = ARGV[2]}
local function emit(type, data)
  redis.call("XADD", KEYS[4], "*", "type", type, "data", cjson.encode(data))
end
emit("incident_resolved", {incident_id = ARGV[1], ticket_count = count, resolved_at = ARGV[2],
  last_update_step = tonumber(h[4] or "0") or 0})
emit("webhook.incident_resolved", {delivery_id = "incident_resolved:" .. ARGV[1], incident = incident})
return 1
