--[[
  Ends one active session of a principal, or all of them but one, ending the expired
  ones on the way, and publishes everything that ended.

  Input:
    KEYS[1], KEYS[2], ARGV[1..8]: see includes/principal.lua
    ARGV[9]  'one' (end ARGV[10]) or 'all' (end all; ARGV[10] is the session to keep,
             '' for none: a session id is never empty)
    ARGV[10] the session id
    ARGV[11] the end reason

  Output: { ended[], expired[], corrupt[] }
]]
-- @include "includes/principal.lua"

local mode = ARGV[9]
local id = ARGV[10]
local reason = ARGV[11]

local records, corrupt = load()
local kept, expired = refresh(records)
local ended = {}
for _, r in ipairs(kept) do
  if r.state == 'a' and ((mode == 'one' and r.id == id) or (mode == 'all' and r.id ~= id)) then
    endRecord(r, reason)
    ended[#ended + 1] = r
  end
end
if #ended > 0 or #expired > 0 or #S.drop > 0 or #corrupt > 0 then
  persist(kept, concat(ended, expired), corrupt)
end
return { encodeAll(ended), encodeAll(expired), corrupt }
