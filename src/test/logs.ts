import { Writable } from "node:stream";
import { createLogger, type Logger } from "../logger.js";

/** A real logger writing JSON lines into memory, so tests can read what was logged. */
export function captureLogs(level = "debug"): {
  logger: Logger;
  text(): string;
  lines(): Record<string, unknown>[];
} {
  let text = "";
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  return {
    logger: createLogger({ level, pretty: false, destination }),
    text: () => text,
    lines: () =>
      text
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
