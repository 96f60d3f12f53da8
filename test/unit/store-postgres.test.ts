/**
 * @module test/unit/store-postgres.test
 * PostgresStore against the Store contract, on the machine's PostgreSQL, in a schema made for this run
 * and dropped after it; each case starts from empty tables. What only PostgreSQL has (migrations in a
 * table, nodes sharing a schema, the server going away) is in store-postgres-cluster.test.ts.
 */
import assert from 'node:assert/strict';
import { after } from 'node:test';
import { PostgresStore, openPostgresStore } from '../../src/store/postgres/postgres-store.js';
import { storeContract } from './store-contract.js';
import { PG_URL, dropSchemas, emptySchema, freshSchema } from './pg-schemas.js';

after(dropSchemas);
const schema = freshSchema();

storeContract('PostgresStore', {
  open: async () => {
    const store = await openPostgresStore({ url: PG_URL, schema, onError: () => undefined });
    await emptySchema(schema);
    return store;
  },
  locate: (store) => {
    assert.ok(store instanceof PostgresStore);
    return `${PG_URL}?schema=${store.schema}`;
  },
  openAt: (url) => openPostgresStore({ url, onError: () => undefined }),
});
