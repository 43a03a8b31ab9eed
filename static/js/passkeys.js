// The browser's part of a passkey ceremony, for the form marked data-passkey-ceremony ("register" or
// "authenticate"): the server's options come from data-passkey-options; @simplewebauthn/browser (served
// from our own origin, static/js/vendor) asks the authenticator; its answer goes into the form's
// hidden `response` field and the form is sent as any other, with its CSRF token. The server checks
// everything; this only carries the answer. What it says comes from the catalogs with the form
// (data-passkey-messages).
(() => {
  const form = document.querySelector("form[data-passkey-ceremony]");
  const library = window.SimpleWebAuthnBrowser;
  if (!form) return;
  const messages = JSON.parse(form.dataset.passkeyMessages ?? "{}");
  const problem = document.getElementById("passkey-problem");
  const showProblem = (text) => {
    if (!problem) return;
    problem.querySelector("[data-passkey-message]").textContent = text;
    problem.hidden = false;
    problem.focus?.();
  };
  if (!library?.browserSupportsWebAuthn()) {
    showProblem(messages.unsupported);
    return;
  }
  let isRunning = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (isRunning) return;
    isRunning = true;
    try {
      const optionsJSON = JSON.parse(form.dataset.passkeyOptions);
      const answer =
        form.dataset.passkeyCeremony === "register"
          ? await library.startRegistration({ optionsJSON })
          : await library.startAuthentication({ optionsJSON });
      form.elements.namedItem("response").value = JSON.stringify(answer);
      form.submit();
    } catch (error) {
      isRunning = false;
      const cancelled = error && (error.name === "NotAllowedError" || error.name === "AbortError");
      showProblem(cancelled ? messages.cancelled : messages.failed);
    }
  });
})();
