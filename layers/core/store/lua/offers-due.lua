--[[
offers-due: the tickets whose offer deadline has passed, earliest first (what the sweep expires). Read-only.
KEYS[1] offer deadlines zset
ARGV[1] now ms   ARGV[2] at most this many
Reply: {ticket id, …}
]]
return redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", ARGV[1], "LIMIT", 0, tonumber(ARGV[2]))
