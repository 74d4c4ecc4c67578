--[[
  expiryReason: why an active session has expired at now, or nil while it is live
  (R7: the absolute timeout wins when both have passed; times are inclusive).
  Input:  last, created (numbers), now, idle, absolute (numbers; math.huge for none)
  Output: 'absolute', 'idle' or nil
]]
local function expiryReason(last, created, now, idle, absolute)
  if now >= created + absolute then return 'absolute' end
  if now >= last + idle then return 'idle' end
  return nil
end
