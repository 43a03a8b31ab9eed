// A password strength meter for any <input data-strength-meter="ID">: as the person types, the element
// with that id (give it aria-live="polite") gets a short assessment. It only advises; the server's
// rules decide (length 12 to 128, not a common password, not your name). Forms work without it.
(() => {
  const MIN_LENGTH = 12;
  const COMMON_PATTERNS = [
    /^(.)\1+$/, // one character repeated
    /(0123|1234|2345|3456|4567|5678|6789|7890|abcd|bcde|cdef|qwer|wert|asdf|sdfg|zxcv|xcvb)/i,
    /pass(word|wort)?|letmein|welcome|admin|login|qwerty|iloveyou|monkey|dragon|secret|changeme/i,
    /(19|20)\d\d$/, // ends in a year
  ];

  function assess(password) {
    const length = [...password].length;
    if (length === 0) return null;
    if (length < MIN_LENGTH) {
      const missing = MIN_LENGTH - length;
      return {
        strength: "weak",
        text: `Too short: ${missing} more character${missing === 1 ? "" : "s"} needed.`,
      };
    }
    if (COMMON_PATTERNS.some((pattern) => pattern.test(password))) {
      return {
        strength: "weak",
        text: "This looks like a common pattern (a word like “password”, a run like “1234”, a year). Try a few unrelated words.",
      };
    }
    const distinct = new Set(password.toLowerCase()).size;
    if (distinct < 6) {
      return { strength: "fair", text: "Long enough, but many characters repeat. Mix in more words." };
    }
    if (length < 16) {
      return {
        strength: "fair",
        text: "Acceptable. A longer passphrase (16 or more characters) is stronger.",
      };
    }
    return { strength: "good", text: "Strong: a long passphrase." };
  }

  function enhance(input) {
    const output = document.getElementById(input.dataset.strengthMeter);
    if (!output) return;
    const update = () => {
      const result = assess(input.value);
      output.textContent = result ? result.text : "";
      if (result) output.dataset.strength = result.strength;
      else delete output.dataset.strength;
    };
    input.addEventListener("input", update);
    update();
  }

  for (const input of document.querySelectorAll("input[data-strength-meter]")) enhance(input);
})();
