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
