import { execSync } from 'node:child_process';
import { sleep } from '../helpers';

/**
 * Stops, pauses and restarts the MariaDB and Redis that the suite (and CI) runs on, with the commands CI uses to
 * start them. Every test that calls these restores the service in a `finally`: the services are left running.
 */
const sh = (cmd: string) => execSync(cmd, { stdio: 'pipe', timeout: 60_000 }).toString().trim();
const quiet = (cmd: string) => {
  try {
    return sh(cmd);
  } catch {
    return undefined;
  }
};

async function until(ok: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`${what} within ${timeoutMs} ms`);
    await sleep(200);
  }
}

const mariaUp = () => quiet('mysqladmin -uroot -h127.0.0.1 ping') !== undefined;
const mariaPid = () => quiet('pidof mariadbd');
const redisUp = () => quiet('redis-cli -h 127.0.0.1 ping') === 'PONG';

export const mariadb = {
  async stop(): Promise<void> {
    sh('mysqladmin -uroot -h127.0.0.1 shutdown');
    await until(() => !mariaPid(), 'MariaDB stopped');
  },
  async start(): Promise<void> {
    if (!mariaPid()) sh('start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd');
    await until(mariaUp, 'MariaDB answering');
  },
  /** SIGSTOP: the server keeps its connections open and answers nothing, like a hung database. */
  pause(): void {
    sh(`kill -STOP ${mariaPid()}`);
  },
  resume(): void {
    const pid = mariaPid();
    if (pid) sh(`kill -CONT ${pid}`);
  },
};

export const redis = {
  async stop(): Promise<void> {
    quiet('redis-cli -h 127.0.0.1 shutdown nosave');
    await until(() => !redisUp(), 'Redis stopped');
  },
  async start(): Promise<void> {
    if (!redisUp()) sh('redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no');
    await until(redisUp, 'Redis answering');
  },
};
