--[[
dedup-apply: carry out one ticket's dedup decision; the one place incidents are created, so a flood seen by
several workers at once still yields exactly one.
  link:   link the ticket (and the look-alikes given with it, those not yet in an incident) to the incident
          if it is still open; else reply "closed" (resolved incidents take no new links).
  create: if any member (the ticket or one of its look-alikes) is already in an open incident, the flood has
          one: link the unlinked members to it (the open incident holding most of them). Otherwise create the
          incident (the ticket is its root; the representatives are stored for the workers' mirrors) and link
          every member not yet linked. Members already in a resolved incident stay where they are.
KEYS[1] incidents zset (by creation ms)  KEYS[2] open incidents set  KEYS[3] incident representatives hash
KEYS[4] incidents version counter   KEYS[5] assignments zset   KEYS[6] outbox stream   KEYS[7] dedup log stream
ARGV[1] "link" | "create"   ARGV[2] ticket id   ARGV[3] ticket key prefix   ARGV[4] incident key prefix
ARGV[5] agent key prefix   ARGV[6] now ISO   ARGV[7] now ms   ARGV[8] update interval ms
ARGV[9] growth steps, ascending, comma-separated (domain/incident-growth.ts `growthSteps`)
  link:   ARGV[10] incident id   ARGV[11..] look-alikes to link with the ticket
  create: ARGV[10] new incident id   ARGV[11] summary   ARGV[12] category   ARGV[13] space of the root
          ARGV[14] packed representatives (opaque here)
          ARGV[15] the incidents version the decision was made at ("*" = any; "" = none yet): when another
                   incident was created (or one resolved) since, the decision is stale and nothing is written
          ARGV[16..] member ticket ids (the ticket first)
A linked ticket that held a unit of some agent's capacity gives it back; it is recorded to the incident's
owner, if the incident has one, without a unit of its own.
Validates before writing: the seven keys; each member's ticket hash, the agent it is with, its current
incident's hash; the target incident's hash, ticket list and owner.
The events of what it did go to the outbox in the same step (a crash after it cannot lose the incident's one
alert): ticket_linked_to_master_incident per newly linked ticket; on creation master_incident_created and the
webhook intent webhook.master_incident. The links also go to the dedup log (i = incident, m = JSON array of
the newly linked ticket ids), so every worker's mirror learns which window tickets are in which incident.
Growth updates (README "Flash floods"): when links grow an incident to a growth step above the last one
announced (field last_update_step) and ARGV[8] ms have passed since its last notice (field last_notice_ms:
its creation or its last update), the same step appends incident_updated and the webhook intent
webhook.incident_update (delivery id "incident_update:<incident>:<step>") and records the step and the time
(last_update_step, last_update_at, last_notice_ms). A step reached inside the interval stays due: the next
growth after it announces the highest step reached by then. A creation that already holds a step's tickets
counts as that step's notice.
Reply: {"linked" | "created", incident id, the ticket's incident after this ("" if none), newly linked ticket
       ids…} | {"closed"} | {"stale"} (create only: the open incidents changed since the caller looked — two
       workers deciding "create" for one flood at once; the caller re-reads them and decides again)
]]
-- @include "keys"
-- @include "guard"
-- @include "assignment"
local action, tid, tprefix, iprefix, aprefix, now_iso, now_ms = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local interval_ms = tonumber(ARGV[8])
local steps = {}
for step in string.gmatch(ARGV[9], "[^,]+") do table.insert(steps, tonumber(step)) end
if not interval_ms or #steps == 0 then error({err = "ERR dedup-apply: bad update interval or growth steps"}) end
-- The highest growth step a ticket count has reached (0 below the first).
local function step_reached(count)
  local reached = 0
  for _, step in ipairs(steps) do
    if step > count then break end
    reached = step
  end
  return reached
end

local function ikey(inc) return iprefix .. enc(inc) end
local function is_open(inc)
  return redis.call("HGET", ikey(inc), "status") == "open"
end

local function link(inc, ticket, out)
  local tkey = tprefix .. enc(ticket)
  if redis.call("EXISTS", tkey) == 0 then return end
  local cur = redis.call("HGET", tkey, "incident_id")
  if cur and cur ~= "" then return end
  redis.call("HSET", tkey, "incident_id", inc)
  redis.call("RPUSH", tickets_of(iprefix, inc), ticket)
  table.insert(out, ticket)
  local owner = redis.call("HGET", ikey(inc), "agent_id")
  if owner and owner ~= "" then
    release_charge(tprefix, aprefix, ticket)
    record_assignment(tprefix, aprefix, KEYS[5], ticket, owner, "0", now_ms, now_iso)
  elseif redis.call("HGET", tkey, "agent_id") then
    drop_assignment(tprefix, aprefix, KEYS[5], ticket)
  end
end

local function own()
  return redis.call("HGET", tprefix .. enc(tid), "incident_id") or ""
end

-- Validation: everything a link may touch, for every ticket it may link, before the first write.
need(KEYS[1], "zset")
need(KEYS[2], "set")
need(KEYS[3], "hash")
need(KEYS[4], "string")
need(KEYS[5], "zset")
need(KEYS[6], "stream")
need(KEYS[7], "stream")
local function emit(type, data)
  redis.call("XADD", KEYS[6], "*", "type", type, "data", cjson.encode(data))
end
local function emit_links(inc, linked)
  for _, ticket in ipairs(linked) do emit("ticket_linked_to_master_incident", {ticket_id = ticket, incident_id = inc}) end
  if #linked > 0 then redis.call("XADD", KEYS[7], "*", "i", inc, "m", cjson.encode(linked)) end
end
-- Links grew the incident: announce it if a step above the last announced one is reached and the interval
-- has passed since the last notice; otherwise the step stays due for the next growth.
local function announce_growth(inc)
  local key = ikey(inc)
  local count = redis.call("LLEN", tickets_of(iprefix, inc))
  local step = step_reached(count)
  local last = tonumber(redis.call("HGET", key, "last_update_step") or "0") or 0
  if step <= last then return end
  -- Incidents made before growth updates have no last_notice_ms: their creation time is the last notice.
  local notice = tonumber(redis.call("HGET", key, "last_notice_ms") or "")
    or tonumber(redis.call("ZSCORE", KEYS[1], inc) or "0") or 0
  if tonumber(now_ms) - notice < interval_ms then return end
  redis.call("HSET", key, "last_update_step", step, "last_update_at", now_iso, "last_notice_ms", now_ms)
  local h = redis.call("HMGET", key, "summary", "category", "created_at")
  local incident = {incident_id = inc, summary = h[1] or "", ticket_count = count, category = h[2] or "",
    status = "open", created_at = h[3] or ""}
  emit("incident_updated", {incident_id = inc, ticket_count = count, step = step, previous_step = last})
  emit("webhook.incident_update", {delivery_id = "incident_update:" .. inc .. ":" .. step, incident = incident,
    step = step, previous_step = last})
end
local function check_incident(inc)
  need(ikey(inc), "hash")
  need(tickets_of(iprefix, inc), "list")
  local owner = redis.call("HGET", ikey(inc), "agent_id")
  if owner and owner ~= "" then check_agent(aprefix, owner) end
end
local function check_member(ticket)
  check_ticket(tprefix, aprefix, ticket)
  local cur = redis.call("HGET", tprefix .. enc(ticket), "incident_id")
  if cur and cur ~= "" then need(ikey(cur), "hash") end
end

local out = {}
if action == "link" then
  check_incident(ARGV[10])
  check_member(tid)
  for i = 11, #ARGV do check_member(ARGV[i]) end
  local inc = ARGV[10]
  if not is_open(inc) then return {"closed"} end
  link(inc, tid, out)
  for i = 11, #ARGV do link(inc, ARGV[i], out) end
  redis.call("HSET", ikey(inc), "updated_at", now_iso)
  emit_links(inc, out)
  if #out > 0 then announce_growth(inc) end
  return {"linked", inc, own(), unpack(out)}
end

local members = {}
for i = 16, #ARGV do table.insert(members, ARGV[i]) end
check_member(tid)
for _, m in ipairs(members) do check_member(m) end
for _, m in ipairs(members) do
  local cur = redis.call("HGET", tprefix .. enc(m), "incident_id")
  if cur and cur ~= "" then check_incident(cur) end
end
check_incident(ARGV[10])
-- The open incident holding most members (the first such, on a tie) takes the rest.
local held, best, most = {}, nil, 0
for _, m in ipairs(members) do
  local cur = redis.call("HGET", tprefix .. enc(m), "incident_id")
  if cur and cur ~= "" then
    if held[cur] == nil then held[cur] = is_open(cur) and 0 or false end
    if held[cur] then
      held[cur] = held[cur] + 1
      if held[cur] > most then best, most = cur, held[cur] end
    end
  end
end
if best then
  for _, other in ipairs(members) do link(best, other, out) end
  redis.call("HSET", ikey(best), "updated_at", now_iso)
  emit_links(best, out)
  if #out > 0 then announce_growth(best) end
  return {"linked", best, own(), unpack(out)}
end

-- No open incident holds a member. Create only if the open incidents are still those the decision saw: of two
-- workers deciding at once, the second re-reads them and may find the first one's incident to join.
local seen_version = ARGV[15]
if seen_version ~= "*" and (redis.call("GET", KEYS[4]) or "") ~= seen_version then return {"stale"} end
local inc = ARGV[10]
redis.call("HSET", ikey(inc), "incident_id", inc, "summary", ARGV[11], "root_ticket_id", tid,
  "category", ARGV[12], "space", ARGV[13], "status", "open", "created_at", now_iso, "updated_at", now_iso)
redis.call("ZADD", KEYS[1], now_ms, inc)
redis.call("SADD", KEYS[2], inc)
redis.call("HSET", KEYS[3], inc, ARGV[14])
redis.call("INCR", KEYS[4])
for _, m in ipairs(members) do link(inc, m, out) end
-- The creation alert is the first notice; it already tells the steps its tickets reach.
redis.call("HSET", ikey(inc), "last_update_step", step_reached(#out), "last_notice_ms", now_ms)
local incident = {incident_id = inc, summary = ARGV[11], ticket_count = #out, category = ARGV[12]}
emit("master_incident_created", {incident_id = inc, summary = ARGV[11], ticket_count = #out, category = ARGV[12], root_ticket_id = tid})
emit("webhook.master_incident", {delivery_id = "master_incident:" .. inc, incident = incident})
emit_links(inc, out)
return {"created", inc, own(), unpack(out)}
