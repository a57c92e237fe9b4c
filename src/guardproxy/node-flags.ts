/**
 * Node and V8 options the guard runs with when GoProxyGuard starts it (the logon task, `serve
 * --background`): it runs all session long, so it is kept small rather than fast to grow. Each
 * measured by `BENCH_ONLY=guard-memory npm run bench` (RSS after 10,000 requests, Linux):
 * - --max-semi-space-size=1: the young generation stays at 1 MB a half instead of growing to
 *   16 MB (119 -> ~110 MB); short-lived garbage is collected sooner, at a small CPU cost.
 * - --max-old-space-size=64: V8 collects the old generation well before it would grow its heap;
 *   the guard keeps ~20 MB live (bodies over 64 KiB go to disk, never held), so 64 MB is room
 *   for a burst of 256 connections, not a limit it meets (with the above: ~89 MB).
 * - --v8-pool-size=1: one V8 worker thread instead of one per core, each with its own stack and
 *   allocator arena (with the above: ~82 MB).
 * v8.setFlagsFromString cannot change the heap's shape once node runs, so these go on node's
 * command line (and all are allowed in NODE_OPTIONS, which the bench uses).
 */
export const GUARD_NODE_FLAGS: readonly string[] = [
  '--max-semi-space-size=1',
  '--max-old-space-size=64',
  '--v8-pool-size=1',
];

/**
 * V8 options the guard sets on itself as it starts, however it was started (the logon task,
 * `serve --background`, or `serve` by hand): v8.setFlagsFromString takes these at run time.
 * - --optimize-for-size: V8 grows its heap by smaller steps and keeps less code and fewer caches;
 *   RSS after 10,000 requests ~79.5 -> ~75.5 MB (BENCH_ONLY=guard-memory); the CPU a request
 *   costs did not change beyond this machine's noise (~1.3 ms either way, 3 runs, load 6 on 2 cores).
 * (node's NODE_OPTIONS refuses V8 options it does not list, so these could not go there.)
 */
export const GUARD_V8_FLAGS: readonly string[] = ['--optimize-for-size'];
