import { Writable } from 'node:stream';

/**
 * The outbox dispatcher's own account of each try, read from the app's log: it logs a try only after
 * the try's outcome is committed, so a test that waits for the line can read the outcome through
 * the API at once, without polling the database.
 */

/** One try at one delivery, as the dispatcher logged it. */
export interface SettledTry {
  deliveryId: number;
  channel: string;
  attempt: number;
  outcome: 'sent' | 'retrying' | 'dead_letter';
}

export interface OutboxLog {
  /** The app's log stream (the app needs LOG_LEVEL=info for its `message delivered` lines) */
  stream: Writable;
  settled: SettledTry[];
  /** Resolves once `ready` holds, checked again on every settled try; rejects after `timeoutMs` */
  waitUntil(ready: (settled: SettledTry[]) => boolean, timeoutMs?: number): Promise<SettledTry[]>;
}

/** pino's levels: the dispatcher logs a delivery at info, a try to repeat at warn, a dead letter at error. */
const outcomeOfLevel: Record<number, SettledTry['outcome']> = {
  30: 'sent',
  40: 'retrying',
  50: 'dead_letter',
};

export function outboxLog(): OutboxLog {
  const settled: SettledTry[] = [];
  const listeners = new Set<() => void>();
  let partial = '';

  const read = (line: string) => {
    // Most lines are request logs; only the dispatcher's are worth parsing.
    if (!line.includes('"outbox_delivery"')) return;
    const entry = JSON.parse(line) as {
      level: number;
      event?: string;
      deliveryId: number;
      channel: string;
      attempt: number;
    };
    const outcome = outcomeOfLevel[entry.level];
    if (entry.event !== 'outbox_delivery' || outcome === undefined) return;
    settled.push({ deliveryId: entry.deliveryId, channel: entry.channel, attempt: entry.attempt, outcome });
    for (const listener of [...listeners]) listener();
  };

  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const lines = `${partial}${chunk.toString('utf8')}`.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) read(line);
      done();
    },
  });

  return {
    stream,
    settled,
    waitUntil(ready, timeoutMs = 10_000) {
      if (ready(settled)) return Promise.resolve(settled);
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!ready(settled)) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve(settled);
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(
              `The outbox did not settle as expected within ${timeoutMs} ms; tries logged: ${JSON.stringify(settled)}`,
            ),
          );
        }, timeoutMs);
        listeners.add(check);
      });
    },
  };
}
