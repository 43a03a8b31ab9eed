// The baseline for bench:upload: the least a server can do with an upload — a bare node:http handler
// that pipes the request body to a file while hashing it with SHA-256, then answers with the hash. No
// multipart parsing, no checks, no database: what the portal's throughput is measured against.
// Run as a child process (its own CPU time and memory, like the portal's); prints its port, then
// serves until its stdin closes.
//   node --import tsx scripts/bench/bareUploadServer.ts <folder for the received files>
import { createHash, randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { unlink } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";

const directory = process.argv[2];
if (!directory) {
  process.stderr.write("usage: bareUploadServer.ts <folder for the received files>\n");
  process.exit(2);
}

const server = http.createServer(async (request, response) => {
  if (request.method !== "POST") {
    response.writeHead(405).end();
    return;
  }
  const filePath = path.join(directory, randomUUID());
  const hash = createHash("sha256");
  let sizeBytes = 0;
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      sizeBytes += chunk.length;
      done(null, chunk);
    },
  });
  try {
    await pipeline(request, hashing, createWriteStream(filePath, { mode: 0o640 }));
    response.writeHead(201, { "Content-Type": "application/json" });
    response.end(JSON.stringify({ sha256: hash.digest("hex"), sizeBytes }));
  } catch (error) {
    await unlink(filePath).catch(() => {});
    response.writeHead(500).end(String(error));
  }
  // The file is kept (the benchmark removes the folder at the end), as the portal keeps what it
  // received: both leave the kernel the same amount of data to write back.
});

server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
process.stdin.resume();
process.stdin.on("end", () => server.close(() => process.exit(0)));
