/**
 * libuv's thread pool runs scrypt, WebCrypto (jose's HMAC), DNS lookups and file I/O; its size is read once, when
 * the pool first starts. Password hashing is bounded to HASHING_THREADS of them (src/auth/passwords.ts), so with
 * this size token checks always find a free thread during a login flood. Import this first; an operator's
 * UV_THREADPOOL_SIZE wins.
 */
export const HASHING_THREADS = 2;
process.env.UV_THREADPOOL_SIZE ??= '8';
