// @ts-nocheck (PocketBase JSVM; bench-only, copied next to the step-cutting login.js by bench/breakdown.ts)
routerAdd('GET', '/api/bench/timers', (e) => {
  const out = {};
  for (const [key, value] of Object.entries(e.app.store().getAll())) {
    if (!key.startsWith('bench.timer.')) continue;
    if (e.request.url.query().get('reset')) e.app.store().remove(key);
    else out[key.slice('bench.timer.'.length)] = value;
  }
  return e.json(200, out);
});
