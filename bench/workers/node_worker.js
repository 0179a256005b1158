'use strict';
// The Node.js side of bench/client_workers_bench: a Worker of clients/node serving one job type
// until --jobs jobs are completed. The handler gets the parsed variables (the client does) and
// returns {done: true}. Prints `jobs=N seconds=S`: from the first job handed to the handler to
// the last completion acknowledged.
//
//   node node_worker.js --address HOST:PORT --type TYPE --jobs N [--concurrency C]
const path = require('path');
const shequ = require(path.join(__dirname, '..', '..', 'clients', 'node'));

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

async function main() {
  const jobs = Number(flag('jobs', '1000'));
  const client = new shequ.Client(flag('address', '127.0.0.1:7070'), { user: 'bench', roles: 'job-worker' });
  const worker = client.worker('node-bench', { concurrency: Number(flag('concurrency', '16')) });
  let first = 0;
  worker.handle(flag('type', 'bench.node'), async () => {
    if (!first) first = performance.now();
    return { done: true };
  });
  const running = worker.run();
  // Completions are counted as the daemon acknowledges them; look every millisecond.
  const last = await new Promise((resolve) => {
    const check = () => (worker.completed + worker.lost >= jobs ? resolve(performance.now()) : setTimeout(check, 1));
    check();
  });
  await worker.stop();
  await running;
  client.close();
  if (worker.completed !== jobs) {
    console.error(`node_worker: ${worker.completed} of ${jobs} completed`);
    process.exit(1);
  }
  console.log(`jobs=${jobs} seconds=${((last - first) / 1000).toFixed(6)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
