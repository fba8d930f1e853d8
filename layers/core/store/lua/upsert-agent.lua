--[[
upsert-agent: register or change an agent; current_load stays the server's own.
KEYS[1] agent hash   KEYS[2] agents set
ARGV[1] "register" (create or update) | "patch" (must exist)   ARGV[2] agent id   ARGV[3] now ISO
ARGV[4..] field, value pairs among display_name, tech, billing, legal, max_concurrent_tickets, status
Validates before writing: the agent hash and the agents set.
Reply: flat HGETALL of the agent after the change | {} when patching an unknown agent
]]
-- @include "guard"
need(KEYS[1], "hash")
need(KEYS[2], "set")
local exists = redis.call("EXISTS", KEYS[1]) == 1
if ARGV[1] == "patch" and not exists then return {} end
if not exists then
  redis.call("HSET", KEYS[1], "agent_id", ARGV[2], "display_name", ARGV[2], "current_load", 0, "status", "online",
    "created_at", ARGV[3])
  redis.call("SADD", KEYS[2], ARGV[2])
end
local fields = {"updated_at", ARGV[3]}
for i = 4, #ARGV do table.insert(fields, ARGV[i]) end
redis.call("HSET", KEYS[1], unpack(fields))
return redis.call("HGETALL", KEYS[1])
