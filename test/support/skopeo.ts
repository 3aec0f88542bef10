/**
 * Real `skopeo` (Debian's, `SKOPEO_PATH` overrides) for registry tests, and a tiny OCI image
 * built by hand so no image has to be downloaded: one layer holding one text file.
 *
 * skopeo runs with a private HOME and XDG_RUNTIME_DIR, so it finds no credentials but the ones
 * a test gives it (`--creds`, or an auth file passed with `--authfile`), and with an
 * accept-anything trust policy (signature policy is not what these tests are about).
 *
 * @see https://github.com/opencontainers/image-spec/blob/main/image-layout.md
 * @see https://github.com/containers/image/blob/main/docs/containers-auth.json.5.md
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SKOPEO } from './registry.js';

const run = promisify(execFile);

export interface SkopeoResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface OciImage {
  /** `oci:DIR:TAG`, a skopeo source reference. */
  reference: string;
  /** The manifest's digest (`sha256:…`), which the registry reports after a push. */
  manifestDigest: string;
  /** The one file's content. */
  content: string;
}

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

async function writeBlob(layout: string, data: Buffer | string): Promise<{ digest: string; size: number }> {
  const hex = sha256(data);
  await writeFile(join(layout, 'blobs', 'sha256', hex), data);
  return { digest: `sha256:${hex}`, size: Buffer.byteLength(data) };
}

/** Builds an OCI image layout in `dir` holding one image tagged `tag`. */
export async function writeOciImage(dir: string, tag = '1', content = 'hello from token broker\n'): Promise<OciImage> {
  const layout = join(dir, 'oci');
  const files = join(dir, 'rootfs');
  await mkdir(join(layout, 'blobs', 'sha256'), { recursive: true });
  await mkdir(files, { recursive: true });
  await writeFile(join(files, 'hello.txt'), content);
  // An uncompressed tar layer: its digest is also its diff_id.
  await run('tar', ['--numeric-owner', '--owner=0', '--group=0', '-cf', join(dir, 'layer.tar'), '-C', files, 'hello.txt']);
  const layer = await writeBlob(layout, await readFile(join(dir, 'layer.tar')));
  const config = await writeBlob(
    layout,
    JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [layer.digest] } }),
  );
  const manifestJson = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
  });
  const manifest = await writeBlob(layout, manifestJson);
  await writeFile(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(
    join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': tag } },
      ],
    }),
  );
  return { reference: `oci:${layout}:${tag}`, manifestDigest: manifest.digest, content };
}

/** An auth file (containers-auth.json(5)) that sends each host to `docker-credential-<helper>`. */
export async function writeAuthFile(path: string, credHelpers: Record<string, string>): Promise<string> {
  await writeFile(path, `${JSON.stringify({ auths: {}, credHelpers }, null, 2)}\n`, { mode: 0o600 });
  return path;
}

export interface SkopeoOptions {
  /** Scratch directory: HOME, runtime dir and the policy file go here. */
  dir: string;
  /** Extra environment (PATH for the credential helper, TOKEN_BROKER_* for the broker). */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Runs `skopeo [--policy accept-anything] ARGS`. */
export async function runSkopeo(args: string[], options: SkopeoOptions): Promise<SkopeoResult> {
  const home = join(options.dir, 'skopeo-home');
  const runtime = join(home, 'run');
  await mkdir(runtime, { recursive: true, mode: 0o700 });
  const policy = join(home, 'policy.json');
  await writeFile(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.env,
    HOME: home,
    XDG_RUNTIME_DIR: runtime,
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
  };
  delete env.REGISTRY_AUTH_FILE;
  delete env.DOCKER_CONFIG;
  return new Promise((resolve, reject) => {
    const child = spawn(SKOPEO, ['--policy', policy, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
