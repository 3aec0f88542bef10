import type { AuditEntryView } from '../../main/ipc/contract.js';
import { callerLabel } from '../../main/shared/caller.js';
import { formatTimestamp } from '../lib/time.js';

const OUTCOME_LABELS: Record<AuditEntryView['outcome'], string> = {
  granted: 'Granted',
  denied: 'Denied',
  needs_login: 'Needs sign-in',
  error: 'Error',
  refused: 'Refused',
};

const KIND_LABELS: Record<NonNullable<AuditEntryView['kind']>, string> = {
  token: 'token',
  id_token: 'ID token',
  exchange: 'exchanged token',
  dpop_proof: 'DPoP proof',
  proxy: 'proxied',
};

/** "proxied GET api.example.com → 200": what a non-token entry was about (never a path or token). */
function describeKind(entry: AuditEntryView): string | undefined {
  if (entry.kind === undefined) return undefined;
  const parts = [KIND_LABELS[entry.kind], entry.method, entry.host].filter((part) => part !== undefined);
  return `${parts.join(' ')}${entry.status === undefined ? '' : ` → ${entry.status}`}`;
}

/** Audit entries as a table: time, (account,) client, outcome and code. Never token values. */
export function AuditTable({ entries, showAccount = true }: { entries: AuditEntryView[]; showAccount?: boolean }) {
  return (
    <table className="table">
      <thead>
        <tr>
          <th scope="col">Time</th>
          {showAccount ? <th scope="col">Account</th> : null}
          <th scope="col">Client</th>
          <th scope="col">Outcome</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((entry, index) => (
          <tr key={`${entry.at}-${entry.account}-${entry.client}-${index}`}>
            <td className="nowrap">{formatTimestamp(entry.at)}</td>
            {showAccount ? <td>{entry.account}</td> : null}
            <td className="mono">
              {entry.client}
              {describeKind(entry) === undefined ? null : <span className="muted small"> {describeKind(entry)}</span>}
              {/* The name is a claim; who really asked is the verified executable (or "unverified"). */}
              {entry.caller === undefined ? null : <span className="muted small block">{callerLabel(entry.caller)}</span>}
            </td>
            <td>
              <span className={`outcome-tag outcome-tag--${entry.outcome}`}>{OUTCOME_LABELS[entry.outcome]}</span>
              {entry.code === undefined ? null : <span className="muted small"> {entry.code}</span>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
