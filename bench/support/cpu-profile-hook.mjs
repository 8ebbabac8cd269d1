// Preloaded into modgate (NODE_OPTIONS=--import) by bench scripts run with --cpu-prof DIR, because
// Node 20 refuses --cpu-prof in NODE_OPTIONS: profiles the process with node:inspector and writes
// DIR/modgate-<pid>.cpuprofile when it exits (SIGTERM → orderly exit).
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.MODGATE_BENCH_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable', () => session.post('Profiler.start'));
  process.on('exit', () => {
    session.post('Profiler.stop', (err, res) => {
      if (!err) writeFileSync(join(dir, `modgate-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
