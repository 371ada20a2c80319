/* The province's pages: sign out, and the live overview of every site (asked every 10 s; each
   site's own monitor page is pushed). */
(function () {
  "use strict";
  const {t, elapsed, localName, cell, link} = QMS;
  const $ = (id) => document.getElementById(id);
  const state = {data: null, receivedAt: 0, reads: 0, failed: 0};
  window.province = state;

  function render() {
    const data = state.data;
    if (!data) return;
    const since = (Date.now() - state.receivedAt) / 1000;
    const body = $("sites");
    body.innerHTML = "";
    data.sites.forEach((s) => {
      const tr = document.createElement("tr");
      tr.dataset.site = s.site;
      tr.className = s.over_target.length ? "over" : "";
      const c = s.counters;
      tr.append(link(localName(s), "/admin/" + encodeURIComponent(s.site) + "/monitor"),
                cell(t(s.open ? "province.open" : "province.closed")),
                cell(String(s.waiting), "num waiting"), cell(String(s.priority), "num"),
                cell(s.waiting ? elapsed(s.longest_wait_seconds + since) : "—", "num"),
                cell(c.open + " / " + (c.open + c.paused + c.closed), "num"), cell(String(c.paused), "num"),
                cell(s.over_target.map(localName).join(", ") || "—"));
      body.appendChild(tr);
    });
    const total = data.total;
    $("total-waiting").textContent = String(total.waiting);
    $("total-longest").textContent = total.waiting ? elapsed(total.longest_wait_seconds + since) : "—";
    $("total-open").textContent = total.counters.open + " / " +
      (total.counters.open + total.counters.paused + total.counters.closed);
    $("total-over").textContent = String(total.over_target);
  }

  async function load() {
    const r = await QMS.api("GET", "/province/monitor");
    if (r.status === 401) { location.reload(); return; }
    if (r.status !== 200) {
      state.failed += 1;
      $("connection").textContent = t("common.reconnecting");
      return;
    }
    state.data = r.data;
    state.receivedAt = Date.now();
    state.reads += 1;
    $("connection").textContent = "";
    render();
  }

  document.addEventListener("DOMContentLoaded", () => {
    const out = $("province-logout");
    if (out) out.addEventListener("click", async () => {
      await QMS.api("POST", "/province/logout", {});
      location.href = "/province";
    });
    if ($("sites")) {
      load();
      setInterval(load, 10000);
      setInterval(render, 1000);
    }
  });
})();
