--[[
  Reads a principal's records and write counter for the optimistic path of custom
  eviction policies (see apply-2.lua). Writes nothing.

  Input:
    KEYS[1], KEYS[2], ARGV[1..8]: see includes/principal.lua (only KEYS[1] is read)

  Output: { version, fields[], values[], corrupt[] }
    version: the write counter ('' when the principal has no key)
]]
-- @include "includes/principal.lua"

local records, corrupt = load()
local ids, values = {}, {}
for i, r in ipairs(records) do
  ids[i] = r.id
  values[i] = encode(r)
end
return { S.version or '', ids, values, corrupt }
