import type { TextSink } from '../io';

/** Scan progress on stderr: a redrawn bar on a terminal, a plain line every tenth of the way otherwise. */
export class Progress {
  private lastStep = -1;

  constructor(
    private readonly sink: TextSink,
    private readonly total: number | undefined,
    private readonly enabled: boolean,
  ) {}

  update(done: number, payloads: number): void {
    if (!this.enabled) return;
    if (this.sink.isTTY === true) return void this.sink.write(`\r${this.bar(done)} ${this.counts(done)}, ${payloads} payloads `);
    const step = this.total ? Math.floor((done * 10) / Math.max(this.total, 1)) : Math.floor(done / 100);
    if (step === this.lastStep) return;
    this.lastStep = step;
    this.sink.write(`scanned ${this.counts(done)}, ${payloads} payloads\n`);
  }

  finish(): void {
    if (this.enabled && this.sink.isTTY === true) this.sink.write('\n');
  }

  private counts(done: number): string {
    return this.total === undefined ? `${done} workflows` : `${done}/${this.total} workflows`;
  }

  private bar(done: number): string {
    const width = 30;
    const filled = this.total ? Math.min(width, Math.round((done / Math.max(this.total, 1)) * width)) : 0;
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  }
}
