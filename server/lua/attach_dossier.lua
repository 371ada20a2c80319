-- attach_dossier: the code of a dossier (mã hồ sơ) the officer received, attached to the
-- counter's current ticket, or to the one it finished last today (the code is often typed
-- once the visitor has gone); the one-stop software matches ratings and times by it.
-- KEYS: counters tickets events evseq
-- ARGV: now day counter actor actor_is_admin code limit
-- KEYS[1] = counters (hash)  KEYS[2] = tickets:{day} (hash)  KEYS[3] = events  KEYS[4] = evseq
-- ARGV[1] = now (ms)  ARGV[2] = day  ARGV[3] = counter id  ARGV[4] = actor  ARGV[5] = actor is admin
-- ARGV[6] = the dossier code  ARGV[7] = the most codes one ticket keeps
local now, day, cid, actor, code = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4], ARGV[6]

local c = counter_record(KEYS[1], cid)
local refused = operable(c, actor, ARGV[5])
if refused then return fail(refused) end
local t = current_ticket(c, KEYS[2], day)
if not t and c.last_finished and string.sub(c.last_finished, 1, #day + 1) == day .. '-' then
  t = get_record(KEYS[2], c.last_finished)
end
if not t or (t.state ~= 'called' and t.state ~= 'serving' and t.state ~= 'done') then
  return fail('no_current_ticket')
end
local dossiers = t.dossiers or {}
if dossiers[1] == nil then dossiers = {} end
for _, d in ipairs(dossiers) do
  if d.code == code then return reply_ok({ticket = t, already = true}) end
end
if #dossiers >= tonumber(ARGV[7]) then return fail('too_many_dossiers', {limit = tonumber(ARGV[7])}) end
table.insert(dossiers, {code = code, at = now, counter = tonumber(cid), officer = actor})
t.dossiers = dossiers
put_record(KEYS[2], t.id, t)
local seq = emit(KEYS[3], KEYS[4], 'ticket.dossier_attached', now,
                 {ticket = t, counter = tonumber(cid), actor = actor, dossier = code})
return reply_ok({ticket = t, seq = seq})
