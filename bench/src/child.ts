import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const benchRoot = fileURLToPath(new URL('..', import.meta.url));

interface Message {
  type: string;
  id?: number;
  [key: string]: unknown;
}

/** A server (the real one or the ceiling) in its own Node process, driven over IPC. */
export class ServerChild {
  private nextId = 1;
  private readonly waiting = new Map<number, (message: Message) => void>();
  private readonly listeners: ((message: Message) => void)[] = [];
  private exited: Promise<number | null>;

  private constructor(
    readonly process: ChildProcess,
    readonly port: number,
  ) {
    process.on('message', (message: Message) => this.dispatch(message));
    this.exited = new Promise((resolve) => process.once('exit', (code) => resolve(code)));
  }

  get pid(): number {
    return this.process.pid as number;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private dispatch(message: Message): void {
    if (message.id !== undefined && this.waiting.has(message.id)) {
      this.waiting.get(message.id)?.(message);
      this.waiting.delete(message.id);
      return;
    }
    for (const listener of this.listeners) listener(message);
  }

  /**
   * Starts a bundled entry (`.mjs`) on bare node, or `src/<name>.ts` under tsx with workspace packages
   * resolved to their sources.
   */
  static async start(
    script: string,
    env: Record<string, string>,
    nodeFlags: string[] = [],
  ): Promise<ServerChild> {
    const loader = script.endsWith('.ts') ? ['--conditions=source', '--import', 'tsx'] : [];
    const child = spawn(process.execPath, [...loader, ...nodeFlags, script], {
      cwd: benchRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const port = await new Promise<number>((resolve, reject) => {
      const onExit = (code: number | null) =>
        reject(new Error(`${script} exited with ${code} before listening`));
      child.once('exit', onExit);
      child.once('error', reject);
      child.on('message', function ready(message: Message) {
        if (message.type !== 'ready') return;
        child.off('message', ready);
        child.off('exit', onExit);
        resolve(message.port as number);
      });
    });
    return new ServerChild(child, port);
  }

  request(message: Omit<Message, 'id'>): Promise<Message> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.process.send({ ...message, id });
    });
  }

  once(type: string, send: Message): Promise<Message> {
    return new Promise((resolve) => {
      const listener = (message: Message) => {
        if (message.type !== type) return;
        this.listeners.splice(this.listeners.indexOf(listener), 1);
        resolve(message);
      };
      this.listeners.push(listener);
      this.process.send(send);
    });
  }

  /** Resident memory now and at its peak so far, from /proc (Linux) or asked over IPC elsewhere. */
  async memory(): Promise<{ rss: number; peak: number | null }> {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const kib = (field: string) =>
        Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024;
      return { rss: kib('VmRSS'), peak: kib('VmHWM') };
    } catch {
      const answer = await this.request({ type: 'memory' });
      return { rss: answer.rss as number, peak: null };
    }
  }

  async stop(): Promise<void> {
    if (this.process.exitCode !== null) return;
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 15_000);
    this.process.send({ type: 'stop' });
    await this.exited;
    clearTimeout(timer);
  }
}

/** Samples a child's resident memory while a scenario runs; `stop()` gives the highest sample. */
export function sampleMemory(child: ServerChild, everyMs = 100): { stop(): Promise<number> } {
  let peak = 0;
  let pending = Promise.resolve();
  const timer = setInterval(() => {
    pending = pending.then(async () => {
      const { rss } = await child.memory();
      peak = Math.max(peak, rss);
    });
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await pending;
      const { rss } = await child.memory();
      return Math.max(peak, rss);
    },
  };
}
