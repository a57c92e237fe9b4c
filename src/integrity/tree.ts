export interface TreeHead {
  size: number;
  /** The root hash, 32 bytes. */
  hash: Buffer;
}

/** Parses the text of a signed tree head: "go.sum database tree\n<N>\n<base64 hash>\n". */
export function parseTreeHead(text: string): TreeHead {
  const match = /^go\.sum database tree\n(\d+)\n([A-Za-z0-9+/]{43}=)\n$/.exec(text);
  if (!match) throw new Error(`not a go.sum database tree head: ${JSON.stringify(text.slice(0, 80))}`);
  const size = Number(match[1]);
  if (!Number.isSafeInteger(size)) throw new Error(`tree size ${match[1]} is too large`);
  return { size, hash: Buffer.from(match[2] as string, 'base64') };
}

export interface LookupRecord {
  id: number;
  /** The record's go.sum lines, each ending with a newline. */
  text: string;
  /** The signed tree head note that follows the record. */
  note: string;
}

/** Splits a /lookup answer: the record id, the record's lines, a blank line, the signed note. */
export function parseLookup(body: string): LookupRecord {
  const match = /^(\d+)\n((?:[^\n]+\n)+)\n([\s\S]+)$/.exec(body);
  if (!match) throw new Error('not a checksum database lookup record');
  return { id: Number(match[1]), text: match[2] as string, note: match[3] as string };
}

/** The h1 hashes a record gives for a module version: of the zip and of the go.mod. */
export function recordHashes(text: string, module: string, version: string): { zip?: string; mod?: string } {
  const hashes: { zip?: string; mod?: string } = {};
  for (const line of text.split('\n')) {
    const [path, ver, hash] = line.split(' ');
    if (path !== module || !hash) continue;
    if (ver === version) hashes.zip = hash;
    if (ver === `${version}/go.mod`) hashes.mod = hash;
  }
  return hashes;
}
