// A password strength meter for any <input data-strength-meter="ID">: as the person types, the element
// with that id (give it aria-live="polite") gets a short assessment. It only advises; the server's
// rules decide (length 12 to 128, not a common password, not your name). Forms work without it.
// Its words come from the catalogs with the input (data-strength-messages, views/macros/form.njk); the
// count in "too short" picks its plural form as src/i18n/browserMessages.ts describes.
(() => {
  const MIN_LENGTH = 12;
  const COMMON_PATTERNS = [
    /^(.)\1+$/, // one character repeated
    /(0123|1234|2345|3456|4567|5678|6789|7890|abcd|bcde|cdef|qwer|wert|asdf|sdfg|zxcv|xcvb)/i,
    /pass(word|wort)?|letmein|welcome|admin|login|qwerty|iloveyou|monkey|dragon|secret|changeme/i,
    /(19|20)\d\d$/, // ends in a year
  ];

  /** The counted message's form for `count`, the number written for the locale. */
  function counted(messages, forms, placeholder, count) {
    const form = forms[new Intl.PluralRules(messages.locale).select(count)] ?? forms.other ?? "";
    return form.replaceAll(`{${placeholder}}`, new Intl.NumberFormat(messages.locale).format(count));
  }

  function assess(password, messages) {
    const length = [...password].length;
    if (length === 0) return null;
    if (length < MIN_LENGTH) {
      const missing = MIN_LENGTH - length;
      return { strength: "weak", text: counted(messages, messages.tooShort, "missing", missing) };
    }
    if (COMMON_PATTERNS.some((pattern) => pattern.test(password))) {
      return { strength: "weak", text: messages.commonPattern };
    }
    const distinct = new Set(password.toLowerCase()).size;
    if (distinct < 6) {
      return { strength: "fair", text: messages.repeats };
    }
    if (length < 16) {
      return { strength: "fair", text: messages.acceptable };
    }
    return { strength: "good", text: messages.strong };
  }

  function enhance(input) {
    const output = document.getElementById(input.dataset.strengthMeter);
    if (!output || !input.dataset.strengthMessages) return;
    const messages = JSON.parse(input.dataset.strengthMessages);
    const update = () => {
      const result = assess(input.value, messages);
      output.textContent = result ? result.text : "";
      if (result) output.dataset.strength = result.strength;
      else delete output.dataset.strength;
    };
    input.addEventListener("input", update);
    update();
  }

  for (const input of document.querySelectorAll("input[data-strength-meter]")) enhance(input);
})();
