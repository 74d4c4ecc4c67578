--[[
  Writes the records planned in JavaScript by a custom eviction policy, if and only if
  nobody wrote the principal since they were read (compare-and-set on the write
  counter): the optimistic path. On a conflict nothing is written and the caller
  re-reads and re-plans.

  Input:
    KEYS[1], KEYS[2], ARGV[1..8]: see includes/principal.lua
    ARGV[9]  the write counter read by load-2.lua ('' when there was no key)
    ARGV[10] n, the number of ended records to publish
    ARGV[11 .. 10+n] the ended records (encoded)
    ARGV[11+n ..] the principal's complete new record set: id, record, id, record, ...

  Output: 'ok', or 'conflict'
]]
-- @include "includes/principal.lua"

local records, corrupt = load()
if (S.version or '') ~= ARGV[9] then return 'conflict' end
local n = tonumber(ARGV[10])
local ended = {}
for i = 1, n do ended[i] = parse('', ARGV[10 + i]) end
local kept, keep = {}, {}
for i = 11 + n, #ARGV, 2 do
  local r = parse(ARGV[i], ARGV[i + 1])
  r.dirty = true
  kept[#kept + 1] = r
  keep[r.id] = true
end
for _, r in ipairs(records) do
  if not keep[r.id] then S.drop[#S.drop + 1] = r.id end
end
persist(kept, ended, corrupt)
return 'ok'
