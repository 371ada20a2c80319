-- add_next: the officer adds a field to the visit of the ticket at the counter (or the one it
-- finished last today, whose visit then goes on there at once): once this service is done, the
-- visitor joins that field's line in the place their number gave them.
-- KEYS: counters tickets events evseq layout...
-- ARGV: now day counter actor actor_is_admin field limit layout...
-- KEYS[1] = counters (hash)  KEYS[2] = tickets:{day} (hash)  KEYS[3] = events  KEYS[4] = evseq
-- KEYS[5..] = the day's layout
-- ARGV[1] = now (ms)  ARGV[2] = day  ARGV[3] = counter id  ARGV[4] = actor  ARGV[5] = actor is admin
-- ARGV[6] = the field  ARGV[7] = the most fields one visit has  ARGV[8..] = layout
local now, day, cid, actor, code = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4], ARGV[6]
local L = layout(5, 8)
local c = counter_record(KEYS[1], cid)
local refused = operable(c, actor, ARGV[5])
if refused then return fail(refused) end
local t = current_ticket(c, KEYS[2], day)
local finished = false
if not t and c.last_finished and string.sub(c.last_finished, 1, #day + 1) == day .. '-' then
  t = get_record(KEYS[2], c.last_finished)
  finished = t and t.state == 'done'
end
if not t or (t.state ~= 'called' and t.state ~= 'serving' and not finished) then
  return fail('no_current_ticket')
end
local rest = t.next_fields
if type(rest) ~= 'table' or rest[1] == nil then rest = {} end
local visited = t.visited
if type(visited) ~= 'table' or visited[1] == nil then visited = {} end
if code == t.field then return fail('bad_visit', {reason = 'same_field'}) end
for _, f in ipairs(rest) do if f == code then return reply_ok({ticket = t, already = true}) end end
if #visited + 1 + #rest + 1 > tonumber(ARGV[7]) then return fail('bad_visit', {max = tonumber(ARGV[7])}) end
table.insert(rest, code)
t.next_fields = rest
local seq = emit(KEYS[3], KEYS[4], 'ticket.visit_extended', now, {ticket = t, counter = tonumber(cid), actor = actor,
                                                                  field = code})
local from = finished and move_on(L, t, now)
if from then
  seq = emit(KEYS[3], KEYS[4], 'ticket.moved_on', now, {ticket = t, from_field = from, counter = tonumber(cid),
                                                        waiting = waiting_of(L, {from, t.field})})
end
put_record(KEYS[2], t.id, t)
return reply_ok({ticket = t, seq = seq})
