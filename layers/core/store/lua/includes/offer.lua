-- Shared by the offer scripts (offer-ticket, offer-respond, offer-expire). Needs the "keys", "guard" and
-- "assignment" includes first.

-- The agents who rejected the ticket or let its offer expire: a JSON array in the ticket's "declined" field.
-- None of them is offered that ticket again.
local function declined_by(tkey, agent)
  local raw = redis.call("HGET", tkey, "declined")
  if not raw or raw == "" then return false end
  for _, a in ipairs(cjson.decode(raw)) do
    if a == agent then return true end
  end
  return false
end

local function add_declined(tkey, agent)
  if declined_by(tkey, agent) then return end
  local raw = redis.call("HGET", tkey, "declined")
  local list = (raw and raw ~= "") and cjson.decode(raw) or {}
  table.insert(list, agent)
  redis.call("HSET", tkey, "declined", cjson.encode(list))
end

-- An event, appended to the outbox in the step that changes the state it reports.
local function emit(outbox, type, data)
  redis.call("XADD", outbox, "*", "type", type, "data", cjson.encode(data))
end

-- The pending offer ended without a taker (status "rejected" or "expired"): the unit goes back, the agent
-- joins the decliners, the deadline goes, and the ticket waits in the backlog (scored as in the queue) for the
-- next best agent who has not declined it. Returns the agent.
local function decline_offer(tprefix, aprefix, ticket, status, deadlines, queue, backlog)
  local tkey = tprefix .. enc(ticket)
  local agent = redis.call("HGET", tkey, "offer_agent_id")
  -- First: it reads (decodes) the decliners, so an unreadable field fails the script before any write.
  add_declined(tkey, agent)
  if redis.call("HGET", tkey, "charged") == "1" then
    give_back_unit(aprefix, agent)
    redis.call("HSET", tkey, "charged", "0")
  end
  end_offer(tprefix, aprefix, ticket, status)
  redis.call("ZREM", deadlines, ticket)
  local score = redis.call("ZSCORE", queue, ticket)
  if score then redis.call("ZADD", backlog, "NX", score, backlog_ticket(ticket)) end
  return agent
end
