--[[
  publish: announces ended sessions on the revocation bus: one message
  "<origin>\n<record>\n<record>…".
  Input:  channel ('' when the bus is off), origin, ended (array of tombstone records)
  Output: nothing
]]
local function publish(channel, origin, ended)
  if channel == '' or #ended == 0 then return end
  redis.call('PUBLISH', channel, origin .. '\n' .. table.concat(ended, '\n'))
end
