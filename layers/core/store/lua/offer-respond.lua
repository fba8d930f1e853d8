--[[
offer-respond: an agent answers the offer of a ticket.
  accept: the ticket is assigned to the agent; the unit the offer held stays with it (until resolve or pop).
  reject: the unit goes back, the agent never gets this ticket offered again, and the ticket waits in the
          backlog (scored as in the queue) for the next best agent.
KEYS[1] ticket hash   KEYS[2] agent hash   KEYS[3] offer deadlines zset   KEYS[4] assignments zset
KEYS[5] backlog zset   KEYS[6] queue zset   KEYS[7] outbox stream
ARGV[1] "accept" | "reject"   ARGV[2] ticket id   ARGV[3] agent id   ARGV[4] ticket key prefix
ARGV[5] agent key prefix   ARGV[6] now ms   ARGV[7] now ISO
Validates before writing: the seven keys' types, the ticket's agents' keys and the answering agent's.
An offer past its deadline is not answered (the sweep expires it). A pending offer of a ticket that has
joined a master incident since is withdrawn with its unit (the incident's owner gets its tickets).
Events in the same step: offer_accepted and ticket_assigned_to_agent | offer_rejected.
Reply: {"accepted"} | {"rejected"} | {"no_agent"} | {"no_ticket"} | {"no_offer"} (never offered to anyone)
       | {"other_agent"} (pending, for another agent) | {"expired"} (pending, past its deadline)
       | {"not_pending", how the last offer ended, its agent}
]]
-- @include "keys"
-- @include "guard"
-- @include "assignment"
-- @include "offer"
local answer, ticket, agent, tprefix, aprefix, now_ms, now_iso = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
need(KEYS[1], "hash")
need(KEYS[2], "hash")
need(KEYS[3], "zset")
need(KEYS[4], "zset")
need(KEYS[5], "zset")
need(KEYS[6], "zset")
need(KEYS[7], "stream")
if redis.call("EXISTS", KEYS[2]) == 0 then return {"no_agent"} end
if redis.call("EXISTS", KEYS[1]) == 0 then return {"no_ticket"} end
check_ticket(tprefix, aprefix, ticket)
check_agent(aprefix, agent)
local t = redis.call("HMGET", KEYS[1], "offer_status", "offer_agent_id", "offer_expires_ms", "incident_id")
if not t[1] or t[1] == "" then return {"no_offer"} end
if t[1] == "pending" and t[4] and t[4] ~= "" then
  release_charge(tprefix, aprefix, ticket)
  redis.call("ZREM", KEYS[3], ticket)
  return {"not_pending", "withdrawn", t[2] or ""}
end
if t[1] ~= "pending" then return {"not_pending", t[1], t[2] or ""} end
if t[2] ~= agent then return {"other_agent"} end
if tonumber(t[3] or "0") <= tonumber(now_ms) then return {"expired"} end
if answer == "accept" then
  end_offer(tprefix, aprefix, ticket, "accepted")
  redis.call("ZREM", KEYS[3], ticket)
  record_assignment(tprefix, aprefix, KEYS[4], ticket, agent, "1", now_ms, now_iso)
  emit(KEYS[7], "offer_accepted", {ticket_id = ticket, agent_id = agent})
  emit(KEYS[7], "ticket_assigned_to_agent", {ticket_id = ticket, agent_id = agent, incident_id = cjson.null})
  return {"accepted"}
end
decline_offer(tprefix, aprefix, ticket, "rejected", KEYS[3], KEYS[6], KEYS[5])
emit(KEYS[7], "offer_rejected", {ticket_id = ticket, agent_id = agent})
return {"rejected"}
