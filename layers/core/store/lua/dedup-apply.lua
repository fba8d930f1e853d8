--[[
dedup-apply: carry out one ticket's dedup decision; the one place incidents are created, so a flood seen by
several workers at once still yields exactly one.
  link:   link the ticket to the incident if it is still open; else reply "closed" (resolved incidents take
          no new links).
  create: if any member is already in an open incident, the flood has one: link the unlinked members to
          it. Otherwise create the incident (the ticket is its root and its vector the representative) and
          link every member not yet linked. Members already in a resolved incident stay where they are.
KEYS[1] incidents zset (by creation ms)  KEYS[2] open incidents set  KEYS[3] incident vectors hash
KEYS[4] incidents version counter
ARGV[1] "link" | "create"   ARGV[2] ticket id   ARGV[3] ticket key prefix   ARGV[4] incident key prefix
ARGV[5] now ISO   ARGV[6] now ms
  link:   ARGV[7] incident id
  create: ARGV[7] new incident id   ARGV[8] summary   ARGV[9] category   ARGV[10] space   ARGV[11] vector
          ARGV[12..] member ticket ids (the ticket first)
Reply: {"linked" | "created", incident id, the ticket's incident after this ("" if none), newly linked ticket
       ids…} | {"closed"}
]]
local action, tid, tprefix, iprefix, now_iso = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]

local function is_open(inc)
  return redis.call("HGET", iprefix .. inc, "status") == "open"
end

local function link(inc, ticket, out)
  local tkey = tprefix .. ticket
  if redis.call("EXISTS", tkey) == 0 then return end
  local cur = redis.call("HGET", tkey, "incident_id")
  if cur and cur ~= "" then return end
  redis.call("HSET", tkey, "incident_id", inc)
  redis.call("RPUSH", iprefix .. inc .. ":tickets", ticket)
  table.insert(out, ticket)
end

local function own()
  return redis.call("HGET", tprefix .. tid, "incident_id") or ""
end

local out = {}
if action == "link" then
  local inc = ARGV[7]
  if not is_open(inc) then return {"closed"} end
  link(inc, tid, out)
  redis.call("HSET", iprefix .. inc, "updated_at", now_iso)
  return {"linked", inc, own(), unpack(out)}
end

local members = {}
for i = 12, #ARGV do table.insert(members, ARGV[i]) end
for _, m in ipairs(members) do
  local cur = redis.call("HGET", tprefix .. m, "incident_id")
  if cur and cur ~= "" and is_open(cur) then
    for _, other in ipairs(members) do link(cur, other, out) end
    redis.call("HSET", iprefix .. cur, "updated_at", now_iso)
    return {"linked", cur, own(), unpack(out)}
  end
end

local inc = ARGV[7]
redis.call("HSET", iprefix .. inc, "incident_id", inc, "summary", ARGV[8], "root_ticket_id", tid,
  "category", ARGV[9], "space", ARGV[10], "status", "open", "created_at", now_iso, "updated_at", now_iso)
redis.call("ZADD", KEYS[1], ARGV[6], inc)
redis.call("SADD", KEYS[2], inc)
redis.call("HSET", KEYS[3], inc, ARGV[10] .. "|" .. ARGV[11])
redis.call("INCR", KEYS[4])
for _, m in ipairs(members) do link(inc, m, out) end
return {"created", inc, own(), unpack(out)}
