--[[
  splitRecord: the parts of a stored record
  "<a|e>|<lastSeenAt>|<createdAt>|<endedAt>|<endReason>|<device>|<json>"
  (device: the URI-encoded device id, '' for none; json: the fields that never change).
  Input:  v (any value read from a hash)
  Output: state, lastRaw, createdRaw, endedRaw, reason, device, json (strings), or nil
          when v is not a record this store wrote (junk)
]]
local function splitRecord(v)
  if type(v) ~= 'string' then return nil end
  local st, last, created, ended, reason, device, json =
    string.match(v, '^([ae])|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.+)$')
  if not st or not tonumber(last) or not tonumber(created) then return nil end
  if st == 'e' and (not tonumber(ended) or reason == '') then return nil end
  return st, last, created, ended, reason, device, json
end
