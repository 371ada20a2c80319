-- issue: give a visitor the next number of a field and put the ticket in line.
-- KEYS: seq numbers tickets events evseq idempotency token open_days counters service_times issuer_minute pickups remote bookings held layout...
-- ARGV: now day field priority weight first last daily_cap prefix digits token token_ttl idempotency_ttl actor per_minute pickup dossiers remote_phone per_phone remote_cap arrive_by then appointment layout_then_counters...
-- KEYS[1] = seq (string)          KEYS[2] = numbers:{day} (hash field -> last number)
-- KEYS[3] = tickets:{day} (hash)   KEYS[4] = events (stream)      KEYS[5] = evseq (string)
-- KEYS[6] = idempotency key (string, JSON {id, token}; unused when ARGV[13] = 0)
-- KEYS[7] = token key (string)     KEYS[8] = open days (set)      KEYS[9] = counters (hash)
-- KEYS[10] = service times (hash)  KEYS[11] = this issuer's requests this minute (string)
-- KEYS[12] = pickups:{day} (hash dossier code -> the ticket collecting its result)
-- KEYS[13] = remote:{day} (hash 'p:<phone key>' / 'f:<field>' -> numbers taken away from the hall)
-- KEYS[14] = appt:{day} (the day's bookings)  KEYS[15] = held:{day} (zset ticket -> when it joins its line)
-- KEYS[16..] = the day's layout
-- ARGV[1] = now (ms)  ARGV[2] = day  ARGV[3] = field  ARGV[4] = priority category ('' = none)
-- ARGV[5] = weight    ARGV[6] = first number  ARGV[7] = last number  ARGV[8] = daily cap (0 = none)
-- ARGV[9] = prefix    ARGV[10] = digits       ARGV[11] = token  ARGV[12] = token ttl (s)
-- ARGV[13] = idempotency ttl (s, 0 = no key)  ARGV[14] = actor
-- ARGV[15] = tickets this issuer may take per minute (0 = no limit)
-- ARGV[16] = the dossier code whose result the visitor collects ('' = a visit to file one)
-- ARGV[17] = how many dossiers the visitor brings (1 unless a bulk submitter says more)
-- ARGV[18] = the phone key of a number taken remotely ('' = in the hall)  ARGV[19] = its numbers a day
-- ARGV[20] = the field's remote numbers a day (0 = no cap)  ARGV[21] = arrive by (ms, 0 = no lapse)
-- ARGV[22] = the fields the visit goes on to, in order, comma-separated ('' = this one only)
-- ARGV[23] = an appointment checked in ('' = none): JSON {code, due (ms), weight (0: first), late}; a late
-- one is an ordinary number
-- ARGV[24..] = layout (this field only),
-- then the ids of the counters serving the field (their state feeds the estimated wait)
local now, day, field = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local L = layout(16, 24)
if not L.fields[field] then return fail('unknown_field') end

if ARGV[13] ~= '0' then
  local earlier = redis.call('GET', KEYS[6])
  if earlier then
    local prior = cjson.decode(earlier)
    return reply_ok({replayed = true, id = prior.id, token = prior.token})
  end
end

-- A kiosk's slips a minute (a retry above did not count).
local flood = kiosk_flood(KEYS[11], tonumber(ARGV[15]))
if flood then return flood end

-- One visitor in line per result: a second scan of the same receipt shows the number taken.
local pickup = ARGV[16]
if pickup ~= '' then
  local holder = redis.call('HGET', KEYS[12], pickup)
  local held = holder and get_record(KEYS[3], holder)
  if held and (held.state == 'waiting' or held.state == 'called' or held.state == 'serving') then
    return fail('pickup_already_queued', {ticket = held.id, label = held.label})
  end
end

-- Taken away from the hall: a phone takes its few numbers, a field gives its remote share.
local phone = ARGV[18]
if phone ~= '' then
  local per_phone = tonumber(ARGV[19])
  if tonumber(redis.call('HGET', KEYS[13], 'p:' .. phone) or '0') >= per_phone then
    return fail('remote_phone_limit', {limit = per_phone})
  end
  local remote_cap = tonumber(ARGV[20])
  if remote_cap > 0 and tonumber(redis.call('HGET', KEYS[13], 'f:' .. field) or '0') >= remote_cap then
    return fail('remote_cap_reached', {cap = remote_cap})
  end
end

-- An appointment checked in: its booking is used once (two kiosks scanning it: the second is told).
local appointment = ARGV[23] ~= '' and cjson.decode(ARGV[23]) or nil
local booking
if appointment then
  booking = get_record(KEYS[14], 'b:' .. appointment.code)
  if not booking then return fail('booking_not_found') end
  if booking.status ~= 'booked' then
    local holder = booking.ticket and get_record(KEYS[3], booking.ticket)
    return fail('booking_used', {status = booking.status, label = holder and holder.label or nil})
  end
end

local first, last, cap = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local previous = tonumber(redis.call('HGET', KEYS[2], field) or (first - 1))
local issued_today = previous - first + 1
if cap > 0 and issued_today >= cap and not appointment then   -- a booked place is not a walk-in's
  return fail('daily_cap_reached', {cap = cap})
end
if previous >= last then
  return fail('number_range_exhausted', {last = last})
end
local number = previous + 1
redis.call('HSET', KEYS[2], field, number)

local order = redis.call('INCR', KEYS[1])
local category = ARGV[4]
local t = {
  id = day .. '-' .. order, day = day, number = number, field = field, order = order,
  label = (ARGV[9] ~= '' and string.format('%s%0' .. ARGV[10] .. 'd', ARGV[9], number)) or tostring(number),
  lane = (category ~= '' and 'p') or 'n', weight = tonumber(ARGV[5]),
  state = 'waiting', issued_at = now, issued_by = ARGV[14], recalls = 0, transfers = 0,
}
if category ~= '' then t.category = category end
if ARGV[22] ~= '' then
  local rest = {}
  for code in string.gmatch(ARGV[22], '[^,]+') do table.insert(rest, code) end
  t.next_fields = rest
end
local declared = tonumber(ARGV[17])
if declared > 1 then t.dossiers_declared = declared end
if phone ~= '' then
  t.remote = true
  if ARGV[21] ~= '0' then t.arrive_by = tonumber(ARGV[21]) end
  redis.call('HINCRBY', KEYS[13], 'p:' .. phone, 1)
  redis.call('HINCRBY', KEYS[13], 'f:' .. field, 1)
end
if pickup ~= '' then
  t.pickup = pickup
  redis.call('HSET', KEYS[12], pickup, t.id)
end
local held_until
if appointment then
  t.appointment = appointment.code
  if appointment.late then
    t.appointment_late = true
  else
    -- At its slot time it goes before walk-ins: in the priority lane, with its weight (FIRST_WEIGHT:
    -- before every walk-in, whatever the ratio); checked in early, it waits for that time.
    local weight = tonumber(appointment.weight)
    t.lane, t.weight, t.due_at = 'p', (weight > 0 and weight) or FIRST_WEIGHT, tonumber(appointment.due)
    if t.due_at > now then held_until = t.due_at end
  end
  booking.status = (appointment.late and 'late') or 'checked_in'
  booking.ticket = t.id
  booking.checked_in_at = now
  put_record(KEYS[14], 'b:' .. appointment.code, booking)
end
put_record(KEYS[3], t.id, t)
if held_until then
  redis.call('ZADD', KEYS[15], held_until, t.id)
else
  redis.call('ZADD', L.fields[field][t.lane], queue_score(t), t.id)
  count_extra(L, t, 1)
end
redis.call('SADD', KEYS[8], day)
redis.call('SET', KEYS[7], t.id, 'EX', tonumber(ARGV[12]))
if ARGV[13] ~= '0' then
  redis.call('SET', KEYS[6], cjson.encode({id = t.id, token = ARGV[11]}), 'EX', tonumber(ARGV[13]))
end

local ahead = people_ahead(L, t)
local extra_ahead = dossiers_ahead(L, KEYS[3], t)
local seq = emit(KEYS[4], KEYS[5], 'ticket.issued', now,
                 {ticket = t, actor = ARGV[14], waiting = waiting_of(L, {field})})
if booking then
  booking.phone = nil
  emit(KEYS[4], KEYS[5], 'appointment.checked_in', now, {booking = booking, actor = ARGV[14]})
end
return reply_ok({ticket = t, ahead = ahead, extra_ahead = extra_ahead, seq = seq,
                 counters = serving_counters(KEYS[9], L.next_arg),
                 service_times = redis.call('HGET', KEYS[10], field) or false})
