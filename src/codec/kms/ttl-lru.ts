/**
 * A bounded map that forgets entries after `ttlMs` (counted from when they were set) and, when
 * full, the least recently used one. Small and synchronous: the hot path of the KMS key source.
 */
export class TtlLru<V> {
  readonly #entries = new Map<string, { value: V; expires: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly onEvict?: (value: V) => void,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.expires <= this.now()) {
      this.onEvict?.(entry.value);
      return undefined;
    }
    this.#entries.set(key, entry); // most recently used last
    return entry.value;
  }

  set(key: string, value: V): void {
    const old = this.#entries.get(key);
    if (old !== undefined) {
      this.#entries.delete(key);
      if (old.value !== value) this.onEvict?.(old.value);
    }
    this.#entries.set(key, { value, expires: this.now() + this.ttlMs });
    while (this.#entries.size > this.maxEntries) {
      const [oldest, entry] = this.#entries.entries().next().value as [string, { value: V }];
      this.#entries.delete(oldest);
      this.onEvict?.(entry.value);
    }
  }

  /** Forgets one entry if its time is up (a timer's sweep: nothing else is touched, the LRU order stays). */
  dropIfExpired(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.expires > this.now()) return;
    this.#entries.delete(key);
    this.onEvict?.(entry.value);
  }

  /** Forgets one entry now. */
  delete(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    this.onEvict?.(entry.value);
  }

  clear(): void {
    for (const entry of this.#entries.values()) this.onEvict?.(entry.value);
    this.#entries.clear();
  }
}
