/* Voice announcements for the lobby display: a chime, then "Xin mời công dân có số thứ tự
   <number> đến quầy số <counter>", from a pack of short clips joined in order.

   No call is ever cut off: a new call waits for the one being spoken. The lag stays bounded:
   calls that queued meanwhile are said together, under one chime and once each ("… số 1024
   đến quầy số 7"), where a call alone is said `repeat` times; a queued call whose counter has
   moved on is not said at all. A browser that blocks sound is noticed within 2 s (the
   button to allow it appears); once allowed, only the calls still current are said. */
(function () {
  "use strict";

  /**
   * The tokens that read a whole number the Vietnamese way:
   * 1023 = một nghìn không trăm hai mươi ba, 15 = mười lăm, 21 = hai mươi mốt,
   * 24 = hai mươi tư, 105 = một trăm linh năm.
   */
  function numberTokens(n) {
    n = Math.floor(Number(n));
    if (!(n >= 0) || n > 999999) return String(n).split("").filter((c) => /\d/.test(c));
    if (n === 0) return ["0"];
    const thousands = Math.floor(n / 1000);
    const rest = n % 1000;
    const out = [];
    if (thousands) out.push(...underThousand(thousands, false), "thousand");
    if (rest) out.push(...underThousand(rest, thousands > 0));
    return out;
  }

  function underThousand(n, inside) {
    const h = Math.floor(n / 100), t = Math.floor((n % 100) / 10), u = n % 10;
    const out = [];
    if (h > 0 || inside) out.push(String(h), "hundred");
    if (t === 0) {
      if (u > 0) {
        if (h > 0 || inside) out.push("zero_tens");
        out.push(String(u));
      }
    } else if (t === 1) {
      out.push("10");
      if (u === 5) out.push("5b");
      else if (u > 0) out.push(String(u));
    } else {
      out.push(String(t), "tens");
      if (u === 1) out.push("1b");
      else if (u === 4) out.push("4b");
      else if (u === 5) out.push("5b");
      else if (u > 0) out.push(String(u));
    }
    return out;
  }

  /** Tokens of a ticket label: letters by name, then the number (or its digits one by one). */
  function labelTokens(label, readDigits) {
    const match = /^([A-Za-z]*)(\d+)$/.exec(String(label));
    if (!match) return String(label).split("").map((c) => (/\d/.test(c) ? c : "letter_" + c.toLowerCase()));
    const letters = match[1].split("").map((c) => "letter_" + c.toLowerCase());
    const digits = readDigits ? match[2].split("") : numberTokens(parseInt(match[2], 10));
    return letters.concat(digits);
  }

  function sentenceTokens(label, counter, readDigits) {
    return ["intro"].concat(labelTokens(label, readDigits), ["to_counter"], numberTokens(counter));
  }

  const BLOCKED_AFTER_MS = 1500;   // a resume() that has not happened by then is blocked by the browser

  function later(ms) { return new Promise((resolve) => setTimeout(resolve, ms)); }

  class Announcer {
    /** options: {base, repeat, readDigits, speed, mode: "clips" | "browser" | "off",
     *            onBlocked(), isCurrent(item) -> bool} */
    constructor(options) {
      this.options = Object.assign({speed: 1.1, isCurrent: () => true}, options);
      this.queue = [];
      this.speaking = false;
      this.blocked = false;
      this.log = [];          // what was said (or skipped), when it started and ended: shown to tests and people
      this.buffers = {};
      this.manifest = null;
      this.context = null;
      this.loaded = false;
      this.ready = this._load();
    }

    async _load() {
      const response = await fetch(this.options.base + "manifest.json");
      this.manifest = await response.json();
      if (this.options.mode !== "clips") { this.loaded = true; return; }
      const Ctx = window.AudioContext || window.webkitAudioContext;
      this.context = new Ctx();
      // Say at once whether the browser lets this page make sound, not at the first call
      // (nor after every clip has loaded).
      this._running().then((running) => { if (!running) this._block(); });
      const names = Object.entries(this.manifest.clips).concat([["chime", this.manifest.chime]]);
      await Promise.all(names.map(async ([token, file]) => {
        try {
          const data = await (await fetch(this.options.base + file)).arrayBuffer();
          this.buffers[token] = await this.context.decodeAudioData(data);
        } catch (err) {
          console.error("voice clip missing or unreadable", file, err);
        }
      }));
      this.loaded = true;
    }

    /** Whether sound can play: resume() hangs, rather than fails, while the browser blocks it. */
    async _running() {
      if (!this.context) return true;
      if (this.context.state === "running") return true;
      await Promise.race([this.context.resume().catch(() => {}), later(BLOCKED_AFTER_MS)]);
      return this.context.state === "running";
    }

    _block() {
      if (this.blocked) return;
      this.blocked = true;
      if (this.options.onBlocked) this.options.onBlocked();
    }

    /** The tokens of a call: the whole sentence, or after the first of a group "số … đến quầy số …". */
    _tokens(item, first) {
      const tokens = sentenceTokens(item.label, item.counter, this.options.readDigits);
      if (first || !this.manifest || !this.manifest.clips.next_number) return tokens;
      return ["next_number"].concat(tokens.slice(1));
    }

    /** The sentence as text, in the voice's words. */
    text(label, counter, first = true) {
      const words = this.manifest ? this.manifest.words : {};
      return this._tokens({label, counter}, first).map((tok) => words[tok] || tok).join(" ");
    }

    /** Queue a call; it is spoken after every call queued before it. */
    announce(label, counter) {
      const item = {label: String(label), counter: Number(counter), queuedAt: performance.now()};
      this.queue.push(item);
      if (!this.speaking && !this.blocked) this._next();
      return item;
    }

    /** After a person allowed sound (a click): say what is still current, and go on. */
    async unlock() {
      if (this.context && this.context.state !== "running") await this.context.resume();
      this.blocked = false;
      if (!this.speaking) this._next();
    }

    async _next() {
      this.speaking = true;
      await this.ready;
      if (this.options.mode === "clips" && !(await this._running())) {
        this._block();
        this.speaking = false;  // the queue waits for a person to allow sound
        return;
      }
      const waiting = this.queue.splice(0);
      const group = [];
      waiting.forEach((item) => {
        if (this.options.isCurrent(item)) group.push(item);
        else { item.skipped = true; this.log.push(item); }   // its counter has moved on: not worth saying
      });
      if (!group.length) { this.speaking = false; return; }
      try {
        if (this.options.mode === "browser" && this._browserVoice()) await this._speakBrowser(group);
        else if (this.options.mode !== "off") await this._playClips(group);
        else group.forEach((item) => { item.startedAt = item.endedAt = performance.now(); });
      } catch (err) {
        console.error("announcement failed", err);
        group.forEach((item) => { item.error = String(err); });
      }
      group.forEach((item) => {
        item.group = group.length;
        item.text = this.text(item.label, item.counter, item === group[0]);
        if (item.endedAt === undefined) item.endedAt = performance.now();
        this.log.push(item);
      });
      if (this.queue.length && !this.blocked) this._next();
      else this.speaking = false;
    }

    /** One chime, then each call: alone, `repeat` times (the repeats left out when another call
     *  is waiting by then: a sentence is never cut, a courtesy repeat may be); in a group, once
     *  each, with a shorter pause between them. */
    async _playClips(group) {
      if (!this.context) return;
      const speed = this.options.speed;
      const alone = group.length === 1;
      const pause = alone ? 0.8 : 0.4;
      const origin = performance.now();
      const start = this.context.currentTime + 0.05;
      let at = start;
      const play = (token, gapAfter) => {
        const buffer = this.buffers[token];
        if (!buffer) return;
        const source = this.context.createBufferSource();
        source.buffer = buffer;
        source.playbackRate.value = speed;
        source.connect(this.context.destination);
        source.start(at);
        at += buffer.duration / speed + gapAfter / speed;
      };
      const sentence = (tokens) => tokens.forEach((tok, k) => play(tok, k === tokens.length - 1 ? pause : 0.06));
      const until = () => later(Math.max(0, (at - this.context.currentTime) * 1000));
      play("chime", 0.35);
      group.forEach((item, i) => {
        item.startedAt = origin + (at - start) * 1000;
        sentence(this._tokens(item, i === 0));
        item.said = 1;
        item.endedAt = origin + (at - start) * 1000;
      });
      if (alone) {
        const item = group[0];
        for (let r = 1; r < this.options.repeat; r += 1) {
          await until();
          if (this.queue.length) break;  // a call is waiting: it goes first, the repeat does not
          sentence(this._tokens(item, true));
          item.said += 1;
          item.endedAt = origin + (at - start) * 1000;
        }
      }
      group.forEach((item) => { item.seconds = (item.endedAt - item.startedAt) / 1000; });
      await until();
    }

    _browserVoice() {
      if (!("speechSynthesis" in window)) return null;
      return speechSynthesis.getVoices().find((v) => /^vi/i.test(v.lang)) || null;
    }

    _speakBrowser(group) {
      const repeat = group.length === 1 ? this.options.repeat : 1;
      const say = (text) => new Promise((resolve) => {
        const u = new SpeechSynthesisUtterance(text);
        u.voice = this._browserVoice();
        u.lang = "vi-VN";
        u.rate = this.options.speed;
        u.onend = u.onerror = resolve;
        speechSynthesis.speak(u);
      });
      return group.reduce((done, item, i) => done.then(async () => {
        item.startedAt = performance.now();
        for (let r = 0; r < repeat; r += 1) await say(this.text(item.label, item.counter, i === 0));
        item.endedAt = performance.now();
      }), Promise.resolve());
    }
  }

  window.Announcer = Announcer;
  window.VietnameseNumbers = {numberTokens, labelTokens, sentenceTokens};
})();
