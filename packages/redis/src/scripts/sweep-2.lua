--[[
  Sweeps one principal found due in its bucket's deadline index: ends its expired
  sessions, forgets old tombstones and re-indexes its next deadline (or removes it from
  the index when nothing of it is left or nothing of it can expire).

  Input:
    KEYS[1], KEYS[2], ARGV[1..8]: see includes/principal.lua

  Output: { expired[], corrupt[] }
]]
-- @include "includes/principal.lua"

local records, corrupt = load()
local kept, expired = refresh(records)
persist(kept, expired, corrupt)
return { encodeAll(expired), corrupt }
