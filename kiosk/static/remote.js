/* Taking a number away from the hall: choose a field (people waiting and the estimated wait
   shown), confirm a phone number with the code sent by SMS, and go to the number's phone page,
   which follows it live. */
(function () {
  "use strict";
  const {t, api, errorText, minutes, localName} = QMS;
  const cfg = window.REMOTE;
  const $ = (id) => document.getElementById(id);
  const state = {field: null, info: null, key: null};
  window.remote = state;

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function clock(iso) {
    return new Intl.DateTimeFormat("vi-VN", {timeZone: cfg.timezone, hour: "2-digit", minute: "2-digit",
                                             hour12: false}).format(new Date(iso));
  }

  function render() {
    const info = state.info;
    $("remote-closed").classList.toggle("hidden", info.taking);
    $("remote-closed").textContent = info.taking ? "" : info.opens_at
      ? t("remote.opens_at", {time: clock(info.opens_at)}) : t("remote.closed");
    const rules = [t("remote.per_phone", {n: info.per_phone})];
    if (info.arrive_within_minutes) rules.push(t("remote.arrive_within", {n: info.arrive_within_minutes}));
    $("remote-rules").textContent = rules.join(" ");
    const box = $("remote-fields");
    box.innerHTML = "";
    info.fields.forEach((f) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "field-button";
      b.dataset.field = f.code;
      b.disabled = !info.taking || f.left === 0;
      b.innerHTML = '<span class="name"></span><span class="meta"></span>';
      b.querySelector(".name").textContent = localName(f);
      b.querySelector(".meta").textContent = f.left === 0 ? t("remote.none_left")
        : [t("remote.waiting", {n: f.waiting}),
           f.estimated_wait_seconds === null ? t("kiosk.no_counter_short") : t("kiosk.wait_about", {time: minutes(f.estimated_wait_seconds)}),
           f.left === null ? "" : t("remote.left", {n: f.left})].filter(Boolean).join(" · ");
      b.addEventListener("click", () => choose(f));
      box.appendChild(b);
    });
  }

  function choose(f) {
    state.field = f;
    state.key = uuid();   // a retried request must not give a second number
    $("remote-chosen").textContent = localName(f);
    $("step-field").classList.add("hidden");
    $("step-phone").classList.remove("hidden");
    $("remote-error").textContent = "";
    $("remote-phone").focus();
  }

  async function take() {
    $("remote-error").textContent = "";
    $("remote-take").disabled = true;
    const r = await api("POST", "/sites/" + cfg.site + "/remote/tickets", {
      phone: $("remote-phone").value, code: $("remote-code").value.trim(), field: state.field.code,
      idempotency_key: state.key});
    $("remote-take").disabled = false;
    if (r.status === 201 || r.status === 200) {
      location.href = "/t/" + cfg.site + "/" + r.data.token;   // the number's own page, live
      return;
    }
    $("remote-error").textContent = errorText(r);
  }

  async function load() {
    const r = await api("GET", "/sites/" + cfg.site + "/remote");
    if (r.status !== 200) {
      $("remote-closed").classList.remove("hidden");
      $("remote-closed").textContent = errorText(r);
      $("step-field").classList.add("hidden");
      return;
    }
    state.info = r.data;
    render();
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("remote-send").addEventListener("click", () => QMS.sendCode(cfg.site, "remote"));
    $("remote-take").addEventListener("click", take);
    $("remote-code").addEventListener("keydown", (e) => { if (e.key === "Enter") take(); });
    $("remote-change").addEventListener("click", () => {
      $("step-phone").classList.add("hidden");
      $("step-field").classList.remove("hidden");
      load();
    });
    load();
    setInterval(() => { if (!state.field) load(); }, 30000);   // waits change; nothing is pushed here
  });
})();
