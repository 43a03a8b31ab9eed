// The names people's files arrive with, hostile ones above all, and what is kept to show them.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { cleanDisplayName } from "./displayName.js";

describe("cleanDisplayName", () => {
  test("an ordinary name is kept as it is", () => {
    assert.equal(cleanDisplayName("Passport scan 2024.pdf"), "Passport scan 2024.pdf");
    assert.equal(cleanDisplayName("Zoë’s letter (1).jpeg"), "Zoë’s letter (1).jpeg");
  });

  test("Unicode is normalised to NFC", () => {
    const decomposed = "Zoe\u0308.png"; // e + combining diaeresis
    assert.equal(cleanDisplayName(decomposed), "Zo\u00eb.png");
  });

  test("path parts are dropped, whichever separator", () => {
    assert.equal(cleanDisplayName("../../etc/passwd"), "passwd");
    assert.equal(cleanDisplayName("..\\..\\Windows\\win.ini"), "win.ini");
    assert.equal(cleanDisplayName("C:\\Users\\wren\\Desktop\\id.jpg"), "id.jpg");
    assert.equal(cleanDisplayName("/"), "evidence");
  });

  test("a control character ends the name: nothing after a NUL or a line break is kept", () => {
    assert.equal(cleanDisplayName("scan.pdf\r\nX-Injected: 1"), "scan.pdf");
    assert.equal(cleanDisplayName("scan.pdf\n"), "scan.pdf");
    assert.equal(cleanDisplayName('a"\r\nX-Injected: 1.pdf'), 'a"');
    assert.equal(cleanDisplayName("evil.exe\u0000.png"), "evil.exe", "not a PNG's name");
    assert.equal(cleanDisplayName("colour\u001b[31m.png"), "colour");
    assert.equal(cleanDisplayName("c1\u0085next.gif"), "c1");
    assert.equal(cleanDisplayName("c1\u009bcsi.gif"), "c1");
    assert.equal(cleanDisplayName("del\u007f.pdf"), "del");
    assert.equal(cleanDisplayName("line.pdf\u2028break"), "line.pdf");
    assert.equal(cleanDisplayName("paragraph.pdf\u2029break"), "paragraph.pdf");
    assert.equal(cleanDisplayName("\n\n\nscan.pdf"), "evidence", "nothing before the first one");
  });

  test("a tab is whitespace, not the end of the name", () => {
    assert.equal(cleanDisplayName("tab\there.png"), "tab here.png");
  });

  test("bidirectional overrides, isolates, marks and other invisible characters are removed", () => {
    // "invoice‮fdp.exe" shows as "invoiceexe.pdf" in a right-to-left override.
    assert.equal(cleanDisplayName("invoice\u202efdp.exe"), "invoicefdp.exe");
    const everyBidiControl = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c";
    assert.equal(cleanDisplayName(`a${everyBidiControl}b.png`), "ab.png");
    assert.equal(cleanDisplayName("zero\u200bwidth\u200d\ufeff.pdf"), "zerowidth.pdf");
    assert.equal(cleanDisplayName("lone\ud800surrogate.pdf"), "lonesurrogate.pdf");
  });

  test("whitespace is collapsed and trimmed; leading dots are removed", () => {
    assert.equal(cleanDisplayName("   my \u00a0  letter\u3000.pdf  "), "my letter .pdf");
    assert.equal(cleanDisplayName(".htaccess"), "htaccess");
    assert.equal(cleanDisplayName(" . .. hidden.png"), "hidden.png");
  });

  test("nothing left: 'evidence'", () => {
    assert.equal(cleanDisplayName(""), "evidence");
    assert.equal(cleanDisplayName("..."), "evidence");
    assert.equal(cleanDisplayName("\u202e\u200f"), "evidence");
    assert.equal(cleanDisplayName("folder/"), "evidence");
  });

  test("a long name is capped at 150 characters, keeping its extension", () => {
    const cleaned = cleanDisplayName(`${"a".repeat(300)}.jpeg`);
    assert.equal(Array.from(cleaned).length, 150);
    assert.ok(cleaned.endsWith("a.jpeg"));
    const exactly = `${"b".repeat(146)}.pdf`;
    assert.equal(cleanDisplayName(exactly), exactly, "150 characters is still allowed");
  });

  test("capping counts characters, never splitting an emoji's surrogate pair", () => {
    const cleaned = cleanDisplayName(`${"📄".repeat(300)}.pdf`);
    assert.equal(Array.from(cleaned).length, 150);
    assert.ok(cleaned.endsWith("📄.pdf"));
    assert.doesNotMatch(cleaned, /\p{Cs}/u, "no half of a surrogate pair left");
  });

  test("a long name without a usable extension is simply cut", () => {
    const cleaned = cleanDisplayName(`${"c".repeat(200)}.${"x".repeat(40)}`);
    assert.equal(cleaned, "c".repeat(150));
  });
});
