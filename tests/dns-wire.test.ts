import { describe, expect, it } from 'vitest';
import { bogonKind } from '../src/dns/bogons.js';
import { decodeMessage, encodeMessage, RCODE, TYPE } from '../src/dns/wire.js';
import { answerQuery } from '../src/lab/dns-server.js';

describe('DNS wire format', () => {
  it('round-trips a query and an A/AAAA answer', () => {
    const answer = {
      id: 4660,
      response: true,
      rcode: RCODE.NOERROR,
      questions: [{ name: 'goproxy.cn', type: TYPE.AAAA }],
      answers: [
        { name: 'goproxy.cn', type: TYPE.AAAA, ttl: 60, address: '2001:db8::1' },
        { name: 'goproxy.cn', type: TYPE.AAAA, ttl: 60, address: '::1' },
      ],
    };
    expect(decodeMessage(encodeMessage(answer))).toEqual(answer);
  });

  it('follows compression pointers as real resolvers send them', () => {
    // id 1, response, 1 question, 1 answer whose name is a pointer to offset 12
    const wire = Buffer.from(
      '0001818000010001000000000377777706676f6f676c6503636f6d0000010001c00c000100010000003c00047f000001',
      'hex',
    );
    expect(decodeMessage(wire).answers).toEqual([
      { name: 'www.google.com', type: TYPE.A, ttl: 60, address: '127.0.0.1' },
    ]);
  });

  it('rejects a truncated or looping message instead of reading past it', () => {
    expect(() => decodeMessage(Buffer.alloc(5))).toThrow('shorter than its header');
    const loop = Buffer.from('000181800001000000000000c00c00010001', 'hex');
    expect(() => decodeMessage(loop)).toThrow();
  });

  it('lab answers: nxdomain for unknown names, silence when asked to be silent', () => {
    const query = {
      id: 7,
      response: false,
      rcode: 0,
      questions: [{ name: 'x.lab.test', type: TYPE.A }],
      answers: [],
    };
    const zone = { names: new Map(), otherwise: { kind: 'nxdomain' as const } };
    expect(decodeMessage(answerQuery(zone, query) as Buffer).rcode).toBe(RCODE.NXDOMAIN);
    expect(answerQuery({ names: new Map(), otherwise: { kind: 'silent' } }, query)).toBeNull();
  });
});

describe('bogons', () => {
  it.each([
    ['10.10.34.35', 'private'],
    ['192.168.1.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::ffff:10.0.0.1', 'private'],
    ['100.64.0.1', 'reserved'],
    ['203.0.113.9', 'reserved'],
    ['fd00::1', 'private'],
  ])('%s is %s', (address, kind) => expect(bogonKind(address)).toBe(kind));

  it.each(['8.8.8.8', '2400:3200::1', '223.5.5.5'])('%s is public', (address) =>
    expect(bogonKind(address)).toBeUndefined(),
  );
});
