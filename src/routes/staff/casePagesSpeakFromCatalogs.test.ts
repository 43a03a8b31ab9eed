// Staff pages stay in English for now, but every word of the case pages comes from the catalogs, so a
// later translation is data, not code. The proof: a superadmin who chose the pseudo-language (offered
// here, as tests offer it) walks every case page in many states (the queue with and without filters
// and with mistakes, case pages with records, decisions, comments, references, evidence, a closed
// and an erased case, the conflicted page, the evidence pages and the viewer, the bulk confirmation and
// result pages, the new-case page, the erasure confirmation), and no word in the page's main part (its
// text, and what screen readers read from aria-label, alt and title) may be plain unaccented English
// unless the test itself put it there. Every such word of every page is reported in one failure.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { EVIDENCE_TYPES } from "../../domain/evidenceTypes.js";
import { loadTranslators } from "../../i18n/translator.js";
import { postForm, startTestApp, type TestApp } from "../../test/app.js";
import { seedEvidenceFile } from "../../test/evidenceFiles.js";
import { pdfDocument, pngImage } from "../../test/evidenceFixtures.js";
import { type SeededCase, seedCaseWithHistory } from "../../test/privacyFixtures.js";
import {
  plainWordsIn,
  scriptMessagesOf,
  spokenAttributesOf,
  visibleTextOf,
} from "../../test/pseudoLanguage.js";
import { createStaffMember, signedInCookie, type TestStaffMember } from "../../test/staff.js";

let testApp: TestApp;

/** A staff member's browser that chose the pseudo-language (the switcher's cookie). */
interface PseudoBrowser {
  member: TestStaffMember;
  get(path: string): Promise<Response>;
  post(path: string, fields?: Record<string, string>): Promise<Response>;
}

async function pseudoBrowser(member: TestStaffMember): Promise<PseudoBrowser> {
  const cookie = `${await signedInCookie(testApp.db, testApp.config, member.id)}; language=en-XA`;
  const profile = await fetch(`${testApp.baseUrl}/staff/profile`, { headers: { cookie } });
  const csrfToken = /name="_csrf" value="([^"]+)"/.exec(await profile.text())?.[1];
  if (!csrfToken) throw new Error("the profile page carries no CSRF token");
  return {
    member,
    get: (path) => fetch(`${testApp.baseUrl}${path}`, { headers: { cookie }, redirect: "manual" }),
    post: (path, fields = {}) =>
      postForm(`${testApp.baseUrl}${path}`, { _csrf: csrfToken, ...fields }, { cookie }),
  };
}

/** The page's own part: its title and <main> (the layout and navigation have their own test). */
function ownPartOf(html: string): { title: string; main: string } {
  const title = /<title>([\s\S]*?)<\/title>/.exec(html)?.[1] ?? "";
  const main = /<main\b[^>]*>([\s\S]*)<\/main>/.exec(html)?.[1];
  if (main === undefined) throw new Error("the page has no <main>");
  return { title, main };
}

/** Values every page may show as they are: formatted dates, case numbers, sizes, hashes, file types. */
const FORMATTED_VALUES: RegExp[] = [
  // Dates and times as the staff pages format them ("3 Mar 2025, 14:05 UTC", "3 November 2026 at 09:15 UTC").
  /\b\d{1,2} [A-Z][a-z]{2,8} \d{4}(,? (at )?\d{2}:\d{2}( UTC)?)?/g,
  /\bVC-\d{5,}\b/g,
  /\b\d[\d,.]* ?(bytes?|B|KB|MB|GB)\b/g,
  /\b[0-9a-f]{64}\b/g,
  /\bSHA-256\b/g,
];

describe("the staff case pages in the pseudo-language", () => {
  let superadmin: PseudoBrowser;
  let agent: PseudoBrowser;
  let rejected: SeededCase;
  let inReview: SeededCase;
  let closed: SeededCase;
  let erased: SeededCase;
  const pages: { label: string; html: string; status: number }[] = [];
  const knownValues: (string | RegExp)[] = [...FORMATTED_VALUES];

  before(async () => {
    testApp = await startTestApp({
      env: { LANGUAGES: "en,de,fr,en-XA", NEW_CASE_NOTIFICATIONS: "off" },
    });
  });
  after(() => testApp.close());

  /** Visits a page (following one redirect, as a browser would), checks its status, keeps what it showed. */
  async function visit(label: string, response: Promise<Response>, status = 200): Promise<string> {
    let answer = await response;
    if (answer.status === 303 || answer.status === 302) {
      const location = answer.headers.get("location");
      assert.ok(location, `${label}: a redirect without a location`);
      answer = await superadmin.get(location);
    }
    const html = await answer.text();
    assert.equal(answer.status, status, `${label}: status`);
    pages.push({ label, html, status: answer.status });
    return html;
  }

  test("every word of every case page comes from the catalogs", async () => {
    superadmin = await pseudoBrowser(
      await createStaffMember(testApp.db, testApp.config, { role: "SUPERADMIN", name: "Sigrid Oakhollow" }),
    );
    agent = await pseudoBrowser(
      await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT", name: "Ravi Thornbury" }),
    );
    rejected = await seedCaseWithHistory(testApp.db, testApp.config, {
      state: "REJECTED",
      decidedAt: new Date(Date.now() - 3_600_000),
    });
    inReview = await seedCaseWithHistory(testApp.db, testApp.config, { state: "IN_REVIEW" });
    closed = await seedCaseWithHistory(testApp.db, testApp.config, { state: "CLOSED" });
    erased = await seedCaseWithHistory(testApp.db, testApp.config, { state: "SUBMITTED" });
    for (const seeded of [rejected, inReview, closed, erased]) {
      knownValues.push(...seeded.personalValues, seeded.agent.name, seeded.admin.name);
    }
    const png = await seedEvidenceFile(testApp, {
      caseId: inReview.id,
      bytes: pngImage(4, 3),
      displayName: "passport-scan.png",
      mediaType: "image/png",
      note: "Scanned at the Juniper meetup",
    });
    const pdf = await seedEvidenceFile(testApp, {
      caseId: inReview.id,
      bytes: pdfDocument("Passport"),
      displayName: "referee-letter.pdf",
      mediaType: "application/pdf",
      uploaderKind: "STAFF",
      uploadedById: inReview.agent.id,
    });
    // A PDF kept with active content (EVIDENCE_PDF_ACTIVE=flag): staff are warned what it carries.
    const flagged = await seedEvidenceFile(testApp, {
      caseId: inReview.id,
      bytes: pdfDocument("Form"),
      displayName: "signed-form.pdf",
      mediaType: "application/pdf",
    });
    await testApp.db.evidenceFile.update({
      where: { id: flagged.id },
      data: { activeContent: ["javascript", "embedded_file"] },
    });
    const pseudo = (await loadTranslators(testApp.config.languages)).for("en-XA");
    const newCaseName = "Odalys Fenwright";
    const comment = "Met Odalys at the Juniper meetup";
    knownValues.push(
      superadmin.member.name,
      agent.member.name,
      png.displayName,
      pdf.displayName,
      flagged.displayName,
      // What the flagged PDF carries, listed in Intl's own words for the page's locale.
      new Intl.ListFormat("en-GB", { type: "conjunction" }).format(
        ["javascript", "embedded_file"].map((kind) =>
          pseudo.t(`staff.cases.evidence.activeContentKind.${kind}`),
        ),
      ),
      "Scanned at the Juniper meetup",
      newCaseName,
      "odalys@example.org",
      comment,
      ...EVIDENCE_TYPES.map((type) => type.label),
      // The upload form's list of types: Intl's own words for a list, in the page's locale.
      new Intl.ListFormat("en-GB", { type: "disjunction" }).format(EVIDENCE_TYPES.map((type) => type.label)),
      testApp.config.site.name,
      // The privacy notice's version, as the operator names it ("built-in-1" by default).
      testApp.config.privacy.noticeVersion,
      // The language of the notice's text the person consented to, in Intl's own words.
      new Intl.DisplayNames("en", { type: "language" }).of("de") ?? "German",
      // What the filtered queue searched for.
      "Xanthe",
    );

    // The queue: plain, filtered, and with mistakes in its address.
    await visit("queue", superadmin.get("/staff/cases"));
    await visit(
      "queue filtered",
      superadmin.get(
        `/staff/cases?tab=in_review&q=Xanthe&state=IN_REVIEW&assignee=unassigned&recommendation=APPROVE&score=4&from=2020-01-01&to=2030-01-01&duplicate=yes&matrixVerified=yes&sort=name`,
      ),
    );
    await visit("queue sorted newest", superadmin.get("/staff/cases?sort=newest&tab=assigned"));
    await visit(
      "queue with mistakes",
      superadmin.get(
        "/staff/cases?tab=nope&state=NOPE&score=9&from=yesterday&to=2020-01-01&sort=up&duplicate=maybe",
      ),
      400,
    );

    // Case pages: decided, in review (evidence, a decision to make, forms), closed, a draft just opened.
    await visit("rejected case", superadmin.get(`/staff/cases/${rejected.id}`));
    await visit(
      "case in review",
      superadmin.get(`/staff/cases/${inReview.id}?from=${encodeURIComponent("sort=name")}`),
    );
    await visit("case with a damaged view", superadmin.get(`/staff/cases/${inReview.id}?from=sort%3Dup`));
    await visit("closed case", superadmin.get(`/staff/cases/${closed.id}`));
    await visit(
      "internal comment added",
      superadmin.post(`/staff/cases/${inReview.id}/comments`, { body: comment, visibility: "internal" }),
    );
    await visit(
      "comment to confirm",
      superadmin.post(`/staff/cases/${inReview.id}/comments`, { body: comment, visibility: "applicant" }),
    );
    await visit(
      "vetting record with mistakes",
      superadmin.post(`/staff/cases/${inReview.id}/vetting-records`, {}),
      422,
    );
    await visit(
      "assignment refused",
      superadmin.post(`/staff/cases/${inReview.id}/assign`, { assigneeId: "not-a-person" }),
      422,
    );
    await visit(
      "conflict form with mistakes",
      superadmin.post(`/staff/cases/${inReview.id}/conflicts`, { conflictReason: "" }),
      422,
    );
    await visit(
      "decision without its reason",
      superadmin.post(`/staff/cases/${inReview.id}/decision`, { decision: "reject" }),
      422,
    );
    await visit(
      "decision refused: the case is decided",
      superadmin.post(`/staff/cases/${rejected.id}/decision`, { decision: "approve" }),
      409,
    );
    await visit("closing with mistakes", superadmin.post(`/staff/cases/${inReview.id}/close`, {}), 422);
    await visit(
      "correction with mistakes",
      superadmin.post(`/staff/cases/${inReview.id}/details`, { correctFullName: "", correctionReason: "" }),
      422,
    );

    // The evidence pages and the viewer (an image, and a PDF a page at a time).
    await visit("evidence page", superadmin.get(`/staff/cases/${inReview.id}/evidence`));
    await visit("evidence page of a decided case", superadmin.get(`/staff/cases/${rejected.id}/evidence`));
    await visit("viewer: image", superadmin.get(`/staff/cases/${inReview.id}/evidence/${png.id}/view`));
    await visit("viewer: PDF", superadmin.get(`/staff/cases/${inReview.id}/evidence/${pdf.id}/view`));
    await visit("delete a file?", superadmin.get(`/staff/cases/${inReview.id}/evidence/${pdf.id}/delete`));

    // The bulk actions: confirmations (with cases left out, and a problem), and their results.
    const ticked = `case=${inReview.id}&case=${rejected.id}&case=${closed.id}`;
    await visit(
      "bulk assign: confirm",
      superadmin.get(
        `/staff/cases/bulk?action=assign&scope=selected&assigneeId=${agent.member.id}&${ticked}`,
      ),
    );
    await visit(
      "bulk unassign: confirm",
      superadmin.get(`/staff/cases/bulk?action=assign&scope=view&assigneeId=nobody`),
    );
    await visit(
      "bulk close: confirm",
      superadmin.get(`/staff/cases/bulk?action=close&scope=selected&${ticked}`),
    );
    await visit(
      "bulk export: confirm",
      superadmin.get(`/staff/cases/bulk?action=export&scope=selected&${ticked}`),
    );
    await visit(
      "bulk: no assignee",
      superadmin.get(`/staff/cases/bulk?action=assign&scope=selected&${ticked}`),
      422,
    );
    await visit("bulk: nothing ticked", superadmin.get(`/staff/cases/bulk?action=close&scope=selected`), 422);
    await visit(
      "bulk close without a reason",
      superadmin.post("/staff/cases/bulk/close", { caseIds: inReview.id, from: "", closureReason: "" }),
      422,
    );
    await visit(
      "bulk assign: done",
      superadmin.post("/staff/cases/bulk/assign", {
        caseIds: [inReview.id, rejected.id, "00000000-0000-4000-8000-000000000000"].join(" "),
        assigneeId: agent.member.id,
        from: "",
      }),
    );

    // Opening a case for someone: the form, its mistakes, the new draft with its notice.
    await visit("new case", superadmin.get("/staff/cases/new"));
    await visit(
      "new case with mistakes",
      superadmin.post("/staff/cases/new", { fullName: "", email: "nope", verifiedOn: "soon", place: "" }),
      422,
    );
    const opened = await visit(
      "new case opened",
      superadmin.post("/staff/cases/new", {
        fullName: newCaseName,
        email: "odalys@example.org",
        isInvitationSent: "",
      }),
    );
    const draftId = /action="\/staff\/cases\/([0-9a-f-]{36})\/submit-on-behalf"/.exec(opened)?.[1];
    assert.ok(draftId, "the new draft offers to submit for the person");
    await visit(
      "submitting for the person with mistakes",
      superadmin.post(`/staff/cases/${draftId}/submit-on-behalf`, {}),
      422,
    );

    // A conflict of interest: the short page the conflicted person sees.
    const declared = await agent.post(`/staff/cases/${inReview.id}/conflicts`, {
      conflictReason: "a friend of mine",
    });
    assert.equal(declared.status, 303);
    knownValues.push("a friend of mine");
    const conflicted = await agent.get(`/staff/cases/${inReview.id}`);
    pages.push({ label: "conflicted case", html: await conflicted.text(), status: conflicted.status });
    await visit("case with a conflict of interest", superadmin.get(`/staff/cases/${inReview.id}`));

    // Erasure: the confirmation, its mistake, the erased case, and the confirmation once erased.
    await visit("erase: confirm", superadmin.get(`/staff/cases/${erased.id}/erase`));
    await visit(
      "erase: wrong number",
      superadmin.post(`/staff/cases/${erased.id}/erase`, { caseNumber: "VC-99999" }),
      422,
    );
    await visit(
      "erased",
      superadmin.post(`/staff/cases/${erased.id}/erase`, { caseNumber: erased.caseNumber }),
    );
    await visit("erased case", superadmin.get(`/staff/cases/${erased.id}`));
    await visit("erase: already erased", superadmin.get(`/staff/cases/${erased.id}/erase`));

    // Each page is in the pseudo-language, and shows what was asked of it (not an error page).
    const found: string[] = [];
    for (const page of pages) {
      assert.match(page.html, /<html lang="en-XA"/, `${page.label}: not in the pseudo-language`);
      const { title, main } = ownPartOf(page.html);
      // And what the page's scripts will say (the evidence viewer's zoom level).
      const spoken = [
        visibleTextOf(title),
        visibleTextOf(main),
        ...spokenAttributesOf(main),
        ...scriptMessagesOf(main),
      ].join("\n");
      const words = plainWordsIn(spoken, knownValues);
      if (words.length > 0) found.push(`${page.label} (${page.status}): ${[...new Set(words)].join(" ")}`);
    }
    assert.deepEqual(found, [], "words that did not come from the catalogs");
  });

  test("the check can fail: the same case page in English is plain words", async () => {
    const cookie = await signedInCookie(testApp.db, testApp.config, superadmin.member.id);
    const english = await (
      await fetch(`${testApp.baseUrl}/staff/cases/${rejected.id}`, { headers: { cookie } })
    ).text();
    assert.match(english, /<html lang="en"/);
    const words = plainWordsIn(visibleTextOf(ownPartOf(english).main), knownValues);
    assert.ok(words.includes("Timeline"), "the English page's words are found");
  });
});
