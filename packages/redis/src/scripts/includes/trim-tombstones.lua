--[[
  trimTombstones: keeps exactly maxTombstones tombstones, dropping the oldest by endedAt,
  then createdAt, then session id (R14); below the cap, forgets tombstones past retention
  (at most `chunk` per call, R13: readers ignore the rest until then, and the keys' TTL
  is the backstop).
  Requires: lowest, splitRecord.
  Input:  keys (KEYS: [5] tombstones, [6] tombstone order), now, retention, maxTombstones, chunk
  Output: how many tombstones are left
]]
local function trimTombstones(keys, now, retention, maxTombstones, chunk)
  local count = redis.call('ZCARD', keys[6])
  local drop
  if count > maxTombstones then
    drop = lowest(keys[6], count - maxTombstones, function(id)
      local _, _, created = splitRecord(redis.call('HGET', keys[5], id))
      return tonumber(created) or -math.huge
    end)
  else
    drop = redis.call('ZRANGE', keys[6], '-inf', string.format('%.17g', now - retention), 'BYSCORE', 'LIMIT', 0, chunk)
  end
  for i = 1, #drop, 1000 do
    local part = { unpack(drop, i, math.min(i + 999, #drop)) }
    redis.call('HDEL', keys[5], unpack(part))
    redis.call('ZREM', keys[6], unpack(part))
  end
  return count - #drop
end
