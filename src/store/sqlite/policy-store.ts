/**
 * @module store/sqlite/policy-store
 * The SQLite PolicyStore: policies, their versions and their attachments to targets (migration 4).
 * The port's integrity rules are single statements or one transaction here, so they hold against
 * concurrent writers on the same file: attach inserts only while the policy exists and the target is
 * under its limit; delete removes only an unattached policy at the expected generation.
 */
import type { Database as Db } from 'better-sqlite3';
import type { PolicyAttachResult, PolicyRow, PolicyStore, PolicyVersionRow } from '../store.js';
import { toPolicy, toVersion, type PolicyRecord, type VersionRecord } from '../records.js';
import { checkLimit, decodeToken, pickKeyset, prepareKeyset, toPage } from './keyset.js';


const policyParams = (p: PolicyRow): Record<string, unknown> => ({
  policyName: p.policyName,
  defaultVersionId: p.defaultVersionId,
  lastVersion: p.lastVersion,
  generationId: p.generationId,
  creationDate: p.creationDate,
  lastModifiedDate: p.lastModifiedDate,
});

const versionParams = (v: PolicyVersionRow): Record<string, unknown> => ({
  policyName: v.policyName, versionId: v.versionId, document: v.document, creationDate: v.creationDate,
});

/** Version ids are decimal strings; ordering them as numbers keeps "10" after "9". */
const VERSION_ORDER = 'CAST(version_id AS INTEGER)';

export function policyStore(db: Db): PolicyStore {
  const get = db.prepare<[string], PolicyRecord>('SELECT * FROM policies WHERE policy_name = ?');
  const insertPolicy = db.prepare<[Record<string, unknown>]>(`
    INSERT INTO policies (policy_name, default_version_id, last_version, generation_id, creation_date, last_modified_date)
    VALUES (@policyName, @defaultVersionId, @lastVersion, @generationId, @creationDate, @lastModifiedDate)
    ON CONFLICT (policy_name) DO NOTHING`);
  const insertVersion = db.prepare<[Record<string, unknown>]>(`
    INSERT INTO policy_versions (policy_name, version_id, document, creation_date)
    VALUES (@policyName, @versionId, @document, @creationDate)`);
  const updatePolicy = db.prepare<[Record<string, unknown>]>(`
    UPDATE policies SET default_version_id = @defaultVersionId, last_version = @lastVersion, generation_id = @generationId,
      creation_date = @creationDate, last_modified_date = @lastModifiedDate
    WHERE policy_name = @policyName AND generation_id = @ifGenerationId`);
  const deleteVersion = db.prepare<[string, string]>('DELETE FROM policy_versions WHERE policy_name = ? AND version_id = ?');
  const deletePolicy = db.prepare<[string, string]>(`
    DELETE FROM policies WHERE policy_name = ? AND generation_id = ?
      AND NOT EXISTS (SELECT 1 FROM policy_targets t WHERE t.policy_name = policies.policy_name)`);
  const list = prepareKeyset<{ limit: number; after: string | null }, PolicyRecord>(db, 'SELECT * FROM policies', '', 'policy_name', '@after');
  const getVersion = db.prepare<[string, string], VersionRecord>('SELECT * FROM policy_versions WHERE policy_name = ? AND version_id = ?');
  const versions = db.prepare<[string], VersionRecord>(`SELECT * FROM policy_versions WHERE policy_name = ? ORDER BY ${VERSION_ORDER}`);
  const defaults = db.prepare<[], VersionRecord>(`
    SELECT v.* FROM policy_versions v JOIN policies p ON p.policy_name = v.policy_name AND p.default_version_id = v.version_id
    ORDER BY v.policy_name`);

  const attach = db.prepare<[{ policyName: string; target: string; limit: number }]>(`
    INSERT INTO policy_targets (policy_name, target)
    SELECT @policyName, @target
    WHERE EXISTS (SELECT 1 FROM policies WHERE policy_name = @policyName)
      AND (SELECT count(*) FROM policy_targets WHERE target = @target) < @limit
    ON CONFLICT DO NOTHING`);
  const isAttached = db.prepare<[string, string], { n: number }>('SELECT 1 AS n FROM policy_targets WHERE policy_name = ? AND target = ?');
  const detach = db.prepare<[string, string]>('DELETE FROM policy_targets WHERE policy_name = ? AND target = ?');
  const policiesOfAll = db.prepare<[string], { policy_name: string }>('SELECT policy_name FROM policy_targets WHERE target = ? ORDER BY policy_name');
  const detachAll = db.prepare<[string]>('DELETE FROM policy_targets WHERE target = ?');
  const count = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM policy_targets WHERE target = ?');
  const allAttachments = db.prepare<[], { policyName: string; target: string }>(
    'SELECT policy_name AS policyName, target FROM policy_targets ORDER BY target, policy_name');
  type Params = { limit: number; owner: string; after: string | null };
  const policiesOf = prepareKeyset<Params, { policy_name: string }>(
    db, 'SELECT policy_name FROM policy_targets', 'target = @owner', 'policy_name', '@after');
  const targetsOf = prepareKeyset<Params, { target: string }>(
    db, 'SELECT target FROM policy_targets', 'policy_name = @owner', 'target', '@after');
  const afterOf = (after: string | undefined): string | null =>
    after === undefined ? null : decodeToken(after, ['string'])[0] as string;

  const insertTx = db.transaction((policy: PolicyRow, first: PolicyVersionRow): boolean => {
    if (insertPolicy.run(policyParams(policy)).changes === 0) return false;
    insertVersion.run(versionParams(first));
    return true;
  });
  const updateTx = db.transaction((policy: PolicyRow, ifGenerationId: string, change: { add?: PolicyVersionRow; remove?: string }): boolean => {
    if (updatePolicy.run({ ...policyParams(policy), ifGenerationId }).changes === 0) return false;
    if (change.remove !== undefined) deleteVersion.run(policy.policyName, change.remove);
    if (change.add !== undefined) insertVersion.run(versionParams(change.add));
    return true;
  });
  const attachTx = db.transaction((policyName: string, target: string, limit: number): PolicyAttachResult => {
    if (attach.run({ policyName, target, limit }).changes > 0) return 'attached';
    if (isAttached.get(policyName, target)) return 'already-attached';
    if (!get.get(policyName)) return 'no-policy';
    return 'limit';
  });
  const detachAllTx = db.transaction((target: string): string[] => {
    const names = policiesOfAll.all(target).map((r) => r.policy_name);
    detachAll.run(target);
    return names;
  });

  return {
    get: async (policyName) => {
      const record = get.get(policyName);
      return record && toPolicy(record);
    },
    insert: async (policy, first) => insertTx.immediate(policy, first),
    update: async (policy, ifGenerationId, change = {}) => updateTx.immediate(policy, ifGenerationId, change),
    // Versions go with the policy (ON DELETE CASCADE).
    delete: async (policyName, ifGenerationId) => deletePolicy.run(policyName, ifGenerationId).changes > 0,
    list: async (page) => {
      const limit = checkLimit(page.limit);
      const records = pickKeyset(list, page).all({ limit: limit + 1, after: afterOf(page.after) });
      return toPage(records, limit, toPolicy, (r) => [r.policy_name]);
    },
    getVersion: async (policyName, versionId) => {
      const record = getVersion.get(policyName, versionId);
      return record && toVersion(record);
    },
    versions: async (policyName) => versions.all(policyName).map(toVersion),
    defaultVersions: async () => defaults.all().map(toVersion),

    attach: async (policyName, target, limit) => attachTx.immediate(policyName, target, limit),
    detach: async (policyName, target) => detach.run(policyName, target).changes > 0,
    detachAllOfTarget: async (target) => detachAllTx.immediate(target),
    policiesOf: async (target, page) => {
      const limit = checkLimit(page.limit);
      const records = pickKeyset(policiesOf, page).all({ limit: limit + 1, owner: target, after: afterOf(page.after) });
      return toPage(records, limit, (r) => r.policy_name, (r) => [r.policy_name]);
    },
    targetsOf: async (policyName, page) => {
      const limit = checkLimit(page.limit);
      const records = pickKeyset(targetsOf, page).all({ limit: limit + 1, owner: policyName, after: afterOf(page.after) });
      return toPage(records, limit, (r) => r.target, (r) => [r.target]);
    },
    countPoliciesOf: async (target) => count.get(target)?.n ?? 0,
    attachments: async () => allAttachments.all(),
  };
}
