// The renderer's entry: connect to the owner (Electron bridge or web-mode WebSocket) and render.
import './api/zodSetup.js';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { connect } from './api/connect.js';
import { App } from './app/App.js';

/** The longest the first render waits for the connection to open. */
const FIRST_RENDER_WAIT_MS = 250;

const connection = connect();
// The VM list is asked for as soon as the connection opens, and the interface is built while the
// owner answers: the first render waits for that request to leave (for a moment at most).
const listAsked = connection.prefetch('vm.list', {});
void Promise.race([listAsked, new Promise((r) => setTimeout(r, FIRST_RENDER_WAIT_MS))]).then(() =>
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App connection={connection} />
    </StrictMode>,
  ),
);
