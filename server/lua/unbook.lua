-- unbook: the visitor cancels a booking not yet checked in; its place in the slot is free again.
-- KEYS: bookings events evseq
-- ARGV: now code actor
-- KEYS[1] = appt:{day} (hash)  KEYS[2] = events  KEYS[3] = evseq
-- ARGV[1] = now (ms)  ARGV[2] = booking code  ARGV[3] = actor
local now, code = tonumber(ARGV[1]), ARGV[2]
local b = get_record(KEYS[1], 'b:' .. code)
if not b then return fail('booking_not_found') end
if b.status == 'cancelled' then b.phone = nil; return reply_ok({booking = b, already = true}) end
if b.status ~= 'booked' then return fail('booking_used', {status = b.status, ticket = b.ticket}) end
b.status = 'cancelled'
b.cancelled_at = now
put_record(KEYS[1], 'b:' .. code, b)
redis.call('HINCRBY', KEYS[1], 's:' .. b.field .. ':' .. b.slot, -1)
if b.phone then redis.call('HINCRBY', KEYS[1], 'p:' .. b.phone, -1) end
b.phone = nil
local seq = emit(KEYS[2], KEYS[3], 'appointment.cancelled', now, {booking = b, actor = ARGV[3]})
return reply_ok({booking = b, seq = seq})
