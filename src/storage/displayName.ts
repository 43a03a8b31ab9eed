// The uploader's file name is kept only to show it (on the case page, in a download's
// Content-Disposition). It is never a path: the file is stored under a random UUID.

const MAX_LENGTH = 150;
/** Longest ending kept whole when a name is shortened: ".jpeg" and a little more. */
const MAX_EXTENSION_LENGTH = 10;
const FALLBACK_NAME = "evidence";

// A control character ends the name: C0 and C1 controls (NUL, CR, LF, ESC, NEL, …), DEL, and Unicode's
// own line and paragraph separators. What follows one is not part of any name a person sees ("scan.pdf"
// then a line break then anything is "scan.pdf"), and a NUL ends a name wherever C strings are used
// ("evil.exe\0.png" is not a PNG's name). A tab is only whitespace. Format characters (\p{Cf}:
// bidirectional overrides, isolates and marks, zero-width joiners, the soft hyphen, …) are removed: they
// can make "gpj.exe" display as "exe.jpg". Unpaired surrogates and noncharacters have no display either.
// static/js/evidence-upload.js applies the same rule to the names it shows and checks.
const FIRST_CONTROL_CHARACTER = /(?!\t)[\p{Cc}\u2028\u2029]/u;
const INVISIBLE_CHARACTERS = /[\p{Cf}\p{Cs}\uFFFE\uFFFF]/gu;

/**
 * The uploader's file name made safe to show and to put in a Content-Disposition header: Unicode NFC,
 * cut at the first control character, format and bidirectional-override characters removed, path parts
 * dropped, whitespace collapsed, length capped (keeping the extension); "evidence" when nothing is left.
 * The name's extension is checked on this cleaned name (inspectEvidenceFile), and every message about
 * the file quotes it, so what is checked, stored and said is what the person sees.
 */
export function cleanDisplayName(raw: string): string {
  const normalised = raw.normalize("NFC");
  const firstControl = normalised.search(FIRST_CONTROL_CHARACTER);
  const withoutControls = (firstControl === -1 ? normalised : normalised.slice(0, firstControl)).replace(
    INVISIBLE_CHARACTERS,
    "",
  );
  // Browsers send only the base name, but other clients send "C:\\Users\\…" or "../../x".
  const baseName = withoutControls.slice(
    Math.max(withoutControls.lastIndexOf("/"), withoutControls.lastIndexOf("\\")) + 1,
  );
  const tidied = baseName
    .replace(/\s+/gu, " ")
    .trim()
    // A leading dot would make a hidden file of it in the downloader's folder.
    .replace(/^[.\s]+/u, "")
    .trim();
  const capped = capLength(tidied);
  return capped === "" ? FALLBACK_NAME : capped;
}

/** Shortens to MAX_LENGTH characters (code points, never splitting one), keeping the extension. */
function capLength(name: string): string {
  const characters = Array.from(name);
  if (characters.length <= MAX_LENGTH) return name;
  const lastDot = name.lastIndexOf(".");
  const extension = lastDot > 0 ? Array.from(name.slice(lastDot)) : [];
  const keptExtension = extension.length > 1 && extension.length <= MAX_EXTENSION_LENGTH ? extension : [];
  const stem = characters.slice(0, MAX_LENGTH - keptExtension.length).join("");
  return `${stem.trimEnd()}${keptExtension.join("")}`;
}
