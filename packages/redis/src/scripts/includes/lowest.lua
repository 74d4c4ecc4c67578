--[[
  lowest: the k members of a sorted set with the lowest scores, ties broken by a
  second score and then by member (string order), so the order is total (R9).
  Input:  key (a sorted set), k (>= 1), second (function(id) -> number), head (optional:
          the set's lowest members WITHSCORES already read, at least k + 1 of them or all)
  Output: array of at most k members, lowest first
]]
local function lowest(key, k, second, head)
  head = head or redis.call('ZRANGE', key, 0, k, 'WITHSCORES')
  local out = {}
  if #head <= 2 * k then
    for i = 1, #head, 2 do out[#out + 1] = head[i] end
    return out
  end
  local edge, after = head[2 * k], head[2 * k + 2]
  if tonumber(edge) ~= tonumber(after) then
    for i = 1, 2 * k, 2 do out[#out + 1] = head[i] end
    return out
  end
  for i = 1, 2 * k, 2 do
    if tonumber(head[i + 1]) < tonumber(edge) then out[#out + 1] = head[i] end
  end
  -- The members tied at the edge score, ordered by the second score, then by id.
  local ties = redis.call('ZRANGE', key, edge, edge, 'BYSCORE')
  local by = {}
  for _, id in ipairs(ties) do by[id] = second(id) end
  table.sort(ties, function(a, b)
    if by[a] ~= by[b] then return by[a] < by[b] end
    return a < b
  end)
  for i = 1, k - #out do out[#out + 1] = ties[i] end
  return out
end
