/**
 * Turning anything thrown into the secret-free {@link ErrorInfo} the broker shows and keeps.
 */
import { toBrokerError } from '../errors.js';
import type { ErrorInfo } from './types.js';

export function toErrorInfo(error: unknown): ErrorInfo {
  const brokerError = toBrokerError(error);
  const info: ErrorInfo = { code: brokerError.code, message: brokerError.message };
  if (brokerError.oauthError !== undefined) info.oauthError = brokerError.oauthError;
  if (brokerError.oauthErrorDescription !== undefined) info.oauthErrorDescription = brokerError.oauthErrorDescription;
  return info;
}
