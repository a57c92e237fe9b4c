import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createWriteBehind, type HeldAnswer } from '../src/guardproxy/write-behind.js';

// The guard's answers held in memory until go is quiet, on a fake clock: when they are written,
// what is served meanwhile, and the bounds that keep a busy guard writing and its memory small.

const answer = (text: string, storedAt = 0): HeldAnswer => ({
  body: Buffer.from(text),
  contentType: 'text/plain',
  storedAt,
});

function setUp(
  bounds: { quietMs?: number; maxHoldMs?: number; maxBytes?: number; hardMaxBytes?: number } = {},
) {
  const written: string[] = [];
  const behind = createWriteBehind({
    write: async (key) => {
      written.push(key);
    },
    quietMs: bounds.quietMs ?? 100,
    maxHoldMs: bounds.maxHoldMs ?? 2000,
    maxBytes: bounds.maxBytes ?? 1 << 20,
    hardMaxBytes: bounds.hardMaxBytes ?? 4 << 20,
    now: () => Date.now(),
  });
  return { behind, written };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('answers held in memory until go is quiet', () => {
  it('serves a held answer from memory, and writes it once no request came for the quiet time', async () => {
    const { behind, written } = setUp();
    behind.requestArrived();
    behind.hold('a', answer('one'));
    expect(behind.get('a')?.body.toString()).toBe('one');
    await vi.advanceTimersByTimeAsync(60);
    behind.requestArrived(); // go asks again: writing waits
    await vi.advanceTimersByTimeAsync(60);
    expect(written).toEqual([]);
    await vi.advanceTimersByTimeAsync(60);
    expect(written).toEqual(['a']);
    expect(behind.get('a')).toBeUndefined();
    expect(behind.usage()).toMatchObject({ answers: 0, bytes: 0 });
  });

  it('writes under constant load once an answer has been held for the longest time allowed', async () => {
    const { behind, written } = setUp({ quietMs: 100, maxHoldMs: 500 });
    behind.hold('a', answer('one'));
    for (let t = 0; t < 450; t += 50) {
      behind.requestArrived();
      await vi.advanceTimersByTimeAsync(50);
    }
    expect(written).toEqual([]);
    behind.requestArrived();
    await vi.advanceTimersByTimeAsync(100);
    expect(written).toEqual(['a']);
  });

  it('writes at once when the held bytes pass the bound', async () => {
    const { behind, written } = setUp({ maxBytes: 10 });
    behind.requestArrived();
    behind.hold('a', answer('123456'));
    await vi.advanceTimersByTimeAsync(0);
    expect(written).toEqual([]);
    behind.hold('b', answer('7890ab'));
    await vi.advanceTimersByTimeAsync(0);
    expect(written).toEqual(['a', 'b']);
    expect(behind.usage().bytes).toBe(0);
  });

  it('writes each held answer once under a burst past the bound, however slow the disk', async () => {
    // Past the bound every new answer asks for a write at once: answers already on their way to
    // the disk must not be written again each time (a burst of 10,000 small answers would make
    // millions of writes, and hold everything meanwhile).
    const written: string[] = [];
    const behind = createWriteBehind({
      write: async (key) => {
        written.push(key);
        await new Promise((resolve) => setTimeout(resolve, 10)); // a slow disk
      },
      quietMs: 100,
      maxHoldMs: 2000,
      maxBytes: 10,
      hardMaxBytes: 1 << 20,
    });
    behind.requestArrived();
    for (const key of ['a', 'b', 'c', 'd']) behind.hold(key, answer('123456'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(written).toEqual(['a', 'b', 'c', 'd']);
    expect(behind.usage()).toMatchObject({ answers: 0, bytes: 0 });
  });

  it('keeps a newer answer for a key held while the older one is being written', async () => {
    let finishWrite = () => {};
    const written: string[] = [];
    const behind = createWriteBehind({
      write: (key, held) =>
        new Promise<void>((resolve) => {
          written.push(`${key}=${held.body}`);
          finishWrite = resolve;
        }),
      quietMs: 100,
      maxHoldMs: 2000,
      maxBytes: 1 << 20,
      hardMaxBytes: 4 << 20,
    });
    behind.hold('list', answer('v1.0.0'));
    const flushed = behind.flush();
    await vi.advanceTimersByTimeAsync(0);
    behind.hold('list', answer('v1.0.0\nv1.1.0'));
    finishWrite();
    await flushed;
    expect(written).toEqual(['list=v1.0.0']);
    expect(behind.get('list')?.body.toString()).toBe('v1.0.0\nv1.1.0');
    expect(behind.usage()).toMatchObject({ answers: 1, bytes: 13 });
  });

  it('writes everything still held when flushed (the guard closing), and goes on after a failed write', async () => {
    const written: string[] = [];
    const behind = createWriteBehind({
      write: async (key) => {
        written.push(key);
        if (key === 'a') throw new Error('ENOSPC');
      },
      quietMs: 100,
      maxHoldMs: 2000,
      maxBytes: 1 << 20,
      hardMaxBytes: 4 << 20,
    });
    behind.requestArrived();
    behind.hold('a', answer('one'));
    behind.hold('b', answer('two'));
    await behind.flush();
    expect(written).toEqual(['a', 'b']);
    expect(behind.usage()).toMatchObject({ answers: 0, bytes: 0 });
  });

  it('keeps held memory under the hard bound: past it an answer is served but not kept', async () => {
    let finish = () => {};
    const behind = createWriteBehind({
      // The disk falls behind: nothing is written until the test says so.
      write: () =>
        new Promise<void>((resolve) => {
          finish = resolve;
        }),
      quietMs: 100,
      maxHoldMs: 2000,
      maxBytes: 8,
      hardMaxBytes: 12,
    });
    expect(behind.hold('a', answer('12345678'))).toBe(true);
    expect(behind.hold('b', answer('1234'))).toBe(true);
    expect(behind.hold('c', answer('1'))).toBe(false);
    expect(behind.get('c')).toBeUndefined();
    expect(behind.usage()).toEqual({ answers: 2, bytes: 12, notKept: 1 });
    // Replacing a held answer by one no larger fits.
    expect(behind.hold('b', answer('abcd'))).toBe(true);
    finish();
    await vi.advanceTimersByTimeAsync(0);
    finish();
    await vi.advanceTimersByTimeAsync(0);
    finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(behind.hold('c', answer('1'))).toBe(true);
  });
});
