-- archive_lead: take, keep or give up the lead of archiving a site. One archiver writes a
-- site at a time, so its events are projected in stream order; another takes over when
-- the lease runs out (the leader died).
-- KEYS: lease
-- ARGV: archiver lease_ms
-- KEYS[1] = the site's archiver lease (string)
-- ARGV[1] = this archiver's name  ARGV[2] = lease (ms); 0 gives the lead up
-- Answer: lead = 2 taken now, 1 kept, 0 another archiver leads, -1 given up
local holder = redis.call('GET', KEYS[1])
if ARGV[2] == '0' then
  if holder == ARGV[1] then redis.call('DEL', KEYS[1]) end
  return reply_ok({lead = -1})
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return reply_ok({lead = 1})
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return reply_ok({lead = 2})
end
return reply_ok({lead = 0})
