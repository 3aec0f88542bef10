/**
 * Small assertion helpers for everything that comes from outside (token responses, discovery
 * documents, callbacks). Messages name the field and the endpoint, never the value: a value
 * may be a token.
 */
import { BrokerError } from '../errors.js';
import type { HttpResponse } from './http.js';
import { safeUrl } from './sanitize.js';

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Where a response came from, for messages: `the token endpoint at https://…/token`. */
export interface ResponseContext {
  purpose: string;
  url: string;
}

export function describe(context: ResponseContext): string {
  return `the ${context.purpose} at ${safeUrl(context.url)}`;
}

export function invalidResponse(context: ResponseContext, problem: string, status?: number): BrokerError {
  return new BrokerError('INVALID_RESPONSE', `Invalid response from ${describe(context)}: ${problem}.`, {
    ...(status === undefined ? {} : { status }),
  });
}

/**
 * Parses a JSON body. HTML (an error page, a captive portal, a login form) and anything that is
 * not a JSON object are refused; the body itself is never quoted back.
 */
export function parseJsonObject(response: HttpResponse, _context?: ResponseContext): JsonObject | undefined {
  const type = String(response.headers['content-type'] ?? '').toLowerCase();
  const text = response.body.trim();
  if (type.includes('html') || /^<(!doctype|html|head|body|\?xml)/i.test(text)) return undefined;
  if (type !== '' && !type.includes('json') && !type.startsWith('text/plain')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isJsonObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Like {@link parseJsonObject} but throws INVALID_RESPONSE naming what was received. */
export function requireJsonObject(response: HttpResponse, context: ResponseContext): JsonObject {
  const value = parseJsonObject(response, context);
  if (value !== undefined) return value;
  throw invalidResponse(context, `expected a JSON object but got ${describeBody(response)}`, response.status);
}

/** A harmless description of a body: its kind and size, never its content. */
export function describeBody(response: HttpResponse): string {
  const type = String(response.headers['content-type'] ?? 'no content type')
    .split(';')[0]
    ?.trim();
  const text = response.body.trim();
  if (text === '') return `an empty body (HTTP ${response.status})`;
  if ((type ?? '').includes('html') || text.startsWith('<')) return `an HTML page (HTTP ${response.status})`;
  return `${response.body.length} bytes of ${type} that are not a JSON object (HTTP ${response.status})`;
}

export function requireString(object: JsonObject, key: string, context: ResponseContext): string {
  const value = object[key];
  if (typeof value !== 'string' || value === '') throw invalidResponse(context, `"${key}" is missing or not a non-empty string`);
  return value;
}

export function optionalString(object: JsonObject, key: string, context: ResponseContext): string | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidResponse(context, `"${key}" is not a string`);
  return value;
}

/**
 * A non-negative number of seconds, absent, or (tolerated, some providers send it) a string
 * of digits.
 */
export function optionalSeconds(object: JsonObject, key: string, context: ResponseContext): number | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  if (typeof value === 'string' && /^\d{1,12}$/.test(value)) return Number(value);
  throw invalidResponse(context, `"${key}" is not a non-negative number`);
}

export function optionalBoolean(object: JsonObject, key: string, context: ResponseContext): boolean | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidResponse(context, `"${key}" is not a boolean`);
  return value;
}

export function optionalStringArray(object: JsonObject, key: string, context: ResponseContext): string[] | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw invalidResponse(context, `"${key}" is not an array of strings`);
  }
  return value as string[];
}

/** An absolute http(s) URL field. */
export function optionalHttpUrl(object: JsonObject, key: string, context: ResponseContext): string | undefined {
  const value = optionalString(object, key, context);
  if (value === undefined) return undefined;
  if (!isHttpUrl(value)) throw invalidResponse(context, `"${key}" is not an absolute http(s) URL`);
  return value;
}

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}
