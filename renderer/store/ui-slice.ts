import type { SliceCreator } from './types.js';

/** Where the window is; the sidebar and the back buttons navigate between these. */
export type Route =
  | { name: 'accounts' }
  | { name: 'add-account' }
  | { name: 'edit-account'; account: string }
  | { name: 'account'; account: string }
  | { name: 'activity' }
  | { name: 'settings' };

export interface Announcement {
  id: number;
  message: string;
  tone: 'info' | 'success' | 'error';
}

export interface UiSlice {
  route: Route;
  /** Epoch ms, advanced by the store's ticking interval so countdowns re-render. */
  now: number;
  /** The latest status message, shown as a toast and read by screen readers (aria-live). */
  announcement: Announcement | null;
  /** The account whose sign-in panel is open, if any. */
  signInPanel: string | null;
  navigate: (route: Route) => void;
  tick: () => void;
  announce: (message: string, tone?: Announcement['tone']) => void;
  dismissAnnouncement: () => void;
  openSignInPanel: (account: string) => void;
  closeSignInPanel: () => void;
}

export const createUiSlice =
  (now: () => number): SliceCreator<UiSlice> =>
  (set, get) => ({
    route: { name: 'accounts' },
    now: now(),
    announcement: null,
    signInPanel: null,
    navigate: (route) => set({ route }),
    tick: () => set({ now: now() }),
    announce: (message, tone = 'info') => set({ announcement: { id: (get().announcement?.id ?? 0) + 1, message, tone } }),
    dismissAnnouncement: () => set({ announcement: null }),
    openSignInPanel: (account) => set({ signInPanel: account }),
    closeSignInPanel: () => set({ signInPanel: null }),
  });
