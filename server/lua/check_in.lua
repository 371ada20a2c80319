-- check_in: a visitor who took a number away from the hall confirms at a kiosk that they are
-- here (their phone page's QR code scanned): the number then never lapses.
-- KEYS: tickets events evseq layout...
-- ARGV: now ticket actor layout...
-- KEYS[1] = tickets:{day} (hash)  KEYS[2] = events  KEYS[3] = evseq  KEYS[4..] = the day's layout
-- ARGV[1] = now (ms)  ARGV[2] = ticket id  ARGV[3] = actor  ARGV[4..] = layout
local now = tonumber(ARGV[1])
local L = layout(4, 4)
local t = get_record(KEYS[1], ARGV[2])
if not t then return fail('ticket_not_found') end
if not t.remote then return fail('not_remote') end
if t.checked_in_at then return reply_ok({ticket = t, already = true, ahead = people_ahead(L, t)}) end
if t.state ~= 'waiting' then return fail('wrong_state', {state = t.state}) end
if t.arrive_by and now > t.arrive_by then return fail('remote_lapsed', {label = t.label}) end
t.checked_in_at = now
put_record(KEYS[1], t.id, t)
local seq = emit(KEYS[2], KEYS[3], 'ticket.checked_in', now, {ticket = t, actor = ARGV[3]})
return reply_ok({ticket = t, seq = seq, ahead = people_ahead(L, t), extra_ahead = dossiers_ahead(L, KEYS[1], t)})
