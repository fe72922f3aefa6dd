// The development harness: the real interface against an in-page mock owner.
import '../api/zodSetup.js';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiConnection } from '../api/apiConnection.js';
import { App } from '../app/App.js';
import { MockOwner } from './mockServer.js';

const owner = new MockOwner();
const params = new URLSearchParams(window.location.search);
owner.speed = Number(params.get('speed') ?? '1') || 1;
// `?bigTree=500` adds a VM with that many snapshots.
const big = Number(params.get('bigTree') ?? '0');
if (big > 0) owner.addBigTree(Math.min(big, 5000));
const endpoint = owner.endpoint();
const connection = new ApiConnection(endpoint).start();
// For the screenshot script: drop the connection to show the reconnect banner.
(window as unknown as { hangarMock: unknown }).hangarMock = { drop: () => endpoint.drop(), owner };

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App connection={connection} />
  </StrictMode>,
);
