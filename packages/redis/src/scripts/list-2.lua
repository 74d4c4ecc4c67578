--[[
  Lists a principal's sessions, ending the expired ones on the way (written back only
  when something changed).

  Input:
    KEYS[1], KEYS[2], ARGV[1..8]: see includes/principal.lua

  Output: { sessions[], expired[], corrupt[] }
    sessions: active records and retained tombstones (including those just expired)
]]
-- @include "includes/principal.lua"

local records, corrupt = load()
local kept, expired = refresh(records)
if #expired > 0 or #S.drop > 0 or #corrupt > 0 then persist(kept, expired, corrupt) end
return { encodeAll(kept), encodeAll(expired), corrupt }
