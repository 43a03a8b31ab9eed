// A throwaway certificate authority made with openssl, as an operator makes one for a database server:
// a CA key and self-signed CA certificate, then server certificates it signs (serverAuth, with the
// subjectAltName a client checks the host name against). Tests hand the CA certificate to clients as
// sslrootcert and the server certificate and key to the server.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { generateSelfSignedCertificate } from "./smtp.js";

const execFileAsync = promisify(execFile);

export interface IssuedCertificate {
  key: string;
  cert: string;
}

export interface CertificateAuthority {
  /** The CA certificate (PEM), what a client trusts. */
  cert: string;
  /** A file holding the CA certificate, for settings that take a path (sslrootcert). */
  certFile: string;
  /** A server certificate signed by this CA, for the names in subjectAltName ("DNS:localhost,IP:127.0.0.1"). */
  issue(options: { commonName: string; subjectAltName: string }): Promise<IssuedCertificate>;
  /** Deletes the CA's files. */
  remove(): Promise<void>;
}

export async function createCertificateAuthority(name: string): Promise<CertificateAuthority> {
  const directory = await mkdtemp(path.join(tmpdir(), "vp-test-ca-"));
  const keyFile = path.join(directory, "ca.key");
  const certFile = path.join(directory, "ca.pem");
  const remove = () => rm(directory, { recursive: true, force: true });
  try {
    const ca = await generateSelfSignedCertificate({
      commonName: name,
      subjectAltName: null,
      extensions: ["keyUsage=critical,keyCertSign,cRLSign"],
    });
    await writeFile(keyFile, ca.key, { mode: 0o600 });
    await writeFile(certFile, ca.cert);
  } catch (error) {
    await remove();
    throw error;
  }
  let serial = 0;

  return {
    cert: await readFile(certFile, "utf8"),
    certFile,
    async issue({ commonName, subjectAltName }) {
      serial += 1;
      const serverKey = path.join(directory, `server-${serial}.key`);
      const request = path.join(directory, `server-${serial}.csr`);
      const serverCert = path.join(directory, `server-${serial}.pem`);
      const extensions = path.join(directory, `server-${serial}.ext`);
      await openssl([
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        serverKey,
        "-out",
        request,
        "-subj",
        `/CN=${commonName}`,
      ]);
      await writeFile(
        extensions,
        [
          "basicConstraints=critical,CA:FALSE",
          "keyUsage=critical,digitalSignature,keyEncipherment",
          "extendedKeyUsage=serverAuth",
          `subjectAltName=${subjectAltName}`,
          "",
        ].join("\n"),
      );
      await openssl([
        "x509",
        "-req",
        "-in",
        request,
        "-CA",
        certFile,
        "-CAkey",
        keyFile,
        "-set_serial",
        String(1000 + serial),
        "-days",
        "2",
        "-extfile",
        extensions,
        "-out",
        serverCert,
      ]);
      return { key: await readFile(serverKey, "utf8"), cert: await readFile(serverCert, "utf8") };
    },
    remove,
  };
}

async function openssl(args: string[]): Promise<void> {
  try {
    await execFileAsync("openssl", args);
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`openssl ${args[0]} failed: ${stderr || String(error)}`);
  }
}
