/**
 * Ready-to-paste commands for the Settings view, built from the socket path and an account name.
 * Values are single-quoted for POSIX shells so paths with spaces survive.
 */

export interface Snippet {
  id: 'curl' | 'cli' | 'exec' | 'kubectl' | 'git';
  label: string;
  code: string;
}

/** POSIX single-quoting: 'it'\''s'. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@=-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

export function buildSnippets(socketPath: string, account: string): Snippet[] {
  const sock = shellQuote(socketPath);
  const name = shellQuote(account);
  const urlName = encodeURIComponent(account);
  return [
    {
      id: 'curl',
      label: 'curl',
      code: `curl --unix-socket ${sock} http://broker/v1/accounts/${urlName}/token`,
    },
    { id: 'cli', label: 'CLI', code: `token-broker token ${name} --format raw` },
    { id: 'exec', label: 'Run a command with the token', code: `token-broker exec ${name} -- ./deploy.sh` },
    {
      id: 'kubectl',
      label: 'kubectl (kubeconfig user)',
      code: [
        'users:',
        `- name: ${account}`,
        '  user:',
        '    exec:',
        '      apiVersion: client.authentication.k8s.io/v1',
        '      command: token-broker',
        `      args: ["kubectl-credential", ${JSON.stringify(account)}]`,
        '      interactiveMode: Never',
      ].join('\n'),
    },
    {
      id: 'git',
      label: 'git credential helper (the account needs a git host, e.g. github.com)',
      code: `git config --global credential.https://github.com.helper '!token-broker git-credential'`,
    },
  ];
}
