// `npm run ui:serve`: the interface preview to look at in a browser. The real owner and web server on
// a temporary home seeded with sample VMs (see preview.node.ts); prints the address and serves until
// Ctrl-C, then removes the home.   node dist/test/ui/serve.node.js [--big-tree N] [--port P]
import { parseArgs } from 'node:util';
import { startPreview } from './preview.node.js';

const { values } = parseArgs({ options: { 'big-tree': { type: 'string', default: '500' }, port: { type: 'string', default: '0' } } });
const started = Date.now();
const preview = await startPreview({
  bigTree: Number(values['big-tree']),
  port: Number(values.port),
  say: (l) => process.stderr.write(`preview: ${l}\n`),
});
process.stderr.write(`preview: seeded in ${((Date.now() - started) / 1000).toFixed(1)} s; home ${preview.home}, files ${preview.files}\n`);
process.stdout.write(`Hangar interface preview (real owner, fake VMM hosts): ${preview.url}\n`);
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void preview.dispose().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
