// DNS messages in wire format (RFC 1035), just what GoProxyGuard needs: A/AAAA questions and
// answers, for the DoH client (RFC 8484) and the lab's DNS and DoH servers.

export const TYPE = { A: 1, AAAA: 28 } as const;
export const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;

export interface Question {
  name: string;
  type: number;
}

export interface Answer {
  name: string;
  type: number;
  ttl: number;
  /** The address as text (A and AAAA); other record types are skipped. */
  address: string;
}

export interface Message {
  id: number;
  response: boolean;
  rcode: number;
  questions: Question[];
  answers: Answer[];
}

function encodeName(name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter(Boolean);
  const parts = labels.map((label) => {
    const bytes = Buffer.from(label, 'ascii');
    if (bytes.length > 63) throw new Error(`DNS label longer than 63 bytes in ${name}`);
    return Buffer.concat([Buffer.from([bytes.length]), bytes]);
  });
  return Buffer.concat([...parts, Buffer.from([0])]);
}

function encodeAddress(type: number, address: string): Buffer {
  if (type === TYPE.A) return Buffer.from(address.split('.').map(Number));
  const [head = '', tail = ''] = address.split('::');
  const groups = (s: string) => (s ? s.split(':') : []);
  const fill = 8 - groups(head).length - groups(tail).length;
  const all = address.includes('::')
    ? [...groups(head), ...Array(fill).fill('0'), ...groups(tail)]
    : groups(address);
  const out = Buffer.alloc(16);
  for (const [i, group] of all.entries()) out.writeUInt16BE(Number.parseInt(group, 16), i * 2);
  return out;
}

export function encodeMessage(message: Message): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(message.id, 0);
  // QR, opcode 0, RD set (and RA in responses), rcode
  header.writeUInt16BE((message.response ? 0x8180 : 0x0100) | (message.rcode & 0xf), 2);
  header.writeUInt16BE(message.questions.length, 4);
  header.writeUInt16BE(message.answers.length, 6);
  const parts: Buffer[] = [header];
  for (const q of message.questions) {
    const tail = Buffer.alloc(4);
    tail.writeUInt16BE(q.type, 0);
    tail.writeUInt16BE(1, 2); // class IN
    parts.push(encodeName(q.name), tail);
  }
  for (const a of message.answers) {
    const data = encodeAddress(a.type, a.address);
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(a.type, 0);
    fixed.writeUInt16BE(1, 2);
    fixed.writeUInt32BE(a.ttl, 4);
    fixed.writeUInt16BE(data.length, 8);
    parts.push(encodeName(a.name), fixed, data);
  }
  return Buffer.concat(parts);
}

/** Reads a possibly compressed name; returns it and the offset just after it in the record. */
function readName(buf: Buffer, start: number): [string, number] {
  const labels: string[] = [];
  let offset = start;
  let end = -1;
  for (let jumps = 0; jumps < 64; jumps++) {
    const length = buf.readUInt8(offset);
    if (length === 0) return [labels.join('.'), end === -1 ? offset + 1 : end];
    if ((length & 0xc0) === 0xc0) {
      if (end === -1) end = offset + 2;
      offset = buf.readUInt16BE(offset) & 0x3fff;
      continue;
    }
    labels.push(buf.toString('ascii', offset + 1, offset + 1 + length));
    offset += 1 + length;
  }
  throw new Error('DNS name compression loop');
}

function decodeAddress(type: number, data: Buffer): string {
  if (type === TYPE.A) return [...data].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(data.readUInt16BE(i).toString(16));
  // The WHATWG URL parser writes IPv6 in its canonical compressed form (RFC 5952).
  return new URL(`http://[${groups.join(':')}]`).hostname.slice(1, -1);
}

/** Decodes a message; throws on truncated or malformed input (a hostile server's answer). */
export function decodeMessage(buf: Buffer): Message {
  if (buf.length < 12) throw new Error('DNS message shorter than its header');
  const flags = buf.readUInt16BE(2);
  const counts = [buf.readUInt16BE(4), buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)];
  let offset = 12;
  const questions: Question[] = [];
  for (let i = 0; i < (counts[0] ?? 0); i++) {
    const [name, next] = readName(buf, offset);
    questions.push({ name, type: buf.readUInt16BE(next) });
    offset = next + 4;
  }
  const answers: Answer[] = [];
  for (let i = 0; i < (counts[1] ?? 0); i++) {
    const [name, next] = readName(buf, offset);
    const type = buf.readUInt16BE(next);
    const ttl = buf.readUInt32BE(next + 4);
    const length = buf.readUInt16BE(next + 8);
    const data = buf.subarray(next + 10, next + 10 + length);
    if (data.length !== length) throw new Error('DNS record runs past the end of the message');
    if ((type === TYPE.A && length === 4) || (type === TYPE.AAAA && length === 16)) {
      answers.push({ name, type, ttl, address: decodeAddress(type, data) });
    }
    offset = next + 10 + length;
  }
  return {
    id: buf.readUInt16BE(0),
    response: (flags & 0x8000) !== 0,
    rcode: flags & 0xf,
    questions,
    answers,
  };
}
