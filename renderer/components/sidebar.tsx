import type { ReactNode } from 'react';
import { useBroker } from '../store/hooks.js';
import type { Route } from '../store/ui-slice.js';
import { AccountsIcon, ActivityIcon, KeyIcon, PlusIcon, SettingsIcon } from './icons.js';
import { displayStatus } from '../lib/status.js';

function section(route: Route): 'accounts' | 'activity' | 'settings' {
  if (route.name === 'activity' || route.name === 'settings') return route.name;
  return 'accounts';
}

/** Primary navigation: real buttons, the current section marked with aria-current. */
export function Sidebar() {
  const route = useBroker((state) => state.route);
  const navigate = useBroker((state) => state.navigate);
  const accountCount = useBroker((state) => state.accounts.length);
  const attention = useBroker((state) => state.accounts.filter((a) => displayStatus(a, state.now) !== 'ok').length);
  const version = useBroker((state) => state.version);
  const current = section(route);

  const item = (name: 'accounts' | 'activity' | 'settings', label: string, icon: ReactNode, extra?: ReactNode) => (
    <li>
      <button type="button" className="nav__item" aria-current={current === name ? 'page' : undefined} onClick={() => navigate({ name })}>
        {icon}
        <span className="nav__label">{label}</span>
        {extra}
      </button>
    </li>
  );

  return (
    <aside className="sidebar">
      <div className="brand">
        <span className="brand__mark" aria-hidden="true">
          <KeyIcon width={16} height={16} />
        </span>
        <span className="brand__name">Token Broker</span>
      </div>
      <nav aria-label="Main">
        <ul className="nav">
          {item(
            'accounts',
            'Accounts',
            <AccountsIcon />,
            <span className="nav__count" aria-label={`${accountCount} accounts${attention > 0 ? `, ${attention} need attention` : ''}`}>
              {attention > 0 ? <span className="nav__alert" aria-hidden="true" /> : null}
              {accountCount}
            </span>,
          )}
          {item('activity', 'Activity', <ActivityIcon />)}
          {item('settings', 'Settings', <SettingsIcon />)}
        </ul>
      </nav>
      <div className="sidebar__footer">
        <button type="button" className="button button--primary button--block" onClick={() => navigate({ name: 'add-account' })}>
          <PlusIcon />
          Add account
        </button>
        <p className="sidebar__version">{version === null ? '' : `v${version}`}</p>
      </div>
    </aside>
  );
}
