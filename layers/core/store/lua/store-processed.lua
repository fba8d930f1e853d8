--[[
store-processed: record a classified ticket and put it in the urgency queue, exactly once.
  Delivery is at-least-once, so two workers may classify the same ticket; only the first to get here
  (status still "accepted") stores it, and only that one is told to emit events.
KEYS[1] ticket hash   KEYS[2] queue zset   KEYS[3] counters hash   KEYS[4] outbox stream
ARGV[1] ticket id   ARGV[2] queue score   ARGV[3] model ("transformer" | "baseline")
ARGV[4] the ticket's events, JSON [[type, data JSON], …]: appended to the outbox in this same step, so a crash
        right after storing cannot lose them (nor a webhook)
ARGV[5..] field, value pairs of the classification
The counters hash also counts processed tickets per minute and model ("<model>:<epoch minute>"), for the
dashboard's throughput chart; a field a day old is dropped as the new minute's is written.
Reply: 1 stored and queued | 0 already processed (or popped) | -1 no such ticket
Validates before writing: the ticket hash, the queue, the counters (and their numbers).
]]
-- @include "guard"
need(KEYS[1], "hash")
need(KEYS[2], "zset")
need(KEYS[3], "hash")
need(KEYS[4], "stream")
need_number(KEYS[3], "tickets_processed_total")
local events = cjson.decode(ARGV[4])
local status = redis.call("HGET", KEYS[1], "status")
if not status then return -1 end
if status ~= "accepted" then return 0 end
local fields = {"status", "processed"}
for i = 5, #ARGV do table.insert(fields, ARGV[i]) end
redis.call("HSET", KEYS[1], unpack(fields))
-- A queued ticket lives until it is popped: an expiring hash would leave a dangling queue member.
redis.call("PERSIST", KEYS[1])
redis.call("ZADD", KEYS[2], ARGV[2], ARGV[1])
redis.call("HINCRBY", KEYS[3], "tickets_processed_total", 1)
local t = redis.call("TIME")
local minute = math.floor(tonumber(t[1]) / 60)
redis.call("HINCRBY", KEYS[3], ARGV[3] .. ":" .. minute, 1)
redis.call("HDEL", KEYS[3], ARGV[3] .. ":" .. (minute - 1440), "accepted:" .. (minute - 1440))
for _, e in ipairs(events) do redis.call("XADD", KEYS[4], "*", "type", e[1], "data", e[2]) end
return 1
