// The uploader's file name is kept only to show it (on the case page, in a download's
// Content-Disposition). It is never a path: the file is stored under a random UUID.

const MAX_LENGTH = 150;
/** Longest ending kept whole when a name is shortened: ".jpeg" and a little more. */
const MAX_EXTENSION_LENGTH = 10;
const FALLBACK_NAME = "evidence";

// C0 and C1 control characters (NUL, TAB, CR, LF, ESC, …) and DEL become spaces, so "a\tb" stays two
// words. Format characters (\p{Cf}: bidirectional overrides, isolates and marks, zero-width joiners, the
// soft hyphen, …) are removed: they can make "gpj.exe" display as "exe.jpg". Unpaired surrogates and
// noncharacters have no display either. Line and paragraph separators are Unicode's own line breaks.
const CONTROL_CHARACTERS = /[\p{Cc}\u2028\u2029]/gu;
const INVISIBLE_CHARACTERS = /[\p{Cf}\p{Cs}\uFFFE\uFFFF]/gu;

/**
 * The uploader's file name made safe to show and to put in a Content-Disposition header: Unicode NFC,
 * control, format and bidirectional-override characters removed, path parts dropped, whitespace
 * collapsed, length capped (keeping the extension); "evidence" when nothing is left.
 */
export function cleanDisplayName(raw: string): string {
  const withoutControls = raw
    .normalize("NFC")
    .replace(CONTROL_CHARACTERS, " ")
    .replace(INVISIBLE_CHARACTERS, "");
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
