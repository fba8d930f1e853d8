-- Claims the records of `group` idle longer than `min_idle` ms for `consumer`, as an SQS receive does (their
-- delivery count goes up by one). One delivered more than `max` times goes to the dead-letter stream instead —
-- `tags` first, then its original id, delivery count and fields — and leaves the group; `delete` also deletes it
-- from the stream (a queue record nobody else reads). Returns {{id, {field, value, …}, deliveries}, …}.
local function reclaim(stream, dead_letters, group, consumer, min_idle, count, max, tags, delete)
  local claimed = redis.call("XAUTOCLAIM", stream, group, consumer, min_idle, "0-0", "COUNT", count)[2]
  local out = {}
  for _, entry in ipairs(claimed) do
    local id, fields = entry[1], entry[2]
    local deliveries = redis.call("XPENDING", stream, group, id, id, 1)[1][4]
    if deliveries > tonumber(max) then
      local dead = {}
      for i = 1, #tags do dead[#dead + 1] = tags[i] end
      dead[#dead + 1] = "original_id"; dead[#dead + 1] = id
      dead[#dead + 1] = "deliveries"; dead[#dead + 1] = deliveries
      for i = 1, #fields do dead[#dead + 1] = fields[i] end
      redis.call("XADD", dead_letters, "*", unpack(dead))
      redis.call("XACK", stream, group, id)
      if delete then redis.call("XDEL", stream, id) end
    else
      out[#out + 1] = {id, fields, deliveries}
    end
  end
  return out
end
