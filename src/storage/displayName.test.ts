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

  test("NUL and other control characters never survive; line breaks cannot inject a header", () => {
    assert.equal(cleanDisplayName("report\u0000.pdf.exe"), "report .pdf.exe");
    assert.equal(cleanDisplayName('a"\r\nX-Injected: 1.pdf'), 'a" X-Injected: 1.pdf');
    assert.equal(cleanDisplayName("tab\there\u001b[31m.png"), "tab here [31m.png");
    assert.equal(cleanDisplayName("c1\u0085\u009b.gif"), "c1 .gif");
    assert.equal(cleanDisplayName("del\u007f.pdf"), "del .pdf");
    assert.equal(cleanDisplayName("line\u2028break.pdf"), "line break.pdf");
    for (const cleaned of [cleanDisplayName("x\r\ny.pdf"), cleanDisplayName("\n\n\n")]) {
      assert.doesNotMatch(cleaned, /\p{Cc}/u);
    }
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
