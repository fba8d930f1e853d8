-- Validation before the first write: a script checks every key it may write (or read with a typed command)
-- holds the type it expects, or nothing, before it changes anything; Redis does not roll a script back, so
-- a WRONGTYPE halfway would leave its work half done. A failed check raises an error reply
-- "WRONGTYPE <key> is <type>, expected <type>" and nothing has been written.
local function need(key, kind)
  local t = redis.call("TYPE", key)["ok"]
  if t ~= "none" and t ~= kind then
    error({err = "WRONGTYPE " .. key .. " is " .. t .. ", expected " .. kind})
  end
end
-- Same for a hash field that must be a number (HINCRBY would fail on anything else).
local function need_number(key, field)
  local v = redis.call("HGET", key, field)
  if v and not tonumber(v) then error({err = "ERR " .. key .. " field " .. field .. " is not a number"}) end
end
