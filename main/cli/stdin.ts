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
