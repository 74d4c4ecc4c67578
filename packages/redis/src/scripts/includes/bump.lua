--[[
  bump: counts one write of the principal (the compare-and-set version of the
  custom-policy path): the records hash's field ' w' (field names starting with a space
  are metadata; session ids are visible ASCII, so they never collide).
  Input:  keys (KEYS)
  Output: nothing
]]
local function bump(keys)
  redis.call('HINCRBY', keys[1], ' w', 1)
end
