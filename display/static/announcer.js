/* Voice announcements for the lobby display: a chime, then "Xin mời công dân có số thứ tự
   <number> đến quầy số <counter>", said `repeat` times, from a pack of short clips joined
   in order. Announcements queue: a new call waits for the one being spoken to end. */
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

  class Announcer {
    /** options: {base, repeat, readDigits, mode: "clips" | "browser" | "off", onBlocked()} */
    constructor(options) {
      this.options = options;
      this.queue = [];
      this.speaking = false;
      this.log = [];          // what was said, when it started and ended (shown to tests and people)
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

    /** The sentence as text, in the voice's words. */
    text(label, counter) {
      const words = this.manifest ? this.manifest.words : {};
      return sentenceTokens(label, counter, this.options.readDigits).map((tok) => words[tok] || tok).join(" ");
    }

    /** Queue a call; it is spoken after every call queued before it. */
    announce(label, counter) {
      const item = {label: String(label), counter: Number(counter), queuedAt: performance.now()};
      this.queue.push(item);
      if (!this.speaking) this._next();
      return item;
    }

    async unlock() {
      if (this.context && this.context.state === "suspended") await this.context.resume();
    }

    async _next() {
      const item = this.queue.shift();
      if (!item) { this.speaking = false; return; }
      this.speaking = true;
      await this.ready;
      item.text = this.text(item.label, item.counter);
      item.startedAt = performance.now();
      try {
        if (this.options.mode === "browser" && this._browserVoice()) await this._speakBrowser(item.text);
        else if (this.options.mode !== "off") await this._playClips(item);
      } catch (err) {
        console.error("announcement failed", err);
        item.error = String(err);
      }
      item.endedAt = performance.now();
      this.log.push(item);
      this._next();
    }

    async _playClips(item) {
      if (!this.context) return;
      if (this.context.state === "suspended") {
        await this.context.resume().catch(() => {});
        if (this.context.state === "suspended") {
          this.options.onBlocked && this.options.onBlocked();
          item.blocked = true;
          return;
        }
      }
      const tokens = sentenceTokens(item.label, item.counter, this.options.readDigits);
      let at = this.context.currentTime + 0.05;
      const play = (token, gapAfter) => {
        const buffer = this.buffers[token];
        if (!buffer) return;
        const source = this.context.createBufferSource();
        source.buffer = buffer;
        source.connect(this.context.destination);
        source.start(at);
        at += buffer.duration + gapAfter;
      };
      play("chime", 0.35);
      for (let r = 0; r < this.options.repeat; r += 1) {
        tokens.forEach((tok, i) => play(tok, i === tokens.length - 1 ? 0.8 : 0.06));
      }
      item.seconds = at - this.context.currentTime;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, item.seconds * 1000)));
    }

    _browserVoice() {
      if (!("speechSynthesis" in window)) return null;
      return speechSynthesis.getVoices().find((v) => /^vi/i.test(v.lang)) || null;
    }

    _speakBrowser(text) {
      return new Promise((resolve) => {
        let left = this.options.repeat;
        const sayOnce = () => {
          const u = new SpeechSynthesisUtterance(text);
          u.voice = this._browserVoice();
          u.lang = "vi-VN";
          u.onend = u.onerror = () => { left -= 1; if (left > 0) sayOnce(); else resolve(); };
          speechSynthesis.speak(u);
        };
        sayOnce();
      });
    }
  }

  window.Announcer = Announcer;
  window.VietnameseNumbers = {numberTokens, labelTokens, sentenceTokens};
})();
