import { useState } from 'react';
import { CheckIcon, CopyIcon } from './icons.js';

/**
 * Copies a non-secret value (a socket path, a command, a device user code) with the browser
 * clipboard. Tokens and keys never reach the renderer; they are copied in main instead.
 */
export function CopyButton({ value, label = 'Copy', className }: { value: string; label?: string; className?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      setCopied(false);
    }
  };
  return (
    <button type="button" className={`button button--small ${className ?? ''}`} onClick={() => void copy()}>
      {copied ? <CheckIcon /> : <CopyIcon />}
      <span>{copied ? 'Copied' : label}</span>
    </button>
  );
}
