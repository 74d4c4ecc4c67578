--[[
  endActive: moves one active session to the tombstones: removes it from the actives,
  the last-seen and creation orders and the device index, and writes its tombstone and
  its place in the tombstone order (score endedAt). A value that is not an active record
  is junk: its field and index entries are dropped and nothing is written.
  Requires: splitRecord.
  Input:  keys (the script's KEYS), id, v (its stored value), reason, nowRaw
  Output: the tombstone record, or nil for junk
]]
local function endActive(keys, id, v, reason, nowRaw)
  local st, last, created, _, _, device, json = splitRecord(v)
  redis.call('HDEL', keys[1], id)
  redis.call('ZREM', keys[2], id)
  redis.call('ZREM', keys[3], id)
  if not st or st ~= 'a' then return nil end
  if device ~= '' then redis.call('ZREM', keys[4], device .. '\n' .. id) end
  local tomb = 'e|' .. last .. '|' .. created .. '|' .. nowRaw .. '|' .. reason .. '|' .. device .. '|' .. json
  redis.call('HSET', keys[5], id, tomb)
  redis.call('ZADD', keys[6], nowRaw, id)
  return tomb
end
