// The one account the browser tests' OpenID provider knows (playwright.config.ts starts it).
export const E2E_SSO_ACCOUNT = { subject: "e2e-sso-person", email: "e2e-sso@example.org" };
