/** `npm run engine:stop` — stops the Podman service that `engine:start` started, if any. */
import { stopEngine } from './engine.js';

const stopped = await stopEngine();
process.stderr.write(stopped ? '[engine] stopped\n' : '[engine] nothing to stop\n');
