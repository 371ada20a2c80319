/* Shared client code of every screen: translations, the API, live state over Socket.IO,
   and the accessibility toolbar. Exposed as window.QMS. */
(function () {
  "use strict";

  // Each page's data comes in <script type="application/json" data-global="NAME"> blocks
  // (the Content-Security-Policy runs no inline script); all are in the document before this file.
  document.querySelectorAll('script[type="application/json"][data-global]').forEach((el) => {
    window[el.dataset.global] = JSON.parse(el.textContent);
  });

  const catalogue = window.QMS_I18N || {};

  /** The text of a catalogue key, with {name} placeholders filled. */
  function t(key, params) {
    let text = Object.prototype.hasOwnProperty.call(catalogue, key) ? catalogue[key] : key;
    if (params) {
      text = text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
    }
    return text;
  }

  /** Put translated text into every element with data-i18n="key". */
  function translatePage(root) {
    (root || document).querySelectorAll("[data-i18n]").forEach((el) => {
      el.textContent = t(el.dataset.i18n);
    });
    (root || document).querySelectorAll("[data-i18n-placeholder]").forEach((el) => {
      el.placeholder = t(el.dataset.i18nPlaceholder);
    });
  }

  /** A device's token: taken once from the address (#token=...) and kept on the device. */
  function deviceToken(site) {
    const storageKey = "qms-token-" + site;
    const match = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
    if (match) {
      localStorage.setItem(storageKey, decodeURIComponent(match[1]));
      history.replaceState(null, "", location.pathname + location.search);
    }
    return localStorage.getItem(storageKey);
  }

  /** Call the REST API; resolves to {status, data} and never throws on HTTP errors. */
  async function api(method, path, body, token) {
    const headers = {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (token) headers["Authorization"] = "Bearer " + token;
    try {
      const response = await fetch("/api/v1" + path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
      });
      const text = await response.text();
      return {status: response.status, data: text ? JSON.parse(text) : null};
    } catch (err) {
      return {status: 0, data: {error: {code: "network", message: String(err)}}};
    }
  }

  /** The message for an API error, in the screen's language. */
  function errorText(result) {
    const code = result && result.data && result.data.error ? result.data.error.code : "network";
    const key = "error." + code;
    // What the refusal names ({label}: the number already in line …) goes into the words.
    const details = code !== "network" && result.data.error.details;
    const params = details && typeof details === "object" && !Array.isArray(details) ? details : undefined;
    return Object.prototype.hasOwnProperty.call(catalogue, key) ? t(key, params) : t("error.generic", {code});
  }

  /**
   * Live state of a site: a snapshot on (re)connect, then updates applied strictly in
   * sequence; a gap makes it ask for a new snapshot. Updates that arrive while a snapshot is
   * awaited are kept, and those newer than the snapshot are applied after it. Callbacks:
   * onSnapshot(snapshot), onUpdate(event), onStatus(online), and any extra {eventName: handler}.
   */
  class Live {
    constructor(options) {
      this.options = options;
      this.seq = null;
      this.resyncs = 0;
      this.awaiting = true;   // a snapshot is on its way (connect, reconnect, resync)
      this.early = [];        // updates received meanwhile
      this.socket = io({
        auth: options.auth,
        transports: ["websocket", "polling"],
        reconnectionDelay: 250,
        reconnectionDelayMax: 1500,
        timeout: 4000,
      });
      this.socket.on("connect", () => options.onStatus && options.onStatus(true));
      this.socket.on("disconnect", (reason) => {
        this.awaiting = true;  // the server sends a snapshot when it reconnects
        this.early = [];
        options.onStatus && options.onStatus(false);
        // Closed by the server (a session that ended, say): ask again, and hear why if refused.
        if (reason === "io server disconnect") setTimeout(() => this.socket.connect(), 250);
      });
      this.socket.on("connect_error", (err) => {
        options.onStatus && options.onStatus(false, err && err.message);
        // Refused by the server (its store away, say): socket.io does not try again by itself.
        if (!this.socket.active) setTimeout(() => this.socket.connect(), 3000);
      });
      this.socket.on("snapshot", (snap) => {
        this.seq = snap.seq;
        this.awaiting = false;
        const early = this.early.sort((a, b) => a.seq - b.seq);
        this.early = [];
        options.onSnapshot && options.onSnapshot(snap);
        early.forEach((event) => this._update(event));
      });
      this.socket.on("update", (event) => this._update(event));
      Object.entries(options.events || {}).forEach(([name, handler]) => this.socket.on(name, handler));
    }

    _update(event) {
      if (this.awaiting) {
        if (this.early.length < 1000) this.early.push(event);
        return;
      }
      if (this.seq === null || event.seq <= this.seq) return;
      if (event.seq !== this.seq + 1) {
        this.resync();
        return;
      }
      this.seq = event.seq;
      this.options.onUpdate && this.options.onUpdate(event);
    }

    /** Whether a pushed state (``state``, ``lists``, ``place``: read after the events it
     *  follows) is at least as new as what this screen holds. */
    fresh(message) {
      return !this.awaiting && this.seq !== null && message && message.seq >= this.seq;
    }

    /** Ask for a new snapshot (after a gap, or when a screen wants fresh figures). */
    resync() {
      this.resyncs += 1;
      this.awaiting = true;
      this.socket.timeout(8000).emit("snapshot", this.options.snapshotRequest || {}, (err, answer) => {
        // No snapshot is coming: ask again a little later, keeping what arrives meanwhile.
        if ((err || !answer || answer.error) && this.socket.connected) setTimeout(() => this.resync(), 2000);
      });
    }

    /** Send an event and wait for the server's answer. */
    request(name, payload) {
      return new Promise((resolve) => this.socket.timeout(8000).emit(name, payload, (err, answer) => {
        resolve(err ? {error: {code: "network", message: String(err)}} : answer);
      }));
    }
  }

  /** Minutes for people: "about 12 minutes". */
  function minutes(seconds) {
    if (seconds === null) return t("common.no_counter_now");  // no counter serving: no honest figure
    const m = Math.max(0, Math.round((seconds || 0) / 60));
    return m === 0 ? t("common.now") : t("common.minutes", {n: m});
  }

  /** hh:mm:ss of a duration in seconds. */
  function duration(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
    const two = (n) => String(n).padStart(2, "0");
    return (hh ? hh + ":" : "") + two(mm) + ":" + two(ss);
  }

  /** A length of time in words: "15 phút", "20 phút 8 giây", "1 giờ 5 phút" (not "20:08",
   *  which reads as a clock time). */
  function elapsed(seconds) {
    const s = Math.max(0, Math.round(seconds));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    if (h) return t("time.h_m", {h, m});
    if (m) return r ? t("time.m_s", {m, s: r}) : t("time.m", {m});
    return t("time.s", {s: r});
  }

  /** Language buttons, A+ / A− and high contrast; choices are kept on the device. */
  function toolbar() {
    const root = document.documentElement;
    const scale = parseFloat(localStorage.getItem("qms-scale") || "1");
    root.style.setProperty("--scale", scale);
    if (localStorage.getItem("qms-contrast") === "1") root.classList.add("contrast");
    document.querySelectorAll("[data-lang]").forEach((b) => b.addEventListener("click", () => {
      const url = new URL(location.href);
      url.searchParams.set("lang", b.dataset.lang);
      location.replace(url.toString());
    }));
    document.querySelectorAll("[data-a11y]").forEach((b) => b.addEventListener("click", () => {
      const action = b.dataset.a11y;
      if (action === "contrast") {
        const on = root.classList.toggle("contrast");
        localStorage.setItem("qms-contrast", on ? "1" : "0");
        return;
      }
      let s = parseFloat(getComputedStyle(root).getPropertyValue("--scale")) || 1;
      s = Math.min(1.6, Math.max(0.8, s + (action === "larger" ? 0.1 : -0.1)));
      s = Math.round(s * 10) / 10;
      root.style.setProperty("--scale", s);
      localStorage.setItem("qms-scale", String(s));
    }));
  }

  /** A clock that ticks every second in the given element (site time zone). */
  function clock(element, timeZone) {
    const fmt = new Intl.DateTimeFormat(window.QMS_LANG === "en" ? "en-GB" : "vi-VN", {
      timeZone, hour: "2-digit", minute: "2-digit", second: "2-digit",
      weekday: "long", day: "2-digit", month: "2-digit", year: "numeric",
    });
    const tick = () => { element.textContent = fmt.format(new Date()); };
    tick();
    return setInterval(tick, 1000);
  }

  /** "10:32": the hour and minute of a moment (ms), in the hall's time zone. */
  function clockTime(ms, timeZone) {
    return new Intl.DateTimeFormat("vi-VN", {timeZone, hour: "2-digit", minute: "2-digit", hour12: false})
      .format(new Date(ms));
  }

  /** Field / site names in the screen's language. */
  function localName(item) {
    return window.QMS_LANG === "en" && item.name_en ? item.name_en : item.name;
  }

  /** What an event or a pushed ``state`` says of some fields, over what a snapshot holds of them. */
  function mergeWaiting(snapshot, waiting) {
    Object.entries(waiting || {}).forEach(([code, w]) => {
      snapshot.waiting[code] = Object.assign({}, snapshot.waiting[code], w);
    });
  }

  /** The administration's tables: a cell of text, and a small button. */
  function cell(text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  }

  function link(text, href) {
    const td = document.createElement("td");
    const a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    td.appendChild(a);
    return td;
  }

  function button(label, onClick, cls) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "button small" + (cls ? " " + cls : "");
    b.textContent = label;
    b.addEventListener("click", onClick);
    return b;
  }

  /** An administration form's answer: the refusal in words (with config.yaml's own reasons),
   *  or ``message``; true when it was done. */
  function answered(r, errorLine, doneLine, message) {
    errorLine.textContent = "";
    doneLine.textContent = "";
    if (r.status >= 300) {
      const errors = r.data && r.data.error && r.data.error.details && r.data.error.details.errors;
      errorLine.textContent = errorText(r) + (errors && errors.length ? " (" + errors.join("; ") + ")" : "");
      return false;
    }
    doneLine.textContent = message;
    return true;
  }

  /** One of a site's lists in the administration (fields, priority categories …): a table with
   *  an edit and a remove button per row, and one form to add an entry or change the one being
   *  edited. Elements are named by ``prefix``: #<prefix>-form, -error, -done, -cancel, -title,
   *  and the key box (-code, or ``keyBox``); the table is #<table>. Options:
   *    path: the API path of the list; list: the answer's key; key: an entry's key field;
   *    name(entry): what the messages call it (its name); cells(entry): the row's cells;
   *    fill(entry) / body(): the form from / to an entry (body null: not sent, it said why);
   *    addTitle, removeLabel, removeConfirm, removed: catalogue keys ({name} in the last two);
   *    rendered(entries), cleared(), saved(answer): after each drawing, after the form is
   *    emptied, after an entry is saved (before the form is emptied).
   *  Every change is the server's (checked and audited there). Returns the page's state. */
  function listEditor(o) {
    const $ = (id) => document.getElementById(id);
    const box = (name) => $(o.prefix + "-" + name);
    const keyBox = () => box(o.keyBox || "code");
    const nameOf = o.name || ((item) => item.name);
    const state = {items: [], editing: null, saved: 0};
    const url = (entry) => o.path + (entry === undefined ? "" : "/" + encodeURIComponent(entry));

    function render() {
      const body = $(o.table).querySelector("tbody");
      body.innerHTML = "";
      state.items.forEach((item) => {
        const tr = document.createElement("tr");
        tr.dataset[o.key] = item[o.key];
        const actions = document.createElement("td");
        actions.className = "actions";
        actions.append(button(t("people.edit"), () => edit(item)),
                       button(t(o.removeLabel), () => remove(item), "secondary"));
        tr.append(...o.cells(item), actions);
        body.appendChild(tr);
      });
      if (o.rendered) o.rendered(state.items);
    }

    async function load() {
      const r = await api("GET", url());
      if (r.status !== 200) { box("error").textContent = errorText(r); return; }
      state.items = r.data[o.list];
      render();
    }

    function clear() {
      state.editing = null;
      box("form").reset();
      keyBox().disabled = false;
      box("cancel").hidden = true;
      box("title").textContent = t(o.addTitle);
      if (o.cleared) o.cleared();
    }

    function edit(item) {
      state.editing = item[o.key];
      keyBox().value = item[o.key];
      keyBox().disabled = true;
      o.fill(item);
      box("cancel").hidden = false;
      box("title").textContent = t("people.editing", {name: nameOf(item)});
      if (box("name")) box("name").focus();
    }

    function done(r, message) {
      const ok = answered(r, box("error"), box("done"), message);
      if (ok) state.saved += 1;
      return ok;
    }

    async function remove(item) {
      const name = nameOf(item);
      if (!window.confirm(t(o.removeConfirm, {name}))) return;
      // (a JSON body, as every cookie-carrying change: the CSRF check wants one)
      if (done(await api("DELETE", url(item[o.key]), {}), t(o.removed, {name}))) await load();
    }

    async function save(e) {
      e.preventDefault();
      const body = o.body();
      if (body === null) return;
      const r = await api("PUT", url(keyBox().value.trim()), body);
      if (done(r, t("people.saved"))) {
        if (o.saved) o.saved(r);
        clear();
        await load();
      }
    }

    document.addEventListener("DOMContentLoaded", () => {
      box("form").addEventListener("submit", save);
      box("cancel").addEventListener("click", clear);
      load();
    });
    return state;
  }

  /** The phone-and-code step's send button (kiosk/_phone_code.html, ids prefixed ``p``): the
   *  SMS code asked for the number typed, then the code's field shown; a refusal in words. */
  async function sendCode(site, p) {
    const $ = (id) => document.getElementById(p + "-" + id);
    $("error").textContent = "";
    $("send").disabled = true;
    const r = await api("POST", "/sites/" + site + "/remote/code", {phone: $("phone").value});
    $("send").disabled = false;
    if (r.status !== 202) { $("error").textContent = errorText(r); return; }
    $("sent").textContent = t("remote.sent", {phone: r.data.phone, n: Math.round(r.data.expires_in / 60)});
    document.getElementById("step-code").classList.remove("hidden");
    $("code").focus();
  }

  /** The name of the weekday of a date "YYYY-MM-DD", in the page's language (read at noon: no
   *  time zone moves it to another day). */
  function weekday(iso) {
    return t("day." + ["sun", "mon", "tue", "wed", "thu", "fri", "sat"][new Date(iso + "T12:00:00").getDay()]);
  }

  /** A number per field as a settings form edits it: {DD: 40, default: 100} <-> "DD 40" a line.
   *  A line that is not one is sent as it is, for the server to say what is wrong. */
  const perField = {
    text: (numbers) => Object.entries(numbers).map(([code, n]) => code + " " + n).join("\n"),
    parse(text) {
      const out = {};
      text.split("\n").map((line) => line.trim()).filter(Boolean).forEach((line) => {
        const [code, n] = line.split(/\s+/);
        out[code] = /^\d+$/.test(n || "") ? Number(n) : n === undefined ? null : n;
      });
      return out;
    },
  };

  document.addEventListener("DOMContentLoaded", () => {
    translatePage();
    toolbar();
  });

  window.QMS = {t, translatePage, deviceToken, api, errorText, Live, minutes, duration, elapsed, clock, clockTime, listEditor,
                localName, mergeWaiting, cell, link, button, answered, perField, weekday, sendCode};
})();
