// A light SMTP sink for the mail benchmark, run as its own process (as a real relay would be another
// machine): STARTTLS with the given certificate, any login accepted, and for each message only its
// Message-ID is noted. Prints its port; then, for each line "report" on stdin, a JSON map of
// Message-ID → deliveries since the last report (and starts counting afresh); exits when stdin closes.
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { SMTPServer } from "smtp-server";

const [keyFile, certFile] = process.argv.slice(2);
const received = new Map<string, number>();
const sink = new SMTPServer({
  key: readFileSync(keyFile ?? ""),
  cert: readFileSync(certFile ?? ""),
  authMethods: ["PLAIN", "LOGIN"],
  onAuth: (_auth, _session, callback) => callback(null, { user: "bench" }),
  logger: false,
  size: 1024 * 1024,
  onData(stream, _session, callback) {
    let head = "";
    stream.on("data", (chunk: Buffer) => {
      if (head.length < 8192) head += chunk.toString("latin1");
    });
    stream.on("end", () => {
      const messageId = /^Message-ID:\s*(<[^>]+>)/im.exec(head)?.[1] ?? "missing";
      received.set(messageId, (received.get(messageId) ?? 0) + 1);
      callback();
    });
  },
});
sink.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${(sink.server.address() as { port: number }).port}\n`);
});
const commands = createInterface({ input: process.stdin });
commands.on("line", (line) => {
  if (line.trim() !== "report") return;
  const report = JSON.stringify(Object.fromEntries(received));
  received.clear();
  process.stdout.write(`${report}\n`);
});
commands.on("close", () => sink.close(() => process.exit(0)));
