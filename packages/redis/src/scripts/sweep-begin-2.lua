--[[
  Starts a sweep (R20): takes or renews the sweepers' lease, so one process sweeps at
  a time however many share the store, and reads the buckets the sweep summary names as
  due (one read, however many buckets there are).

  Input:
    KEYS[1] the lease (string: the holder's origin, with a TTL)
    KEYS[2] the sweep summary (zset: bucket -> lower bound of its earliest deadline)
    ARGV[1] the caller's origin
    ARGV[2] lease length (ms)
    ARGV[3] now (ms)
    ARGV[4] the most buckets to return

  Output: false when another process holds the lease, else the due buckets (array)
]]
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return false end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if redis.call('TYPE', KEYS[2]).ok ~= 'zset' then redis.call('DEL', KEYS[2]) end
return redis.call('ZRANGE', KEYS[2], '-inf', ARGV[3], 'BYSCORE', 'LIMIT', 0, ARGV[4])
