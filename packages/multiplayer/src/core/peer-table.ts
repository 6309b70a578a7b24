// The connected peers of an ENetMultiplayerPeer by Godot unique id (core): Godot's `peers` map
// and its `_net_id` object meta as one table, with the ids kept in insertion order so sending
// needs no id list per packet (godot-enet.md §2.5, §2.7).

/** Peers by unique id, the id of each peer, and the ids in insertion order. */
export class PeerTable<P> {
  readonly #byId = new Map<number, P>();
  readonly #idOf = new Map<P, number>();
  readonly #ids: number[] = [];

  /** Number of peers. */
  get size(): number {
    return this.#byId.size;
  }

  /** The ids in insertion order; a live view, kept in step with add/remove. */
  get ids(): readonly number[] {
    return this.#ids;
  }

  has(id: number): boolean {
    return this.#byId.has(id);
  }

  get(id: number): P | undefined {
    return this.#byId.get(id);
  }

  /** The id `peer` was added under, or undefined. */
  idOf(peer: P): number | undefined {
    return this.#idOf.get(peer);
  }

  /** Adds `peer` under `id`; the caller ensures `id` is not in the table yet. */
  add(id: number, peer: P): void {
    this.#byId.set(id, peer);
    this.#idOf.set(peer, id);
    this.#ids.push(id);
  }

  /** Removes `id` and returns its peer, or undefined when it was not in the table. */
  remove(id: number): P | undefined {
    const peer = this.#byId.get(id);
    if (peer === undefined) return undefined;
    this.#byId.delete(id);
    this.#idOf.delete(peer);
    const i = this.#ids.indexOf(id);
    if (i >= 0) this.#ids.splice(i, 1);
    return peer;
  }

  clear(): void {
    this.#byId.clear();
    this.#idOf.clear();
    this.#ids.length = 0;
  }

  /** The peers in insertion order. */
  values(): IterableIterator<P> {
    return this.#byId.values();
  }

  /** [id, peer] in insertion order. */
  entries(): IterableIterator<[number, P]> {
    return this.#byId.entries();
  }
}
