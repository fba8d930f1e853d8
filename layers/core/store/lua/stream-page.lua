--[[
stream-page: one page of a stream, newest first, strictly before an entry id (the last one a reader saw;
"" = from the newest). Entry ids never change, so the page is stable while entries are appended. Read-only.
KEYS[1] stream
ARGV[1] count   ARGV[2] before id ("" = from the end)
Reply: {{id, {field, value, …}}, …}
]]
local stop = ARGV[2] == "" and "+" or "(" .. ARGV[2]
return redis.call("XREVRANGE", KEYS[1], stop, "-", "COUNT", tonumber(ARGV[1]))
