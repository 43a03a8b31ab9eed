// Finding words that bypassed the catalogs. In the pseudo-language (en-XA) every catalog message is
// accented, so once the values a test put in are taken out, any word still written in plain ASCII
// letters came from somewhere else: a template, a presenter or a handler that holds English.

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", quot: '"', "#39": "'", amp: "&", nbsp: " " };

/** Entities decoded (the ones the views' autoescaping writes, and numeric ones). */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (entity, name: string) => {
    if (name in ENTITIES) return ENTITIES[name] ?? entity;
    if (name.startsWith("#x")) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith("#")) return String.fromCodePoint(Number(name.slice(1)));
    return entity;
  });
}

/** What a reader sees of an HTML fragment: the text between tags, entities decoded. */
export function visibleTextOf(html: string): string {
  return decodeEntities(
    html
      .replace(/<!doctype[^>]*>/i, "")
      .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1>/gi, " ")
      .replace(/<[^>]+>/g, " "),
  );
}

/**
 * What assistive technology reads out that is not between tags: the aria-label, alt and title
 * attributes of an HTML fragment, entities decoded.
 */
export function spokenAttributesOf(html: string): string[] {
  return [...html.matchAll(/\s(?:aria-label|alt|title|placeholder)="([^"]*)"/g)].map((match) =>
    decodeEntities(match[1] ?? ""),
  );
}

/**
 * The messages a page hands its scripts to say (the JSON of data-*-messages attributes: the upload
 * form's, the password meter's, the passkey ceremony's, the evidence viewer's), every string in them
 * but the locale they are formatted in, and the placeholders the script fills ("{name}").
 */
export function scriptMessagesOf(html: string): string[] {
  const texts: string[] = [];
  const collect = (value: unknown, key: string) => {
    if (typeof value === "string") {
      if (key !== "locale") texts.push(value.replace(/\{[a-z]+\}/gi, " "));
    } else if (value && typeof value === "object")
      for (const [childKey, child] of Object.entries(value)) collect(child, childKey);
  };
  for (const match of html.matchAll(/\sdata-[a-z-]*messages="([^"]*)"/g))
    collect(JSON.parse(decodeEntities(match[1] ?? "")), "");
  return texts;
}

/**
 * The words of `text` written in plain ASCII letters once `knownValues` (what the test put in: names,
 * case numbers, the site's settings, formatted dates) and URLs are taken out. Longer values are taken
 * out first, so a value that contains another is removed whole.
 */
export function plainWordsIn(text: string, knownValues: readonly (string | RegExp)[]): string[] {
  let rest = text.replace(/https?:\/\/\S+/g, " ");
  const patterns = [...knownValues].sort(
    (a, b) => (typeof b === "string" ? b.length : 0) - (typeof a === "string" ? a.length : 0),
  );
  // (A RegExp must carry the g flag: replaceAll refuses one without.)
  for (const value of patterns) rest = rest.replaceAll(value, " ");
  return (rest.match(/\p{L}+/gu) ?? []).filter((word) => /^[A-Za-z]+$/.test(word));
}
