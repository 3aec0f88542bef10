/**
 * Turning anything thrown into the secret-free {@link ErrorInfo} the broker shows and keeps.
 */
import { toBrokerError } from '../errors.js';
import type { ErrorInfo } from './types.js';

export function toErrorInfo(error: unknown): ErrorInfo {
  // BrokerError's wire form is exactly the fields the broker shows and keeps.
  return toBrokerError(error).toJSON();
}
