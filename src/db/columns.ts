import { Column, PrimaryGeneratedColumn } from 'typeorm';

// tsx (esbuild) emits no decorator metadata, so every column names its type explicitly.
export const IdColumn = () => PrimaryGeneratedColumn('increment', { type: 'integer' });
export const IntColumn = (opts: { nullable?: boolean; name?: string } = {}) => Column({ type: 'integer', ...opts });
export const TextColumn = (length: number, opts: { nullable?: boolean; name?: string; unique?: boolean } = {}) =>
  Column({ type: 'varchar', length, ...opts });
/** UTC instants with millisecond precision on both databases. */
export const DateColumn = (opts: { nullable?: boolean; name?: string } = {}) =>
  Column({ type: 'datetime', precision: 3, ...opts });
