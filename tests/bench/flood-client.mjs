// The flood of tests/bench/flood.ts, in its own process so that its client work does not share the
// server's event loop or the prober's: FLOOD={url, clients, ms, bases} in the environment; writes
// one {status, retryAfter, code} per response to stdout as JSON.
const { url, clients, ms, bases } = JSON.parse(process.env.FLOOD);
const outcomes = [];
let n = 0;
// The clock starts with the first answer: on a busy machine this process may start slowly.
let until = Infinity;
await Promise.all(
  Array.from({ length: clients }, async () => {
    while (Date.now() < until) {
      const query = `${bases[n % bases.length]}（flood-${n++}）`;
      const res = await fetch(`${url}/api/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
      const body = await res.json();
      if (until === Infinity) until = Date.now() + ms;
      outcomes.push({ status: res.status, retryAfter: res.headers.get('retry-after'), code: body.error?.code });
    }
  }),
);
process.stdout.write(JSON.stringify(outcomes));
