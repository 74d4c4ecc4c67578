--[[
  expireDue: ends (R7) up to `max` active sessions whose absolute or idle timeout
  has passed, found through the creation and last-seen orders (O(log n + ended)).
  Requires: endActive, expiryReason, splitRecord.
  Input:  keys (KEYS), now, nowRaw, idle, absolute, max
  Output: array of the tombstones written, and whether more may be due (the limit was hit)
]]
local function expireDue(keys, now, nowRaw, idle, absolute, max)
  local ended = {}
  local function take(key, bound)
    if bound == -math.huge or #ended >= max then return end
    local ids = redis.call('ZRANGE', key, '-inf', bound, 'BYSCORE', 'LIMIT', 0, max - #ended)
    for _, id in ipairs(ids) do
      local v = redis.call('HGET', keys[1], id)
      local _, last, created = splitRecord(v)
      local reason = last and expiryReason(tonumber(last), tonumber(created), now, idle, absolute) or 'idle'
      local tomb = endActive(keys, id, v, reason, nowRaw)
      if tomb then ended[#ended + 1] = tomb end
    end
  end
  take(keys[3], now - absolute)
  take(keys[2], now - idle)
  return ended, #ended >= max
end
