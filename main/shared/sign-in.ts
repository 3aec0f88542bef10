/**
 * Progress of a sign-in, as the broker reports it to the desktop window (IPC events). The socket
 * API streams the same phases in its own conventions (main/core/api/wire.ts `LoginStreamLine`).
 */
import type { ErrorInfo } from './errors.js';

export type SignInProgress =
  | { account: string; phase: 'starting' }
  | { account: string; phase: 'waiting_for_browser'; url: string }
  | {
      account: string;
      phase: 'device_code';
      userCode: string;
      verificationUri: string;
      verificationUriComplete?: string;
      /** Epoch ms after which the code is no longer valid. */
      expiresAt: number;
    }
  | { account: string; phase: 'exchanging' }
  | { account: string; phase: 'done' }
  | { account: string; phase: 'cancelled' }
  | { account: string; phase: 'failed'; error: ErrorInfo };

export type SignInPhase = SignInProgress['phase'];
