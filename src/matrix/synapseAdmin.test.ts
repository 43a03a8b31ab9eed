// The Synapse admin client against the fake Synapse over real HTTP: the requests it makes, and how each
// failure is classified (retryable / unauthorized / rejected) with a message that never holds a token.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { type FakeSynapse, startFakeSynapse } from "../test/fakeSynapse.js";
import { freePort } from "../test/ports.js";
import { createSynapseAdmin, SynapseAdminError } from "./synapseAdmin.js";

let synapse: FakeSynapse;
before(async () => {
  synapse = await startFakeSynapse();
});
after(() => synapse.close());
beforeEach(() => synapse.reset());

const expiresAt = new Date(Date.now() + 86_400_000);
const admin = () => createSynapseAdmin(synapse.settings({ requestTimeoutMs: 300 }));

async function failure(promise: Promise<unknown>): Promise<SynapseAdminError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof SynapseAdminError, String(error));
    return error;
  }
  assert.fail("expected a SynapseAdminError");
}

describe("createSynapseAdmin", () => {
  test("create, list and delete speak the documented shapes; the token is one URL-encoded path segment", async () => {
    const token = "our.Token~with_all-allowed";
    assert.equal(await admin().createRegistrationToken({ token, expiresAt }), "created");
    assert.equal(await admin().createRegistrationToken({ token, expiresAt }), "already_exists");
    assert.deepEqual(await admin().listRegistrationTokens(), [
      { token, usesAllowed: 1, pending: 0, completed: 0, expiryTime: new Date(expiresAt.getTime()) },
    ]);
    assert.equal(await admin().deleteRegistrationToken(token), "deleted");
    assert.equal(await admin().deleteRegistrationToken(token), "not_found");
    // A string with characters a path must escape still lands as one segment.
    assert.equal(await admin().deleteRegistrationToken("a/b?c#d"), "not_found");
    const [create, , list, remove, , odd] = synapse.requests;
    assert.equal(create?.headers.authorization, `Bearer ${synapse.adminToken}`);
    assert.equal(create?.headers["content-type"], "application/json");
    assert.deepEqual(create?.body, { token, uses_allowed: 1, expiry_time: expiresAt.getTime() });
    assert.equal(list?.method, "GET");
    assert.equal(list?.path, "/_synapse/admin/v1/registration_tokens");
    assert.equal(list?.body, undefined);
    assert.equal(remove?.path, `/_synapse/admin/v1/registration_tokens/${token}`);
    assert.equal(odd?.path, "/_synapse/admin/v1/registration_tokens/a%2Fb%3Fc%23d");
    assert.equal(odd?.endpoint, "delete");
  });

  test("timeouts, refused connections, 5xx and 429 are retryable", async () => {
    synapse.fail("create", { hang: true, times: 1 });
    const timeout = await failure(admin().createRegistrationToken({ token: "t1", expiresAt }));
    assert.equal(timeout.kind, "retryable");
    assert.equal(timeout.message, "POST /_synapse/admin/v1/registration_tokens/new: no answer within 300 ms");

    const closed = createSynapseAdmin({
      ...synapse.settings(),
      homeserverUrl: new URL(`http://127.0.0.1:${await freePort()}`),
    });
    const refused = await failure(closed.listRegistrationTokens());
    assert.equal(refused.kind, "retryable");
    assert.match(refused.message, /could not reach the homeserver \(ECONNREFUSED\)/);

    for (const status of [500, 502, 503, 429]) {
      synapse.fail("list", { status, times: 1 });
      const error = await failure(admin().listRegistrationTokens());
      assert.equal(error.kind, "retryable", String(status));
      assert.equal(error.status, status);
    }
  });

  test("401 and 403 are unauthorized; another 4xx is rejected", async () => {
    const missing = await failure(
      createSynapseAdmin({ ...synapse.settings(), adminToken: "wrong" }).listRegistrationTokens(),
    );
    assert.equal(missing.kind, "unauthorized");
    assert.equal(missing.status, 401);
    const notAdmin = await failure(
      createSynapseAdmin({ ...synapse.settings(), adminToken: synapse.userToken }).deleteRegistrationToken(
        "x",
      ),
    );
    assert.equal(notAdmin.kind, "unauthorized");
    assert.equal(notAdmin.status, 403);
    const tooLong = await failure(admin().createRegistrationToken({ token: "x".repeat(65), expiresAt }));
    assert.equal(tooLong.kind, "rejected");
    assert.match(
      tooLong.message,
      /HTTP 400 M_INVALID_PARAM: token must not be empty and must not be longer than 64 characters$/,
    );
    const past = await failure(
      admin().createRegistrationToken({ token: "t2", expiresAt: new Date(Date.now() - 1000) }),
    );
    assert.match(past.message, /expiry_time must not be in the past$/);
  });

  test("messages never carry the token or the admin token, even when the homeserver quotes them", async () => {
    const token = "quotedBackToken123";
    synapse.fail("delete", { status: 500, error: `boom ${token} with ${synapse.adminToken}` });
    const error = await failure(admin().deleteRegistrationToken(token));
    assert.equal(
      error.message,
      "DELETE /_synapse/admin/v1/registration_tokens/<token>: HTTP 500 M_UNKNOWN: boom <token> with <token>",
    );
    assert.ok(!JSON.stringify({ ...error, message: error.message, stack: error.stack }).includes(token));
  });
});
