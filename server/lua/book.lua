-- book: hold a place in an appointment slot. The slot's capacity and the phone's share are
-- checked and counted here, so two bookings cannot both take the last place.
-- KEYS: bookings link events evseq issuer_minute
-- ARGV: now day code field slot start capacity phone per_phone actor link_value keep_seconds per_minute
-- KEYS[1] = appt:{day} (hash 'b:<code>' -> booking, 's:<field>:<HHMM>' / 'p:<phone key>' -> held)
-- KEYS[2] = the booking's link key (string)  KEYS[3] = events  KEYS[4] = evseq
-- KEYS[5] = this issuer's tickets and bookings this minute (string, as issue counts them)
-- ARGV[1] = now (ms)  ARGV[2] = the slot's day (YYYYMMDD)  ARGV[3] = booking code  ARGV[4] = field
-- ARGV[5] = slot (HHMM)  ARGV[6] = slot start (ms)  ARGV[7] = the slot's capacity
-- ARGV[8] = phone key ('' = booked at a kiosk)  ARGV[9] = bookings a phone may hold that day  ARGV[10] = actor
-- ARGV[11] = what the link points to  ARGV[12] = how long the day's bookings and the link stay in Redis (s)
-- ARGV[13] = the slips a kiosk may give a minute, numbers and bookings together (0: not a kiosk)
local now, day, code, field, slot = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local slot_key = 's:' .. field .. ':' .. slot
local capacity = tonumber(ARGV[7])
if tonumber(redis.call('HGET', KEYS[1], slot_key) or '0') >= capacity then
  return fail('slot_full', {capacity = capacity})
end
local phone = ARGV[8]
if phone ~= '' and tonumber(redis.call('HGET', KEYS[1], 'p:' .. phone) or '0') >= tonumber(ARGV[9]) then
  return fail('booking_phone_limit', {limit = tonumber(ARGV[9])})
end
local b = {code = code, day = day, field = field, slot = slot, start = tonumber(ARGV[6]), status = 'booked',
           booked_at = now, booked_by = ARGV[10], remote = (phone ~= '')}
if phone ~= '' then b.phone = phone end
if redis.call('HEXISTS', KEYS[1], 'b:' .. code) == 1 then return fail('booking_code_taken') end
-- A kiosk cannot take a day's places in a flood: a booking counts against its slips a minute,
-- as a number does (a place refused above did not count).
local flood = kiosk_flood(KEYS[5], tonumber(ARGV[13]))
if flood then return flood end
redis.call('HSET', KEYS[1], 'b:' .. code, cjson.encode(b))
redis.call('HINCRBY', KEYS[1], slot_key, 1)
if phone ~= '' then redis.call('HINCRBY', KEYS[1], 'p:' .. phone, 1) end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[12]))
redis.call('SET', KEYS[2], ARGV[11], 'EX', tonumber(ARGV[12]))
b.phone = nil
local seq = emit(KEYS[3], KEYS[4], 'appointment.booked', now, {booking = b, actor = ARGV[10]})
return reply_ok({booking = b, seq = seq, left = capacity - tonumber(redis.call('HGET', KEYS[1], slot_key))})
