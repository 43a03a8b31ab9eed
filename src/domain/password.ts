// Password rules in one place (NIST SP 800-63B / OWASP ASVS 5 style): length only, no composition rules,
// never truncated, not among the most common passwords, and not built from the person's own name or
// address.
import { dictionary } from "@zxcvbn-ts/language-common";
import argon2 from "argon2";

/** About 49 000 passwords seen most often in breaches, from zxcvbn-ts's offline list. */
const COMMON_PASSWORDS = new Set(
  dictionary["passwords-common"].map((password) => String(password).toLowerCase()),
);

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

/** The problem with a proposed password, or null. Lengths count Unicode code points. */
export function passwordProblem(password: string, person: { name: string; email: string }): string | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return `Use at least ${PASSWORD_MIN_LENGTH} characters.`;
  if (length > PASSWORD_MAX_LENGTH) return `Use at most ${PASSWORD_MAX_LENGTH} characters.`;
  const lowered = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lowered))
    return "This password is too common. Choose another, such as a few unrelated words.";
  const personalParts = [person.email, person.email.split("@")[0] ?? "", ...person.name.split(/\s+/)]
    .map((part) => part.trim().toLowerCase())
    .filter((part) => [...part].length >= 4);
  if (personalParts.some((part) => lowered.includes(part))) {
    return "Do not use your name or email address in your password.";
  }
  return null;
}

/**
 * A password being chosen, as every form that chooses one checks it (invitation, reset, profile): the
 * policy first, then whether the confirmation matches. Messages by field; {} when both are fine.
 */
export function newPasswordProblems(
  chosen: { password: string; passwordConfirmation: string },
  person: { name: string; email: string },
): { password?: string; passwordConfirmation?: string } {
  const problem = passwordProblem(chosen.password, person);
  if (problem) return { password: problem };
  if (chosen.password !== chosen.passwordConfirmation) {
    return { passwordConfirmation: "The two passwords are not the same." };
  }
  return {};
}

/** argon2id with the library's defaults (64 MiB, 3 passes), above OWASP's minimum. */
export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

export function verifyPassword(hash: string, password: string): Promise<boolean> {
  return argon2.verify(hash, password);
}
