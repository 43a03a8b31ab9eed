import { randomUUID } from "node:crypto";
import nodemailer from "nodemailer";
import { expect, expectAccessibleInLightAndDarkThemes, test } from "./fixtures.js";

// The tests share the one mailbox, and the last one empties it.
test.describe.configure({ mode: "serial" });

/** Sends an email to the app's development mail catcher, as the portal itself would. */
async function sendToDevelopmentMailbox(message: { subject: string; text: string; html?: string }) {
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port: Number(process.env.E2E_DEV_MAILBOX_SMTP_PORT),
    secure: false,
    ignoreTLS: true,
  });
  try {
    await transport.sendMail({
      from: "Vetting Portal <vetting-portal@localhost>",
      to: "applicant@example.org",
      ...message,
    });
  } finally {
    transport.close();
  }
}

test.describe("the development mailbox", () => {
  test("is linked from the footer and labelled as development-only", async ({ page }) => {
    await page.goto("/");

    const footer = page.getByRole("contentinfo");
    await expect(footer).toContainText("Development only");
    await footer.getByRole("link", { name: "Development mailbox" }).click();

    await expect(page).toHaveURL("/dev/mailbox");
    await expect(page.getByRole("heading", { level: 1, name: "Development mailbox" })).toBeVisible();
    await expect(page.getByRole("main")).toContainText("Nothing here was delivered to anyone");
  });

  test("lists a sent email and shows it with clickable links", async ({ page }) => {
    const subject = `Confirm your email address ${randomUUID()}`;
    const confirmationLink = "https://portal.example.org/links/confirm?token=abc123";
    await sendToDevelopmentMailbox({
      subject,
      text: `Hello,\n\nOpen ${confirmationLink} to confirm your address.\n`,
      html: `<p>Hello, open <a href="${confirmationLink}">this link</a>.</p>`,
    });

    await page.goto("/dev/mailbox");
    await expectAccessibleInLightAndDarkThemes(page);
    await page.getByRole("link", { name: subject }).click();

    await expect(page.getByRole("heading", { level: 1, name: subject })).toBeVisible();
    const main = page.getByRole("main");
    await expect(main).toContainText("applicant@example.org");
    await expect(main.getByRole("link", { name: confirmationLink })).toHaveAttribute(
      "href",
      confirmationLink,
    );
    await expect(main.getByRole("link", { name: "View HTML version" })).toBeVisible();
    await expectAccessibleInLightAndDarkThemes(page);

    await main.getByRole("link", { name: "Back to the mailbox" }).click();
    await expect(page).toHaveURL("/dev/mailbox");
  });

  test("shows an email's HTML as a mail client does: inline styles applied, links in a new tab", async ({
    page,
    baseURL,
  }) => {
    const subject = `A styled email ${randomUUID()}`;
    const mailboxUrl = new URL("/dev/mailbox", baseURL).href;
    await sendToDevelopmentMailbox({
      subject,
      text: "Hello in plain text.",
      html: `<!doctype html><html lang="en"><head><title>${subject}</title></head><body style="background-color:#f3f4f6;"><p style="color:#1d4ed8;font-weight:700;">Hello in blue</p><p><a href="${mailboxUrl}">Back to the mailbox</a></p></body></html>`,
    });
    await page.goto("/dev/mailbox");
    await page.getByRole("link", { name: subject }).click();

    const preview = page.getByTitle("HTML version of this email").contentFrame();
    const greeting = preview.getByText("Hello in blue");
    await expect(greeting).toHaveCSS("color", "rgb(29, 78, 216)");
    await expect(greeting).toHaveCSS("font-weight", "700");
    await expect(preview.locator("body")).toHaveCSS("background-color", "rgb(243, 244, 246)");

    const newTab = page.waitForEvent("popup");
    await preview.getByRole("link", { name: "Back to the mailbox" }).click();
    await expect(await newTab).toHaveURL(mailboxUrl);
  });

  test("deletes all messages", async ({ page }) => {
    await sendToDevelopmentMailbox({ subject: `To be deleted ${randomUUID()}`, text: "Nothing to see." });
    await page.goto("/dev/mailbox");

    await page.getByRole("button", { name: "Delete all messages" }).click();

    await expect(page).toHaveURL("/dev/mailbox");
    await expect(page.getByRole("main")).toContainText("No messages yet");
    await expect(page.getByRole("button", { name: "Delete all messages" })).toHaveCount(0);
  });
});
