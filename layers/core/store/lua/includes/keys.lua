-- Key encoding, the same rule as store/keys.ts `encodeId`: every byte outside [A-Za-z0-9._-] becomes %XX
-- (upper-case hex), so an id is one ":"-free, brace-free segment of its key. Scripts build a record's key as
-- <prefix from the caller> .. enc(id) [.. ":tickets"], never from a raw id.
local function enc(id)
  return (string.gsub(id, "[^%w%.%-_]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
local function tickets_of(prefix, id) return prefix .. enc(id) .. ":tickets" end

-- Backlog members: "t:" .. ticket id | "i:" .. incident id (store/queue.ts), so no ticket id can pose as an
-- incident.
local function backlog_ticket(id) return "t:" .. id end
local function backlog_incident(id) return "i:" .. id end
