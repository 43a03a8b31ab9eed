// The evidence upload form, enhanced (views/partials/evidence-upload.njk): a drop zone that is also a
// button opening the file picker, the chosen files listed with their size, a note each and a remove
// button, the type and size checked here before anything is sent, then one request per file with its
// own progress bar and its own answer. The server decides in the end; this only saves people a wasted
// upload and shows them where each file is. Without this script the plain form works as it is.
//
// Every word it shows comes from the catalogs, in the page's language: the form carries them in
// data-messages (views/partials/evidence-upload.njk), with the locale the server formats in, which this
// uses for plural forms, numbers, percentages and lists (Intl), and for sizes as the server writes them.
//
// Strict CSP: no inline handlers, no eval, and people's file names only ever go in via textContent.
(() => {
  // The server lets one person have three uploads in flight (EVIDENCE_UPLOADS_IN_FLIGHT); one more
  // would only be refused. XMLHttpRequest, not fetch: fetch reports no upload progress.
  const MAX_IN_FLIGHT = 3;
  const MEGABYTE = 1024 * 1024;

  /** A size in the unit people would use, rounded as the server rounds it (src/domain/fileSize.ts). */
  function fileSizeParts(bytes) {
    if (bytes < 1024) return { size: bytes, unit: "byte" };
    const [value, unit] =
      bytes < MEGABYTE
        ? [bytes / 1024, "KB"]
        : bytes < 1024 * MEGABYTE
          ? [bytes / MEGABYTE, "MB"]
          : [bytes / (1024 * MEGABYTE), "GB"];
    return { size: value < 100 ? Number(value.toFixed(1)) : Math.round(value), unit };
  }

  /**
   * The form's messages in the page's language. A placeholder ("{name}") is filled in one pass, so a
   * file name that looks like one stays as it is; a counted message holds one form per plural category
   * (src/i18n/browserMessages.ts), chosen here by the same locale's rules, the number written "{count}".
   */
  function messagesOf(form) {
    const messages = JSON.parse(form.dataset.messages);
    const pluralRules = new Intl.PluralRules(messages.locale);
    const numberFormat = new Intl.NumberFormat(messages.locale);
    const percentFormat = new Intl.NumberFormat(messages.locale, { style: "percent" });
    const listFormat = new Intl.ListFormat(messages.locale, { type: "conjunction" });
    const fill = (pattern, values) =>
      pattern.replace(/\{(\w+)\}/g, (placeholder, name) =>
        Object.hasOwn(values, name) ? String(values[name]) : placeholder,
      );
    const formFor = (forms, count) => forms[pluralRules.select(count)] ?? forms.other;
    return {
      say: (id, values = {}) => fill(messages[id], values),
      /** A counted message in the form for `count`, which it shows as {count}. */
      count: (id, count, values = {}) =>
        fill(formFor(messages[id], count), { ...values, count: numberFormat.format(count) }),
      /** "812 bytes", "4.5 KB", "1,4 MB", "20 Mo": as the server writes sizes in this language. */
      fileSize(bytes) {
        const { size, unit } = fileSizeParts(bytes);
        return fill(formFor(messages.fileSize[unit], size), { size: numberFormat.format(size) });
      },
      percent: (value) => percentFormat.format(value / 100),
      /** "a", "a and b", "a, b and c", in the language's words. */
      list: (items) => listFormat.format(items),
    };
  }

  // The server's rule for the names it keeps and quotes (src/storage/displayName.ts cleanDisplayName):
  // a control character (NUL, CR, LF, ESC, NEL, DEL, the line and paragraph separators; a tab is only
  // whitespace) ends the name, format characters (direction overrides and isolates above all) go, and so
  // does any path. The type is checked on this name and every message quotes it, as the server's do.
  const FIRST_CONTROL_CHARACTER = /(?!\t)[\p{Cc}\u2028\u2029]/u;
  const INVISIBLE_CHARACTERS = /[\p{Cf}\p{Cs}\uFFFE\uFFFF]/gu;

  function displayNameOf(fileName) {
    const normalised = fileName.normalize("NFC");
    const firstControl = normalised.search(FIRST_CONTROL_CHARACTER);
    const visible = (firstControl === -1 ? normalised : normalised.slice(0, firstControl)).replace(
      INVISIBLE_CHARACTERS,
      "",
    );
    const baseName = visible.slice(Math.max(visible.lastIndexOf("/"), visible.lastIndexOf("\\")) + 1);
    const tidied = baseName
      .replace(/\s+/gu, " ")
      .trim()
      .replace(/^[.\s]+/u, "")
      .trim();
    return tidied === "" ? "evidence" : tidied;
  }

  function extensionOf(displayName) {
    const dot = displayName.lastIndexOf(".");
    return dot > 0 ? displayName.slice(dot).toLowerCase() : "";
  }

  function element(tagName, className, text) {
    const created = document.createElement(tagName);
    if (className) created.className = className;
    if (text !== undefined) created.textContent = text;
    return created;
  }

  /** The answer's JSON, or null for anything else (a proxy's HTML error page, an empty body). */
  function parseAnswer(request) {
    try {
      return JSON.parse(request.responseText);
    } catch {
      return null;
    }
  }

  /** Only a same-origin address is followed: the answer comes from our server, but costs nothing to check. */
  function sameOriginOrNull(address) {
    if (typeof address !== "string" || address === "") return null;
    try {
      const url = new URL(address, window.location.href);
      return url.origin === window.location.origin ? url.href : null;
    } catch {
      return null;
    }
  }

  function enhance(form) {
    const settings = {
      doneUrl: form.dataset.doneUrl,
      allowedExtensions: form.dataset.allowedExtensions.split(/\s+/).filter(Boolean),
      allowedTypes: form.dataset.allowedTypes.split(/\s+/).filter(Boolean),
      maxFileBytes: Number(form.dataset.maxFileBytes),
      maxFilesPerUpload: Number(form.dataset.maxFilesPerUpload),
      filesLeft: Number(form.dataset.filesLeft),
      bytesLeft: Number(form.dataset.bytesLeft),
      noteMaxLength: Number(form.dataset.noteMaxLength),
    };
    const csrfField = form.querySelector('input[name="_csrf"]');
    const input = form.querySelector('input[type="file"]');
    const picker = form.querySelector("[data-evidence-picker]");
    const sharedNote = form.querySelector("[data-evidence-shared-note]");
    const submitButton = form.querySelector('button[type="submit"]');
    if (!csrfField || !input || !picker || !submitButton) return;
    const sharedNoteText = sharedNote?.querySelector("textarea")?.value ?? "";
    const formId = input.id;
    const messages = messagesOf(form);

    // The drop zone replaces the bare file input: a real button, so Enter and Space open the picker,
    // and the same hints (types, sizes, what is left) describe it.
    const dropZone = element("button", "evidence-drop-zone");
    dropZone.type = "button";
    dropZone.id = `${formId}-drop-zone`;
    dropZone.append(
      element("span", "evidence-drop-zone__title", messages.say("dropZoneChoose")),
      " ",
      element("span", "evidence-drop-zone__text", messages.say("dropZoneOrDrop")),
    );
    const describedBy = input.getAttribute("aria-describedby");
    if (describedBy) dropZone.setAttribute("aria-describedby", describedBy);
    const label = picker.querySelector(`label[for="${formId}"]`);
    if (label) label.hidden = true;
    input.hidden = true;
    input.after(dropZone);
    // The refusal summary's links pointed at the file input, now hidden: they lead to the drop zone.
    for (const link of form.querySelectorAll(`a[href="#${formId}"]`)) link.href = `#${dropZone.id}`;
    // One note per file replaces the shared note (each file is sent with its own).
    if (sharedNote) sharedNote.hidden = true;

    const queueList = element("ul", "evidence-queue");
    queueList.id = `${formId}-chosen`;
    queueList.setAttribute("aria-label", messages.say("chosenFiles"));
    queueList.hidden = true;
    const status = element("p", "evidence-upload__status");
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    const continueLink = element("p", "evidence-upload__continue");
    const continueAnchor = element("a", "", messages.say("seeUploaded"));
    continueAnchor.href = settings.doneUrl;
    continueLink.append(continueAnchor);
    continueLink.hidden = true;
    picker.after(queueList);
    submitButton.before(status);
    submitButton.after(continueLink);

    /** @type {{ id: string, file: File, state: string, problem: string, parts: object }[]} */
    const items = [];
    let nextItemNumber = 1;
    let isBusy = false;
    let lastRedirect = null;

    function announce(text) {
      status.textContent = text;
    }

    // ---- choosing files ----

    /** Checks every file not yet uploaded, in order, against what the case can still take. */
    function checkItems() {
      const uploaded = items.filter((item) => item.state === "done");
      const caseFilesLeft = settings.filesLeft - uploaded.length;
      let filesLeft = caseFilesLeft;
      let bytesLeft = settings.bytesLeft - uploaded.reduce((sum, item) => sum + item.file.size, 0);
      let waiting = 0;
      for (const item of items) {
        if (item.state !== "ready" && item.state !== "invalid") continue;
        const problem = problemOf(item, { caseFilesLeft, filesLeft, bytesLeft, waiting });
        item.problem = problem ?? item.serverProblem ?? "";
        item.state = problem ? "invalid" : "ready";
        if (!problem) {
          filesLeft -= 1;
          bytesLeft -= item.file.size;
          waiting += 1;
        }
        render(item);
      }
    }

    function problemOf(item, room) {
      const { file } = item;
      const isAllowedType =
        settings.allowedExtensions.includes(extensionOf(item.name)) &&
        settings.allowedTypes.includes(file.type);
      if (!isAllowedType) return messages.say("notAccepted");
      if (file.size === 0) return messages.say("empty");
      if (file.size > settings.maxFileBytes) {
        return messages.say("tooLarge", { size: messages.fileSize(file.size) });
      }
      if (room.waiting >= settings.maxFilesPerUpload) return messages.say("tooManyAtOnce");
      if (room.filesLeft <= 0) {
        return room.caseFilesLeft <= 0
          ? messages.say("caseFull")
          : messages.count("caseFilesLeft", room.caseFilesLeft);
      }
      if (file.size > room.bytesLeft) {
        return messages.say("caseBytesLeft", { size: messages.fileSize(Math.max(room.bytesLeft, 0)) });
      }
      return null;
    }

    function addFiles(fileList) {
      if (isBusy) {
        announce(messages.say("wait"));
        return;
      }
      const added = [];
      for (const file of fileList) {
        const isAlreadyChosen = items.some(
          (item) =>
            item.state !== "done" &&
            item.file.name === file.name &&
            item.file.size === file.size &&
            item.file.lastModified === file.lastModified,
        );
        if (isAlreadyChosen) continue;
        const item = {
          id: `${formId}-file-${nextItemNumber++}`,
          file,
          name: displayNameOf(file.name),
          state: "ready",
          problem: "",
        };
        item.parts = buildItem(item);
        queueList.append(item.parts.row);
        items.push(item);
        added.push(item);
      }
      if (added.length === 0) return;
      queueList.hidden = false;
      continueLink.hidden = true;
      checkItems();
      const withProblems = added.filter((item) => item.state === "invalid");
      const chosen = messages.say("chosen", {
        files: messages.list(
          added.map((item) =>
            messages.say("chosenFile", { name: item.name, size: messages.fileSize(item.file.size) }),
          ),
        ),
      });
      // Sentences follow one another, each whole in the language.
      const next =
        withProblems.length === 0
          ? [messages.say(added.length === 1 ? "pressUploadOne" : "pressUploadMany")]
          : withProblems.map((item) =>
              messages.say("fileProblem", { name: item.name, problem: item.problem }),
            );
      announce([chosen, ...next].join(" "));
    }

    function buildItem(item) {
      const row = element("li", "evidence-queue__item");
      const heading = element("p", "evidence-queue__heading");
      heading.append(
        element("span", "evidence-queue__name", item.name),
        " ",
        element("span", "evidence-queue__size", messages.fileSize(item.file.size)),
      );
      const problem = element("p", "evidence-queue__problem field__error");
      problem.id = `${item.id}-problem`;
      problem.hidden = true;

      const noteField = element("div", "evidence-queue__note");
      const noteLabel = element(
        "label",
        "evidence-queue__note-label",
        messages.say("note", { name: item.name }),
      );
      const note = element("textarea", "field__input field__textarea evidence-queue__note-input");
      note.id = `${item.id}-note`;
      note.rows = 2;
      note.maxLength = settings.noteMaxLength;
      note.value = sharedNoteText;
      noteLabel.htmlFor = note.id;
      noteField.append(noteLabel, note);

      const progress = element("progress", "evidence-queue__progress");
      progress.max = 100;
      progress.value = 0;
      progress.setAttribute("aria-label", messages.say("progress", { name: item.name }));
      progress.hidden = true;
      const state = element("p", "evidence-queue__state");
      state.hidden = true;

      // Seen: "Remove"; heard: "Remove scan.pdf" (one sentence, so the language orders its words).
      const remove = element("button", "button button--secondary button--small evidence-queue__remove");
      remove.type = "button";
      const seenLabel = element("span", "", messages.say("remove"));
      seenLabel.setAttribute("aria-hidden", "true");
      remove.append(
        seenLabel,
        element("span", "visually-hidden", messages.say("removeFile", { name: item.name })),
      );
      remove.setAttribute("aria-describedby", problem.id);
      remove.addEventListener("click", () => removeItem(item));

      row.append(heading, problem, noteField, progress, state, remove);
      return { row, problem, note, progress, state, remove };
    }

    function render(item) {
      const { row, problem, note, progress, state, remove } = item.parts;
      row.classList.toggle("evidence-queue__item--problem", Boolean(item.problem));
      row.classList.toggle("evidence-queue__item--done", item.state === "done");
      problem.hidden = !item.problem;
      problem.textContent = item.problem;
      note.disabled = item.state === "uploading" || item.state === "done";
      remove.hidden = item.state === "done";
      remove.disabled = item.state === "uploading";
      progress.hidden = item.state !== "uploading" && item.state !== "done";
      state.hidden = item.state !== "uploading" && item.state !== "done";
      if (item.state === "uploading") {
        state.textContent = messages.say("uploadingPercent", { percent: messages.percent(progress.value) });
      }
      if (item.state === "done") state.textContent = messages.say("uploaded");
    }

    function removeItem(item) {
      const index = items.indexOf(item);
      if (index === -1 || item.state === "uploading") return;
      items.splice(index, 1);
      item.parts.row.remove();
      if (!items.some((other) => other.state !== "done")) queueList.hidden = items.length === 0;
      checkItems();
      announce(messages.say("removed", { name: item.name }));
      // Focus stays in the list (or returns to the drop zone), never lost to the page's top.
      const next = items.find((other, position) => position >= index && other.state !== "done");
      (next ? next.parts.remove : dropZone).focus();
    }

    // ---- sending ----

    function upload(item) {
      item.state = "uploading";
      item.serverProblem = undefined;
      item.problem = "";
      item.parts.progress.value = 0;
      render(item);

      const body = new FormData();
      // _csrf first: the server checks it before it keeps any part of the file.
      body.append("_csrf", csrfField.value);
      body.append("files", item.file, item.file.name);
      const note = item.parts.note.value.trim();
      if (note) body.append("note", note);

      return new Promise((resolve) => {
        const request = new XMLHttpRequest();
        request.open("POST", form.action);
        request.setRequestHeader("Accept", "application/json");
        // Listening on request.upload before send() is what makes the browser report upload progress.
        request.upload.addEventListener("progress", (event) => {
          if (!event.lengthComputable || event.total === 0) return;
          // 99 at most until the server has answered: the bytes are sent, not yet accepted.
          item.parts.progress.value = Math.min(99, Math.floor((event.loaded / event.total) * 100));
          render(item);
        });
        request.addEventListener("load", () => {
          const answer = parseAnswer(request);
          if (request.status === 201) {
            item.state = "done";
            item.parts.progress.value = 100;
            lastRedirect = sameOriginOrNull(answer?.redirect) ?? lastRedirect;
            resolve({ item, isUploaded: true });
          } else {
            item.state = "failed";
            item.serverProblem = problemFromAnswer(answer, request.status);
            // A refusal is final for this file; a busy or unreachable server may take it later.
            item.isRetryable = request.status === 408 || request.status === 429 || request.status >= 500;
            resolve({ item, isUploaded: false });
          }
        });
        const onConnectionLost = () => {
          item.state = "failed";
          item.serverProblem = messages.say("connectionLost");
          item.isRetryable = true;
          resolve({ item, isUploaded: false });
        };
        request.addEventListener("error", onConnectionLost);
        request.addEventListener("abort", onConnectionLost);
        request.addEventListener("timeout", onConnectionLost);
        request.send(body);
      });
    }

    function problemFromAnswer(answer, status) {
      const error = answer?.error;
      const fileMessages = Array.isArray(error?.files)
        ? error.files.map((problem) => problem?.message).filter((message) => typeof message === "string")
        : [];
      if (fileMessages.length > 0) return fileMessages.join(" ");
      if (typeof error?.message === "string" && error.message !== "") return error.message;
      return messages.say("serverRefused", { status });
    }

    function setBusy(busy) {
      isBusy = busy;
      submitButton.disabled = busy;
      // The drop zone stays enabled (a disabled button gets no drag events, so a drop would open the
      // file in place of the page); while busy it says to wait instead.
      dropZone.setAttribute("aria-disabled", busy ? "true" : "false");
      form.setAttribute("aria-busy", busy ? "true" : "false");
    }

    async function uploadAll() {
      // Files whose last attempt failed for a passing reason go again; refused ones must be removed.
      for (const item of items) {
        if (item.state === "failed" && item.isRetryable) item.state = "ready";
      }
      checkItems();
      const refused = items.filter((item) => item.state === "invalid" || item.state === "failed");
      const waiting = items.filter((item) => item.state === "ready");
      if (refused.length > 0) {
        announce(
          refused.length === 1
            ? messages.say("removeMarkedOne", { name: refused[0].name })
            : messages.say("removeMarkedMany", { names: messages.list(refused.map((item) => item.name)) }),
        );
        refused[0].parts.remove.focus();
        return;
      }
      if (waiting.length === 0) {
        announce(messages.say("chooseFirst"));
        dropZone.focus();
        return;
      }

      setBusy(true);
      continueLink.hidden = true;
      const results = [];
      let nextIndex = 0;
      const startNext = async () => {
        while (nextIndex < waiting.length) {
          const item = waiting[nextIndex++];
          const uploading = items.filter((other) => other.state === "uploading").map((other) => other.name);
          announce(messages.say("uploading", { names: messages.list([...uploading, item.name]) }));
          const result = await upload(item);
          results.push(result);
          if (!result.isUploaded) item.problem = item.serverProblem;
          render(item);
          const stillUploading = waiting.filter((other) => other.state === "uploading").length;
          const outcome = result.isUploaded
            ? messages.say("fileUploaded", { name: item.name })
            : messages.say("fileNotUploaded", { name: item.name, problem: item.serverProblem });
          announce(
            stillUploading > 0 ? `${outcome} ${messages.count("stillUploading", stillUploading)}` : outcome,
          );
        }
      };
      await Promise.all(Array.from({ length: Math.min(MAX_IN_FLIGHT, waiting.length) }, startNext));
      setBusy(false);

      const failed = results.filter((result) => !result.isUploaded);
      if (failed.length === 0) {
        announce(
          waiting.length === 1
            ? messages.say("oneUploaded", { name: waiting[0].name })
            : messages.count("allUploaded", waiting.length),
        );
        window.location.assign(lastRedirect ?? settings.doneUrl);
        return;
      }
      const uploadedCount = results.length - failed.length;
      announce(
        [
          ...(uploadedCount > 0 ? [messages.count("someUploaded", uploadedCount)] : []),
          ...failed.map((result) =>
            messages.say("fileNotUploaded", { name: result.item.name, problem: result.item.serverProblem }),
          ),
        ].join(" "),
      );
      continueLink.hidden = uploadedCount === 0 && !items.some((item) => item.state === "done");
      failed[0].item.parts.remove.focus();
    }

    // ---- wiring ----

    dropZone.addEventListener("click", () => {
      if (isBusy) announce(messages.say("wait"));
      else input.click();
    });
    input.addEventListener("change", () => {
      addFiles(input.files);
      // Cleared, so choosing the same file again (after removing it) still fires "change".
      input.value = "";
    });

    const carriesFiles = (event) => Array.from(event.dataTransfer?.types ?? []).includes("Files");
    for (const type of ["dragenter", "dragover"]) {
      dropZone.addEventListener(type, (event) => {
        if (!carriesFiles(event)) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = isBusy ? "none" : "copy";
        dropZone.classList.add("evidence-drop-zone--active");
      });
    }
    dropZone.addEventListener("dragleave", (event) => {
      if (event.relatedTarget instanceof Node && dropZone.contains(event.relatedTarget)) return;
      dropZone.classList.remove("evidence-drop-zone--active");
    });
    dropZone.addEventListener("drop", (event) => {
      event.preventDefault();
      dropZone.classList.remove("evidence-drop-zone--active");
      if (event.dataTransfer?.files.length) addFiles(event.dataTransfer.files);
    });
    // A file dropped beside the zone would make the browser open it in place of this page, losing
    // everything chosen so far.
    for (const type of ["dragover", "drop"]) {
      document.addEventListener(type, (event) => {
        if (!carriesFiles(event) || dropZone.contains(event.target)) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = "none";
      });
    }

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!isBusy) uploadAll();
    });

    form.classList.add("evidence-upload--enhanced");
    // After a refused plain upload, keyboard and screen-reader users start at the summary.
    form.querySelector("[data-evidence-error-summary]")?.focus();
  }

  for (const form of document.querySelectorAll("form[data-evidence-upload]")) enhance(form);
})();
