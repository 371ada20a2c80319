-- restore: a visitor marked absent turns up after all; within the restore window the ticket
-- goes back to the front of its line (before everyone waiting in it now).
-- KEYS: tickets noshow events evseq layout...
-- ARGV: now ticket window actor layout...
-- KEYS[1] = tickets:{day} (hash)  KEYS[2] = noshow:{day} (zset)  KEYS[3] = events  KEYS[4] = evseq
-- KEYS[5..] = the day's layout
-- ARGV[1] = now (ms)  ARGV[2] = ticket id  ARGV[3] = window (ms)  ARGV[4] = actor  ARGV[5..] = layout
local now = tonumber(ARGV[1])
local L = layout(5, 5)
local t = get_record(KEYS[1], ARGV[2])
if not t then return fail('ticket_not_found') end
if t.state ~= 'no_show' then return fail('wrong_state', {state = t.state}) end
if now - t.noshow_at > tonumber(ARGV[3]) then return fail('restore_window_passed') end

local line = line_of(L, t)
local score = queue_score(t)
local head = redis.call('ZRANGE', line, 0, 0, 'WITHSCORES')
if head[2] and tonumber(head[2]) <= score then score = tonumber(head[2]) - 1 end
t.state = 'waiting'
t.restored_at = now
t.called_at, t.counter = nil, nil
redis.call('ZADD', line, score, t.id)
count_extra(L, t, 1)
redis.call('ZREM', KEYS[2], t.id)
put_record(KEYS[1], t.id, t)
local seq = emit(KEYS[3], KEYS[4], 'ticket.restored', now, {ticket = t, actor = ARGV[4],
                                                                  waiting = waiting_of(L, {t.field})})
return reply_ok({ticket = t, seq = seq, ahead = people_ahead(L, t)})
