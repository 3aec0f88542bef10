/**
 * A throwaway PKI for tests that need HTTPS or signed tokens against real consumers (kubectl,
 * skopeo, docker-registry): a CA and the certificates it issues, made with /usr/bin/openssl in
 * a fresh temp directory per run, so no key outlives the test process and none is committed.
 *
 * ECDSA P-256 throughout: fast to generate and accepted by Go's TLS stack, Node and libtrust.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const OPENSSL = process.env.OPENSSL_PATH ?? '/usr/bin/openssl';

export interface IssuedCert {
  certPath: string;
  keyPath: string;
  certPem: string;
  keyPem: string;
}

export interface IssueOptions {
  /** Subject common name. */
  commonName: string;
  /** IP subject alternative names, e.g. `['127.0.0.1']`. */
  ips?: string[];
  /** DNS subject alternative names. */
  dnsNames?: string[];
  /** `serverAuth` for TLS servers (default); `none` for a signing-only certificate. */
  usage?: 'serverAuth' | 'none';
}

export interface TestPki {
  /** The temp directory holding every file; removed by `cleanup()`. */
  dir: string;
  caCertPath: string;
  caCertPem: string;
  /** Issues a leaf certificate signed by the CA; files are named after `name`. */
  issue(name: string, options: IssueOptions): Promise<IssuedCert>;
  cleanup(): Promise<void>;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run(OPENSSL, args, { cwd });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`[test-pki] openssl ${args[0] ?? ''} failed: ${stderr.trim() || String(error)}`);
  }
}

/** Creates a CA in a fresh temp directory. */
export async function createTestPki(label = 'Token Broker test CA'): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'tb-pki-'));
  const caKeyPath = join(dir, 'ca.key');
  const caCertPath = join(dir, 'ca.crt');
  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      caKeyPath,
      '-out',
      caCertPath,
      '-days',
      '2',
      '-subj',
      `/CN=${label}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  const caCertPem = await readFile(caCertPath, 'utf8');
  let serial = 1;

  async function issue(name: string, options: IssueOptions): Promise<IssuedCert> {
    if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`[test-pki] certificate name must be kebab-case, got '${name}'`);
    const keyPath = join(dir, `${name}.key`);
    const csrPath = join(dir, `${name}.csr`);
    const certPath = join(dir, `${name}.crt`);
    const extPath = join(dir, `${name}.ext`);
    const sans = [...(options.ips ?? []).map((ip) => `IP:${ip}`), ...(options.dnsNames ?? []).map((dns) => `DNS:${dns}`)];
    const serverAuth = (options.usage ?? 'serverAuth') === 'serverAuth';
    const extensions = [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      ...(serverAuth ? ['extendedKeyUsage=serverAuth'] : []),
      ...(sans.length > 0 ? [`subjectAltName=${sans.join(',')}`] : []),
    ];
    await writeFile(extPath, `${extensions.join('\n')}\n`);
    await openssl(
      [
        'req',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        keyPath,
        '-out',
        csrPath,
        '-subj',
        `/CN=${options.commonName}`,
      ],
      dir,
    );
    await openssl(
      [
        'x509',
        '-req',
        '-in',
        csrPath,
        '-CA',
        caCertPath,
        '-CAkey',
        caKeyPath,
        '-set_serial',
        String((serial += 1)),
        '-days',
        '2',
        '-extfile',
        extPath,
        '-out',
        certPath,
      ],
      dir,
    );
    const [certPem, keyPem] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
    return { certPath, keyPath, certPem, keyPem };
  }

  return {
    dir,
    caCertPath,
    caCertPem,
    issue,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The DER bytes of the first certificate in a PEM string (for JWS `x5c`, RFC 7515 §4.1.6). */
export function pemToDerBase64(pem: string): string {
  const match = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  if (!match?.[1]) throw new Error('[test-pki] no certificate in the PEM text');
  return match[1].replace(/\s+/g, '');
}
