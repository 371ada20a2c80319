/* The visitor's phone page: place in line and estimated wait, live; when called, the
   counter in big letters with a sound and a vibration (where the phone allows). */
(function () {
  "use strict";
  const {t, api, minutes} = QMS;
  const cfg = window.PHONE;
  const $ = (id) => document.getElementById(id);
  const state = {ticket: cfg.ticket, audio: null, refresh: null, alerted: null};
  window.phone = state;

  function render() {
    const tk = state.ticket;
    const active = tk.state === "waiting";
    $("facts").classList.toggle("hidden", !active);
    $("ahead").textContent = String(tk.people_ahead);
    const held = tk.waiting_for_counter;  // sent to a counter nobody staffs at the moment
    $("wait").textContent = held ? t("phone.waiting_for_counter_" + held.status, {n: held.number})
      : minutes(tk.estimated_wait_seconds);
    $("status").textContent = t("phone.state_" + tk.state, {counter: tk.counter || ""});
    const called = tk.state === "called";
    $("call-banner").classList.toggle("hidden", !called);
    if (called) $("call-counter").textContent = t("phone.counter_n", {n: tk.counter});
    $("leave").classList.toggle("hidden", !(tk.state === "waiting" || tk.state === "no_show"));
    if (called && state.alerted !== tk.called_at + "/" + tk.recalls) {
      state.alerted = tk.called_at + "/" + tk.recalls;
      alertVisitor();
    }
  }

  function alertVisitor() {
    if (navigator.vibrate) navigator.vibrate([400, 200, 400, 200, 400]);
    if (state.audio) state.audio.play().catch(() => {});
    document.title = "🔔 " + t("phone.title_called", {label: state.ticket.label, n: state.ticket.counter});
  }

  async function refresh() {
    const r = await api("GET", "/sites/" + cfg.site + "/t/" + cfg.token);
    if (r.status === 200) { state.ticket = r.data; render(); }
  }

  function later() {
    clearTimeout(state.refresh);
    state.refresh = setTimeout(refresh, 400);
  }

  function start() {
    render();
    $("sound").addEventListener("click", () => {
      state.audio = new Audio(cfg.chime);
      state.audio.play().then(() => { $("sound").textContent = t("phone.alert_on"); }).catch(() => {});
    });
    $("leave").addEventListener("click", async () => {
      if (!confirm(t("phone.leave_confirm"))) return;
      const r = await api("POST", "/sites/" + cfg.site + "/t/" + cfg.token + "/cancel", {});
      if (r.status === 200) { state.ticket = r.data; render(); }
    });
    new QMS.Live({
      auth: {site: cfg.site, ticket_token: cfg.token},
      onSnapshot: (snap) => {
        state.ticketSeq = snap.seq;
        if (snap.ticket) { state.ticket = snap.ticket; render(); }
      },
      onUpdate: (event) => {
        // Any change of my field (or of me) can move my place: ask for my ticket again.
        if ((event.ticket && event.ticket.id === state.ticket.id) || (event.waiting && event.waiting[state.ticket.field])) later();
      },
      onStatus: (online) => {
        $("connection").textContent = online ? "" : t("common.reconnecting");
        $("connection").classList.toggle("offline", !online);
      },
      events: {
        ticket_update: (event) => {
          if (event.seq <= (state.ticketSeq || 0)) return;  // already in the snapshot
          state.ticketSeq = event.seq;
          state.ticket = Object.assign({}, state.ticket, event.ticket);
          render();
          later();
        },
      },
    });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
