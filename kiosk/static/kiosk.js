/* The kiosk: choose a field, (maybe) a priority category, take a number; look up procedures.
   Every path leads back home by itself; there is no way out without the maintenance PIN. */
(function () {
  "use strict";
  const {t, api, errorText, minutes, localName} = QMS;
  const cfg = window.KIOSK;
  const IDLE_MS = 60000;
  const TICKET_SECONDS = 25;
  const $ = (id) => document.getElementById(id);

  const state = {
    token: null, hall: null, me: null, snapshot: null, live: null,
    field: null, category: null, idempotencyKey: null, countdown: null, idleTimer: null,
    lookupField: null, lookupTimer: null,
    // Printer answers by job id: one can arrive on the socket before the ticket's HTTP reply.
    printResults: new Map(),
  };
  window.kiosk = state;  // for people (and tests) looking at a running kiosk

  function show(view) {
    document.querySelectorAll(".view").forEach((v) => v.classList.toggle("hidden", v.id !== "view-" + view));
    state.view = view;
    fitCurrent();
    armIdle();
  }

  function armIdle() {
    clearTimeout(state.idleTimer);
    if (state.view && state.view !== "home" && state.view !== "closed" && state.view !== "setup") {
      state.idleTimer = setTimeout(goHome, IDLE_MS);
    }
  }

  function goHome() {
    if (state.reloadAtHome) { location.reload(); return; }
    clearInterval(state.countdown);
    state.field = null;
    state.category = null;
    if (state.snapshot && state.snapshot.open === false) renderClosed();
    else { renderFields(); show("home"); }
  }

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  // -- the hall ------------------------------------------------------------------------
  function kioskFields() {
    const fields = state.hall ? state.hall.fields : [];
    const only = state.me && state.me.fields && state.me.fields.length ? state.me.fields : null;
    return only ? fields.filter((f) => only.includes(f.code)) : fields;
  }

  /** The fields a visitor chooses at home: a result-pickup lane is reached by its receipt, a
   *  lane for agents and businesses by its field's question. */
  function allowedFields() {
    return kioskFields().filter((f) => f.kind !== "pickup" && f.kind !== "bulk");
  }

  function fieldByCode(code) {
    return kioskFields().find((f) => f.code === code) || null;
  }

  /** Results are collected here when the kiosk gives numbers in a pickup lane. */
  function pickupOffered() {
    return kioskFields().some((f) => f.kind === "pickup");
  }

  function fieldState(code) {
    return (state.snapshot && state.snapshot.waiting[code]) || {waiting: 0, estimated_wait_seconds: 0};
  }

  function renderFields() {
    const box = $("fields");
    box.innerHTML = "";
    $("open-pickup").classList.toggle("hidden", !pickupOffered());
    $("open-appointment").classList.toggle("hidden", !appointmentsOn());
    allowedFields().forEach((field) => {
      const w = fieldState(field.code);
      const b = document.createElement("button");
      b.type = "button";
      b.className = "field-button";
      b.dataset.field = field.code;
      const full = w.remaining === 0;
      // Full today: with bookings offered, the button leads to a time on the next working day.
      const bookable = full && offerOn() && (state.hall.appointments.fields || []).includes(field.code);
      b.disabled = full && !bookable;
      b.innerHTML = '<span class="name"></span><span class="meta"></span>';
      b.querySelector(".name").textContent = localName(field);
      const meta = b.querySelector(".meta");
      if (full) {
        meta.textContent = t(bookable ? "kiosk.field_full_book" : "kiosk.field_full");
      } else {
        meta.innerHTML = "<span></span><span></span>";
        meta.children[0].innerHTML = t("kiosk.waiting_count", {n: "<strong>" + w.waiting + "</strong>"});
        meta.children[1].innerHTML = w.estimated_wait_seconds === null ? "<strong>" + t("kiosk.no_counter_short") + "</strong>"
          : t("kiosk.wait_about", {time: "<strong>" + minutes(w.estimated_wait_seconds) + "</strong>"});
      }
      b.addEventListener("click", () => (bookable ? openOffer(field) : openConfirm(field)));
      box.appendChild(b);
    });
    fitFields();
  }

  /** The largest --fit (text size factor) at which ``box`` shows every child whole: the field
   *  buttons larger on a tall portrait screen and smaller when A+ or many fields would push them
   *  off it; the same for the question before a number and the number taken. */
  function fitBox(box, items) {
    const whole = (el) => el.scrollHeight <= el.clientHeight + 1 && el.scrollWidth <= el.clientWidth + 1;
    const fits = () => whole(box) && items().every(whole);
    let low = 0.4, high = 2.4;
    for (let i = 0; i < 9; i += 1) {
      const mid = (low + high) / 2;
      box.style.setProperty("--fit", mid.toFixed(3));
      if (fits()) low = mid; else high = mid;
    }
    box.style.setProperty("--fit", low.toFixed(3));
  }

  function fitFields() {
    const box = $("fields");
    if ($("view-home").classList.contains("hidden") || !box.children.length) return;
    fitBox(box, () => [...box.children]);
  }

  /** The confirm and ticket views are fitted with their text no larger than designed (fit 1). */
  function fitView(name) {
    const view = $("view-" + name);
    if (view.classList.contains("hidden")) return;
    fitBox(view, () => [...view.querySelectorAll("button, h2, p, .ticket-number, .ticket-facts")]);
    if (parseFloat(view.style.getPropertyValue("--fit")) > 1) view.style.setProperty("--fit", "1");
  }

  function fitCurrent() {
    if (state.view === "home") fitFields();
    else if (state.view === "confirm" || state.view === "ticket") fitView(state.view);
  }

  function renderClosed() {
    const snap = state.snapshot || {};
    // A day off says so, and a public holiday which ("Nghỉ lễ: Tết Nguyên Đán"), not just
    // "outside working hours".
    const off = snap.day_off;
    const holiday = off && off.name.vi ? (window.QMS_LANG === "en" && off.name.en) || off.name.vi : null;
    document.querySelector("#view-closed .closed-title").textContent = holiday
      ? t("kiosk.closed_holiday", {name: holiday}) : t(off ? "kiosk.closed_day_off" : "kiosk.closed_title");
    $("closed-next").textContent = snap.next_opening
      ? t("kiosk.opens_at", {time: formatOpening(snap.next_opening)}) : "";
    const list = $("closed-hours");
    list.innerHTML = "";
    const hours = state.hall && Array.isArray(state.hall.opening_hours) ? state.hall.opening_hours : [];
    hours.forEach((day) => {
      const li = document.createElement("li");
      li.textContent = t("day." + day.day) + ": " + day.sessions.join(", ");
      list.appendChild(li);
    });
    $("closed-book").classList.toggle("hidden", !offerOn());
    show("closed");
  }

  function formatClock(iso) {
    return iso ? new Intl.DateTimeFormat("vi-VN", {timeZone: cfg.timezone, hour: "2-digit", minute: "2-digit",
                                                   hour12: false}).format(new Date(iso)) : "";
  }

  function formatOpening(iso) {
    const d = new Date(iso);
    return new Intl.DateTimeFormat(window.QMS_LANG === "en" ? "en-GB" : "vi-VN", {
      timeZone: cfg.timezone, weekday: "long", hour: "2-digit", minute: "2-digit", day: "2-digit", month: "2-digit",
    }).format(d);
  }

  // -- taking a number ----------------------------------------------------------------
  function openConfirm(field) {
    state.field = field;
    state.asked = field;      // the field the visitor chose (state.field: the line the number is for)
    state.category = null;
    state.dossiers = 1;
    state.then = [];          // a visit to several fields: the others, in the order chosen
    state.idempotencyKey = uuid();  // a double tap or a retry must not make two tickets
    const bulk = field.bulk ? fieldByCode(field.bulk) : null;
    $("submitter").classList.toggle("hidden", !bulk);
    chooseSubmitter(false);
    showDossierCount();
    renderConfirm(field);
  }

  /** An agent, a business or a postal worker with many dossiers: the field's own lane. */
  function chooseSubmitter(bulk) {
    const lane = bulk && state.asked.bulk ? fieldByCode(state.asked.bulk) : null;
    state.field = lane || state.asked;
    $("submitter-self").setAttribute("aria-pressed", String(!lane));
    $("submitter-bulk").setAttribute("aria-pressed", String(Boolean(lane)));
    state.dossiers = Math.min(state.dossiers || 1, state.field.dossiers_per_ticket || 1);
    showDossierCount();
  }

  function showDossierCount() {
    const max = state.field.dossiers_per_ticket || 1;
    $("dossier-count").classList.toggle("hidden", max <= 1);
    $("dossiers-n").textContent = String(state.dossiers);
    $("dossiers-max").textContent = t("kiosk.dossier_max", {n: max});
    $("dossiers-less").disabled = state.dossiers <= 1;
    $("dossiers-more").disabled = state.dossiers >= max;
  }

  function renderConfirm(field) {
    $("confirm-field").textContent = localName(field);
    const w = fieldState(field.code);
    $("confirm-wait").textContent = w.estimated_wait_seconds === null ? t("kiosk.confirm_waiting", {n: w.waiting})
      : t("kiosk.confirm_wait", {n: w.waiting, time: minutes(w.estimated_wait_seconds)});
    // Ask before a number that may not be served today: say why, and make taking it a choice.
    const warning = w.estimated_wait_seconds === null ? t("kiosk.warn_no_counter")
      : w.served_today === false ? t("kiosk.warn_not_today", {time: formatClock(state.snapshot.closes_at)}) : "";
    $("confirm-warning").textContent = warning;
    $("confirm-warning").classList.toggle("hidden", !warning);
    $("confirm-take").textContent = t(warning ? "kiosk.take_number_anyway" : "kiosk.take_number");
    $("confirm-error").textContent = "";
    $("confirm-book").classList.add("hidden");
    const box = $("categories");
    box.innerHTML = "";
    const categories = state.hall.priority_categories || [];
    box.parentElement.querySelector(".prompt.small").classList.toggle("hidden", !categories.length);
    categories.forEach((cat) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "category";
      b.dataset.category = cat.code;
      b.setAttribute("aria-pressed", String(cat.code === state.category));
      b.textContent = localName(cat);
      b.addEventListener("click", () => {
        state.category = state.category === cat.code ? null : cat.code;
        box.querySelectorAll(".category").forEach((x) =>
          x.setAttribute("aria-pressed", String(x.dataset.category === state.category)));
        armIdle();
      });
      box.appendChild(b);
    });
    renderVisitChoice();
    $("confirm-take").disabled = false;
    show("confirm");
  }

  /** Other fields this visit needs (several counters in one visit): one number for all, each
   *  field's line joined in turn once the service before is done. */
  function renderVisitChoice() {
    const others = allowedFields().filter((f) => f.code !== state.asked.code);
    $("visit-more").classList.toggle("hidden", !others.length);
    const box = $("visit-fields");
    box.innerHTML = "";
    others.forEach((f) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "category";
      b.dataset.field = f.code;
      const at = state.then.indexOf(f.code);
      b.setAttribute("aria-pressed", String(at >= 0));
      b.textContent = (at >= 0 ? (at + 2) + ". " : "") + localName(f);
      b.addEventListener("click", () => {
        const i = state.then.indexOf(f.code);
        if (i >= 0) state.then.splice(i, 1);
        else if (state.then.length < 4) state.then.push(f.code);
        renderVisitChoice();
        armIdle();
      });
      box.appendChild(b);
    });
  }

  function bindDossiers() {
    $("submitter-self").addEventListener("click", () => { chooseSubmitter(false); renderConfirm(state.field); });
    $("submitter-bulk").addEventListener("click", () => { chooseSubmitter(true); renderConfirm(state.field); });
    $("dossiers-less").addEventListener("click", () => { state.dossiers = Math.max(1, state.dossiers - 1); showDossierCount(); armIdle(); });
    $("dossiers-more").addEventListener("click", () => {
      state.dossiers = Math.min(state.field.dossiers_per_ticket || 1, state.dossiers + 1);
      showDossierCount();
      armIdle();
    });
  }

  async function takeNumber() {
    const button = $("confirm-take");
    button.disabled = true;
    const body = {field: state.field.code, idempotency_key: state.idempotencyKey};
    if (state.category) body.priority = state.category;
    if (state.dossiers > 1) body.dossiers = state.dossiers;
    if (state.then.length) body.then = state.then.slice();
    const result = await api("POST", "/sites/" + cfg.site + "/tickets", body, state.token);
    if (result.status === 200 || result.status === 201) {
      showTicket(result.data);
      return;
    }
    button.disabled = false;
    if (result.data && result.data.error && result.data.error.code === "outside_opening_hours") {
      state.snapshot = Object.assign({}, state.snapshot, {open: false, next_opening: result.data.error.details.next_opening});
      renderClosed();
      return;
    }
    $("confirm-error").textContent = errorText(result);
    const full = result.data && result.data.error && result.data.error.code === "daily_cap_reached";
    $("confirm-book").classList.toggle("hidden", !(full && offerOn()));
    fitView("confirm");
    armIdle();
  }

  function showTicket(ticket) {
    state.lastTicket = ticket;
    $("ticket-number").textContent = ticket.label;
    $("ticket-field").textContent = window.QMS_LANG === "en" && ticket.field_name_en ? ticket.field_name_en : ticket.field_name;
    $("ticket-ahead").textContent = String(ticket.people_ahead);
    $("ticket-wait").textContent = minutes(ticket.estimated_wait_seconds);
    if (ticket.appointment && !ticket.appointment.late) {   // a booking: called at its time, before walk-ins
      $("ticket-wait").textContent = t("kiosk.appointment_at", {time: formatClock(ticket.appointment.due_at)});
    }
    const next = ticket.visit ? ticket.visit.next : [];
    $("ticket-visit-row").classList.toggle("hidden", !next.length);
    $("ticket-visit").textContent = next.map((code) => { const f = fieldByCode(code); return f ? localName(f) : code; }).join(" → ");
    $("ticket-dossiers-row").classList.toggle("hidden", !ticket.dossiers_declared);
    $("ticket-dossiers").textContent = ticket.dossiers_declared ? String(ticket.dossiers_declared) : "";
    $("ticket-pickup-row").classList.toggle("hidden", !ticket.pickup);
    $("ticket-pickup").textContent = ticket.pickup || "";
    const cat = (state.hall.priority_categories || []).find((c) => c.code === ticket.priority);
    $("ticket-priority-row").classList.toggle("hidden", !cat);
    if (cat) $("ticket-priority").textContent = localName(cat);
    $("ticket-qr").src = "/api/v1/sites/" + cfg.site + "/t/" + ticket.token + "/qr.svg";
    $("ticket-qr").alt = t("kiosk.qr_alt");
    const early = ticket.print && ticket.print.job ? state.printResults.get(ticket.print.job) : null;
    showPrint(early || ticket.print);
    if (ticket.checked_in) {   // a number taken away from the hall, confirmed here: nothing printed
      $("ticket-print").textContent = t("kiosk.checked_in");
      $("ticket-print").classList.remove("failed");
    }
    show("ticket");
    let left = TICKET_SECONDS;
    $("ticket-countdown").textContent = "(" + left + ")";
    clearInterval(state.countdown);
    state.countdown = setInterval(() => {
      left -= 1;
      $("ticket-countdown").textContent = "(" + left + ")";
      if (left <= 0) goHome();
    }, 1000);
  }

  /** What happened to the paper ticket, in plain words; the ticket is valid either way. */
  function showPrint(print) {
    const el = $("ticket-print");
    const status = print && print.status ? print.status : "no_printer";
    el.textContent = t("print." + status);
    el.classList.toggle("failed", status !== "printing" && status !== "printed");
    if (state.view === "ticket") fitView("ticket");
  }

  /** The printer's answer for the ticket on screen (other jobs are stale). */
  function onPrintResult(result) {
    if (!result || !result.job) return;
    state.printResults.set(result.job, result);
    while (state.printResults.size > 20) state.printResults.delete(state.printResults.keys().next().value);
    const shown = state.lastTicket && state.lastTicket.print;
    if (shown && result.job === shown.job && state.view === "ticket") showPrint(result);
  }

  // -- collecting a result ------------------------------------------------------------
  // The receipt's QR code, read by the kiosk's scanner (which types it, then Enter), or the
  // dossier code typed on the screen's keyboard. A dossier received here joins its field's
  // pickup lane at once; another is asked its field first.
  function openPickup(receipt) {
    state.pickupKey = uuid();   // a retry of the same scan must not make two tickets
    $("pickup-code").value = receipt || "";
    $("pickup-error").textContent = "";
    $("pickup-choose").classList.add("hidden");
    KioskKeyboard.attach($("pickup-keyboard"), $("pickup-code"), () => {
      $("pickup-error").textContent = "";
      armIdle();
    }, ".-/");
    show("pickup");
    $("pickup-code").focus();
    if (receipt) takePickup();
  }

  async function takePickup(field) {
    const receipt = $("pickup-code").value;
    if (!receipt.trim()) { $("pickup-error").textContent = t("kiosk.pickup_empty"); return; }
    $("pickup-take").disabled = true;
    const body = {receipt, idempotency_key: state.pickupKey};
    if (field) body.field = field;
    const result = await api("POST", "/sites/" + cfg.site + "/tickets/pickup", body, state.token);
    $("pickup-take").disabled = false;
    if (result.status === 200 || result.status === 201) { showTicket(result.data); return; }
    const error = result.data && result.data.error;
    if (error && error.code === "dossier_not_found") { chooseField(error.details); return; }
    $("pickup-error").textContent = errorText(result);
    armIdle();
  }

  /** A field's button with its name only (a question asked after the home screen). */
  function namedFieldButton(f, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "field-button";
    b.dataset.field = f.code;
    b.innerHTML = '<span class="name"></span>';
    b.querySelector(".name").textContent = localName(f);
    b.addEventListener("click", onClick);
    return b;
  }

  function chooseField(details) {
    $("pickup-code").value = details.dossier;
    $("pickup-which").textContent = t("kiosk.pickup_which_field", {code: details.dossier});
    const box = $("pickup-fields");
    box.innerHTML = "";
    details.fields.forEach((f) => box.appendChild(namedFieldButton(f, () => takePickup(f.code))));
    $("pickup-choose").classList.remove("hidden");
    armIdle();
  }

  // -- confirming a number taken away from the hall --------------------------------------
  // Its phone page shows a QR code of its own link: scanned here, the visitor is in the hall.
  const PHONE_LINK = /\/t\/([A-Za-z0-9_-]{1,32})\/([A-Za-z0-9_-]{16,64})\/?(?:[?#].*)?$/;

  async function checkIn(link) {
    const result = await api("POST", "/sites/" + cfg.site + "/tickets/checkin", {link}, state.token);
    if (result.status === 200) { showTicket(result.data); return; }
    openPickupError(errorText(result));
  }

  /** A scan the kiosk could not use, said on the pickup view (or home when there is none). */
  function openPickupError(text) {
    if (pickupOffered()) {
      openPickup();
      $("pickup-error").textContent = text;
    } else {
      $("connection").textContent = text;
      setTimeout(() => { if ($("connection").textContent === text) $("connection").textContent = ""; }, 10000);
    }
  }

  function scanned(text) {
    if (appointmentsOn() && BOOKING_LINK.test(text.trim())) checkInBooking(text.trim());
    else if (state.hall && state.hall.remote && PHONE_LINK.test(text.trim())) checkIn(text.trim());
    else if (pickupOffered()) openPickup(text);
  }

  /** A scanner is a keyboard that types fast: keys less than 60 ms apart, then Enter. Read at
   *  home (the visitor just shows the receipt, or the phone page of a number taken away) and in
   *  the pickup view; a person typing on a real keyboard is not a scan. */
  function listenForScans() {
    let buffer = "", last = 0;
    document.addEventListener("keydown", (e) => {
      const reading = pickupOffered() || (state.hall && state.hall.remote) || appointmentsOn();
      if (!reading || (state.view !== "home" && state.view !== "pickup" && state.view !== "appointment")) return;
      if (e.target === $("appointment-code")) {
        if (e.key === "Enter") { e.preventDefault(); checkInBooking($("appointment-code").value); }
        return;
      }
      if (e.target === $("pickup-code")) {
        if (e.key === "Enter") {
          e.preventDefault();
          if (state.hall.remote && PHONE_LINK.test($("pickup-code").value.trim())) checkIn($("pickup-code").value.trim());
          else takePickup();
        }
        return;
      }
      const now = performance.now();
      if (now - last > 60) buffer = "";
      last = now;
      if (e.key === "Enter") {
        if (buffer.length >= 3) { e.preventDefault(); scanned(buffer); }
        buffer = "";
      } else if (e.key.length === 1) buffer += e.key;
    });
  }

  // -- appointments ------------------------------------------------------------------
  // A booking is checked in by its QR code (the scanner reads it, at home too) or its six digits
  // typed on the pad; its visitor is called at the booking's time. When a field's numbers ran out
  // or the day is over, the kiosk offers a booking for the next day with places instead.
  const BOOKING_LINK = /\/a\/([A-Za-z0-9_-]{1,32})\/([A-Za-z0-9_-]{16,64})\/?(?:[?#].*)?$/;

  function appointmentsOn() { return Boolean(state.hall && state.hall.appointments && state.hall.appointments.enabled); }
  function offerOn() { return Boolean(state.hall && state.hall.appointments && state.hall.appointments.offer); }

  function openAppointment() {
    state.bookingKey = uuid();   // a retry of the same check-in must not make two numbers
    $("appointment-code").value = "";
    $("appointment-error").textContent = "";
    const pad = $("appointment-pad");
    pad.innerHTML = "";
    ["1", "2", "3", "4", "5", "6", "7", "8", "9", "⌫", "0"].forEach((d) => {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = d;
      b.addEventListener("click", () => {
        const input = $("appointment-code");
        input.value = d === "⌫" ? input.value.slice(0, -1) : (input.value + d).slice(0, 6);
        $("appointment-error").textContent = "";
        armIdle();
      });
      pad.appendChild(b);
    });
    show("appointment");
    $("appointment-code").focus();
  }

  async function checkInBooking(code) {
    if (state.view !== "appointment") openAppointment();
    if (!code.trim()) { $("appointment-error").textContent = t("error.bad_booking_code"); return; }
    $("appointment-take").disabled = true;
    const result = await api("POST", "/sites/" + cfg.site + "/appointments/checkin",
                             {code: code.trim(), idempotency_key: state.bookingKey}, state.token);
    $("appointment-take").disabled = false;
    if (result.status === 200 || result.status === 201) { showTicket(result.data); return; }
    $("appointment-error").textContent = errorText(result);
    armIdle();
  }

  /** The next day with places: the visitor chooses a time (or first a field, from the closed screen). */
  async function openOffer(field) {
    $("offer-error").textContent = "";
    $("offer-slots").innerHTML = "";
    const choices = $("offer-fields");
    choices.innerHTML = "";
    choices.classList.toggle("hidden", Boolean(field));
    show("offer");
    if (!field) {
      $("offer-text").textContent = t("kiosk.offer_choose_field");
      const codes = state.hall.appointments.fields || [];
      allowedFields().filter((f) => codes.includes(f.code))
        .forEach((f) => choices.appendChild(namedFieldButton(f, () => openOffer(f))));
      fitView("offer");
      return;
    }
    state.offerField = field;
    const r = await api("GET", "/sites/" + cfg.site + "/appointments/next?field=" + encodeURIComponent(field.code),
                        undefined, state.token);
    if (r.status !== 200) { $("offer-error").textContent = errorText(r); return; }
    const offer = r.data.offer;
    if (!offer) { $("offer-text").textContent = t("kiosk.offer_none", {field: localName(field)}); return; }
    $("offer-text").textContent = t("kiosk.offer_text", {field: localName(field), date: dayLabel(offer.date)});
    offer.slots.forEach((slot) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "category";
      b.dataset.time = slot.time;
      b.textContent = slot.time;
      b.addEventListener("click", () => bookSlot(offer.date, slot.time));
      $("offer-slots").appendChild(b);
    });
    fitView("offer");
  }

  function dayLabel(iso) {
    return QMS.weekday(iso) + " " + iso.slice(8, 10) + "/" + iso.slice(5, 7) + "/" + iso.slice(0, 4);
  }

  async function bookSlot(date, time) {
    const r = await api("POST", "/sites/" + cfg.site + "/appointments",
                        {field: state.offerField.code, date, time}, state.token);
    if (r.status !== 201) { $("offer-error").textContent = errorText(r); openOffer(state.offerField); return; }
    const b = r.data;
    $("booked-code").textContent = b.code;
    $("booked-field").textContent = window.QMS_LANG === "en" && b.field_name_en ? b.field_name_en : b.field_name;
    $("booked-when").textContent = dayLabel(b.date) + ", " + b.time + "–" + b.end;
    $("booked-checkin").textContent = t("booking.checkin_window", {start: b.checkin_from.slice(11, 16),
                                                                  end: b.checkin_until.slice(11, 16)});
    $("booked-qr").src = "/api/v1/sites/" + cfg.site + "/appointments/" + b.link.split("/").pop() + "/qr.svg";
    $("booked-qr").alt = t("booking.qr_alt");
    $("booked-print").textContent = t("print." + ((b.print && b.print.status) || "no_printer"));
    show("booked");
  }

  function bindAppointments() {
    $("open-appointment").addEventListener("click", openAppointment);
    $("appointment-back").addEventListener("click", goHome);
    $("appointment-take").addEventListener("click", () => checkInBooking($("appointment-code").value));
    $("confirm-book").addEventListener("click", () => openOffer(state.field));
    $("closed-book").addEventListener("click", () => openOffer(null));
    $("offer-back").addEventListener("click", goHome);
    $("booked-done").addEventListener("click", goHome);
  }

  // -- procedure lookup ----------------------------------------------------------------
  function openLookup() {
    state.lookupField = null;
    $("lookup-query").value = "";
    $("lookup-detail").classList.add("hidden");
    const chips = $("lookup-fields");
    chips.innerHTML = "";
    [{code: null, name: t("kiosk.all_fields"), name_en: t("kiosk.all_fields")}].concat(allowedFields()).forEach((f) => {
      const c = document.createElement("button");
      c.type = "button";
      c.className = "chip";
      c.textContent = localName(f);
      c.setAttribute("aria-pressed", String(f.code === null));
      c.addEventListener("click", () => {
        state.lookupField = f.code;
        chips.querySelectorAll(".chip").forEach((x) => x.setAttribute("aria-pressed", String(x === c)));
        search();
      });
      chips.appendChild(c);
    });
    KioskKeyboard.attach($("keyboard"), $("lookup-query"), () => { armIdle(); scheduleSearch(); });
    show("lookup");
    search();
  }

  function scheduleSearch() {
    clearTimeout(state.lookupTimer);
    state.lookupTimer = setTimeout(search, 250);
  }

  async function search() {
    const params = new URLSearchParams({q: $("lookup-query").value});
    if (state.lookupField) params.set("field", state.lookupField);
    const result = await api("GET", "/sites/" + cfg.site + "/procedures?" + params.toString());
    const list = $("lookup-results");
    list.innerHTML = "";
    const found = result.status === 200 ? result.data.procedures : [];
    if (!found.length) {
      const li = document.createElement("li");
      li.className = "empty";
      li.textContent = result.status === 200 ? t("kiosk.no_results") : errorText(result);
      list.appendChild(li);
    }
    found.forEach((proc) => {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = localName(proc);
      b.addEventListener("click", () => showProcedure(proc));
      li.appendChild(b);
      list.appendChild(li);
    });
  }

  function showProcedure(proc) {
    const field = allowedFields().find((f) => f.code === proc.field);
    $("detail-name").textContent = localName(proc);
    $("detail-field").textContent = field ? localName(field) : proc.field;
    const docs = $("detail-documents");
    docs.innerHTML = "";
    proc.documents.forEach((d) => {
      const li = document.createElement("li");
      li.textContent = d;
      docs.appendChild(li);
    });
    $("detail-fee").textContent = proc.fee;
    $("detail-time").textContent = proc.processing_time;
    $("detail-take").classList.toggle("hidden", !field || (state.snapshot && state.snapshot.open === false));
    $("detail-take").onclick = () => field && openConfirm(field);
    $("lookup-detail").classList.remove("hidden");
    armIdle();
  }

  // -- live state -----------------------------------------------------------------------
  function onSnapshot(snap) {
    state.snapshot = snap;
    if (state.view === undefined || state.view === "home" || state.view === "closed") {
      if (snap.open === false) renderClosed();
      else { renderFields(); show("home"); }
    }
  }

  function merge(waiting) {
    if (!state.snapshot) return;
    QMS.mergeWaiting(state.snapshot, waiting);
    if (state.view === "home") renderFields();
  }

  // An event carries the counts; the server's ``state`` right after it, the estimates.
  function onUpdate(event) { merge(event.waiting); }
  function onState(message) { if (state.live.fresh(message)) merge(message.waiting); }

  // Its settings changed in the administration (its fields): read them again, between visitors.
  function onSettings() {
    if (state.view === "home") location.reload();
    else state.reloadAtHome = true;
  }

  function onStatus(online, reason) {
    const line = $("connection");
    line.textContent = online ? "" : t("common.reconnecting");
    line.classList.toggle("offline", !online);
    if (!online && reason && /token|unauthorized|wrong_site|revoked|unknown_site/.test(reason)) {
      state.live.socket.disconnect();   // refused for good until it is set up again
      show("setup");
    }
  }

  // -- lockdown and maintenance --------------------------------------------------------
  function lockDown() {
    ["contextmenu", "selectstart", "dragstart"].forEach((ev) => document.addEventListener(ev, (e) => e.preventDefault()));
    history.pushState(null, "", location.href);
    window.addEventListener("popstate", () => history.pushState(null, "", location.href));
    document.addEventListener("pointerdown", armIdle, true);
    let pressTimer = null;
    const name = $("site-name");
    name.addEventListener("pointerdown", () => { pressTimer = setTimeout(openPin, 3000); });
    ["pointerup", "pointerleave", "pointercancel"].forEach((ev) => name.addEventListener(ev, () => clearTimeout(pressTimer)));
  }

  function openPin() {
    let pin = "";
    const dots = $("pin-dots");
    const pad = $("pin-pad");
    const render = () => { dots.textContent = "•".repeat(pin.length) || " "; };
    pad.innerHTML = "";
    ["1", "2", "3", "4", "5", "6", "7", "8", "9", "⌫", "0", "OK"].forEach((k) => {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = k;
      b.addEventListener("click", async () => {
        if (k === "⌫") pin = pin.slice(0, -1);
        else if (k === "OK") {
          const r = await api("POST", "/sites/" + cfg.site + "/kiosk/unlock", {pin}, state.token);
          if (r.status === 200) {
            $("pin-dialog").classList.add("hidden");
            showQrCheck(r.data || {});
            $("admin-dialog").classList.remove("hidden");
          } else {
            $("pin-error").textContent = errorText(r);
            pin = "";
          }
        } else if (pin.length < 8) pin += k;
        render();
      });
      pad.appendChild(b);
    });
    $("pin-error").textContent = "";
    render();
    $("pin-dialog").classList.remove("hidden");
  }

  /** Where the tickets' QR codes lead, and a warning when a phone could not open it. */
  function showQrCheck(check) {
    $("admin-qr-base").textContent = check.qr_base || "";
    const warning = $("admin-qr-warning");
    warning.textContent = check.qr_warning ? t("kiosk.qr_warning_" + check.qr_warning) : "";
    warning.classList.toggle("hidden", !check.qr_warning);
  }

  function bindMaintenance() {
    $("pin-cancel").addEventListener("click", () => $("pin-dialog").classList.add("hidden"));
    $("admin-close").addEventListener("click", () => $("admin-dialog").classList.add("hidden"));
    $("admin-reload").addEventListener("click", () => location.reload());
    $("admin-forget").addEventListener("click", () => {
      localStorage.removeItem("qms-token-" + cfg.site);
      location.reload();
    });
    $("admin-exit").addEventListener("click", () => { location.href = "/"; });
  }

  // -- start ----------------------------------------------------------------------------
  async function start() {
    QMS.clock($("clock"), cfg.timezone);
    lockDown();
    bindMaintenance();
    window.addEventListener("resize", fitCurrent);
    // The local web fonts may arrive after the first fit: their sizes differ, so fit again.
    if (document.fonts) document.fonts.ready.then(fitCurrent);
    // A+ / A− change the size of everything: fit the view again once the new size applies.
    document.querySelectorAll("[data-a11y]").forEach((b) => b.addEventListener("click", () => setTimeout(fitCurrent)));
    $("open-lookup").addEventListener("click", openLookup);
    $("open-pickup").addEventListener("click", () => openPickup());
    $("pickup-back").addEventListener("click", goHome);
    $("pickup-take").addEventListener("click", () => takePickup());
    listenForScans();
    document.querySelectorAll("[data-open-lookup]").forEach((b) => b.addEventListener("click", openLookup));
    $("lookup-back").addEventListener("click", goHome);
    $("confirm-back").addEventListener("click", goHome);
    $("confirm-take").addEventListener("click", takeNumber);
    $("ticket-done").addEventListener("click", goHome);
    bindDossiers();
    bindAppointments();
    state.token = QMS.deviceToken(cfg.site);
    if (!state.token) { show("setup"); return; }
    const [hall, me] = await Promise.all([
      api("GET", "/sites/" + cfg.site + "/hall", undefined, state.token),
      api("GET", "/sites/" + cfg.site + "/me", undefined, state.token),
    ]);
    if (hall.status !== 200 || me.status !== 200 || me.data.kind !== "kiosk") { show("setup"); return; }
    state.hall = hall.data;
    state.me = me.data;
    state.live = new QMS.Live({auth: {site: cfg.site, token: state.token}, onSnapshot, onUpdate, onStatus,
      events: {print_result: onPrintResult, state: onState, settings: onSettings}});
    // Opening hours and estimates move with time even when nothing happens.
    setInterval(() => state.live.resync(), 60000);
  }

  document.addEventListener("DOMContentLoaded", start);
})();
