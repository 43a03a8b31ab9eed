// The one check for an address we are about to send to (or send from). Deliberately narrower than
// RFC 5322: a plain local@domain and nothing else. No display names, comments, quoted local parts,
// lists or domain literals, so an address can never smuggle a second recipient or a header (a CR/LF
// followed by "Bcc:") into the message, whatever the mail library does with it.
import { z } from "zod";

// RFC 5322 atext (which includes the apostrophe of O'Brien, but no double quote), plus letters, marks and
// digits of any script for internationalised addresses; dots only between atoms.
const LOCAL_ATOM = String.raw`[A-Za-z0-9!#$%&'*+/=?^_\x60{|}~\-\p{L}\p{M}\p{N}]+`;
const DOMAIN_LABEL = String.raw`[\p{L}\p{N}](?:[\p{L}\p{M}\p{N}\-]{0,61}[\p{L}\p{M}\p{N}])?`;
const MESSAGE = "must be a plain email address like name@example.org";
const PLAIN_ADDRESS = new RegExp(
  String.raw`^(?<local>${LOCAL_ATOM}(?:\.${LOCAL_ATOM})*)@(?<domain>${DOMAIN_LABEL}(?:\.${DOMAIN_LABEL})+|localhost)$`,
  "u",
);

export const ZRecipientAddress = z
  .string()
  // Before trimming, so that a line break is refused even at the end: callers that only test
  // `.success` and keep their own string must not end up holding "a@b.c\r\n".
  .refine((address) => !/[\r\n]/.test(address), { message: MESSAGE, abort: true })
  .trim()
  .max(254, "must be at most 254 characters")
  .refine((address) => {
    const local = PLAIN_ADDRESS.exec(address)?.groups?.local;
    return local !== undefined && local.length <= 64;
  }, MESSAGE);

export type TRecipientAddress = z.output<typeof ZRecipientAddress>;
