/**
 * Output of the commands scripts call on every use, written synchronously to the file
 * descriptor. The bin exits as soon as such a command is done (main/cli/token-broker.ts), which
 * spares Node's environment teardown (~5 ms of CPU per call here, issue 15); a synchronous
 * write is what makes exiting at once safe on every platform (process.stdout is asynchronous
 * for pipes on some), and it skips building the stdout stream object.
 */
import { writeSync } from 'node:fs';

/** Short waits while a non-blocking pipe is full (EAGAIN): the reader catches up. */
const pause = new Int32Array(new SharedArrayBuffer(4));

function writeAll(fd: number, text: string): void {
  let rest = Buffer.from(text, 'utf8');
  while (rest.length > 0) {
    try {
      rest = rest.subarray(writeSync(fd, rest));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

/** Writes `text` to stdout before returning. */
export function writeOut(text: string): void {
  writeAll(1, text);
}

/** Writes `text` to stderr before returning; a closed stderr is ignored (nothing left to tell). */
export function writeErr(text: string): void {
  try {
    writeAll(2, text);
  } catch {
    // EPIPE and the like: whoever reads stderr is gone.
  }
}
