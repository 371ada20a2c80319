/* An on-screen keyboard for the kiosk's search: plain letters are enough, since the
   search ignores Vietnamese accents. */
(function () {
  "use strict";
  const ROWS = ["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"];

  /** Draw the keyboard into `container`; it types into `input` and calls onChange().
   *  `symbols`: more keys on the last row (a dossier code has '.', '-' and '/'). */
  function attach(container, input, onChange, symbols) {
    container.innerHTML = "";
    const key = (label, value, wide) => {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = label;
      if (wide) b.classList.add("wide");
      b.addEventListener("click", () => {
        if (value === "back") input.value = input.value.slice(0, -1);
        else if (value === "clear") input.value = "";
        else input.value += value;
        onChange();
      });
      return b;
    };
    ROWS.forEach((letters) => {
      const row = document.createElement("div");
      row.className = "row";
      for (const ch of letters) row.appendChild(key(ch.toUpperCase(), symbols ? ch.toUpperCase() : ch));
      container.appendChild(row);
    });
    const last = document.createElement("div");
    last.className = "row";
    const clear = key(QMS.t("keyboard.clear"), "clear");
    clear.classList.add("action");  // a word, not a letter: as wide as it needs
    last.appendChild(clear);
    if (symbols) for (const ch of symbols) last.appendChild(key(ch, ch));
    else last.appendChild(key(QMS.t("keyboard.space"), " ", true));
    last.appendChild(key("⌫", "back"));
    container.appendChild(last);
  }

  window.KioskKeyboard = {attach};
})();
