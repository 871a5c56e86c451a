// Placeholder: replaced by the SQLite store implementation.
import type { Store } from '../../core/ports.js';

export function openSqliteStore(_file: string): Promise<Store> {
  return Promise.reject(new Error('sqlite store not implemented yet'));
}
