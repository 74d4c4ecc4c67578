--[[
  endActive: turns one active session into its tombstone, in place: its field in the
  records hash gets the ended record (or, with `batch`, the caller writes it: the pair
  id, tombstone is appended to `batch` for one HSET), it leaves the last-seen and
  creation orders and the device index, and enters the tombstone order (score endedAt).
  A value that is not an active record is junk: its field and index entries are dropped
  and nothing is written. A tombstone (an order or the device index still naming an id
  that has ended) is kept as it is (R3, R12): only the stale index entries go.
  Requires: splitRecord.
  Input:  keys (the script's KEYS), id, v (its stored value), reason, nowRaw, batch
          (optional array of HSET field/value pairs)
  Output: the tombstone record, or nil for junk or an id already ended
]]
local function endActive(keys, id, v, reason, nowRaw, batch)
  local st, last, created, _, _, device, json = splitRecord(v)
  redis.call('ZREM', keys[2], id)
  redis.call('ZREM', keys[3], id)
  if st == 'e' then
    if device ~= '' then redis.call('ZREM', keys[4], device .. '\n' .. id) end
    return nil
  end
  if not st then
    redis.call('HDEL', keys[1], id)
    return nil
  end
  if device ~= '' then redis.call('ZREM', keys[4], device .. '\n' .. id) end
  local tomb = 'e|' .. last .. '|' .. created .. '|' .. nowRaw .. '|' .. reason .. '|' .. device .. '|' .. json
  if batch then
    batch[#batch + 1] = id
    batch[#batch + 1] = tomb
  else
    redis.call('HSET', keys[1], id, tomb)
  end
  redis.call('ZADD', keys[5], nowRaw, id)
  return tomb
end
