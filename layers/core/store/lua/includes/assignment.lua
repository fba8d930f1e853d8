-- Shared by the scripts that move tickets between agents. A ticket's assignment lives in its hash
-- (agent_id, charged, assigned_at), in its agent's ticket set and in the assignments zset; `charged` = "1"
-- when it holds one unit of the agent's capacity (a ticket in a master incident is recorded to the
-- incident's owner without one).
-- A pending offer (ROUTING_OFFERS, store/offers.ts) holds the unit the same way before anyone has the ticket:
-- offer_agent_id, offer_status "pending", charged "1", the ticket in that agent's offers zset and its deadline
-- in the deadlines zset; offer_status then records how it ended (accepted, rejected, expired, withdrawn). A
-- ticket never has an agent_id and a pending offer at once. Needs the "keys" and "guard" includes first.

-- An agent's pending offers: zset, member ticket id, score offered ms (store/keys.ts agentOffers).
local function offers_of(prefix, id) return prefix .. enc(id) .. ":offers" end

-- The agent's hash (a numeric load), ticket set and offers zset hold their types.
local function check_agent(aprefix, agent)
  need(aprefix .. enc(agent), "hash")
  need_number(aprefix .. enc(agent), "current_load")
  need(tickets_of(aprefix, agent), "set")
  need(offers_of(aprefix, agent), "zset")
end

-- The agent holding the ticket's unit, if it is charged: its assignee, else the agent of its pending offer;
-- and whether that is an offer.
local function unit_holder(tkey)
  local h = redis.call("HMGET", tkey, "agent_id", "offer_status", "offer_agent_id")
  if h[1] and h[1] ~= "" then return h[1], false end
  if h[2] == "pending" and h[3] and h[3] ~= "" then return h[3], true end
  return nil, false
end

-- Checks every key the helpers below may touch for this ticket: its hash, the agent it is with now and the
-- agent it is offered to. Call it (and check_agent for an agent it may go to) before the script's first write.
local function check_ticket(tprefix, aprefix, ticket)
  local tkey = tprefix .. enc(ticket)
  need(tkey, "hash")
  local h = redis.call("HMGET", tkey, "agent_id", "offer_status", "offer_agent_id")
  if h[1] and h[1] ~= "" then check_agent(aprefix, h[1]) end
  if h[2] == "pending" and h[3] and h[3] ~= "" then check_agent(aprefix, h[3]) end
end

-- One unit of the agent's capacity comes back (never below 0).
local function give_back_unit(aprefix, agent)
  local akey = aprefix .. enc(agent)
  local load = tonumber(redis.call("HGET", akey, "current_load") or "0")
  if load > 0 then redis.call("HSET", akey, "current_load", load - 1) end
end

-- Ends the ticket's pending offer as `status` (accepted | rejected | expired | withdrawn): the ticket leaves
-- the agent's offers. Its unit is not touched here. Its deadline stays in the deadlines zset until a script
-- holding that key removes it, or the sweep finds it stale. Returns the agent, or nil when none was pending.
local function end_offer(tprefix, aprefix, ticket, status)
  local tkey = tprefix .. enc(ticket)
  local h = redis.call("HMGET", tkey, "offer_status", "offer_agent_id")
  if h[1] ~= "pending" or not h[2] then return nil end
  redis.call("ZREM", offers_of(aprefix, h[2]), ticket)
  redis.call("HSET", tkey, "offer_status", status)
  return h[2]
end

-- Gives back the capacity unit a ticket holds, if any; a pending offer, which is nothing without its unit,
-- is withdrawn. Returns the agent it was charged to.
local function release_charge(tprefix, aprefix, ticket)
  local tkey = tprefix .. enc(ticket)
  local holder, offered = unit_holder(tkey)
  if not holder then return nil end
  local released = nil
  if redis.call("HGET", tkey, "charged") == "1" then
    give_back_unit(aprefix, holder)
    redis.call("HSET", tkey, "charged", "0")
    released = holder
  end
  if offered then end_offer(tprefix, aprefix, ticket, "withdrawn") end
  return released
end

-- Records a ticket as assigned to an agent (charged: "1" or "0"); it leaves any earlier agent's set, and a
-- pending offer is withdrawn with its unit (offer-respond ends an accepted offer before calling this).
local function record_assignment(tprefix, aprefix, assignments, ticket, agent, charged, now_ms, now_iso)
  local tkey = tprefix .. enc(ticket)
  if redis.call("HGET", tkey, "offer_status") == "pending" then release_charge(tprefix, aprefix, ticket) end
  local previous = redis.call("HGET", tkey, "agent_id")
  if previous and previous ~= "" and previous ~= agent then redis.call("SREM", tickets_of(aprefix, previous), ticket) end
  redis.call("HSET", tkey, "agent_id", agent, "charged", charged, "assigned_at", now_iso)
  redis.call("SADD", tickets_of(aprefix, agent), ticket)
  redis.call("ZADD", assignments, now_ms, ticket)
end

-- Removes a ticket's assignment altogether (its unit, if charged, goes back first; so does a pending offer's).
local function drop_assignment(tprefix, aprefix, assignments, ticket)
  local tkey = tprefix .. enc(ticket)
  release_charge(tprefix, aprefix, ticket)
  local agent = redis.call("HGET", tkey, "agent_id")
  if agent and agent ~= "" then redis.call("SREM", tickets_of(aprefix, agent), ticket) end
  redis.call("HDEL", tkey, "agent_id", "charged", "assigned_at")
  redis.call("ZREM", assignments, ticket)
end

-- online, with a free unit
local function agent_can_take(akey)
  local a = redis.call("HMGET", akey, "status", "current_load", "max_concurrent_tickets")
  return a[1] == "online" and tonumber(a[2] or "0") < tonumber(a[3] or "0")
end
