import type { ExportScope } from './exports.schema.ts';

/**
 * Where an export's archive lives in the exports bucket: `users/<userId>/<jobId>.tar.gz` or
 * `tenants/<tenantId>/<jobId>.tar.gz`. The erasure of a user or tenant deletes everything under
 * `users/<userId>/` or `tenants/<tenantId>/` (chunks included), so keep every object of a job there.
 */
export function exportArchiveKey(scope: ExportScope, subjectId: string, jobId: string): string {
  return `${scope === 'user' ? 'users' : 'tenants'}/${subjectId}/${jobId}.tar.gz`;
}

/** The object one invocation of the worker writes: a gzip member of tar entries, joined at the end. */
export function exportChunkKey(
  scope: ExportScope,
  subjectId: string,
  jobId: string,
  chunk: number,
  attempt: string,
): string {
  return `${scope === 'user' ? 'users' : 'tenants'}/${subjectId}/${jobId}.chunk-${String(chunk).padStart(5, '0')}-${attempt}.gz`;
}
