/**
 * libuv's thread pool runs scrypt, WebCrypto (jose's HMAC), DNS lookups and file I/O; its size is read once, when
 * the pool first starts. Password hashing is bounded to HASHING_THREADS of them (src/auth/passwords.ts): half the
 * cores, so a login flood leaves the other half to the event loop, and with this pool size token checks always
 * find a free thread. Import this first; an operator's UV_THREADPOOL_SIZE wins.
 */
import os from 'node:os';

export const HASHING_THREADS = Math.max(1, Math.floor(os.availableParallelism() / 2));
process.env.UV_THREADPOOL_SIZE ??= '8';
