import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { createBrokerStore } from './store/create-broker-store.js';
import './styles.css';

const container = document.getElementById('root');
if (container === null) throw new Error('#root missing from index.html');
createRoot(container).render(<App store={createBrokerStore(window.broker)} />);
