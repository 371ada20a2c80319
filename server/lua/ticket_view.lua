-- ticket_view: one ticket with the number of people before it, read at one instant.
-- reads only: it never writes, so it can run while Redis refuses writes.
-- KEYS: tickets counters service_times layout...
-- ARGV: ticket layout...
-- KEYS[1] = tickets:{day} (hash)  KEYS[2] = counters (hash)  KEYS[3] = service times (hash)  KEYS[4..] = layout
-- ARGV[1] = ticket id  ARGV[2..] = layout
local L = layout(4, 2)
local t = get_record(KEYS[1], ARGV[1])
if not t then return fail('ticket_not_found') end
return reply_ok({ticket = t, ahead = people_ahead(L, t), extra_ahead = dossiers_ahead(L, KEYS[1], t), counters = redis.call('HVALS', KEYS[2]),
                 service_times = redis.call('HGET', KEYS[3], t.field) or false})
