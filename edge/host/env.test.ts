import { describe, expect, it } from 'vitest';
import { generateCredentialsKey } from '../../db/credentials';
import { ConfigError, parseConfig } from './env';

const valid = {
  DATABASE_URL: 'postgres://user:secret@db.example.com/app',
  CREDENTIALS_KEY: generateCredentialsKey(),
  ENVIRONMENT: 'production',
};

function problemsOf(env: Record<string, unknown>): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('Worker configuration', () => {
  it('reads a production configuration with the default pool size', () => {
    expect(parseConfig(valid)).toEqual({
      databaseUrl: valid.DATABASE_URL,
      dbWsProxy: undefined,
      dbPoolMax: 4,
      credentialsKey: valid.CREDENTIALS_KEY,
      production: true,
      allowPrivateUrls: false,
      providerEndpoints: {},
      publicUrl: undefined,
      maxStreamsPerKey: 50,
      webhookDisableAfterHours: 120,
    });
  });

  it('takes the hours after which a failing webhook endpoint is disabled', () => {
    expect(
      parseConfig({ ...valid, WEBHOOK_DISABLE_AFTER_HOURS: '48' }).webhookDisableAfterHours,
    ).toBe(48);
    expect(problemsOf({ ...valid, WEBHOOK_DISABLE_AFTER_HOURS: '-1' })).toEqual([
      'WEBHOOK_DISABLE_AFTER_HOURS must be a positive integer',
    ]);
  });

  it('takes a limit of open streams per key, and refuses one that is not a positive integer', () => {
    expect(parseConfig({ ...valid, MAX_STREAMS_PER_KEY: '7' }).maxStreamsPerKey).toBe(7);
    expect(problemsOf({ ...valid, MAX_STREAMS_PER_KEY: '0' })).toEqual([
      'MAX_STREAMS_PER_KEY must be a positive integer',
    ]);
  });

  it('passes provider endpoints on, over https in production and http only locally', () => {
    expect(
      parseConfig({
        ...valid,
        GRAPH_API_URL: 'https://graph.example.com',
        GRAPH_API_VERSION: 'v99.0',
        PUBLIC_URL: 'https://sendflow.example.com/ignored/path',
      }),
    ).toMatchObject({
      providerEndpoints: { GRAPH_API_URL: 'https://graph.example.com', GRAPH_API_VERSION: 'v99.0' },
      publicUrl: 'https://sendflow.example.com',
    });
    expect(problemsOf({ ...valid, GRAPH_API_URL: 'http://127.0.0.1:9000' })).toEqual([
      'GRAPH_API_URL must be an https:// URL in production',
    ]);
    expect(
      parseConfig({ ...valid, ENVIRONMENT: 'development', TELEGRAM_API_URL: 'http://127.0.0.1:9' })
        .providerEndpoints,
    ).toEqual({ TELEGRAM_API_URL: 'http://127.0.0.1:9' });
    expect(problemsOf({ ...valid, GRAPH_API_URL: 'not a url', PUBLIC_URL: '/relative' })).toEqual([
      'GRAPH_API_URL is not a valid URL',
      'PUBLIC_URL must be an absolute URL such as https://sendflow.example.com',
    ]);
  });

  it('reads the local development settings', () => {
    const config = parseConfig({
      ...valid,
      ENVIRONMENT: 'development',
      DB_WS_PROXY: '127.0.0.1:9000',
      DB_POOL_MAX: '1',
      ALLOW_PRIVATE_URLS: 'true',
    });
    expect(config).toMatchObject({
      production: false,
      dbWsProxy: '127.0.0.1:9000',
      dbPoolMax: 1,
      allowPrivateUrls: true,
    });
  });

  it('names every missing secret at once, with the command that sets it', () => {
    expect(problemsOf({ ENVIRONMENT: 'production' })).toEqual([
      'DATABASE_URL is not set (wrangler secret put DATABASE_URL)',
      'CREDENTIALS_KEY is not set (wrangler secret put CREDENTIALS_KEY)',
    ]);
  });

  it('rejects malformed values', () => {
    expect(
      problemsOf({
        DATABASE_URL: 'mysql://db/app',
        CREDENTIALS_KEY: 'c2hvcnQ=',
        ENVIRONMENT: 'staging',
        DB_POOL_MAX: '0',
      }),
    ).toEqual([
      'DATABASE_URL must be a postgres:// or postgresql:// URL',
      'CREDENTIALS_KEY must be 32 bytes, base64-encoded',
      'DB_POOL_MAX must be a positive integer',
      'ENVIRONMENT must be one of production, development',
    ]);
  });

  it('refuses dispatch shards numbered with a gap, which would leave a queue unused', () => {
    const queue = {};
    expect(problemsOf({ ...valid, DISPATCH_QUEUE: queue, DISPATCH_QUEUE_1: queue })).toEqual([]);
    expect(
      problemsOf({
        ...valid,
        DISPATCH_QUEUE: queue,
        DISPATCH_QUEUE_1: queue,
        DISPATCH_QUEUE_3: queue,
      }),
    ).toEqual([
      'DISPATCH_QUEUE_3 is bound but DISPATCH_QUEUE_2 is not: dispatch shards are numbered from DISPATCH_QUEUE (shard 0) without gaps',
    ]);
    expect(problemsOf({ ...valid, DISPATCH_QUEUE_1: queue })).toEqual([
      'DISPATCH_QUEUE_1 is bound but DISPATCH_QUEUE is not: dispatch shards are numbered from DISPATCH_QUEUE (shard 0) without gaps',
    ]);
  });

  it('refuses local-only settings in production', () => {
    expect(
      problemsOf({ ...valid, DB_WS_PROXY: '127.0.0.1:9000', ALLOW_PRIVATE_URLS: 'true' }),
    ).toEqual([
      'DB_WS_PROXY is for local development; unset it in production',
      'ALLOW_PRIVATE_URLS=true is refused in production',
    ]);
  });
});
