import { render } from 'preact';
import { App } from './app.tsx';
import { createCognito } from './auth/cognito.ts';
import { createSession } from './auth/session.ts';
import { loadConfig } from './config.ts';
import './styles.css';

const root = document.getElementById('app') as HTMLElement;
try {
  const config = await loadConfig();
  const cognito = createCognito(config);
  const session = createSession({
    cognito,
    storage: sessionStorage,
    onExpired: () => location.reload(),
  });
  render(<App cognito={cognito} session={session} apiUrl={config.apiUrl ?? location.origin} />, root);
} catch (error) {
  root.textContent = `The console could not start: ${error instanceof Error ? error.message : String(error)}`;
}
