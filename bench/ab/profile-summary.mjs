// Summarises --cpu-prof profiles of Yarn installs: sampled main-thread time by where the code lives (the tufpm
// plugin bundle, Yarn's yarn.js, Node's internals, GC, idle), and the plugin's inclusive time under its top
// functions. Usage: node bench/ab/profile-summary.mjs <file.cpuprofile>... (PROF_TOP=n rows, default 25)
import { readFile } from 'node:fs/promises';

const top = Number(process.env.PROF_TOP ?? 25);
for (const file of process.argv.slice(2)) {
  const prof = JSON.parse(await readFile(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0));
  const where = (n) => {
    const { url, functionName } = n.callFrame;
    if (url.includes('plugin-tuf')) return 'plugin';
    if (url.includes('yarn.js') || url.includes('cli-dist')) return 'yarn';
    if (url === '') return functionName.startsWith('(') ? functionName : 'native';
    if (url.startsWith('node:')) return 'node';
    return url.slice(-40);
  };
  const groups = new Map();
  const fns = new Map();
  // inclusive plugin time: a sample counts for the plugin when any frame on its stack is in the bundle
  const inclusive = new Map();
  // the plugin frame nearest the root of each sample's stack: which entry point (hook, callback) the time is under
  const outermost = new Map();
  let total = 0;
  let pluginIncl = 0;
  for (const [id, us] of self) {
    total += us;
    const n = byId.get(id);
    const g = where(n);
    groups.set(g, (groups.get(g) ?? 0) + us);
    const fk = `${g} ${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`;
    fns.set(fk, (fns.get(fk) ?? 0) + us);
    let cur = id;
    const seen = new Set();
    let inPlugin = false;
    let outer;
    while (cur !== undefined) {
      const c = byId.get(cur);
      if (where(c) === 'plugin') {
        inPlugin = true;
        outer = `${c.callFrame.functionName || '(anon)'}:${c.callFrame.lineNumber}`;
        const k = `${c.callFrame.functionName || '(anon)'}:${c.callFrame.lineNumber}`;
        if (!seen.has(k)) { seen.add(k); inclusive.set(k, (inclusive.get(k) ?? 0) + us); }
      }
      cur = parent.get(cur);
    }
    if (inPlugin) pluginIncl += us;
    if (outer !== undefined) outermost.set(outer, (outermost.get(outer) ?? 0) + us);
  }
  const ms = (us) => (us / 1000).toFixed(1).padStart(8);
  console.log(`\n== ${file}: ${ms(total)} ms sampled; plugin on stack ${ms(pluginIncl)} ms`);
  for (const [g, us] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`${ms(us)}  ${g}`);
  console.log('-- self, top functions');
  for (const [f, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${ms(us)}  ${f}`);
  console.log('-- plugin outermost frames (entry points into the bundle)');
  for (const [f, us] of [...outermost].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`${ms(us)}  ${f}`);
  console.log('-- plugin inclusive (bundle line numbers)');
  for (const [f, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${ms(us)}  ${f}`);
}
