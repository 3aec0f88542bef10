import type { ApprovalRequestView } from '../../main/ipc/contract.js';
import { callerLabel } from '../../main/shared/caller.js';
import { formatDuration } from '../lib/time.js';
import { useBroker } from '../store/hooks.js';
import { Dialog } from './dialog.js';
import { ShieldIcon } from './icons.js';

/** Asks about the oldest pending approval request; Escape denies, as the timeout would. */
export function ApprovalDialog() {
  const request = useBroker((state) => state.approvals[0]);
  const pending = useBroker((state) => state.approvals.length);
  if (request === undefined) return null;
  return <ApprovalPrompt key={request.id} request={request} others={pending - 1} />;
}

/**
 * Who really asks: "{client}" is only what the program calls itself; the kernel's word (the
 * verified executable and pid) is shown beside it, or that nobody vouches for it (TCP).
 */
function CallerDetails({ request }: { request: ApprovalRequestView }) {
  const caller = request.caller;
  if (caller === undefined) return null;
  return (
    <dl className="approval__caller" data-testid="approval-caller">
      <dt>Calls itself</dt>
      <dd className="mono">{request.client}</dd>
      <dt>{caller.verified ? 'Program (verified)' : 'Program'}</dt>
      <dd className="mono">{caller.verified ? callerLabel(caller) : 'unverified — a TCP client holding the API key'}</dd>
      {request.commandLine === undefined ? null : (
        <>
          <dt>Command</dt>
          <dd className="mono">{request.commandLine.join(' ')} …</dd>
        </>
      )}
    </dl>
  );
}

function ApprovalPrompt({ request, others }: { request: ApprovalRequestView; others: number }) {
  const now = useBroker((state) => state.now);
  const answer = useBroker((state) => state.answerApproval);
  const left = request.expiresAt - now;
  return (
    <Dialog
      title={
        <>
          Allow <strong>{request.client}</strong> to get a token for <strong>{request.account}</strong>?
        </>
      }
      onClose={() => void answer(request.id, 'deny')}
      role="alertdialog"
      className="approval"
      // A stray Enter must not hand out a token: focus starts on Deny.
      initialFocus="[data-deny]"
    >
      <div className="dialog__body">
        <p className="approval__lead">
          <ShieldIcon width={18} height={18} />
          This account asks before handing out tokens. Only allow clients you started yourself.
        </p>
        <CallerDetails request={request} />
        <p className="muted small" data-testid="approval-countdown">
          {left > 0 ? `Denied automatically in ${formatDuration(left)}.` : 'Denying…'}
          {others > 0 ? ` ${others} more waiting.` : ''}
        </p>
      </div>
      <div className="dialog__actions">
        <button type="button" className="button button--danger-quiet" data-deny onClick={() => void answer(request.id, 'deny')}>
          Deny
        </button>
        <button type="button" className="button" onClick={() => void answer(request.id, 'hour')}>
          Allow for 1 hour
        </button>
        <button type="button" className="button button--primary" data-allow-once onClick={() => void answer(request.id, 'once')}>
          Allow once
        </button>
      </div>
    </Dialog>
  );
}
