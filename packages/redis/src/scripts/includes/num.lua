--[[
  num: a number argument, 'inf' for none.
  Input:  s (string: a number, or 'inf')
  Output: the number (math.huge for 'inf')
]]
local function num(s)
  if s == 'inf' then return math.huge end
  return tonumber(s)
end
