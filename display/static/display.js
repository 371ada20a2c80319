/* The lobby display: pushed updates only, no polling. After a restart or a network cut
   Socket.IO reconnects by itself and the server sends a fresh snapshot. */
(function () {
  "use strict";
  const {t, api, localName} = QMS;
  const cfg = window.DISPLAY;
  const $ = (id) => document.getElementById(id);
  const HIGHLIGHT_MS = 8000;

  const state = {token: null, me: null, hall: null, counters: {}, waiting: {}, recent: [], live: null,
                 announcer: null, snapshots: 0, updates: 0, highlightTimer: null};
  window.lobby = state;

  const shows = {
    counter: (n) => !state.me.counters.length || state.me.counters.includes(Number(n)),
    field: (code) => !state.me.fields.length || state.me.fields.includes(code),
  };

  function counterName(n) {
    const c = state.hall.counters.find((x) => x.number === Number(n));
    return c ? c.name : t("display.counter_n", {n});
  }

  // -- drawing --------------------------------------------------------------------------
  function renderCounters() {
    const grid = $("counters");
    grid.innerHTML = "";
    state.hall.counters.filter((c) => shows.counter(c.number)).forEach((c) => {
      const s = state.counters[c.number] || {status: "closed"};
      const tile = document.createElement("div");
      tile.className = "tile status-" + s.status + (s.flash ? " flash" : "");
      tile.dataset.counter = c.number;
      const name = document.createElement("div");
      name.className = "tile-name";
      name.textContent = c.name;
      const number = document.createElement("div");
      number.className = "tile-number";
      number.textContent = s.status === "open" && s.label ? s.label : "";
      const foot = document.createElement("div");
      foot.className = "tile-foot";
      if (s.status === "paused") foot.textContent = t("display.paused") + (s.pause_reason ? ": " + s.pause_reason : "");
      else if (s.status === "closed") foot.textContent = t("display.closed");
      else if (!s.label) foot.textContent = t("display.free");
      else foot.textContent = s.officer_name || "";
      tile.append(name, number, foot);
      grid.appendChild(tile);
    });
  }

  function renderRecent() {
    const list = $("recent");
    list.innerHTML = "";
    state.recent.slice(0, state.me.recent_calls).forEach((call) => {
      const li = document.createElement("li");
      li.dataset.ticket = call.id || call.label;
      if (call.blink) li.className = "blink";
      li.innerHTML = '<span class="r-number"></span><span class="arrow">→</span><span class="r-counter"></span>';
      li.querySelector(".r-number").textContent = call.label;
      li.querySelector(".r-counter").textContent = counterName(call.counter);
      list.appendChild(li);
    });
    // As many calls as fit above the waiting counts, which are always shown whole.
    const room = list.getBoundingClientRect().bottom;
    while (list.lastElementChild && list.lastElementChild.getBoundingClientRect().bottom > room + 1) {
      list.removeChild(list.lastElementChild);
    }
  }

  /** A call goes to the top of the list; a recall (or a restored ticket called again) moves
   *  its row there and makes it blink again, never a second row. */
  function remember(call) {
    state.recent.forEach((c) => { c.blink = false; });
    state.recent = [Object.assign({}, call, {blink: true})]
      .concat(state.recent.filter((c) => (c.id || c.label) !== (call.id || call.label))).slice(0, 20);
    clearTimeout(state.recentTimer);
    state.recentTimer = setTimeout(() => {
      state.recent.forEach((c) => { c.blink = false; });
      renderRecent();
    }, HIGHLIGHT_MS);
  }

  function renderWaiting() {
    const list = $("waiting");
    list.innerHTML = "";
    state.hall.fields.filter((f) => shows.field(f.code)).forEach((f) => {
      const w = state.waiting[f.code] || {waiting: 0};
      const li = document.createElement("li");
      li.dataset.field = f.code;
      li.innerHTML = '<span class="w-name"></span><span class="w-count"></span>';
      li.querySelector(".w-name").textContent = localName(f);
      li.querySelector(".w-count").textContent = String(w.waiting);
      list.appendChild(li);
    });
  }

  /** The waiting counts whole, in the largest type that lets every field fit; then the
   *  recent calls in the room left. */
  function renderSide() {
    renderWaiting();
    const side = document.querySelector(".side");
    const list = $("waiting");
    if (getComputedStyle(side).display !== "none" && getComputedStyle(list).display !== "none") {
      let size = 2.5;  // vh
      list.style.fontSize = size + "vh";
      const limit = () => side.getBoundingClientRect().bottom - 4;
      while (list.getBoundingClientRect().bottom > limit() && size > 1.4) {
        size -= 0.1;
        list.style.fontSize = size.toFixed(1) + "vh";
      }
    }
    renderRecent();
  }

  function showLatest(label, counter) {
    $("latest-number").textContent = label;
    $("latest-counter").textContent = counterName(counter);
    const box = $("latest");
    box.classList.remove("idle", "blink");
    void box.offsetWidth;  // restart the animation for a repeated call
    box.classList.add("blink");
    clearTimeout(state.highlightTimer);
    state.highlightTimer = setTimeout(() => {
      box.classList.remove("blink");
      Object.values(state.counters).forEach((c) => { c.flash = false; });
      renderCounters();
    }, HIGHLIGHT_MS);
  }

  // -- live state ------------------------------------------------------------------------
  function counterFrom(cs, ticket) {
    const s = {status: cs.status, officer_name: cs.officer_name, pause_reason: cs.pause_reason, label: null};
    if (cs.ticket) s.label = cs.ticket.label;
    else if (ticket && cs.current === ticket.id) s.label = ticket.label;
    else if (cs.current && state.counters[cs.number] && state.counters[cs.number].current === cs.current) {
      s.label = state.counters[cs.number].label;
    }
    s.current = cs.current;
    const prev = state.counters[cs.number];
    if (cs.ticket) s.ticket_state = cs.ticket.state;
    else if (ticket && cs.current === ticket.id) s.ticket_state = ticket.state;
    else if (prev && prev.current === cs.current) s.ticket_state = prev.ticket_state;
    return s;
  }

  /** A call is still worth saying while its counter is open and still calling that number. */
  function stillCurrent(call) {
    const c = state.counters[call.counter];
    return Boolean(c && c.status === "open" && c.label === call.label && (!c.ticket_state || c.ticket_state === "called"));
  }

  function onSnapshot(snap) {
    state.snapshots += 1;
    state.counters = {};
    snap.counters.forEach((c) => { state.counters[c.number] = counterFrom(c, null); });
    state.waiting = snap.waiting;
    const seen = new Set();
    state.recent = snap.calls.filter((c) => shows.counter(c.counter))
      .map((c) => ({id: c.id, label: c.label, counter: Number(c.counter)}))
      .filter((c) => !seen.has(c.id || c.label) && seen.add(c.id || c.label));  // a recall is the same row
    renderCounters();
    renderSide();
    if (state.recent.length && $("latest-number").textContent === "—") {
      $("latest-number").textContent = state.recent[0].label;
      $("latest-counter").textContent = counterName(state.recent[0].counter);
    }
  }

  /** A visit to several fields: one service done, the lobby says where the number goes next
   *  (in the notice line, for half a minute), as its phone does. */
  function movedOn(ticket) {
    const field = state.hall.fields.find((f) => f.code === ticket.field);
    const text = t("display.moved_on", {label: ticket.label, field: field ? localName(field) : ticket.field});
    $("notice").textContent = text;
    $("notice").classList.add("moved-on");
    clearTimeout(state.movedTimer);
    state.movedTimer = setTimeout(() => {
      $("notice").classList.remove("moved-on");
      $("notice").textContent = state.me.notice || t("display.default_notice");
    }, 30000);
  }

  function onUpdate(event) {
    state.updates += 1;
    if (event.type === "day.closed") { state.live.resync(); return; }
    if (event.counter_state) {
      const prev = state.counters[event.counter_state.number] || {};
      state.counters[event.counter_state.number] = Object.assign(counterFrom(event.counter_state, event.ticket),
                                                                  {flash: prev.flash});
    }
    Object.entries(event.waiting || {}).forEach(([code, w]) => { state.waiting[code] = Object.assign({}, state.waiting[code], w); });
    if (event.type === "ticket.moved_on" && event.ticket && shows.field(event.ticket.field)) movedOn(event.ticket);
    if ((event.type === "ticket.called" || event.type === "ticket.recalled") && shows.counter(event.counter)) {
      const call = {id: event.ticket.id, label: event.ticket.label, counter: event.counter};
      remember(call);
      state.counters[event.counter].flash = true;
      showLatest(call.label, call.counter);
      state.announcer.announce(call.label, call.counter);
    }
    renderCounters();
    renderSide();
  }

  function onStatus(online, reason) {
    const el = $("connection");
    el.textContent = online ? "" : t("common.reconnecting");
    el.classList.toggle("offline", !online);
    // Refused for its token (revoked, or renewed in the administration) or its site (removed by
    // the province): set up again.
    if (!online && reason && /token|revoked|wrong_site|unknown_site/.test(reason)) {
      state.live.socket.disconnect();
      $("setup").classList.remove("hidden");
    }
  }

  /** Its settings (fields, counters, layout, notice, voice) and the hall's, read again and drawn. */
  async function reconfigure() {
    const [me, hall] = await Promise.all([
      api("GET", "/sites/" + cfg.site + "/me", undefined, state.token),
      api("GET", "/sites/" + cfg.site + "/hall", undefined, state.token),
    ]);
    if (me.status !== 200 || hall.status !== 200) return;   // refused: the socket says so and shows set-up
    document.body.classList.remove("layout-" + (state.me.layout || "standard"));
    state.me = me.data;
    state.hall = hall.data;
    state.reconfigured = (state.reconfigured || 0) + 1;
    document.body.classList.add("layout-" + (state.me.layout || "standard"));
    $("notice").textContent = state.me.notice || t("display.default_notice");
    $("display-site").textContent = QMS.localName(state.hall.site);
    Object.assign(state.announcer.options, {repeat: state.me.voice_repeat, readDigits: state.me.read_digits,
                                            mode: state.me.voice, speed: state.me.voice_speed || 1.1});
    if (state.me.voice === "clips" && !state.announcer.manifest) state.announcer.ready = state.announcer._load();
    state.live.resync();   // a snapshot drawn with the new settings
  }

  async function start() {
    QMS.clock($("clock"), cfg.timezone);
    state.token = QMS.deviceToken(cfg.site);
    const [me, hall] = state.token ? await Promise.all([
      api("GET", "/sites/" + cfg.site + "/me", undefined, state.token),
      api("GET", "/sites/" + cfg.site + "/hall", undefined, state.token),
    ]) : [{status: 0}, {status: 0}];
    if (me.status !== 200 || hall.status !== 200 || me.data.kind !== "display") {
      $("setup").classList.remove("hidden");
      return;
    }
    state.me = me.data;
    state.hall = hall.data;
    document.body.classList.add("layout-" + (state.me.layout || "standard"));
    $("notice").textContent = state.me.notice || t("display.default_notice");
    state.announcerAt = performance.now();
    state.announcer = new Announcer({
      base: cfg.voice_base, repeat: state.me.voice_repeat, readDigits: state.me.read_digits, mode: state.me.voice,
      speed: state.me.voice_speed || 1.1, isCurrent: stillCurrent,
      onBlocked: () => {
        state.soundBlockedAfterMs = performance.now() - state.announcerAt;  // shown to tests and people
        $("sound-overlay").classList.remove("hidden");
      },
    });
    $("sound-on").addEventListener("click", async () => {
      await state.announcer.unlock();
      $("sound-overlay").classList.add("hidden");
    });
    state.live = new QMS.Live({auth: {site: cfg.site, token: state.token}, onSnapshot, onUpdate, onStatus,
      // Its settings or the hall changed in the administration: read them again in place (a
      // reload would need a tap on the TV to let it speak again).
      events: {settings: reconfigure}});
  }

  document.addEventListener("DOMContentLoaded", start);
})();
