import { createHash } from 'node:crypto';

// Transparency-log arithmetic as the Go checksum database uses it (golang.org/x/mod/sumdb/tlog):
// RFC 6962 hashing, and tiles of height 8 that store every 8th level of the tree.

export const TILE_HEIGHT = 8;
const TILE_WIDTH = 1 << TILE_HEIGHT;

export const leafHash = (record: Buffer | string) =>
  createHash('sha256')
    .update(Buffer.from([0]))
    .update(record)
    .digest();
export const nodeHash = (left: Buffer, right: Buffer) =>
  createHash('sha256')
    .update(Buffer.from([1]))
    .update(left)
    .update(right)
    .digest();

/** A tile's path: tile/8/<level>/<index as x001/x234/067>[.p/<width>]. */
export function tilePath(level: number | 'data', index: number, width: number): string {
  const digits = String(index).padStart(3, '0');
  const groups: string[] = [];
  for (let end = digits.length; end > 0; end -= 3) groups.unshift(digits.slice(Math.max(0, end - 3), end));
  const encoded = groups
    .map((group, i) => (i < groups.length - 1 ? `x${group.padStart(3, '0')}` : group.padStart(3, '0')))
    .join('/');
  return `tile/${TILE_HEIGHT}/${level}/${encoded}${width < TILE_WIDTH ? `.p/${width}` : ''}`;
}

/** Reads a tile's bytes (the caller fetches and caches). */
export type TileReader = (path: string) => Promise<Buffer>;

/**
 * The hashes of one tree, read from its tiles: the stored hash of the complete subtree at
 * (level, index), reading the tile row at the nearest multiple of 8 below and hashing up.
 */
export function treeHashes(size: number, readTile: TileReader) {
  const tiles = new Map<string, Promise<Buffer>>();
  async function stored(level: number, index: number): Promise<Buffer> {
    const tileLevel = level / TILE_HEIGHT;
    const tileIndex = Math.floor(index / TILE_WIDTH);
    const count = Math.floor(size / 2 ** level); // complete subtrees at this level
    const width = Math.min(TILE_WIDTH, count - tileIndex * TILE_WIDTH);
    if (width <= 0) throw new Error(`no hash at level ${level} index ${index} in a tree of ${size}`);
    const path = tilePath(tileLevel, tileIndex, width);
    let tile = tiles.get(path);
    if (!tile) {
      tile = readTile(path).then((data) => {
        if (data.length !== width * 32)
          throw new Error(`tile ${path} has ${data.length} bytes, not ${width * 32}`);
        return data;
      });
      tiles.set(path, tile);
    }
    const data = await tile;
    const at = (index % TILE_WIDTH) * 32;
    return data.subarray(at, at + 32);
  }
  async function subtree(level: number, index: number): Promise<Buffer> {
    if (level % TILE_HEIGHT === 0) return stored(level, index);
    return nodeHash(await subtree(level - 1, 2 * index), await subtree(level - 1, 2 * index + 1));
  }
  /**
   * MTH of leaves [start, start + n), with the leaf at `leaf.index` replaced by our own hash; a
   * subtree that `boundary` cuts is hashed from its halves, never read whole from a tile.
   */
  async function rangeHash(
    start: number,
    n: number,
    leaf?: { index: number; hash: Buffer },
    boundary?: number,
  ): Promise<Buffer> {
    const covers = leaf !== undefined && leaf.index >= start && leaf.index < start + n;
    const cut = boundary !== undefined && boundary > start && boundary < start + n;
    if (n === 1 && covers) return leaf.hash;
    if ((n & (n - 1)) === 0 && !covers && !cut) return subtree(Math.log2(n), start / n);
    const k = 2 ** Math.floor(Math.log2(n - 1)); // largest power of two below n
    return nodeHash(
      await rangeHash(start, k, leaf, boundary),
      await rangeHash(start + k, n - k, leaf, boundary),
    );
  }
  return {
    /** The root of the first `n` leaves (n <= size), from this tree's tiles. */
    root: (n = size) => rangeHash(0, n),
    /**
     * Whether the tree of the first m leaves (root `prefixRoot`) is the start of this one (root
     * `treeRoot`), as an RFC 6962 consistency proof shows it: both roots are computed from the same
     * stored hashes (this tree's is cut at m, so it is made of the pieces of the smaller one), so a
     * tile cannot tell the smaller root one history and the larger another.
     */
    hasPrefix: async (m: number, prefixRoot: Buffer, treeRoot: Buffer) => {
      if (!Number.isSafeInteger(m) || m < 0 || m > size)
        throw new Error(`a tree of ${m} records cannot be the start of a tree of ${size}`);
      if (m === 0) return true;
      if (m === size) return prefixRoot.equals(treeRoot);
      if (!(await rangeHash(0, size, undefined, m)).equals(treeRoot)) return false;
      return (await rangeHash(0, m)).equals(prefixRoot);
    },
    /** The root computed with our own hash of the record at `index`: equal to the signed root iff it is in the tree. */
    rootWithLeaf: async (index: number, record: string) => {
      // A leaf outside the tree would leave the root as it is and so "prove" any record text.
      if (!Number.isSafeInteger(index) || index < 0 || index >= size)
        throw new Error(`record ${index} is beyond the signed tree of ${size} records`);
      return rangeHash(0, size, { index, hash: leafHash(record) });
    },
  };
}
