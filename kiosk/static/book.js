/* Booking an appointment: choose a field, a day and a time with places left, confirm a phone
   number with the code sent by SMS, and go to the booking's own page (its QR code is scanned at a
   kiosk on the day). */
(function () {
  "use strict";
  const {t, api, errorText, localName} = QMS;
  const cfg = window.BOOK;
  const $ = (id) => document.getElementById(id);
  const state = {info: null, field: null, date: null, slot: null};
  window.book = state;

  function dayName(iso) {
    return QMS.weekday(iso) + " " + iso.slice(8, 10) + "/" + iso.slice(5, 7);
  }

  function button(text, meta, onClick, disabled) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "field-button";
    b.disabled = Boolean(disabled);
    b.innerHTML = '<span class="name"></span><span class="meta"></span>';
    b.querySelector(".name").textContent = text;
    b.querySelector(".meta").textContent = meta || "";
    b.addEventListener("click", onClick);
    return b;
  }

  function renderFields() {
    const info = state.info;
    $("book-rules").textContent = [t("book.per_phone", {n: info.per_phone}),
      t("book.checkin_rule", {before: info.checkin_before_minutes, after: info.late_minutes}),
      t("book.late_" + info.late)].join(" ");
    const box = $("book-fields");
    box.innerHTML = "";
    info.fields.forEach((f) => box.appendChild(button(localName(f), "", () => chooseField(f))));
  }

  function chooseField(f) {
    state.field = f;
    $("book-field").textContent = localName(f);
    $("step-field").classList.add("hidden");
    $("step-slot").classList.remove("hidden");
    const days = $("book-days");
    days.innerHTML = "";
    state.info.days.forEach((d) => {
      const b = button(dayName(d), "", () => chooseDay(d));
      b.dataset.date = d;
      days.appendChild(b);
    });
    chooseDay(state.info.days[0]);
  }

  async function chooseDay(date) {
    state.date = date;
    document.querySelectorAll("#book-days .field-button").forEach((b) => b.classList.toggle("selected", b.dataset.date === date));
    const r = await api("GET", "/sites/" + cfg.site + "/appointments/slots?field=" + encodeURIComponent(state.field.code)
                        + "&date=" + date);
    const box = $("book-slots");
    box.innerHTML = "";
    if (r.status !== 200) { $("book-error").textContent = errorText(r); return; }
    r.data.slots.forEach((s) => {
      const b = button(s.time + "–" + s.end, s.left ? t("book.left", {n: s.left}) : t("book.full"),
                       () => chooseSlot(s), !s.left);
      b.dataset.time = s.time;
      box.appendChild(b);
    });
    $("book-no-slot").classList.toggle("hidden", r.data.slots.some((s) => s.left));
  }

  function chooseSlot(s) {
    state.slot = s;
    $("book-slot").textContent = dayName(state.date) + ", " + s.time + "–" + s.end;
    $("step-phone").classList.remove("hidden");
    $("book-error").textContent = "";
    $("book-phone").focus();
  }

  async function confirm() {
    $("book-error").textContent = "";
    $("book-confirm").disabled = true;
    const r = await api("POST", "/sites/" + cfg.site + "/appointments", {
      phone: $("book-phone").value, code: $("book-code").value.trim(), field: state.field.code,
      date: state.date, time: state.slot.time});
    $("book-confirm").disabled = false;
    if (r.status === 201) { location.href = r.data.link; return; }   // the booking's own page
    $("book-error").textContent = errorText(r);
    if (r.data && r.data.error && r.data.error.code === "slot_full") chooseDay(state.date);
  }

  async function load() {
    const r = await api("GET", "/sites/" + cfg.site + "/appointments");
    if (r.status !== 200) {
      $("book-closed").classList.remove("hidden");
      $("book-closed").textContent = errorText(r);
      $("step-field").classList.add("hidden");
      return;
    }
    state.info = r.data;
    renderFields();
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("book-send").addEventListener("click", () => QMS.sendCode(cfg.site, "book"));
    $("book-confirm").addEventListener("click", confirm);
    $("book-code").addEventListener("keydown", (e) => { if (e.key === "Enter") confirm(); });
    $("book-change").addEventListener("click", () => {
      $("step-slot").classList.add("hidden");
      $("step-phone").classList.add("hidden");
      $("step-field").classList.remove("hidden");
    });
    load();
  });
})();
