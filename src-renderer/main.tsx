// The renderer's entry: connect to the owner (Electron bridge or web-mode WebSocket) and render.
import './api/zodSetup.js';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { connect } from './api/connect.js';
import { App } from './app/App.js';

const connection = connect();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App connection={connection} />
  </StrictMode>,
);
