/* The live monitor: pushed snapshots and updates, alerts from the server, timers ticking here. */
(function () {
  "use strict";
  const {t, elapsed, localName, cell} = QMS;
  const site = window.MONITOR.site;
  const $ = (id) => document.getElementById(id);
  const state = {snapshot: null, receivedAt: 0, alerts: [], live: null};
  window.monitor = state;

  function render() {
    const snap = state.snapshot;
    if (!snap) return;
    const sinceSnapshot = (Date.now() - state.receivedAt) / 1000;
    const fields = $("fields");
    fields.innerHTML = "";
    Object.values(snap.waiting).forEach((w) => {
      const longest = w.waiting ? w.longest_wait_seconds + sinceSnapshot : 0;
      const over = w.waiting > 0 && longest > w.target_wait_seconds;
      const tr = document.createElement("tr");
      tr.dataset.field = w.field;
      tr.className = over ? "over" : "";
      tr.append(cell(localName(w)), cell(String(w.waiting)), cell(w.waiting ? elapsed(longest) : "—", "num"),
                cell(w.estimated_wait_seconds === null ? "—" : elapsed(w.estimated_wait_seconds), "num"), cell(elapsed(w.target_wait_seconds), "num"));
      fields.appendChild(tr);
    });
    const counters = $("counters");
    counters.innerHTML = "";
    snap.counters.forEach((c) => {
      const tr = document.createElement("tr");
      tr.dataset.counter = c.number;
      const ticket = c.ticket && (c.ticket.state === "called" || c.ticket.state === "serving") ? c.ticket : null;
      let status = t("counter.status_" + c.status);
      let since = null;
      // Open, nobody at it, and visitors waiting in its fields: idle, and for how long.
      const forIt = (c.fields || []).reduce((n, f) => n + ((snap.waiting[f] || {}).waiting || 0), 0);
      const idle = c.status === "open" && !ticket && c.free_since && forIt > 0;
      if (c.status === "paused") {
        status += c.pause_reason ? ": " + c.pause_reason : "";
        since = c.paused_at;
      } else if (ticket) {
        status = t("counter.ticket_" + ticket.state);
        since = ticket.started_at || ticket.called_at;
      } else if (idle) {
        status = t("monitor.idle_while_waiting", {n: forIt});
        since = c.free_since;
      }
      tr.className = "status-" + c.status + (idle ? " idle" : "");
      tr.append(cell(c.name), cell(status), cell(c.officer_name || "—"), cell(ticket ? ticket.label : "—"),
                cell(since ? elapsed((Date.parse(snap.now) - Date.parse(since)) / 1000 + sinceSnapshot) : "—", "num"));
      counters.appendChild(tr);
    });
  }

  function showAlert(alert) {
    state.alerts.push(alert);
    const div = document.createElement("div");
    div.className = "alert";
    div.textContent = t("monitor.alert", {field: localName(alert), minutes: Math.round(alert.longest_wait_seconds / 60),
                                          target: Math.round(alert.target_wait_seconds / 60), n: alert.waiting});
    $("alerts").prepend(div);
  }

  // -- device health ------------------------------------------------------------------------
  // Panels, printers and LED displays report through their agent every 10 s, and servers note
  // the screens connected to them every 15 s: health is a periodic reading, so the panel
  // reads /devices every 10 s (and lists what is wrong first).
  function deviceRow(d) {
    const kind = t("monitor.kind_" + d.kind);
    const where = d.counter ? t("display.counter_n", {n: d.counter}) : d.kiosk || "";
    let problem = null;
    let since = d.last_seen || d.reported_at;
    if (!d.agent_online) { problem = "agent_offline"; since = d.reported_at; }
    else if (d.kind === "printer" && (d.status === "paper_out" || d.status === "offline")) problem = "printer_" + d.status;
    else if (d.connected === false) problem = "disconnected";
    return {name: d.id + " · " + kind, where, problem, since};
  }

  function screenRow(s) {
    return {name: (s.name || s.id) + " · " + t("monitor.kind_" + s.kind), where: "",
            problem: s.connected ? null : s.last_seen ? "disconnected" : "never_connected", since: s.last_seen};
  }

  async function loadDevices() {
    const r = await QMS.api("GET", "/sites/" + site + "/devices");
    if (r.status !== 200) return;
    const rows = r.data.devices.map(deviceRow).concat(r.data.screens.map(screenRow));
    rows.sort((a, b) => (a.problem ? 0 : 1) - (b.problem ? 0 : 1));
    const body = $("devices");
    body.innerHTML = "";
    rows.forEach((row) => {
      const tr = document.createElement("tr");
      tr.className = row.problem ? "over" : "";
      const ago = row.problem && row.since ? t("monitor.ago", {time: QMS.elapsed((Date.now() - Date.parse(row.since)) / 1000)})
        : "—";
      tr.append(cell(row.name), cell(row.where), cell(t(row.problem ? "monitor.problem_" + row.problem : "monitor.ok")),
                cell(ago, "num"));
      body.appendChild(tr);
    });
  }

  function onState(message) {
    const snap = state.snapshot;
    if (!snap || !state.live.fresh(message)) return;
    // Figures read now: age the untouched ones to now, so every longest wait counts from now.
    const aged = (Date.now() - state.receivedAt) / 1000;
    Object.values(snap.waiting).forEach((w) => { if (w.waiting) w.longest_wait_seconds += aged; });
    Object.assign(snap.waiting, message.waiting);
    message.counters.forEach((c) => {
      const i = snap.counters.findIndex((x) => x.number === c.number);
      if (i >= 0) snap.counters[i] = c;
    });
    snap.now = message.now;
    state.receivedAt = Date.now();
    render();
  }

  document.addEventListener("DOMContentLoaded", () => {
    loadDevices();
    setInterval(loadDevices, 10000);
    state.live = new QMS.Live({
      auth: {site},
      onSnapshot: (snap) => { state.snapshot = snap; state.receivedAt = Date.now(); render(); },
      onUpdate: () => {},   // what an event changed comes right after it, as ``state``

      onStatus: (online) => { $("connection").textContent = online ? "" : t("common.reconnecting"); },
      events: {alert: showAlert, state: onState},
    });
    setInterval(render, 1000);
    setInterval(() => state.live.resync(), 30000);
  });
})();
