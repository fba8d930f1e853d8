-- Shared by the scripts that move tickets between agents. A ticket's assignment lives in its hash
-- (agent_id, charged, assigned_at), in its agent's ticket set and in the assignments zset; `charged` = "1"
-- when it holds one unit of the agent's capacity (a ticket in a master incident is recorded to the
-- incident's owner without one). Needs the "keys" and "guard" includes first.

-- The agent's hash (a numeric load) and ticket set hold their types.
local function check_agent(aprefix, agent)
  need(aprefix .. enc(agent), "hash")
  need_number(aprefix .. enc(agent), "current_load")
  need(tickets_of(aprefix, agent), "set")
end

-- Checks every key the helpers below may touch for this ticket: its hash and the agent it is with now.
-- Call it (and check_agent for an agent it may go to) before the script's first write.
local function check_ticket(tprefix, aprefix, ticket)
  local tkey = tprefix .. enc(ticket)
  need(tkey, "hash")
  local previous = redis.call("HGET", tkey, "agent_id")
  if previous and previous ~= "" then check_agent(aprefix, previous) end
end

-- Gives back the capacity unit a ticket holds, if any. Returns the agent it was charged to.
local function release_charge(tprefix, aprefix, ticket)
  local tkey = tprefix .. enc(ticket)
  local h = redis.call("HMGET", tkey, "agent_id", "charged")
  if not h[1] or h[1] == "" or h[2] ~= "1" then return nil end
  local akey = aprefix .. enc(h[1])
  local load = tonumber(redis.call("HGET", akey, "current_load") or "0")
  if load > 0 then redis.call("HSET", akey, "current_load", load - 1) end
  redis.call("HSET", tkey, "charged", "0")
  return h[1]
end

-- Records a ticket as assigned to an agent (charged: "1" or "0"); it leaves any earlier agent's set.
local function record_assignment(tprefix, aprefix, assignments, ticket, agent, charged, now_ms, now_iso)
  local tkey = tprefix .. enc(ticket)
  local previous = redis.call("HGET", tkey, "agent_id")
  if previous and previous ~= "" and previous ~= agent then redis.call("SREM", tickets_of(aprefix, previous), ticket) end
  redis.call("HSET", tkey, "agent_id", agent, "charged", charged, "assigned_at", now_iso)
  redis.call("SADD", tickets_of(aprefix, agent), ticket)
  redis.call("ZADD", assignments, now_ms, ticket)
end

-- Removes a ticket's assignment altogether (its unit, if charged, goes back first).
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
