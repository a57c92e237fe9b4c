import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAnswerCache, createTempFile, openAnswer } from '../src/guardproxy/answer-cache.js';
import type { AnswerCache } from '../src/guardproxy/contracts.js';
import { tempDir } from './helpers.js';

const root = await tempDir();
let folders = 0;
/** A fresh cache folder inside a parent of its own, so a test can see anything written beside it. */
async function freshDir(): Promise<{ parent: string; dir: string }> {
  const parent = join(root, `case-${++folders}`);
  await mkdir(parent);
  return { parent, dir: join(parent, 'cache') };
}

/** Writes bytes into a new temp file of the cache, as the server streams a download into one. */
async function download(cache: AnswerCache, body: Buffer | string): Promise<string> {
  const file = cache.tempFile();
  const handle = await createTempFile(file);
  try {
    await handle.writeFile(body);
  } finally {
    await handle.close();
  }
  return file;
}

async function put(cache: AnswerCache, key: string, body: Buffer | string, now = 1_000, type = 'text/plain') {
  return cache.store(key, await download(cache, body), type, now);
}

async function bodyOf(cache: AnswerCache, key: string): Promise<Buffer | undefined> {
  const answer = await cache.lookup(key);
  if (!answer) return undefined;
  const handle = await openAnswer(answer.file);
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** What the folder holds besides temp files: one file per stored answer. */
async function answerFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => !name.startsWith('.tmp-'));
}

describe('the answer cache', () => {
  it('gives back what was stored, byte for byte, with its type, size and time', async () => {
    const { dir } = await freshDir();
    const cache = await createAnswerCache({ dir, capBytes: 16 * 1024 * 1024 });
    const zip = randomBytes(3 * 1024 * 1024 + 17);
    const stored = await put(
      cache,
      'mod/lab.test/canary/@v/v1.1.0.zip',
      zip,
      1_700_000_000_123,
      'application/zip',
    );
    expect(stored).toMatchObject({
      size: zip.length,
      contentType: 'application/zip',
      storedAt: 1_700_000_000_123,
    });
    expect((await bodyOf(cache, 'mod/lab.test/canary/@v/v1.1.0.zip'))?.equals(zip)).toBe(true);
    expect(await cache.lookup('mod/lab.test/canary/@v/v1.1.0.mod')).toBeUndefined();
    expect(cache.usage()).toEqual({ bytes: zip.length, entries: 1, capBytes: 16 * 1024 * 1024 });
    expect(await readdir(dir)).toHaveLength(1); // the temp file became the answer
  });

  it('removes the least recently used answer first when a new one would pass the cap', async () => {
    const { dir } = await freshDir();
    const cache = await createAnswerCache({ dir, capBytes: 300 });
    await put(cache, 'a', 'a'.repeat(100));
    await put(cache, 'b', 'b'.repeat(100));
    await put(cache, 'c', 'c'.repeat(100));
    expect(await cache.lookup('a')).toBeDefined(); // a is now more recent than b
    await put(cache, 'd', 'd'.repeat(100));
    expect(await cache.lookup('b')).toBeUndefined();
    for (const key of ['a', 'c', 'd']) expect((await bodyOf(cache, key))?.toString()).toBe(key.repeat(100));
    expect(cache.usage()).toMatchObject({ bytes: 300, entries: 3 });
    expect(await answerFiles(dir)).toHaveLength(3);
  });

  it('tells when an answer was stored without marking it used (peek), and nothing for one it lacks', async () => {
    const { dir } = await freshDir();
    const cache = await createAnswerCache({ dir, capBytes: 300 });
    await put(cache, 'a', 'a'.repeat(100), 1_000);
    await put(cache, 'b', 'b'.repeat(100), 2_000);
    await put(cache, 'c', 'c'.repeat(100), 3_000);
    expect(cache.peek('a')).toEqual({ storedAt: 1_000 });
    expect(cache.peek('never stored')).toBeUndefined();
    // a stays the least recently used: the next store over the cap removes it.
    await put(cache, 'd', 'd'.repeat(100));
    expect(cache.peek('a')).toBeUndefined();
    expect(await cache.lookup('a')).toBeUndefined();
    expect(cache.peek('b')).toEqual({ storedAt: 2_000 });
  });

  it('never stays above the cap, whatever the sizes', async () => {
    const { dir } = await freshDir();
    const cap = 10_000;
    const cache = await createAnswerCache({ dir, capBytes: cap });
    for (let i = 0; i < 40; i++) {
      await put(cache, `key-${i}`, randomBytes(1 + ((i * 7919) % 4000)));
      const onDisk = await Promise.all(
        (await answerFiles(dir)).map(async (name) => (await stat(join(dir, name))).size),
      );
      const total = onDisk.reduce((a, b) => a + b, 0);
      expect(total).toBe(cache.usage().bytes);
      expect(total).toBeLessThanOrEqual(cap);
      expect(onDisk).toHaveLength(cache.usage().entries);
    }
    expect(await cache.lookup('key-39')).toBeDefined(); // the newest is always kept
  });

  it('keeps an answer larger than the whole cap only until the next store', async () => {
    const { dir } = await freshDir();
    const cache = await createAnswerCache({ dir, capBytes: 100 });
    await put(cache, 'small', 'x'.repeat(50));
    const big = await put(cache, 'big', 'y'.repeat(150));
    expect((await readFile(big.file)).length).toBe(150); // still there to be sent
    expect(await cache.lookup('small')).toBeUndefined();
    await put(cache, 'next', 'z'.repeat(10));
    expect(await cache.lookup('big')).toBeUndefined();
    expect(cache.usage()).toMatchObject({ bytes: 10, entries: 1 });
  });

  it('keeps its answers and their order across a restart', async () => {
    const { dir } = await freshDir();
    const first = await createAnswerCache({ dir, capBytes: 300 });
    await put(first, 'a', 'a'.repeat(100), 111, 'application/json');
    await put(first, 'b', 'b'.repeat(100), 222);
    await put(first, 'c', 'c'.repeat(100), 333);
    await first.lookup('a');
    const second = await createAnswerCache({ dir, capBytes: 300 });
    expect(second.usage()).toEqual({ bytes: 300, entries: 3, capBytes: 300 });
    // b was used least recently before the restart (a was looked up after c was stored), so it goes first.
    await put(second, 'd', 'd'.repeat(100));
    expect(await second.lookup('b')).toBeUndefined();
    expect(await second.lookup('a')).toMatchObject({
      size: 100,
      contentType: 'application/json',
      storedAt: 111,
    });
    expect((await bodyOf(second, 'c'))?.toString()).toBe('c'.repeat(100));
  });

  it('shrinks to a smaller cap at start, least recently used first', async () => {
    const { dir } = await freshDir();
    const first = await createAnswerCache({ dir, capBytes: 1000 });
    for (const key of ['a', 'b', 'c']) await put(first, key, key.repeat(100));
    await first.lookup('a');
    const second = await createAnswerCache({ dir, capBytes: 200 });
    expect(second.usage()).toMatchObject({ bytes: 200, entries: 2 });
    expect(await second.lookup('b')).toBeUndefined();
    expect(await answerFiles(dir)).toHaveLength(2);
  });

  it('removes at start what a killed guard left: temp files, and symlinks at answer names', async () => {
    const { parent, dir } = await freshDir();
    const first = await createAnswerCache({ dir, capBytes: 1000 });
    const half = await download(first, 'half a download');
    const outside = join(parent, 'precious.txt');
    await writeFile(outside, 'not the cache');
    const planted = join(dir, `${'0'.repeat(64)}.${Buffer.from('text/plain').toString('hex')}`);
    await symlink(outside, planted);
    await writeFile(join(dir, 'README.txt'), 'a file the cache did not write');
    const second = await createAnswerCache({ dir, capBytes: 1000 });
    expect(await readdir(dir)).toEqual(['README.txt']);
    expect(await readFile(outside, 'utf8')).toBe('not the cache');
    expect(second.usage().entries).toBe(0);
    expect(half).not.toBe(second.tempFile());
  });

  it('maps hostile keys to names inside its folder, each to its own answer', async () => {
    const { parent, dir } = await freshDir();
    const cache = await createAnswerCache({ dir, capBytes: 10_000 });
    const keys = [
      '../../x',
      '../x',
      '/etc/passwd',
      '..',
      '.',
      '',
      'a\0b',
      'C:\\Windows\\x',
      'con',
      'x/../../y',
    ];
    for (const [i, key] of keys.entries()) await put(cache, key, `answer ${i}`);
    expect(await readdir(parent)).toEqual(['cache']);
    const names = await readdir(dir);
    expect(names).toHaveLength(keys.length);
    for (const name of names) expect(name).toMatch(/^[0-9a-f]{64}\.[0-9a-f]+$/);
    for (const [i, key] of keys.entries()) expect((await bodyOf(cache, key))?.toString()).toBe(`answer ${i}`);
  });

  it('takes only its own temp files: another path or a symlink is refused and left alone', async () => {
    const { parent, dir } = await freshDir();
    const cache = await createAnswerCache({ dir, capBytes: 10_000 });
    const elsewhere = join(parent, 'elsewhere');
    await writeFile(elsewhere, 'x');
    await expect(cache.store('k', elsewhere, 'text/plain', 1)).rejects.toThrow(
      `${elsewhere} is not a temp file of ${dir} (use tempFile())`,
    );
    await expect(cache.store('k', join(dir, '..', 'elsewhere'), 'text/plain', 1)).rejects.toThrow(
      'is not a temp file',
    );
    const link = cache.tempFile();
    await symlink(elsewhere, link);
    await expect(cache.store('k', link, 'text/plain', 1)).rejects.toThrow('is not a regular file');
    await expect(createTempFile(link)).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await readFile(elsewhere, 'utf8')).toBe('x');
    expect(cache.usage().entries).toBe(0);
  });

  it('opens answers without following a symlink', async () => {
    const { parent, dir } = await freshDir();
    const cache = await createAnswerCache({ dir, capBytes: 10_000 });
    const target = join(parent, 'target');
    await writeFile(target, 'secret');
    const link = join(dir, 'link');
    await symlink(target, link);
    await expect(openAnswer(link)).rejects.toMatchObject({ code: 'ELOOP' });
    expect(cache.usage().entries).toBe(0);
  });

  it('survives concurrent stores of one key: one answer, one file, nothing left over', async () => {
    const { dir } = await freshDir();
    const cache = await createAnswerCache({ dir, capBytes: 1_000_000 });
    const bodies = Array.from({ length: 12 }, (_, i) => Buffer.from(`copy ${i} `.repeat(100 + i)));
    const temps = await Promise.all(bodies.map((body) => download(cache, body)));
    await Promise.all(
      temps.map((temp, i) => cache.store('mod/x/@v/v1.0.0.zip', temp, i % 2 ? 'a/b' : 'c/d', i)),
    );
    const files = await readdir(dir);
    expect(files).toHaveLength(1);
    const body = await bodyOf(cache, 'mod/x/@v/v1.0.0.zip');
    expect(bodies.some((candidate) => candidate.equals(body as Buffer))).toBe(true);
    expect(cache.usage()).toEqual({ bytes: body?.length, entries: 1, capBytes: 1_000_000 });
    expect((await stat(join(dir, files[0] as string))).size).toBe(body?.length);
  });

  it('treats an answer removed behind its back as a miss, and forgets it', async () => {
    const { dir } = await freshDir();
    const cache = await createAnswerCache({ dir, capBytes: 10_000 });
    const stored = await put(cache, 'gone', 'x'.repeat(10));
    await put(cache, 'kept', 'y'.repeat(20));
    await rm(stored.file);
    expect(await cache.lookup('gone')).toBeUndefined();
    expect(cache.usage()).toEqual({ bytes: 20, entries: 1, capBytes: 10_000 });
  });

  it('fails a store of a temp file that is not there, naming it, and keeps what it had', async () => {
    const { dir } = await freshDir();
    const cache = await createAnswerCache({ dir, capBytes: 10_000 });
    await put(cache, 'k', 'first');
    const missing = cache.tempFile();
    await expect(cache.store('k', missing, 'text/plain', 2)).rejects.toThrow(missing);
    expect((await bodyOf(cache, 'k'))?.toString()).toBe('first');
    expect(cache.usage()).toMatchObject({ bytes: 5, entries: 1 });
    // The queue of stores goes on after a failed one.
    expect((await put(cache, 'k', 'second')).size).toBe(6);
  });

  it('keeps a plain content type only', async () => {
    const { dir } = await freshDir();
    const cache = await createAnswerCache({ dir, capBytes: 10_000 });
    expect((await put(cache, 'a', 'x', 1, 'text/html\r\nX-Evil: 1')).contentType).toBe(
      'application/octet-stream',
    );
    expect((await put(cache, 'b', 'x', 1, 'a'.repeat(500))).contentType).toBe('application/octet-stream');
    expect((await put(cache, 'c', 'x', 1, 'application/zip')).contentType).toBe('application/zip');
    expect((await put(cache, 'd', 'x', 1, 'text/plain; charset=utf-8')).contentType).toBe(
      'text/plain; charset=utf-8',
    );
    // What a restarted guard reads back from the names.
    const again = await createAnswerCache({ dir, capBytes: 10_000 });
    expect((await again.lookup('d'))?.contentType).toBe('text/plain; charset=utf-8');
    expect((await again.lookup('a'))?.contentType).toBe('application/octet-stream');
    for (const name of await readdir(dir)) expect(name.length).toBeLessThan(170);
  });

  it('keeps a body from memory (storeBody) as store keeps a file, and across a restart', async () => {
    const { dir } = await freshDir();
    const cache = await createAnswerCache({ dir, capBytes: 10_000 });
    const stored = await cache.storeBody(
      'mod/x/@v/v1.0.0.info',
      cache.tempFile(),
      Buffer.from('{"Version":"v1.0.0"}'),
      'application/json',
      5_000,
    );
    expect(stored).toMatchObject({ size: 20, contentType: 'application/json', storedAt: 5_000 });
    expect((await bodyOf(cache, 'mod/x/@v/v1.0.0.info'))?.toString()).toBe('{"Version":"v1.0.0"}');
    expect(await readdir(dir)).toHaveLength(1);
    const again = await createAnswerCache({ dir, capBytes: 10_000 });
    expect(again.peek('mod/x/@v/v1.0.0.info')).toEqual({ storedAt: 5_000 });
    // A body stored once more under another type is rewritten, and only one file stays.
    await again.storeBody(
      'mod/x/@v/v1.0.0.info',
      again.tempFile(),
      Buffer.from('{"Version":"v1.0.0"}'),
      'text/plain',
      6_000,
    );
    expect(await readdir(dir)).toHaveLength(1);
    expect((await again.lookup('mod/x/@v/v1.0.0.info'))?.contentType).toBe('text/plain');
  });

  it('does not rewrite a list that comes back unchanged: only its time moves; a changed one is rewritten', async () => {
    const { dir } = await freshDir();
    const cache = await createAnswerCache({ dir, capBytes: 10_000 });
    const key = 'mod/x/@v/list';
    const first = await cache.storeBody(key, cache.tempFile(), Buffer.from('v1.0.0\n'), 'text/plain', 1_000);
    const written = await stat(first.file);
    const unusedTemp = cache.tempFile();
    const same = await cache.storeBody(key, unusedTemp, Buffer.from('v1.0.0\n'), 'text/plain', 2_000);
    expect(same).toMatchObject({ file: first.file, storedAt: 2_000, size: 7 });
    expect(cache.peek(key)).toEqual({ storedAt: 2_000 });
    // Not written at all: the file is the same one, and the temp path was never made.
    expect((await stat(first.file)).ino).toBe(written.ino);
    expect((await stat(first.file)).mtimeMs).toBe(written.mtimeMs);
    await expect(stat(unusedTemp)).rejects.toMatchObject({ code: 'ENOENT' });
    const changed = await cache.storeBody(
      key,
      cache.tempFile(),
      Buffer.from('v1.0.0\nv1.1.0\n'),
      'text/plain',
      3_000,
    );
    expect(changed.size).toBe(14);
    expect((await bodyOf(cache, key))?.toString()).toBe('v1.0.0\nv1.1.0\n');
    expect(cache.usage()).toMatchObject({ bytes: 14, entries: 1 });
    expect(await readdir(dir)).toHaveLength(1);
  });

  it('refuses a folder that is a symlink, and a cap that is not a positive number', async () => {
    const { parent, dir } = await freshDir();
    await mkdir(join(parent, 'real'));
    await symlink(join(parent, 'real'), dir);
    await expect(createAnswerCache({ dir, capBytes: 100 })).rejects.toThrow(
      `answer cache: ${dir} is not a folder (a symlink or a file is refused); remove it`,
    );
    await expect(createAnswerCache({ dir: join(parent, 'other'), capBytes: 0 })).rejects.toThrow(
      'capBytes must be a positive whole number of bytes (got 0)',
    );
  });
});
