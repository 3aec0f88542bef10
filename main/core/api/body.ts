/**
 * Bounded request bodies: the API reads at most `limit` bytes, so a client cannot make the
 * broker buffer an arbitrary amount of memory.
 */
import type { IncomingMessage } from 'node:http';
import { BrokerError } from '../errors.js';

export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/** Reads the whole body; rejects with PAYLOAD_TOO_LARGE as soon as it exceeds `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks, size)));
    req.once('error', (error) => reject(new BrokerError('INVALID_REQUEST', 'The request body could not be read.', { cause: error })));
  });
}

/** Parses a JSON object body; anything else is INVALID_REQUEST. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new BrokerError('INVALID_REQUEST', 'The request body is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BrokerError('INVALID_REQUEST', 'The request body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

function tooLarge(limit: number): BrokerError {
  return new BrokerError('PAYLOAD_TOO_LARGE', `The request body exceeds ${limit} bytes.`);
}
