// Placeholder: replaced by the content-addressed package store.
import type { PackageStore } from '../../core/ports.js';

export function createPackageStore(_dir: string): Promise<PackageStore> {
  return Promise.reject(new Error('package store not implemented yet'));
}
