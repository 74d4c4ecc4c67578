--[[
  trimTombstones: keeps exactly maxTombstones tombstones, dropping the oldest by endedAt,
  then createdAt, then session id (R14); below the cap, unless `chunk` is 0, forgets
  tombstones past retention (at most `chunk` per call, R13: readers ignore the rest until
  then, the cap bounds them and the keys' TTL is the backstop). One range read finds the excess and its edge (no count needed).
  Requires: splitRecord.
  Input:  keys (KEYS: [1] records, [5] tombstone order), now, retention, maxTombstones, chunk
  Output: the dropped ids as a set (id -> true), and how many tombstones there were
          before dropping when that was learned (at or over the cap), else nil
]]
local function trimTombstones(keys, now, retention, maxTombstones, chunk)
  local drop = {}
  -- All but the newest maxTombstones - 1: the excess plus the first kept (the edge).
  local head = redis.call('ZRANGE', keys[5], 0, maxTombstones == 0 and -1 or -maxTombstones, 'WITHSCORES')
  if maxTombstones == 0 then
    head[#head + 1] = ''
    head[#head + 1] = math.huge
  end
  local k = #head / 2 - 1
  if k > 0 then
    local edge, after = tonumber(head[2 * k]), tonumber(head[2 * k + 2])
    local ties = {}
    for i = 1, 2 * k, 2 do
      if edge ~= after or tonumber(head[i + 1]) < edge then drop[#drop + 1] = head[i] else ties[#ties + 1] = head[i] end
    end
    if #ties > 0 then
      -- The tombstones tied at the edge (endedAt), ordered by createdAt, then by id.
      ties = redis.call('ZRANGE', keys[5], head[2 * k], head[2 * k], 'BYSCORE')
      local by = {}
      for _, id in ipairs(ties) do
        local _, _, created = splitRecord(redis.call('HGET', keys[1], id))
        by[id] = tonumber(created) or -math.huge
      end
      table.sort(ties, function(a, b)
        if by[a] ~= by[b] then return by[a] < by[b] end
        return a < b
      end)
      for i = 1, k - #drop do drop[#drop + 1] = ties[i] end
    end
  elseif chunk == 0 or (k == 0 and tonumber(head[2]) > now - retention) then
    -- No forgetting asked, or exactly at the cap with its oldest retained.
  else
    drop = redis.call('ZRANGE', keys[5], '-inf', now - retention, 'BYSCORE', 'LIMIT', 0, chunk)
  end
  local count = nil
  if k >= 0 then count = k + maxTombstones end
  local set = {}
  for i = 1, #drop, 1000 do
    local part = { unpack(drop, i, math.min(i + 999, #drop)) }
    redis.call('HDEL', keys[1], unpack(part))
    redis.call('ZREM', keys[5], unpack(part))
  end
  for _, id in ipairs(drop) do set[id] = true end
  return set, count
end
