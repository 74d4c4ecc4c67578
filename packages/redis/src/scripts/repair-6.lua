--[[
  Deletes the keys of a principal that hold a value of the wrong type (written by
  something else: every other script would fail on them), and a write counter that is
  not an integer, so the principal heals (R18). Run by the store when a script failed
  with WRONGTYPE or "not an integer"; the store reports what it deleted.

  Input:
    KEYS[1..6] the principal's six keys, as scripts/README.md lists them

  Output: the names of the keys (or "<key> ' w'" for the counter field) deleted (array)
]]
local want = { 'hash', 'zset', 'zset', 'zset', 'zset', 'zset' }
local deleted = {}
for i = 1, 6 do
  local t = redis.call('TYPE', KEYS[i]).ok
  if t ~= 'none' and t ~= want[i] then
    redis.call('DEL', KEYS[i])
    deleted[#deleted + 1] = KEYS[i]
  end
end
local w = redis.call('HGET', KEYS[1], ' w')
if w and not string.match(w, '^%d+$') then
  redis.call('HDEL', KEYS[1], ' w')
  deleted[#deleted + 1] = KEYS[1] .. " ' w'"
end
return deleted
