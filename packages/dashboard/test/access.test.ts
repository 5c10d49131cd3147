/**
 * Who may reach the dashboard: 127.0.0.1 by default; another bind address
 * only with a token, which every request then carries; without a token, only
 * requests naming this machine in their Host header (no DNS rebinding).
 */
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '@osfp/test-support';
import { checkBinding, DashboardInputError, isLoopback, startDashboard } from '../src/index.ts';

/** A raw request, so the Host header and cookies are exactly what the test says. */
function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      res.resume();
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('dashboard access', () => {
  it('binds beyond loopback only with a long enough token', () => {
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('127.8.0.2')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('localhost')).toBe(true);
    expect(isLoopback('0.0.0.0')).toBe(false);
    expect(isLoopback('198.18.0.1')).toBe(false);
    expect(() => checkBinding('0.0.0.0', undefined)).toThrow(DashboardInputError);
    expect(() => checkBinding('0.0.0.0', undefined)).toThrow(/--token/);
    expect(() => checkBinding('0.0.0.0', 'short')).toThrow(/too short/);
    expect(() => checkBinding('0.0.0.0', 'a-long-enough-token-1234')).not.toThrow();
    expect(() => checkBinding('127.0.0.1', undefined)).not.toThrow();
  });

  it('answers a loopback Host only, when it has no token', async () => {
    const dataDir = await scratchDir('osfp-ui-access-');
    const dashboard = await startDashboard({ dataDir, port: 0 });
    try {
      const { port } = dashboard;
      expect((await get(port, '/api/overview', { host: `127.0.0.1:${port}` })).status).toBe(200);
      expect((await get(port, '/api/overview', { host: `localhost:${port}` })).status).toBe(200);
      expect((await get(port, '/api/overview', { host: `attacker.example:${port}` })).status).toBe(403);
      expect((await get(port, '/api/runs', { host: `127.0.0.1:${port}` })).status).toBe(200);
    } finally {
      await dashboard.close();
    }
  });

  it('with a token, refuses requests without it and moves a ?token to a cookie', async () => {
    const dataDir = await scratchDir('osfp-ui-access-');
    const token = 'b7e1c0ffee-0123456789';
    const dashboard = await startDashboard({ dataDir, port: 0, token });
    try {
      const { port } = dashboard;
      expect((await get(port, '/api/overview')).status).toBe(401);
      expect((await get(port, '/api/overview', { authorization: 'Bearer wrong-token-0123456789' })).status).toBe(401);
      expect((await get(port, '/api/overview', { authorization: `Bearer ${token}` })).status).toBe(200);
      const first = await get(port, `/?token=${token}`);
      expect(first.status).toBe(302);
      expect(first.headers['location']).toBe('/');
      const cookie = String(first.headers['set-cookie']).split(';')[0]!;
      expect(String(first.headers['set-cookie'])).toMatch(/HttpOnly/i);
      expect((await get(port, '/api/overview', { cookie })).status).toBe(200);
      expect((await get(port, '/queues/api/queues', { cookie })).status).toBe(200);
    } finally {
      await dashboard.close();
    }
  });

  it('refuses a data directory that is missing or not a directory, and a port in use', async () => {
    const dir = await scratchDir('osfp-ui-access-');
    await expect(startDashboard({ dataDir: join(dir, 'missing'), port: 0 })).rejects.toThrow(/does not exist/);
    const first = await startDashboard({ dataDir: dir, port: 0 });
    try {
      await expect(startDashboard({ dataDir: dir, port: first.port })).rejects.toThrow(/in use: give another --port/);
    } finally {
      await first.close();
    }
  });
});
