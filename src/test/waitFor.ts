// Polling for tests that wait on another process (a worker delivering mail, a server coming back): ask
// every 100 ms, and fail naming what never happened. Never a fixed sleep.
import { setTimeout as delay } from "node:timers/promises";

/** Resolves with attempt()'s first value other than undefined; throws after timeoutMs. */
export async function waitFor<T>(
  what: string,
  attempt: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await attempt();
    if (result !== undefined) return result;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await delay(100);
  }
}

/** Resolves once condition() is true; throws after timeoutMs. */
export async function waitUntil(
  what: string,
  condition: () => Promise<boolean> | boolean,
  timeoutMs = 60_000,
): Promise<void> {
  await waitFor(what, async () => ((await condition()) ? true : undefined), timeoutMs);
}
