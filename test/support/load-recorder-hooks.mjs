// Loader hooks of load-recorder.mjs (they run on the loader thread): append each loaded URL to the log.
import { appendFileSync } from 'node:fs';

let log = '';
export function initialize(data) {
  log = data.log;
}
export async function load(url, context, next) {
  appendFileSync(log, `${url}\n`);
  return next(url, context);
}
