--[[
  Deletes the keys of a principal that hold a value of the wrong type (written by
  something else: every other script would fail on them), so the principal heals. Run
  by the store when a script failed with WRONGTYPE; the store reports what it deleted.

  Input:
    KEYS[1..8] as in admit-8.lua

  Output: the names of the keys deleted (array)
]]
local want = { 'hash', 'zset', 'zset', 'zset', 'hash', 'zset', 'string', 'zset' }
local deleted = {}
for i = 1, 8 do
  local t = redis.call('TYPE', KEYS[i]).ok
  local bad = t ~= 'none' and t ~= want[i]
  if not bad and i == 7 and t == 'string' then bad = not tonumber(redis.call('GET', KEYS[7])) end
  if bad then
    redis.call('DEL', KEYS[i])
    deleted[#deleted + 1] = KEYS[i]
  end
end
return deleted
