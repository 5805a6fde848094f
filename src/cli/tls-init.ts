import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";

/** The files tls-init writes: the group's CA, and a certificate and key per host. */
export interface GroupCertificates {
  caCert: string;
  hosts: { host: string; cert: string; key: string }[];
}

/** Days the CA and the certificates are valid. */
const VALID_DAYS = 825;
const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** A file name for a host (IPv6 colons are not welcome in every file system). */
export function fileStemOf(host: string): string {
  return host.replaceAll(":", "_");
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"], timeout: 30_000 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === "ENOENT")
      throw new Error("tls-init needs the openssl command, which is not installed");
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.toString().trim() || e.message}`);
  }
}

/**
 * `blockchain tls-init <dir> --hosts a,b`: a group CA (EC P-256) and, for
 * each host, a key and a certificate that the CA signs, naming the host as
 * its subject alternative name (DNS or IP). The openssl command does the
 * cryptography: present on every Linux and macOS, so no new dependency; the
 * keys are written with mode 0600, and an existing CA is never overwritten.
 */
export function tlsInit(dir: string, hosts: readonly string[]): GroupCertificates {
  if (hosts.length === 0) throw new Error("--hosts names no host");
  for (const host of hosts) {
    if (isIP(host) === 0 && !HOST_NAME.test(host)) {
      throw new Error(`'${host}' in --hosts is neither an IP address nor a host name`);
    }
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caKey = join(dir, "ca.key");
  const caCert = join(dir, "ca.pem");
  if (existsSync(caKey) || existsSync(caCert)) {
    throw new Error(`${dir} holds a CA already (ca.pem, ca.key); choose another folder`);
  }
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  openssl(
    [
      "req",
      "-x509",
      ...ec,
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-days",
      String(VALID_DAYS),
      "-subj",
      "/CN=blockchain group CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE,pathlen:0",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ],
    dir,
  );
  chmodSync(caKey, 0o600);
  const made: GroupCertificates["hosts"] = [];
  for (const host of hosts) {
    const stem = fileStemOf(host);
    const san = isIP(host) ? `IP:${host}` : `DNS:${host}`;
    const ext = `${stem}.ext`;
    writeFileSync(
      join(dir, ext),
      `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=${san}\n`,
    );
    openssl(
      ["req", ...ec, "-keyout", `${stem}.key`, "-out", `${stem}.csr`, "-subj", `/CN=${host}`],
      dir,
    );
    chmodSync(join(dir, `${stem}.key`), 0o600);
    openssl(
      [
        "x509",
        "-req",
        "-in",
        `${stem}.csr`,
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        `${stem}.pem`,
        "-days",
        String(VALID_DAYS),
        "-extfile",
        ext,
      ],
      dir,
    );
    rmSync(join(dir, `${stem}.csr`), { force: true });
    rmSync(join(dir, ext), { force: true });
    made.push({ host, cert: join(dir, `${stem}.pem`), key: join(dir, `${stem}.key`) });
  }
  rmSync(join(dir, "ca.srl"), { force: true });
  return { caCert, hosts: made };
}
