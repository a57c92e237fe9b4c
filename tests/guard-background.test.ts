import { mkdtemp, readFile } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import parsePrometheus from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import type { RunningGuard } from '../src/guardproxy/server.js';
import { startGuard } from '../src/guardproxy/start.js';
import { goWorld } from '../src/lab/go-world.js';
import { LAB_CANARY } from '../src/lab/modules.js';
import { type RunningLab, startLab } from '../src/lab/scenarios.js';
import { type GuardSeen, type GuardWatch, guardEvents } from '../src/policy/guard-watch.js';
import { eventLogStandIns } from './event-log-stand-ins.js';
import { RUNTIME, writeJson } from './helpers.js';

// The scheduled run in guard mode against a real guard proxy running in this process (lab
// mirrors, the lab's checksum database): what it reports in its JSON, the history and the
// Prometheus textfile, and the Event Log entries it writes (argv through an eventcreate
// stand-in), once per change. The "down" case is the guard's port after it closed: refused.
vi.setConfig({ testTimeout: 120_000 });

type World = Awaited<ReturnType<typeof goWorld>>;
let lab: RunningLab;
let w: World;
let guard: RunningGuard | undefined;
let guardHome: string;
let standIns: Awaited<ReturnType<typeof eventLogStandIns>>;
const textfile = () => join(w.dir, 'goproxyguard.prom');
// The guard checks the lab's modules against the lab's database (go-world exempts lab.test).
const checked = () => ({ ...w.env, GONOSUMDB: '', GOSUMDB: lab.sumdb.verifierKey });

beforeAll(async () => {
  lab = await startLab(
    {
      summary: 'a mirror that serves a tampered go.mod, and an honest one',
      addressUrls: true,
      mirrors: [
        { name: 'tampered', mode: { kind: 'tampered', only: 'mod' } },
        { name: 'honest', mode: { kind: 'ok' } },
      ],
    },
    5000,
  );
  w = await goWorld(lab, RUNTIME);
  guardHome = await mkdtemp(join(w.dir, 'guard-'));
  standIns = await eventLogStandIns(w.dir);
});
afterAll(async () => {
  await guard?.close();
  await lab.stop();
  await w.cleanup();
});

/** Starts the guard proxy in this process, on `port` (0: a free one). */
async function runGuard(port: number): Promise<RunningGuard> {
  const env = { ...checked(), GOPROXYGUARD_HOME: guardHome };
  const loaded = await loadConfig(lab.configPath, env);
  return startGuard(loaded, env, { host: '127.0.0.1', port }, () => {});
}

/** The guard's event log entries so far (ids 101-103), as eventcreate got them. */
async function guardEntries(): Promise<{ type: string; id: string; description: string }[]> {
  return (await standIns.calls())
    .map((argv) => {
      expect(argv).toHaveLength(10);
      expect([argv[0], argv[1], argv[4], argv[5], argv[6], argv[8]]).toEqual([
        '/L',
        'APPLICATION',
        '/SO',
        'GoProxyGuard',
        '/ID',
        '/D',
      ]);
      return { type: argv[3] as string, id: argv[7] as string, description: argv[9] as string };
    })
    .filter((entry) => entry.id !== '100');
}

/** go's request for a .mod, sent to the guard as go sends it. */
function askGuardFor(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, headers: { host: `127.0.0.1:${port}` } }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

describe('the scheduled run in guard mode', () => {
  it('reports the guard up with its counters, an event once per change: tampered refused, down, back', async () => {
    const { env } = standIns;
    guard = await runGuard(0);
    const port = guard.port;
    const config = await writeJson(w.dir, 'guard-mode.json', {
      ...lab.config,
      guard: { enabled: true, listen: `127.0.0.1:${port}` },
    });
    const run = async () => {
      const result = await w.guard(
        ['run', '--scheduled', '--config', config, '--textfile', textfile(), '--json'],
        env,
      );
      expect(result.exitCode, result.stderr).toBe(0);
      const families = parsePrometheus(await readFile(textfile(), 'utf8'));
      const value = (name: string) => families.find((f) => f.name === name)?.metrics[0]?.value;
      const type = (name: string) => families.find((f) => f.name === name)?.type;
      return { document: JSON.parse(result.stdout), value, type, names: families.map((f) => f.name) };
    };

    // 1. Up, nothing refused yet: the counters are reported, no guard event.
    const first = await run();
    expect(first.document.guard).toMatchObject({
      running: true,
      url: `http://127.0.0.1:${port}`,
      counters: { tamperedRefused: 0 },
      events: [],
    });
    expect(first.value('goproxyguard_guard_up')).toBe('1');
    expect(first.type('goproxyguard_guard_up')).toBe('GAUGE');
    for (const counter of [
      'goproxyguard_guard_requests_total',
      'goproxyguard_guard_hedges_fired_total',
      'goproxyguard_guard_failovers_total',
      'goproxyguard_guard_tampered_refused_total',
      'goproxyguard_guard_stale_served_total',
      'goproxyguard_guard_joined_total',
      'goproxyguard_guard_prefetched_total',
    ]) {
      expect(first.type(counter)).toBe('COUNTER');
      expect(Number(first.value(counter))).toBeGreaterThanOrEqual(0);
    }
    // The run's own look at /_guard/status is a request the guard counted.
    expect(Number(first.value('goproxyguard_guard_requests_total'))).toBeGreaterThanOrEqual(1);
    expect(await guardEntries()).toEqual([]);

    // 2. go asks for a go.mod; the first mirror's is tampered, the guard refuses it.
    const mod = `/${LAB_CANARY.module}/@v/${LAB_CANARY.version}.mod`;
    expect(await askGuardFor(port, mod)).toBe(200);
    expect(guard.status().counters.tamperedRefused).toBeGreaterThanOrEqual(1);
    const second = await run();
    const refused = guard.status().counters.tamperedRefused;
    expect(second.value('goproxyguard_guard_tampered_refused_total')).toBe(String(refused));
    expect(Number(second.value('goproxyguard_guard_failovers_total'))).toBeGreaterThanOrEqual(1);
    expect(await guardEntries()).toEqual([
      {
        type: 'WARNING',
        id: '103',
        description: expect.stringMatching(
          new RegExp(
            `^The GoProxyGuard guard proxy refused ${refused} tampered answers? since the last run: .*; from tampered \\(${refused}\\)\\.`,
          ),
        ),
      },
    ]);

    // 3. Nothing new: no event, however often the run comes.
    await run();
    expect(await guardEntries()).toHaveLength(1);

    // 4. The guard stops: its port refuses. Up 0, no counters, one warning.
    await guard.close();
    guard = undefined;
    const down = await run();
    expect(down.document.guard).toMatchObject({
      running: false,
      reason: `nothing listens on 127.0.0.1:${port} (connection refused)`,
    });
    expect(down.value('goproxyguard_guard_up')).toBe('0');
    expect(down.names).not.toContain('goproxyguard_guard_requests_total');
    await run();
    const whileDown = await guardEntries();
    expect(whileDown.map((e) => [e.type, e.id])).toEqual([
      ['WARNING', '103'],
      ['WARNING', '101'],
    ]);
    expect(whileDown[1]?.description).toContain('connection refused');

    // 5. Back on the same port: one entry says so; the new guard's counters start afresh.
    guard = await runGuard(port);
    const back = await run();
    expect(back.value('goproxyguard_guard_up')).toBe('1');
    const after = await guardEntries();
    expect(after.map((e) => [e.type, e.id])).toEqual([
      ['WARNING', '103'],
      ['WARNING', '101'],
      ['INFORMATION', '102'],
    ]);
    expect(after[2]?.description).toBe(
      `The GoProxyGuard guard proxy answers again at http://127.0.0.1:${port}.`,
    );

    const history = (await readFile(join(w.env.GOPROXYGUARD_HOME as string, 'history.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
      .filter((entry) => entry.event === 'guard');
    expect(history.map((entry) => entry.guard.running)).toEqual([true, true, true, false, false, true]);
    expect(history[1].events[0]).toMatchObject({ kind: 'tampered-refused', eventLog: { written: true } });
  });
});

describe('the rules for guard events (pure)', () => {
  const up = (tamperedRefused: number, uptimeSeconds: number, tamperedBy = {}): GuardSeen => ({
    running: true,
    url: 'http://127.0.0.1:47193',
    uptimeSeconds,
    counters: {
      requests: 10,
      hedgesFired: 0,
      failovers: 0,
      tamperedRefused,
      staleServed: 0,
      joined: 0,
      prefetched: 0,
    },
    tamperedBy,
  });
  const at = (minutes: number) => new Date(Date.UTC(2026, 10, 30, 12, minutes));
  const watch = (w: Partial<GuardWatch> = {}): GuardWatch => ({
    up: true,
    tamperedRefused: 0,
    tamperedBy: {},
    at: at(0).toISOString(),
    ...w,
  });

  it('reports a guard that is down on the first look, and not again while it stays down', () => {
    const down: GuardSeen = { running: false, reason: 'nothing listens' };
    const first = guardEvents(undefined, down, at(0));
    expect(first.events.map((e) => e.kind)).toEqual(['guard-down']);
    expect(guardEvents(first.next, down, at(15)).events).toEqual([]);
  });

  it('says nothing for a guard that was up and still is, with nothing refused', () => {
    expect(guardEvents(watch(), up(0, 3600), at(15)).events).toEqual([]);
    expect(guardEvents(undefined, up(0, 60), at(15)).events).toEqual([]);
  });

  it('counts only what was refused since the last look, per mirror', () => {
    const previous = watch({ tamperedRefused: 2, tamperedBy: { a: 2 } });
    const { events, next } = guardEvents(previous, up(5, 3600, { a: 3, b: 2 }), at(15));
    expect(events).toHaveLength(1);
    expect(events[0]?.message).toContain('refused 3 tampered answers since the last run');
    expect(events[0]?.message).toContain('from a (1), b (2)');
    expect(next).toMatchObject({ up: true, tamperedRefused: 5, tamperedBy: { a: 3, b: 2 } });
  });

  it('takes every count of a guard that restarted since the last look as new (its counters began at 0)', () => {
    // Up 5 minutes, the last look 15 minutes ago: a new guard, whose 2 are not the old 4.
    const { events } = guardEvents(watch({ tamperedRefused: 4 }), up(2, 300), at(15));
    expect(events[0]?.message).toContain('refused 2 tampered answers');
    // The same guard, up for an hour, still at 4: nothing new.
    expect(guardEvents(watch({ tamperedRefused: 4 }), up(4, 3600), at(15)).events).toEqual([]);
  });
});
