// One's own passkeys, mounted under /staff (every signed-in person; each acts only on their own):
//   POST /profile/passkeys                 a name → the page that asks the browser for a new passkey
//                                          (its options, with a challenge bound to this session)
//   POST /profile/passkeys/register        the browser's answer → the passkey stored, owner emailed
//   POST /profile/passkeys/:id/remove      after a step-up → removed, owner emailed
//   GET  /passkey-required                 where STAFF_PASSKEYS_REQUIRED_FOR sends someone without one
// Asking for the challenge is a POST because it writes a row; the browser's part runs in
// static/js/passkeys.js, which writes the answer into the page's form and sends it.
import Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { AppDependencies } from "../../appDependencies.js";
import { auditActorFor } from "../../audit.js";
import { addPasskey } from "../../commands/passkeys/addPasskey.js";
import { removePasskey } from "../../commands/passkeys/removePasskey.js";
import { notFound } from "../../errors.js";
import { requireRecentSecondFactor } from "../../middleware/requireRecentSecondFactor.js";
import { signedInStaff } from "../../middleware/requireStaff.js";
import { mustRegisterPasskey } from "../../policies/staff.js";
import {
  parseCeremonyResponse,
  startPasskeyRegistration,
  ZRegistrationResponse,
} from "../../security/passkeys.js";
import { urls } from "../../urls.js";
import { readForm, typedFields } from "../toolkit/forms.js";
import { uuidParam } from "../toolkit/params.js";
import { renderCeremony } from "./passkeyCeremonyView.js";
import { renderProfile } from "./profile.js";

export const ZPasskeyNameForm = z.object({
  name: z.string().trim().min(1, "staff.profile.passkeys.nameMissing").max(60, "staff.validation.max60"),
});

const REGISTRATION_FAILED_MESSAGE = "staff.profile.passkeys.notAdded";

export function passkeyRoutes(deps: AppDependencies): Router {
  const router = new Router();
  const stepUp = requireRecentSecondFactor(deps);

  router.get("/passkey-required", async (ctx) => {
    const staff = signedInStaff(ctx);
    if (!mustRegisterPasskey(staff, deps.config.staff.passkeysRequiredFor)) {
      ctx.status = 303;
      return ctx.redirect(urls.staffHome());
    }
    await ctx.render("staff/passkey-required.njk", {
      errors: {},
      values: {},
      addUrl: urls.staffProfilePasskeys(),
    });
  });

  router.post("/profile/passkeys", async (ctx) => {
    const staff = signedInStaff(ctx);
    const form = readForm(ctx, ZPasskeyNameForm, ["name"]);
    if (!form.isValid) {
      return renderProfile(ctx, deps, staff, {
        // Keyed by the field's id on the page, which has other fields named "name".
        passkeyErrors: { passkeyName: form.errors.name ?? "" },
        passkeyValues: { name: form.values.name.slice(0, 200) },
        status: 422,
      });
    }
    const existing = await deps.db.staffPasskey.findMany({
      where: { staffUserId: staff.id },
      select: { credentialId: true, transports: true },
    });
    const options = await startPasskeyRegistration(deps.db, {
      config: deps.config,
      sessionId: currentSessionId(ctx),
      staff,
      passkeyName: form.data.name,
      existing,
    });
    await renderCeremony(ctx, {
      ceremony: "register",
      title: ctx.state.translator.t("staff.passkeyCeremony.register.title"),
      lead: ctx.state.translator.t("staff.passkeyCeremony.register.lead", {
        name: form.data.name,
        siteName: deps.config.site.name,
      }),
      action: urls.staffProfilePasskeyRegister(),
      buttonText: ctx.state.translator.t("staff.passkeyCeremony.register.button"),
      options,
      cancelUrl: urls.staffProfile(),
    });
  });

  router.post("/profile/passkeys/register", async (ctx) => {
    const staff = signedInStaff(ctx);
    const response = parseCeremonyResponse(ZRegistrationResponse, typedFields(ctx, ["response"]).response);
    const result = response
      ? await addPasskey(deps.db, {
          config: deps.config,
          staffUserId: staff.id,
          sessionId: currentSessionId(ctx),
          response,
          audit: auditActorFor(ctx, staff),
        })
      : ({ kind: "rejected" } as const);
    if (result.kind !== "added") {
      return renderProfile(ctx, deps, staff, {
        passkeyErrors: {
          passkeyName:
            result.kind === "already_registered"
              ? "staff.profile.passkeys.alreadyRegistered"
              : REGISTRATION_FAILED_MESSAGE,
        },
        status: 422,
      });
    }
    ctx.status = 303;
    ctx.redirect(`${urls.staffProfile()}?done=passkey_added`);
  });

  router.post("/profile/passkeys/:id/remove", stepUp("staff.stepUp.action.removePasskey"), async (ctx) => {
    const staff = signedInStaff(ctx);
    await removePasskey(deps.db, {
      staffUserId: staff.id,
      passkeyId: uuidParam(ctx),
      audit: auditActorFor(ctx, staff),
    });
    ctx.status = 303;
    ctx.redirect(`${urls.staffProfile()}?done=passkey_removed`);
  });

  return router;
}

function currentSessionId(ctx: Context): string {
  const session = ctx.state.session;
  if (!session) throw notFound();
  return session.id;
}
