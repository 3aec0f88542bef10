import { useShallow } from 'zustand/react/shallow';
import { useBroker } from '../store/hooks.js';
import { selectAuditAccounts, selectAuditClients, selectFilteredAudit } from '../store/selectors.js';
import { AuditTable } from './audit-table.js';

/** The audit log: who got a token for which account, filterable by account and client. */
export function ActivityView() {
  const entries = useBroker(useShallow(selectFilteredAudit));
  const total = useBroker((state) => state.audit.length);
  const accounts = useBroker(useShallow(selectAuditAccounts));
  const clients = useBroker(useShallow(selectAuditClients));
  const filter = useBroker((state) => state.auditFilter);
  const setFilter = useBroker((state) => state.setAuditFilter);
  const filtered = filter.account !== '' || filter.client !== '';

  return (
    <section className="page" aria-labelledby="activity-title">
      <header className="page__header">
        <div>
          <h1 id="activity-title">Activity</h1>
          <p className="page__subtitle">Every token hand-out and refusal. Tokens themselves are never logged.</p>
        </div>
      </header>
      <div className="filters" role="search" aria-label="Filter activity">
        <label className="filter">
          <span className="field__label">Account</span>
          <select className="input" value={filter.account} onChange={(e) => setFilter({ account: e.target.value })}>
            <option value="">All accounts</option>
            {accounts.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label className="filter">
          <span className="field__label">Client</span>
          <select className="input" value={filter.client} onChange={(e) => setFilter({ client: e.target.value })}>
            <option value="">All clients</option>
            {clients.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        {filtered ? (
          <button type="button" className="button button--small filters__clear" onClick={() => setFilter({ account: '', client: '' })}>
            Clear filters
          </button>
        ) : null}
        <p className="muted small filters__count" aria-live="polite">
          {filtered ? `${entries.length} of ${total} entries` : `${total} entries`}
        </p>
      </div>
      <div className="card card--flush">
        {entries.length === 0 ? (
          <p className="muted empty-inline">
            {total === 0 ? 'No activity yet. Token requests from scripts show up here.' : 'No entries match the filters.'}
          </p>
        ) : (
          <AuditTable entries={entries} />
        )}
      </div>
    </section>
  );
}
