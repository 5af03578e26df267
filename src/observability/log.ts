import { type Logger, pino } from 'pino';

export type { Logger };

/** JSON lines on stdout (or the given stream), one object per event. */
export function createLogger(opts: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    { level: opts.level ?? process.env.RAILYARD_LOG_LEVEL ?? 'info', base: { service: 'railyard' } },
    opts.destination ?? process.stdout,
  );
}
