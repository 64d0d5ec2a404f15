import { expect, test } from 'vitest';
import { passThroughVariables, readProviderEndpoints } from './provider-endpoints';

test('npm start passes provider endpoints and PUBLIC_URL through, and nothing else', () => {
  expect(
    passThroughVariables({
      GRAPH_API_URL: 'http://127.0.0.1:9000',
      GRAPH_API_VERSION: 'v26.0',
      TELEGRAM_API_URL: 'http://127.0.0.1:9001',
      PUBLIC_URL: 'https://tunnel.example.com',
      DATABASE_URL: 'postgres://secret@db/app',
      CREDENTIALS_KEY: 'secret',
      EMPTY_API_URL: '',
      PATH: '/usr/bin',
    }),
  ).toEqual({
    GRAPH_API_URL: 'http://127.0.0.1:9000',
    GRAPH_API_VERSION: 'v26.0',
    TELEGRAM_API_URL: 'http://127.0.0.1:9001',
    PUBLIC_URL: 'https://tunnel.example.com',
  });
});

test('the Worker reads every <NAME>_API_URL and _VERSION, plain HTTP only outside production', () => {
  const env = { GRAPH_API_URL: 'http://127.0.0.1:9000', GRAPH_API_VERSION: 'v26.0', OTHER: 'x' };
  expect(readProviderEndpoints(env, false)).toEqual({
    endpoints: { GRAPH_API_URL: 'http://127.0.0.1:9000', GRAPH_API_VERSION: 'v26.0' },
    problems: [],
  });
  expect(readProviderEndpoints(env, true).problems).toEqual([
    'GRAPH_API_URL must be an https:// URL in production',
  ]);
  expect(readProviderEndpoints({ GRAPH_API_URL: 'ftp://x' }, false).problems).toEqual([
    'GRAPH_API_URL must be an https:// URL',
  ]);
});
