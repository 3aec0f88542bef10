import { readFileSync } from 'node:fs';

/**
 * Reads all of stdin as UTF-8 in one synchronous read when it can (a pipe or a file, as git
 * gives its credential helpers), sparing the stdin stream on the hot path (issue 15); anything
 * else (a non-blocking pipe, a closed descriptor) goes through {@link readStdin}.
 */
export async function readStdinAtOnce(): Promise<string> {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    return readStdin();
  }
}

/** Reads all of stdin as UTF-8 (secrets, git credential requests). */
export async function readStdin(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  stream.setEncoding('utf8');
  let text = '';
  for await (const chunk of stream) text += chunk as string;
  return text;
}

/** Strips exactly one trailing newline (`\n` or `\r\n`), as `--client-secret-stdin` promises. */
export function stripTrailingNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}
