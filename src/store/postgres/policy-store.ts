/**
 * @module store/postgres/policy-store
 * The PostgreSQL PolicyStore: policies, their versions and their attachments to targets. The port's
 * integrity rules hold across nodes writing at once:
 * - attach takes a transaction-scoped advisory lock on the target before it counts the target's
 *   attachments, so two nodes attaching to one target take turns and cannot pass the limit together
 *   (the count runs after the lock, and READ COMMITTED gives each statement a fresh snapshot);
 * - an attachment never outlives its policy: policy_targets references policies (no cascade), so an
 *   attach racing a delete fails one of the two on the key, and the write batch runs the loser again
 *   alone, which then sees the winner (write-batch.ts);
 * - update and delete are compare-and-sets on generation_id, which PostgreSQL re-checks on the row it locks.
 */
import type { PolicyAttachResult, PolicyStore, PolicyVersionRow } from '../store.js';
import { listPage, listing } from './keyset.js';
import { toPolicy, toVersion, type PolicyRecord, type VersionRecord } from '../records.js';
import type { Reader } from './reader.js';
import { sql, type Sql } from './sql.js';
import type { WriteBatch } from './write-batch.js';


/** First key of topicd's advisory locks on a target's attachments ('tp' 0x0002); the second is a hash of the target. */
const ATTACH_LOCK = 0x74700002;

/** Version ids are decimal strings; ordering them as numbers keeps "10" after "9". */
const VERSION_ORDER = 'version_id::integer';

const versionValues = (v: PolicyVersionRow): Sql => sql`(${v.policyName}, ${v.versionId}, ${v.document}, ${v.creationDate})`;

export function policyStore(read: Reader, batch: WriteBatch): PolicyStore {
  const list = listing<PolicyRecord>('SELECT * FROM policies', '', ['policy_name'], ['string'], 0, (r) => [r.policy_name]);
  const policiesOf = listing<{ policy_name: string }>(
    'SELECT policy_name FROM policy_targets', 'target = $2', ['policy_name'], ['string'], 1, (r) => [r.policy_name]);
  const targetsOf = listing<{ target: string }>(
    'SELECT target FROM policy_targets', 'policy_name = $2', ['target'], ['string'], 1, (r) => [r.target]);
  const changed = (r: { rowCount: number | null }): boolean => r.rowCount !== 0;

  return {
    get: async (policyName) => {
      const record = await read.first<PolicyRecord>('SELECT * FROM policies WHERE policy_name = $1', [policyName]);
      return record && toPolicy(record);
    },
    insert: async (p, first) => batch.write(sql`
      WITH p AS (
        INSERT INTO policies (policy_name, default_version_id, last_version, generation_id, creation_date, last_modified_date)
        VALUES (${p.policyName}, ${p.defaultVersionId}, ${p.lastVersion}, ${p.generationId}, ${p.creationDate}, ${p.lastModifiedDate})
        ON CONFLICT (policy_name) DO NOTHING RETURNING policy_name)
      INSERT INTO policy_versions (policy_name, version_id, document, creation_date)
      SELECT v.* FROM (VALUES ${versionValues(first)}) AS v (policy_name, version_id, document, creation_date) WHERE EXISTS (SELECT 1 FROM p)`,
    changed),
    update: async (p, ifGenerationId, change = {}) => batch.write(sql`
      WITH u AS (
        UPDATE policies SET default_version_id = ${p.defaultVersionId}, last_version = ${p.lastVersion}, generation_id = ${p.generationId},
          creation_date = ${p.creationDate}, last_modified_date = ${p.lastModifiedDate}
        WHERE policy_name = ${p.policyName} AND generation_id = ${ifGenerationId} RETURNING policy_name)
      ${change.remove === undefined ? sql`` : sql`, removed AS (
        DELETE FROM policy_versions WHERE policy_name IN (SELECT policy_name FROM u) AND version_id = ${change.remove})`}
      ${change.add === undefined ? sql`` : sql`, added AS (
        INSERT INTO policy_versions (policy_name, version_id, document, creation_date)
        SELECT v.* FROM (VALUES ${versionValues(change.add)}) AS v (policy_name, version_id, document, creation_date)
        WHERE EXISTS (SELECT 1 FROM u))`}
      SELECT count(*) AS n FROM u`, (r) => Number((r.rows[0] as { n: number } | undefined)?.n ?? 0) > 0),
    // Versions go with the policy (ON DELETE CASCADE).
    delete: async (policyName, ifGenerationId) => batch.write(sql`
      DELETE FROM policies WHERE policy_name = ${policyName} AND generation_id = ${ifGenerationId}
        AND NOT EXISTS (SELECT 1 FROM policy_targets t WHERE t.policy_name = policies.policy_name)`, changed),
    list: (page) => listPage(read, list, page, [], toPolicy),
    getVersion: async (policyName, versionId) => {
      const record = await read.first<VersionRecord>('SELECT * FROM policy_versions WHERE policy_name = $1 AND version_id = $2', [policyName, versionId]);
      return record && toVersion(record);
    },
    versions: async (policyName) =>
      (await read.rows<VersionRecord>(`SELECT * FROM policy_versions WHERE policy_name = $1 ORDER BY ${VERSION_ORDER}`, [policyName])).map(toVersion),
    defaultVersions: async () => (await read.rows<VersionRecord>(`
      SELECT v.* FROM policy_versions v JOIN policies p ON p.policy_name = v.policy_name AND p.default_version_id = v.version_id
      ORDER BY v.policy_name`)).map(toVersion),

    attach: async (policyName, target, limit) => batch.write([
      sql`SELECT pg_advisory_xact_lock(${ATTACH_LOCK}, hashtext(current_schema() || ':' || ${target}))`,
      // The outer SELECT sees the table as it was before the INSERT: 'attached' is told by the CTE.
      sql`
      WITH added AS (
        INSERT INTO policy_targets (policy_name, target)
        SELECT ${policyName}, ${target}
        WHERE EXISTS (SELECT 1 FROM policies WHERE policy_name = ${policyName})
          AND (SELECT count(*) FROM policy_targets WHERE target = ${target}) < ${limit}
        ON CONFLICT DO NOTHING RETURNING 1)
      SELECT CASE
        WHEN EXISTS (SELECT 1 FROM added) THEN 'attached'
        WHEN EXISTS (SELECT 1 FROM policy_targets WHERE policy_name = ${policyName} AND target = ${target}) THEN 'already-attached'
        WHEN NOT EXISTS (SELECT 1 FROM policies WHERE policy_name = ${policyName}) THEN 'no-policy'
        ELSE 'limit' END AS result`,
    ], (r) => (r.rows[0] as { result: PolicyAttachResult }).result),
    detach: async (policyName, target) => batch.write(
      sql`DELETE FROM policy_targets WHERE policy_name = ${policyName} AND target = ${target}`, changed),
    detachAllOfTarget: async (target) => batch.write(sql`DELETE FROM policy_targets WHERE target = ${target} RETURNING policy_name`,
      (r) => (r.rows as Array<{ policy_name: string }>).map((x) => x.policy_name).sort(byBytes)),
    policiesOf: (target, page) => listPage(read, policiesOf, page, [target], (r) => r.policy_name),
    targetsOf: (policyName, page) => listPage(read, targetsOf, page, [policyName], (r) => r.target),
    countPoliciesOf: async (target) =>
      (await read.first<{ n: number }>('SELECT count(*) AS n FROM policy_targets WHERE target = $1', [target]))?.n ?? 0,
    attachments: () => read.rows<{ policyName: string; target: string }>(
      'SELECT policy_name AS "policyName", target FROM policy_targets ORDER BY target, policy_name'),
  };
}

/** The order of COLLATE "C" (bytes of UTF-8), which is code point order, not JS's UTF-16 order. */
function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
