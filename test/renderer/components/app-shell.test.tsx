import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { accountView } from '../support/fake-api.js';
import { renderApp } from '../support/render-app.js';

describe('App shell', () => {
  it('has landmarks and keyboard-reachable navigation that marks the current page', async () => {
    const { user } = await renderApp({ accounts: [accountView({ name: 'a', status: 'needs_login' })] });
    expect(screen.getByRole('main')).toBeTruthy();
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(nav).toBeTruthy();
    expect(screen.getByRole('button', { name: /Accounts/ }).getAttribute('aria-current')).toBe('page');
    expect(screen.getByLabelText('1 accounts, 1 need attention')).toBeTruthy();
    screen.getByRole('button', { name: /Activity/ }).focus();
    await user.keyboard('{Enter}');
    expect(screen.getByRole('heading', { level: 1, name: 'Activity' })).toBeTruthy();
    expect(screen.getByRole('button', { name: /Activity/ }).getAttribute('aria-current')).toBe('page');
  });

  it('labels every form control', async () => {
    const app = await renderApp();
    for (const route of [{ name: 'add-account' }, { name: 'settings' }, { name: 'activity' }] as const) {
      app.store.getState().navigate(route);
      await screen.findByRole('heading', { level: 1 });
      if (route.name === 'add-account') await app.user.click(screen.getByRole('radio', { name: /OAuth 2.0/ }));
      for (const control of document.querySelectorAll('input, select, textarea')) {
        const id = control.getAttribute('id');
        const labelled =
          control.closest('label') !== null ||
          (id !== null && document.querySelector(`label[for="${id}"]`) !== null) ||
          control.hasAttribute('aria-label');
        expect(labelled, control.outerHTML).toBe(true);
      }
    }
  });
});
