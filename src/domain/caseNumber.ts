// The number people quote for a case: "VC-00042". The database keeps a plain serial; this module is the
// only place that knows how it is written and read back (the queue's search accepts "VC-42", "#42", "42").

const PREFIX = "VC-";

export function formatCaseNumber(number: number): string {
  return `${PREFIX}${String(number).padStart(5, "0")}`;
}

/** The serial in a typed case number, or null when the text is not one. */
export function parseCaseNumber(text: string): number | null {
  const match = /^\s*(?:vc-?|#)?0*(\d{1,9})\s*$/i.exec(text);
  if (!match?.[1]) return null;
  const number = Number(match[1]);
  return number >= 1 && number <= 2_147_483_647 ? number : null;
}
