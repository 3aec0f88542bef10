import { useEffect } from 'react';
import { ApprovalDialog } from './components/approval-dialog.js';
import { Sidebar } from './components/sidebar.js';
import { SignInPanel } from './components/sign-in-panel.js';
import { Toast } from './components/toast.js';
import { BrokerStoreContext, useBroker } from './store/hooks.js';
import type { BrokerStore } from './store/types.js';
import { AccountDetailView } from './views/account-detail-view.js';
import { AccountFormView } from './views/account-form-view.js';
import { AccountsView } from './views/accounts-view.js';
import { ActivityView } from './views/activity-view.js';
import { SettingsView } from './views/settings-view.js';

/** The window: sidebar, the current view, and the dialogs that can appear over any view. */
export function App({ store }: { store: BrokerStore }) {
  useEffect(() => store.getState().connect(), [store]);
  return (
    <BrokerStoreContext.Provider value={store}>
      <div className="shell">
        <Sidebar />
        <main className="content" id="main">
          <CurrentView />
        </main>
      </div>
      <Toast />
      <SignInPanel />
      <ApprovalDialog />
    </BrokerStoreContext.Provider>
  );
}

function CurrentView() {
  const route = useBroker((state) => state.route);
  switch (route.name) {
    case 'accounts':
      return <AccountsView />;
    case 'add-account':
      return <AccountFormView />;
    case 'edit-account':
      return <AccountFormView key={route.account} editing={route.account} />;
    case 'account':
      return <AccountDetailView key={route.account} name={route.account} />;
    case 'activity':
      return <ActivityView />;
    case 'settings':
      return <SettingsView />;
  }
}
