// Record and audit: what every family does when its state changes. The read-model row goes first (lists and the API
// read it), then the audit event; each row carries the next version, so an older write never overwrites a newer one.
import type { Actor } from '../../domain/actors.ts';
import { audit } from './audit.ts';

export interface RecorderSpec<Row> {
  entity: { type: string; id: string };
  /** The read-model row as the state says now (without its version). */
  row: () => Row;
  /** Writes the row: an activity's promise (the call is scheduled at once, as a workflow command). */
  write: (row: Row & { version: number }) => Promise<unknown>;
  /** Called once a row is written, with that row (campaign's send gate follows the newest one). */
  written?: (row: Row & { version: number }) => void;
  /** The version written last before this run (a run continued as new goes on from its predecessor's). */
  version?: number;
}

export class Recorder<Row> {
  readonly entity: { type: string; id: string };
  /** The version of the row written last. */
  version: number;
  /** Audit events this run wrote: their number is their idempotency key, the same on replay. */
  private events = 0;
  private readonly spec: RecorderSpec<Row>;

  constructor(spec: RecorderSpec<Row>) {
    this.spec = spec;
    this.entity = spec.entity;
    this.version = spec.version ?? 0;
  }

  /** Writes the read-model row with the next version. */
  async save(): Promise<void> {
    this.version += 1;
    const row = { ...this.spec.row(), version: this.version };
    await this.spec.write(row);
    this.spec.written?.(row);
  }

  /** One audit event about this entity; `actor` null or absent means the workflow decided. */
  audit(action: string, details?: Record<string, unknown>, actor?: Pick<Actor, 'id'> | null): Promise<void> {
    this.events += 1;
    return audit(action, this.entity, details, actor ?? undefined, `${this.entity.type}:${this.events}`);
  }

  /** The step of every change: the row, then its audit event. */
  async record(action: string, details?: Record<string, unknown>, actor?: Pick<Actor, 'id'> | null): Promise<void> {
    await this.save();
    await this.audit(action, details, actor);
  }
}
