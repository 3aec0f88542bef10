import { useEffect, useState } from 'react';
import type { BrokerApi } from '../main/ipc/contract';

export function App({ api }: { api: BrokerApi }) {
  const [version, setVersion] = useState<string>('…');
  useEffect(() => {
    void api.version().then((result) => setVersion(result.ok ? result.value.app : `unavailable (${result.error.code})`));
  }, [api]);
  return (
    <main>
      <h1>Token Broker</h1>
      <p data-testid="version">Version {version}</p>
    </main>
  );
}
