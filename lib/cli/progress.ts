/**
 * Progress for long CLI work, on stderr so stdout stays clean for `--json`: a cli-progress bar when stderr
 * is a terminal, plain timestamp-free lines (at most one per `every` updates) when it is a pipe or a log
 * file, nothing when quiet.
 */
import { SingleBar, Presets } from 'cli-progress';

export interface Progress {
  /** total: the count `done` runs up to, or undefined when it is not known (then no bar, no "/total") */
  start(label: string, total?: number): void;
  update(done: number, detail: string): void;
  stop(): void;
}

export function progress(options: { quiet: boolean; tty?: boolean; every?: number; write?: (line: string) => void }): Progress {
  if (options.quiet) return { start() {}, update() {}, stop() {} };
  const tty = options.tty ?? process.stderr.isTTY === true;
  return tty ? barProgress() : lineProgress(options.every ?? 10, options.write ?? ((line) => process.stderr.write(`${line}\n`)));
}

function barProgress(): Progress {
  let bar: SingleBar | undefined;
  return {
    start(label, total) {
      bar?.stop();
      const format = total === undefined ? `${label} {value} {detail}` : `${label} [{bar}] {percentage}% {value}/{total} {detail}`;
      bar = new SingleBar({ format, hideCursor: true, stream: process.stderr }, Presets.shades_classic);
      bar.start(total ?? 0, 0, { detail: '' });
    },
    update(done, detail) {
      bar?.update(done, { detail });
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

function lineProgress(every: number, write: (line: string) => void): Progress {
  let label = '';
  let total: number | undefined;
  let calls = 0;
  let pending: string | undefined; // the latest update, when it was not printed
  return {
    start(l, t) {
      label = l;
      total = t;
      calls = 0;
    },
    update(done, detail) {
      const line = `${label} ${total === undefined ? done : `${done}/${total}`} ${detail}`.trimEnd();
      pending = calls++ % every === 0 || done === total ? (write(line), undefined) : line;
    },
    stop() {
      if (pending !== undefined) write(pending);
      pending = undefined;
    },
  };
}
