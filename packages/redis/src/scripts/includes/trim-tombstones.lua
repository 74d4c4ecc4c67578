--[[
  trimTombstones: forgets tombstones past retention (at most `chunk` per call; readers
  ignore the rest until then, R-FORGET) and keeps exactly maxTombstones, dropping the
  oldest by endedAt, then createdAt, then session id (R-TRIM).
  Requires: lowest, splitRecord.
  Input:  keys (KEYS: [5] tombstones, [6] tombstone order), now, retention, maxTombstones, chunk
  Output: nothing
]]
local function trimTombstones(keys, now, retention, maxTombstones, chunk)
  local old = redis.call('ZRANGE', keys[6], '-inf', string.format('%.17g', now - retention), 'BYSCORE', 'LIMIT', 0, chunk)
  if #old > 0 then
    redis.call('HDEL', keys[5], unpack(old))
    redis.call('ZREM', keys[6], unpack(old))
  end
  local excess = redis.call('ZCARD', keys[6]) - maxTombstones
  if excess <= 0 then return end
  local drop = lowest(keys[6], excess, function(id)
    local _, _, created = splitRecord(redis.call('HGET', keys[5], id))
    return tonumber(created) or -math.huge
  end)
  for i = 1, #drop, 1000 do
    local part = { unpack(drop, i, math.min(i + 999, #drop)) }
    redis.call('HDEL', keys[5], unpack(part))
    redis.call('ZREM', keys[6], unpack(part))
  end
end
