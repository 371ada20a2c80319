/* The officer's desk. Every button has a one-key shortcut; the rules (who is next, what
   is allowed) are the server's: this page only asks and shows the answer. */
(function () {
  "use strict";
  const {t, api, errorText, localName, duration} = QMS;
  const cfg = window.COUNTER;
  const $ = (id) => document.getElementById(id);
  const SHORTCUTS = {n: "call-next", r: "recall", b: "start", h: "finish", v: "no-show", c: "transfer", p: "pause"};
  const REASONS = ["counter.reason_lunch", "counter.reason_meeting", "counter.reason_support", "counter.reason_technical"];

  const state = {me: null, counter: null, snapshot: null, live: null, timer: null, busy: false, queued: null};
  window.desk = state;

  const base = () => "/sites/" + cfg.site;
  const myCounter = () => cfg.counters.find((c) => c.number === state.counter);
  const fieldName = (code) => { const f = cfg.fields.find((x) => x.code === code); return f ? localName(f) : code; };

  function show(view) {
    $("view-login").classList.toggle("hidden", view !== "login");
    $("view-desk").classList.toggle("hidden", view !== "desk");
    $("logout").classList.toggle("hidden", view !== "desk");
    $("password-open").classList.toggle("hidden", view !== "desk");
  }

  // -- signing in -----------------------------------------------------------------------
  function loginView(message) {
    if (state.live) { state.live.socket.disconnect(); state.live = null; }
    $("connection").textContent = "";  // signed out: no connection is expected, none is missing
    $("connection").classList.remove("offline");
    $("who-counter").textContent = "";
    $("who-officer").textContent = "";
    const select = $("login-counter");
    if (!select.options.length) {
      cfg.counters.forEach((c) => {
        const o = document.createElement("option");
        o.value = c.number;
        o.textContent = c.name;
        select.appendChild(o);
      });
    }
    $("login-username").value = localStorage.getItem("qms-officer") || "";
    select.value = localStorage.getItem("qms-counter-" + cfg.site) || String(cfg.counters[0].number);
    $("login-error").textContent = message || "";
    show("login");
    ($("login-username").value ? $("login-password") : $("login-username")).focus();
  }

  async function login(event) {
    event.preventDefault();
    const body = {username: $("login-username").value.trim(), password: $("login-password").value,
                  counter: Number($("login-counter").value)};
    if ($("login-takeover").checked) body.take_over = true;
    const r = await api("POST", base() + "/login", body);
    $("login-password").value = "";
    if (r.status !== 200) { $("login-error").textContent = errorText(r); return; }
    localStorage.setItem("qms-officer", body.username);
    localStorage.setItem("qms-counter-" + cfg.site, String(body.counter));
    startDesk({kind: "officer", id: r.data.officer, name: r.data.name, counter: body.counter});
  }

  async function logout() {
    const r = await api("POST", base() + "/logout", {});
    if (r.status === 204 || r.status === 401) loginView();
    else message(errorText(r), true);
  }

  // The officer's own password: the current one first; the server ends every session opened
  // with the old one (this screen's socket too, which comes back on the new session's cookie).
  function openPassword() {
    $("password-form").reset();
    $("password-error").textContent = "";
    openDialog("password-dialog");
    $("password-current").focus();
  }

  async function changePassword(event) {
    event.preventDefault();
    if ($("password-new").value !== $("password-again").value) {
      $("password-error").textContent = t("counter.password_mismatch");
      return;
    }
    const r = await api("POST", base() + "/password", {current: $("password-current").value,
                                                       new: $("password-new").value});
    if (r.status !== 200) { $("password-error").textContent = errorText(r); return; }
    closeDialogs();
    message(t("counter.password_changed"));
  }

  // -- the desk -------------------------------------------------------------------------
  function startDesk(me) {
    state.me = me;
    state.counter = me.counter;
    $("who-counter").textContent = myCounter() ? myCounter().name : "";
    $("who-officer").textContent = "· " + (me.name || me.id);
    show("desk");
    message("");
    state.live = new QMS.Live({
      auth: {site: cfg.site}, snapshotRequest: {lists: true},
      onSnapshot, onUpdate, events: {state: onState, lists: onLists, settings: onSettings},
      onStatus: (online, reason) => {
        $("connection").textContent = online ? "" : t("common.reconnecting");
        $("connection").classList.toggle("offline", !online);
        if (!online && reason === "unauthorized") loginView(t("counter.session_ended"));
      },
    });
  }

  function onSnapshot(snap) {
    if (!snap.no_shows) { state.live.resync(); return; }  // the first snapshot has no lists: ask for them
    state.snapshot = snap;
    render();
  }

  function mergeWaiting(waiting) { QMS.mergeWaiting(state.snapshot, waiting); }

  // Events carry the counts; the server pushes the rest right after them: ``state`` (figures
  // and counters of the hall) and, to this counter, ``lists`` (its counter, lists, no-shows).
  function onUpdate(event) {
    if (!state.snapshot) return;
    mergeWaiting(event.waiting);
    renderCounts();
  }

  function putCounter(c) {
    const i = state.snapshot.counters.findIndex((x) => x.number === c.number);
    if (i >= 0) state.snapshot.counters[i] = c;
  }

  function onState(message) {
    if (!state.snapshot || !state.live.fresh(message)) return;
    mergeWaiting(message.waiting);
    (message.counters || []).forEach(putCounter);
    render();
  }

  function onLists(message) {
    if (!state.snapshot || !state.live.fresh(message)) return;
    mergeWaiting(message.waiting);
    putCounter(message.counter);
    state.snapshot.counter_queues = Object.assign({}, state.snapshot.counter_queues,
                                                  {[message.counter.number]: message.counter_queue});
    const mine = new Set(Object.keys(message.waiting));
    state.snapshot.no_shows = (state.snapshot.no_shows || []).filter((tk) => !mine.has(tk.field))
      .concat(message.no_shows);
    render();
  }

  function myState() {
    return state.snapshot ? state.snapshot.counters.find((c) => c.number === state.counter) : null;
  }

  function render() {
    const c = myState();
    if (!c) return;
    const ticket = c.ticket && (c.ticket.state === "called" || c.ticket.state === "serving") ? c.ticket : null;
    const badge = $("counter-status");
    badge.textContent = t("counter.status_" + c.status);
    badge.className = "badge status-" + c.status;
    $("current-number").textContent = ticket ? ticket.label : "—";
    // A visitor collecting a result: the dossier to fetch, before they reach the desk.
    $("current-field").textContent = ticket ? fieldName(ticket.field) + (ticket.priority ? " · " + t("counter.priority") : "")
      + (ticket.pickup ? " · " + t("counter.pickup", {code: ticket.pickup}) : "")
      + (ticket.dossiers_declared ? " · " + t("counter.dossiers_declared", {n: ticket.dossiers_declared}) : "")
      + (ticket.visit && ticket.visit.next.length ? " · " + t("counter.visit_next", {fields: ticket.visit.next.map(fieldName).join(", ")}) : "")
      : t("counter.nobody");
    $("current-state").textContent = ticket ? t("counter.ticket_" + ticket.state) : "—";
    $("current-waited").textContent = ticket && ticket.waited_seconds !== null ? QMS.elapsed(ticket.waited_seconds) : "—";
    $("current-recalls").textContent = ticket ? String(ticket.recalls) : "—";
    const paused = c.status === "paused";
    $("current").classList.toggle("paused", paused && !ticket);
    if (paused && !ticket) {
      // Not a giant dash: what the pause is for, and for how long it has lasted.
      $("current-number").textContent = t("counter.status_paused");
      $("current-field").textContent = c.pause_reason || "";
    }
    $("pause-info").classList.toggle("hidden", !paused && !c.pause_pending);
    startPauseClock(c);
    $("pause-label").textContent = t(paused ? "counter.resume" : c.pause_pending ? "counter.pause_cancel" : "counter.pause");
    startTimer(ticket);
    const allowed = {
      "call-next": c.status === "open" && (!ticket || ticket.state === "serving"),
      recall: ticket && (ticket.state === "called" || ticket.state === "serving"),
      start: ticket && ticket.state === "called",
      finish: !!ticket,
      "no-show": ticket && ticket.state === "called",
      transfer: !!ticket,
      pause: c.status === "paused" || c.status === "open",  // with a visitor: after this visitor
    };
    document.querySelectorAll("[data-action]").forEach((b) => { b.disabled = !allowed[b.dataset.action]; });
    renderCounts();
    renderLists(c);
  }

  /** "Tạm nghỉ từ 10:32 (12 phút): Họp giao ban", ticking; or the pause waiting for the visitor. */
  function startPauseClock(c) {
    clearInterval(state.pauseTimer);
    const info = $("pause-info");
    if (c.status === "paused") {
      const since = c.paused_at ? Date.parse(c.paused_at) : Date.now();
      const tick = () => {
        info.textContent = t("counter.paused_since", {time: QMS.clockTime(since, cfg.timezone),
                                                      elapsed: QMS.elapsed((Date.now() - since) / 1000),
                                                      reason: c.pause_reason || ""});
      };
      tick();
      state.pauseTimer = setInterval(tick, 1000);
    } else if (c.pause_pending) {
      info.textContent = t("counter.pause_after_visitor", {reason: c.pause_pending});
    }
  }

  function startTimer(ticket) {
    clearInterval(state.timer);
    const since = ticket ? Date.parse(ticket.state === "serving" ? ticket.started_at : ticket.called_at) : null;
    const tick = () => { $("current-timer").textContent = since ? duration((Date.now() - since) / 1000) : "—"; };
    tick();
    if (since) state.timer = setInterval(tick, 1000);
  }

  function renderCounts() {
    const list = $("waiting-counts");
    list.innerHTML = "";
    (myCounter() ? myCounter().fields : []).forEach((code) => {
      const w = state.snapshot.waiting[code] || {waiting: 0};
      const li = document.createElement("li");
      li.innerHTML = "<span></span><strong></strong>";
      li.children[0].textContent = fieldName(code);
      li.children[1].textContent = String(w.waiting);
      list.appendChild(li);
    });
  }

  function row(ticket, buttonKey, onClick) {
    const li = document.createElement("li");
    li.dataset.ticket = ticket.id;
    const info = document.createElement("span");
    const since = Date.parse(ticket.issued_at);
    info.innerHTML = "<strong></strong> <span></span>";
    info.children[0].textContent = ticket.label;
    info.children[1].textContent = fieldName(ticket.field) + " · " + QMS.elapsed((Date.now() - since) / 1000)
      + (ticket.priority ? " · " + t("counter.priority") : "");
    const b = document.createElement("button");
    b.type = "button";
    b.className = "button secondary small";
    b.textContent = t(buttonKey);
    b.addEventListener("click", onClick);
    li.append(info, b);
    return li;
  }

  function renderLists(c) {
    const mine = myCounter();
    const waitingList = $("waiting-list");
    waitingList.innerHTML = "";
    const direct = (state.snapshot.counter_queues || {})[state.counter] || [];
    const tickets = direct.concat(...mine.fields.map((code) => (state.snapshot.waiting[code] || {}).tickets || []));
    if (!tickets.length) {
      const li = document.createElement("li");
      li.className = "empty";
      li.textContent = t("counter.nobody_waiting");
      waitingList.appendChild(li);
    }
    tickets.forEach((tk) => waitingList.appendChild(row(tk, "counter.call_this",
      () => act("call", {ticket_id: tk.id}))));
    mine.fields.forEach((code) => {   // the head of each line is listed, the rest counted
      const more = (state.snapshot.waiting[code] || {}).more || 0;
      if (!more) return;
      const li = document.createElement("li");
      li.className = "more";
      li.dataset.field = code;
      li.textContent = t("counter.more_waiting", {n: more, field: fieldName(code)});
      waitingList.appendChild(li);
    });
    const noshows = $("noshow-list");
    noshows.innerHTML = "";
    (state.snapshot.no_shows || []).filter((tk) => mine.fields.includes(tk.field)).forEach((tk) =>
      noshows.appendChild(row(tk, "counter.restore", () => restore(tk.id))));
    const busy = c.ticket && (c.ticket.state === "called" || c.ticket.state === "serving");
    waitingList.querySelectorAll("button").forEach((b) => { b.disabled = busy || c.status !== "open"; });
  }

  // -- actions ----------------------------------------------------------------------------
  function message(text, isError) {
    const el = $("action-message");
    el.textContent = text;
    el.classList.toggle("error-text", !!isError);
  }

  // What an action changed reaches this screen pushed (``lists``); a refused one may mean the
  // screen is behind, so it asks for a fresh snapshot.
  function afterAction(r) {
    if (state.live && (r.status === 0 || r.status >= 400)) state.live.resync();
  }

  async function act(action, body) {
    // The screen can show an action's outcome (pushed) before its answer: a press meanwhile
    // runs right after that answer rather than being lost.
    if (state.busy) { state.queued = () => act(action, body); return; }
    state.busy = true;
    const r = await api("POST", base() + "/counters/" + state.counter + "/" + action, body || {});
    state.busy = false;
    const queued = state.queued;
    state.queued = null;
    if (queued) setTimeout(queued);
    if (r.status === 401) { loginView(t("counter.session_ended")); return; }
    if (r.status === 204) message(t("counter.nobody_waiting"));
    else if (r.status >= 400 || r.status === 0) message(errorText(r), true);
    else if (action === "call-next" || action === "call") message(t("counter.called", {label: r.data.label}));
    else message("");
    afterAction(r);
  }

  // A dossier code (mã hồ sơ) typed, or scanned from the receipt, for the visitor at the
  // counter or the one just finished: the one-stop software matches times and ratings by it.
  async function attachDossier(e) {
    e.preventDefault();
    const code = $("dossier-code").value.trim();
    if (!code) return;
    const r = await api("POST", base() + "/counters/" + state.counter + "/dossier", {code});
    if (r.status === 401) { loginView(t("counter.session_ended")); return; }
    if (r.status !== 200) { message(errorText(r), true); return; }
    $("dossier-code").value = "";
    message(t("counter.dossier_attached", {code, label: r.data.label}));
    $("dossier-list").textContent = t("counter.dossiers", {label: r.data.label, codes: r.data.dossiers.join(", ")});
  }

  // Another field for the visitor at the counter (or the one just finished): once this service
  // is done they join that field's line in the place their number gave them.
  async function addVisitField(e) {
    e.preventDefault();
    const field = $("visit-field").value;
    if (!field) return;
    const r = await api("POST", base() + "/counters/" + state.counter + "/then", {field});
    if (r.status === 401) { loginView(t("counter.session_ended")); return; }
    if (r.status !== 200) { message(errorText(r), true); return; }
    message(r.data.state === "waiting" ? t("counter.visit_moved", {label: r.data.label, field: fieldName(r.data.field)})
      : t("counter.visit_added", {label: r.data.label, field: fieldName(field)}));
    afterAction(r);
  }

  async function restore(id) {
    const r = await api("POST", base() + "/tickets/" + id + "/restore", {});
    message(r.status === 200 ? t("counter.restored", {label: r.data.label}) : errorText(r), r.status !== 200);
    afterAction(r);
  }

  function press(action) {
    const button = document.querySelector('[data-action="' + action + '"]');
    if (!button || button.disabled) return;
    const c = myState();
    if (action === "transfer") openTransfer();
    else if (action === "pause") {
      if (c && (c.status === "paused" || c.pause_pending)) act("resume");  // resume, or take the pending pause back
      else openPause();
    }
    else if (action === "call-next") act("call-next", {finish_current: !!(c && c.ticket && c.ticket.state === "serving")});
    else act(action);
  }

  function openDialog(id) { $(id).classList.remove("hidden"); }
  // The hall changed in the administration (counters, the fields they serve): draw it again,
  // once no dialog is open (the page comes back to the same counter and ticket).
  function onSettings() {
    const dialogOpen = [...document.querySelectorAll(".dialog-backdrop")].some((d) => !d.classList.contains("hidden"));
    if (!dialogOpen) location.reload();
    else setTimeout(onSettings, 5000);
  }

  function closeDialogs() { document.querySelectorAll(".dialog-backdrop").forEach((d) => d.classList.add("hidden")); }

  function choice(label, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "button secondary";
    b.textContent = label;
    b.addEventListener("click", () => { closeDialogs(); onClick(); });
    return b;
  }

  function openTransfer() {
    const c = myState();
    const current = c && c.ticket ? c.ticket.field : null;
    const fields = $("transfer-fields");
    fields.innerHTML = "";
    cfg.fields.filter((f) => f.code !== current).forEach((f) =>
      fields.appendChild(choice(localName(f), () => act("transfer", {field: f.code}))));
    const counters = $("transfer-counters");
    counters.innerHTML = "";
    cfg.counters.filter((x) => x.number !== state.counter).forEach((x) => {
      const status = counterStatus(x.number);
      const label = status === "open" ? x.name : x.name + " — " + t("counter.status_" + status);
      const b = choice(label, () => (status === "open" ? transferTo(x.number) : confirmTransfer(x.number, status)));
      if (status !== "open") b.classList.add("not-open");
      counters.appendChild(b);
    });
    openDialog("transfer-dialog");
  }

  function counterStatus(number) {
    const c = state.snapshot && state.snapshot.counters.find((x) => x.number === number);
    return c ? c.status : "closed";
  }

  /** Transfer to a counter; one nobody staffs now asks the officer first (the server does too). */
  async function transferTo(number, evenIfClosed) {
    const body = {counter: number};
    if (evenIfClosed) body.even_if_closed = true;
    const r = await api("POST", base() + "/counters/" + state.counter + "/transfer", body);
    if (r.status === 409 && r.data && r.data.error.code === "target_counter_closed") {
      confirmTransfer(number, r.data.error.details.status);
      return;
    }
    if (r.status === 401) { loginView(t("counter.session_ended")); return; }
    message(r.status === 200 ? t("counter.transferred", {label: r.data.label, n: number}) : errorText(r), r.status !== 200);
    afterAction(r);
  }

  function confirmTransfer(number, status) {
    closeDialogs();
    const target = cfg.counters.find((x) => x.number === number);
    $("transfer-warning").textContent = t("counter.transfer_warning_" + status, {name: target ? target.name : number});
    const fields = $("transfer-instead");
    fields.innerHTML = "";
    const served = target ? target.fields : [];
    const mine = myState();
    const current = mine && mine.ticket ? mine.ticket.field : null;
    cfg.fields.filter((f) => served.includes(f.code) && f.code !== current).forEach((f) =>
      fields.appendChild(choice(t("counter.transfer_to_field", {field: localName(f)}),
                                () => act("transfer", {field: f.code}))));
    $("transfer-anyway").onclick = () => { closeDialogs(); transferTo(number, true); };
    openDialog("transfer-confirm");
  }

  function openPause() {
    const box = $("pause-reasons");
    box.innerHTML = "";
    REASONS.forEach((key) => box.appendChild(choice(t(key), () => act("pause", {reason: t(key)}))));
    $("pause-other").value = "";
    openDialog("pause-dialog");
  }

  function bind() {
    $("login-form").addEventListener("submit", login);
    $("logout").addEventListener("click", logout);
    $("password-open").addEventListener("click", openPassword);
    $("password-form").addEventListener("submit", changePassword);
    document.querySelectorAll("[data-action]").forEach((b) => b.addEventListener("click", () => press(b.dataset.action)));
    document.querySelectorAll("[data-close]").forEach((b) => b.addEventListener("click", closeDialogs));
    $("pause-confirm").addEventListener("click", () => {
      const reason = $("pause-other").value.trim();
      if (!reason) return;
      closeDialogs();
      act("pause", {reason});
    });
    $("dossier-form").addEventListener("submit", attachDossier);
    $("visit-form").addEventListener("submit", addVisitField);
    cfg.fields.filter((f) => f.kind === "service").forEach((f) => $("visit-field").add(new Option(localName(f), f.code)));
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape") { closeDialogs(); return; }
      const typing = /^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement.tagName);
      const dialogOpen = [...document.querySelectorAll(".dialog-backdrop")].some((d) => !d.classList.contains("hidden"));
      if (typing || dialogOpen || e.ctrlKey || e.altKey || e.metaKey || $("view-desk").classList.contains("hidden")) return;
      const action = SHORTCUTS[e.key.toLowerCase()];
      if (action) { e.preventDefault(); press(action); }
    });
  }

  async function start() {
    QMS.clock($("clock"), cfg.timezone);
    bind();
    const me = await api("GET", base() + "/me");
    if (me.status === 200 && me.data.kind === "officer" && me.data.counter) startDesk(me.data);
    else loginView();
  }

  document.addEventListener("DOMContentLoaded", start);
})();
