// CONTRACT STUB (lead) — helper A implements.

/**
 * The uploader's file name made safe to show and to put in a Content-Disposition header: Unicode NFC,
 * control, format and bidirectional-override characters removed, path parts dropped, whitespace
 * collapsed, length capped (keeping the extension); "evidence" when nothing is left.
 */
export function cleanDisplayName(_raw: string): string {
  throw new Error("not implemented yet (helper A)");
}
