/**
 * Throwaway Postgres databases for tests. `CAIRN_TEST_POSTGRES_URL` names a server and a database
 * to administer it from (scripts/services.sh starts one); each test file creates a uniquely named
 * database there, hands out a fresh schema in it per test, and drops the database at the end.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const POSTGRES_TEST_ENV = 'CAIRN_TEST_POSTGRES_URL';

/** Why Postgres tests do not run here, or undefined when they do. */
export function postgresSkipReason(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env[POSTGRES_TEST_ENV]
    ? undefined
    : `${POSTGRES_TEST_ENV} is not set, so the Postgres tests are skipped. Start a server with ` +
        '`scripts/services.sh start /tmp/cairn-services` and run `. /tmp/cairn-services/env.sh` first (CI sets it).';
}

export class TestDatabase {
  /** The URL of the whole database (its public schema). */
  readonly url: string;
  readonly name: string;
  readonly #adminUrl: string;
  #schemas = 0;

  private constructor(adminUrl: string, name: string) {
    this.#adminUrl = adminUrl;
    this.name = name;
    const u = new URL(adminUrl);
    u.pathname = `/${name}`;
    this.url = u.toString();
  }

  /** Creates a database named `cairn_test_<prefix>_<random>` on the server of `adminUrl`. */
  static async create(adminUrl: string, prefix: string): Promise<TestDatabase> {
    const db = new TestDatabase(adminUrl, `cairn_test_${prefix}_${randomBytes(4).toString('hex')}`);
    await db.#admin(`CREATE DATABASE ${pg.escapeIdentifier(db.name)}`);
    return db;
  }

  /** A new, empty schema in this database, and the URL that makes it the connection's only schema. */
  async freshSchema(): Promise<{ schema: string; url: string }> {
    const schema = `t${++this.#schemas}`;
    await this.query(`CREATE SCHEMA ${pg.escapeIdentifier(schema)}`);
    const u = new URL(this.url);
    u.searchParams.set('options', `-c search_path=${schema}`);
    return { schema, url: u.toString() };
  }

  async dropSchema(schema: string): Promise<void> {
    await this.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
  }

  /** One statement on a short-lived connection to this database (or to `url`, e.g. a schema's). */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = [], url = this.url): Promise<R[]> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<R>(text, values)).rows;
    } finally {
      await client.end();
    }
  }

  /** Drops the database, closing any connection a test left open. */
  async drop(): Promise<void> {
    await this.#admin(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(this.name)} WITH (FORCE)`);
  }

  async #admin(text: string): Promise<void> {
    const client = new pg.Client({ connectionString: this.#adminUrl });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  }
}
