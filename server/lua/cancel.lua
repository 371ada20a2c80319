-- cancel: a waiting (or absent) visitor leaves; the ticket leaves its line for good.
-- KEYS: tickets noshow events evseq layout...
-- ARGV: now ticket actor reason layout...
-- KEYS[1] = tickets:{day} (hash)  KEYS[2] = noshow:{day} (zset)  KEYS[3] = events  KEYS[4] = evseq
-- KEYS[5..] = the day's layout
-- ARGV[1] = now (ms)  ARGV[2] = ticket id  ARGV[3] = actor  ARGV[4] = reason  ARGV[5..] = layout
local now = tonumber(ARGV[1])
local L = layout(5, 5)
local t = get_record(KEYS[1], ARGV[2])
if not t then return fail('ticket_not_found') end
if t.state ~= 'waiting' and t.state ~= 'no_show' then return fail('wrong_state', {state = t.state}) end
local line = line_of(L, t)
if line and redis.call('ZREM', line, t.id) == 1 then
  if t.target_counter then count_transferred(L, t.field, -1) end
  count_extra(L, t, -1)
end
redis.call('ZREM', KEYS[2], t.id)
t.previous_state = t.state
t.state = 'cancelled'
t.cancelled_at = now
t.reason = ARGV[4]
put_record(KEYS[1], t.id, t)
local seq = emit(KEYS[3], KEYS[4], 'ticket.cancelled', now, {ticket = t, actor = ARGV[3], reason = ARGV[4],
                 waiting = waiting_of(L, {t.field}, {t.target_counter})})
return reply_ok({ticket = t, seq = seq})
