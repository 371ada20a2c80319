/* The visitor's phone page: place in line and estimated wait, live; when called, the
   counter in big letters with a sound and a vibration (where the phone allows). */
(function () {
  "use strict";
  const {t, api, minutes} = QMS;
  const cfg = window.PHONE;
  const $ = (id) => document.getElementById(id);
  const state = {ticket: cfg.ticket, place: {}, audio: null, alerted: null, live: null};
  window.phone = state;

  const PLACE = ["people_ahead", "estimated_wait_seconds", "waiting_for_counter"];

  /** Keep a ticket's place apart: it comes from the snapshot, then from ``place`` pushes. */
  function setTicket(ticket) {
    if (PLACE.every((k) => k in ticket)) state.place = Object.fromEntries(PLACE.map((k) => [k, ticket[k]]));
    state.ticket = ticket;
  }

  function render() {
    const tk = Object.assign({}, state.ticket, state.ticket.state === "waiting" ? state.place : {});
    const active = tk.state === "waiting";
    $("facts").classList.toggle("hidden", !active);
    $("ahead").textContent = String(tk.people_ahead);
    const held = tk.waiting_for_counter;  // sent to a counter nobody staffs at the moment
    $("wait").textContent = held ? t("phone.waiting_for_counter_" + held.status, {n: held.number})
      : minutes(tk.estimated_wait_seconds);
    $("status").textContent = tk.state === "cancelled" && tk.reason === "remote_lapsed" ? t("phone.remote_lapsed")
      : t("phone.state_" + tk.state, {counter: tk.counter || ""});
    // A booking checked in before its time: it joins the line then (before walk-ins).
    const appointment = tk.appointment;
    const early = active && appointment && !appointment.late && Date.parse(appointment.due_at) > Date.now();
    if (early) {
      $("status").textContent = t("phone.appointment_at", {time: new Intl.DateTimeFormat("vi-VN", {
        timeZone: cfg.timezone, hour: "2-digit", minute: "2-digit", hour12: false}).format(new Date(appointment.due_at))});
      $("facts").classList.add("hidden");
    }
    renderCheckIn(tk);
    renderVisit(tk);
    // (a visit to several fields moves on: the field it waits for now)
    $("field").textContent = window.QMS_LANG === "en" && tk.field_name_en ? tk.field_name_en : tk.field_name;
    const called = tk.state === "called";
    $("call-banner").classList.toggle("hidden", !called);
    if (called) $("call-counter").textContent = t("phone.counter_n", {n: tk.counter});
    $("leave").classList.toggle("hidden", !(tk.state === "waiting" || tk.state === "no_show"));
    if (called && state.alerted !== tk.called_at + "/" + tk.recalls) {
      state.alerted = tk.called_at + "/" + tk.recalls;
      alertVisitor();
    }
  }

  /** A visit to several fields: which step this is, and where the number goes next. */
  function renderVisit(tk) {
    const visit = tk.visit;
    const box = $("visit");
    box.classList.toggle("hidden", !visit);
    if (!visit) return;
    const names = (cfg.fields || {});
    const name = (code) => names[code] || code;
    const total = visit.done.length + visit.next.length + (tk.state === "done" ? 0 : 1);
    box.textContent = visit.next.length
      ? t("phone.visit_next", {step: visit.step, n: total, next: visit.next.map(name).join(", ")})
      : tk.state === "done" ? t("phone.visit_done", {n: total}) : t("phone.visit_last", {step: visit.step, n: total});
  }

  /** A number taken away from the hall: confirm it at a kiosk (its scanner reads this QR code)
   *  by the time given, or it lapses when its turn comes. */
  function renderCheckIn(tk) {
    const remote = tk.remote;
    const waiting = tk.state === "waiting";
    const pending = Boolean(remote && waiting && !remote.checked_in_at);
    $("checkin").classList.toggle("hidden", !remote || !waiting);
    if (!remote || !waiting) return;
    const time = remote.arrive_by ? new Intl.DateTimeFormat("vi-VN", {timeZone: cfg.timezone, hour: "2-digit",
      minute: "2-digit", hour12: false}).format(new Date(remote.arrive_by)) : "";
    $("checkin-text").textContent = !pending ? t("phone.checked_in")
      : time ? t("phone.checkin_by", {time}) : t("phone.checkin");
    const qr = $("checkin-qr");
    qr.hidden = !pending;
    if (pending && !qr.getAttribute("src")) {
      qr.src = "/api/v1/sites/" + cfg.site + "/t/" + cfg.token + "/qr.svg";
      qr.alt = t("phone.checkin_qr");
    }
  }

  function alertVisitor() {
    if (navigator.vibrate) navigator.vibrate([400, 200, 400, 200, 400]);
    if (state.audio) state.audio.play().catch(() => {});
    document.title = "🔔 " + t("phone.title_called", {label: state.ticket.label, n: state.ticket.counter});
  }

  function start() {
    setTicket(cfg.ticket);
    render();
    $("sound").addEventListener("click", () => {
      state.audio = new Audio(cfg.chime);
      state.audio.play().then(() => { $("sound").textContent = t("phone.alert_on"); }).catch(() => {});
    });
    $("leave").addEventListener("click", async () => {
      if (!confirm(t("phone.leave_confirm"))) return;
      const r = await api("POST", "/sites/" + cfg.site + "/t/" + cfg.token + "/cancel", {});
      if (r.status === 200) { setTicket(r.data); render(); }
    });
    // Nothing is fetched per event: the server pushes my ticket when it changes (ticket_update)
    // and my place when it moves (place), each no older than what this page holds.
    state.live = new QMS.Live({
      auth: {site: cfg.site, ticket_token: cfg.token},
      onSnapshot: (snap) => {
        state.ticketSeq = state.placeSeq = snap.seq;
        if (snap.ticket) { setTicket(snap.ticket); render(); }
      },
      onUpdate: () => {},
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
        },
        place: (place) => {
          // Its own sequence: a place read after my ticket's latest event may come before it.
          if (place.seq < (state.placeSeq || 0)) return;
          state.placeSeq = place.seq;
          state.place = Object.fromEntries(PLACE.map((k) => [k, place[k]]));
          render();
        },
      },
    });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
