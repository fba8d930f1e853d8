--[[
retrain-ack: the retrain covering these jobs is stored (its version promoted or not): they leave the stream.
KEYS[1] retrain-jobs stream
ARGV[1] group   ARGV[2..] the jobs' entry ids
Validates before writing: the key is a stream (or absent).
Reply: number of jobs acknowledged
]]
-- @include "guard"
need(KEYS[1], "stream")
if #ARGV < 2 then return 0 end
local ids = {}
for i = 2, #ARGV do ids[#ids + 1] = ARGV[i] end
local groups = redis.pcall("XINFO", "GROUPS", KEYS[1])
if type(groups) ~= "table" or groups.err then return 0 end
local acked = redis.call("XACK", KEYS[1], ARGV[1], unpack(ids))
redis.call("XDEL", KEYS[1], unpack(ids))
return acked
