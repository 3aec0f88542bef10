import type { ReactNode } from 'react';

/**
 * A provider's mark drawn inline (no external images under the CSP). Brand shapes are simplified;
 * unknown presets get a neutral globe.
 */
export function ProviderIcon({ preset, size = 32 }: { preset?: string | undefined; size?: number }) {
  const id = (preset ?? '').toLowerCase();
  return (
    <svg className="provider-icon" viewBox="0 0 32 32" width={size} height={size} aria-hidden="true" focusable="false">
      {mark(id)}
    </svg>
  );
}

function tile(fill: string, children: ReactNode): ReactNode {
  return (
    <>
      <rect width="32" height="32" rx="8" fill={fill} />
      {children}
    </>
  );
}

function mark(id: string): ReactNode {
  if (id.includes('github')) {
    return tile(
      '#1f2328',
      <>
        <rect x="0.5" y="0.5" width="31" height="31" rx="7.5" fill="none" stroke="rgb(255 255 255 / 14%)" />
        <path
          transform="translate(6 6) scale(1.25)"
          fill="#fff"
          d="M8 0C3.58 0 0 3.58 0 8c0 3.54 2.29 6.53 5.47 7.59.4.07.55-.17.55-.38 0-.19-.01-.82-.01-1.49-2.01.37-2.53-.49-2.69-.94-.09-.23-.48-.94-.82-1.13-.28-.15-.68-.52-.01-.53.63-.01 1.08.58 1.23.82.72 1.21 1.87.87 2.33.66.07-.52.28-.87.51-1.07-1.78-.2-3.64-.89-3.64-3.95 0-.87.31-1.59.82-2.15-.08-.2-.36-1.02.08-2.12 0 0 .67-.21 2.2.82.64-.18 1.32-.27 2-.27.68 0 1.36.09 2 .27 1.53-1.04 2.2-.82 2.2-.82.44 1.1.16 1.92.08 2.12.51.56.82 1.27.82 2.15 0 3.07-1.87 3.75-3.65 3.95.29.25.54.73.54 1.48 0 1.07-.01 1.93-.01 2.2 0 .21.15.46.55.38A8.01 8.01 0 0 0 16 8c0-4.42-3.58-8-8-8z"
        />
      </>,
    );
  }
  if (id.includes('google')) {
    return tile(
      '#ffffff',
      <>
        <rect x="0.5" y="0.5" width="31" height="31" rx="7.5" fill="none" stroke="#dadce0" />
        <path d="M25 16.2c0-.7-.1-1.3-.2-1.9H16v3.6h5.1a4.4 4.4 0 0 1-1.9 2.9v2.4h3.1c1.8-1.7 2.7-4.1 2.7-7z" fill="#4285f4" />
        <path
          d="M16 25.5c2.6 0 4.7-.9 6.3-2.3l-3.1-2.4c-.8.6-1.9 1-3.2 1-2.5 0-4.6-1.7-5.3-3.9H7.5v2.5a9.5 9.5 0 0 0 8.5 5.1z"
          fill="#34a853"
        />
        <path d="M10.7 17.9a5.7 5.7 0 0 1 0-3.8v-2.5H7.5a9.5 9.5 0 0 0 0 8.8z" fill="#fbbc05" />
        <path
          d="M16 10.3c1.4 0 2.6.5 3.6 1.4l2.7-2.7A9.1 9.1 0 0 0 16 6.5a9.5 9.5 0 0 0-8.5 5.1l3.2 2.5c.7-2.2 2.8-3.8 5.3-3.8z"
          fill="#ea4335"
        />
      </>,
    );
  }
  if (id.includes('entra') || id.includes('microsoft') || id.includes('azure')) {
    return tile(
      '#ffffff',
      <>
        <rect x="0.5" y="0.5" width="31" height="31" rx="7.5" fill="none" stroke="#dadce0" />
        <rect x="7" y="7" width="8.5" height="8.5" fill="#f25022" />
        <rect x="16.5" y="7" width="8.5" height="8.5" fill="#7fba00" />
        <rect x="7" y="16.5" width="8.5" height="8.5" fill="#00a4ef" />
        <rect x="16.5" y="16.5" width="8.5" height="8.5" fill="#ffb900" />
      </>,
    );
  }
  if (id.includes('gitlab')) {
    return tile('#fc6d26', <path d="M16 25l-9-7 2.2-9 2.6 6.6h8.4L22.8 9 25 18z" fill="#fff" />);
  }
  if (id.includes('okta')) {
    return tile('#007dc1', <circle cx="16" cy="16" r="6.5" fill="none" stroke="#fff" strokeWidth="3.5" />);
  }
  if (id.includes('auth0')) {
    return tile('#eb5424', <path d="M16 6l2.6 7.5H26l-6 4.6 2.3 7.4-6.3-4.6-6.3 4.6 2.3-7.4-6-4.6h7.4z" fill="#fff" />);
  }
  if (id.includes('keycloak')) {
    return tile(
      '#33c6e9',
      <>
        <path d="M9 9h3v14H9zM13 16l6-7h4l-6 7 6 7h-4z" fill="#fff" />
      </>,
    );
  }
  if (id.includes('oauth')) {
    return tile(
      '#6e56cf',
      <g fill="none" stroke="#fff" strokeWidth="2.2" strokeLinecap="round">
        <circle cx="12.5" cy="19.5" r="4.5" />
        <path d="M15.8 16.2L24 8M21 11l2.5 2.5" />
      </g>,
    );
  }
  return tile(
    '#5b6b82',
    <g fill="none" stroke="#fff" strokeWidth="1.8">
      <circle cx="16" cy="16" r="8" />
      <path d="M8 16h16M16 8c2.5 2.2 3.5 5 3.5 8s-1 5.8-3.5 8c-2.5-2.2-3.5-5-3.5-8s1-5.8 3.5-8z" />
    </g>,
  );
}
