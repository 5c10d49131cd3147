import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { UserError } from '@osfp/dataset';

/** A bind address or option the user can fix: printed without a stack by the CLI. */
export class DashboardInputError extends UserError {}

const TOKEN_COOKIE = 'osfp_ui_token';
/** A guessable token is no protection for a dashboard on the network. */
export const MIN_TOKEN_LENGTH = 16;

/** 127.0.0.0/8, ::1 and localhost: only this machine can connect. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

/**
 * The bind rule: 127.0.0.1 by default; any other address only with a token,
 * because the dashboard shows every run, dataset and queue of the data
 * directory and its Redis to whoever reaches it.
 */
export function checkBinding(host: string, token: string | undefined): void {
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH) {
    throw new DashboardInputError(
      `--token is too short (${token.length} characters): use at least ${MIN_TOKEN_LENGTH}, e.g. $(openssl rand -hex 16)`,
    );
  }
  if (!isLoopback(host) && token === undefined) {
    throw new DashboardInputError(
      `--host ${host} would serve the dashboard beyond this machine: give --token T (or OSFP_UI_TOKEN) too, ` +
        'or keep the default 127.0.0.1',
    );
  }
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Every request passes three gates:
 * - read-only: GET and HEAD only (the dashboard never changes a dataset, a run or a queue);
 * - without a token, the Host header must name this machine (a web page elsewhere
 *   cannot reach a loopback dashboard through DNS rebinding);
 * - with a token, the request carries it: `Authorization: Bearer T`, the cookie
 *   set by opening any page once with `?token=T`, or that query parameter.
 */
export function accessGuard(options: { token: string | undefined; port: () => number }): MiddlewareHandler {
  const { token } = options;
  return async (c, next) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      c.header('Allow', 'GET, HEAD');
      return c.text('osfp ui is read-only: only GET and HEAD are served\n', 405);
    }
    if (token === undefined) {
      const host = (c.req.header('host') ?? '').toLowerCase();
      const allowed = ['127.0.0.1', 'localhost', '[::1]'].map((h) => `${h}:${options.port()}`);
      if (!allowed.includes(host)) return c.text(`osfp ui answers only to ${allowed.join(', ')}\n`, 403);
      return next();
    }
    const bearer = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1];
    const fromQuery = c.req.query('token');
    const presented = bearer ?? fromQuery ?? getCookie(c, TOKEN_COOKIE);
    if (presented === undefined || !same(presented, token)) {
      return c.text('osfp ui: a token is required (open the address printed by `osfp ui`, with ?token=...)\n', 401);
    }
    if (fromQuery !== undefined) {
      // Once: the token moves to a cookie and out of the address bar (and its history).
      setCookie(c, TOKEN_COOKIE, token, { httpOnly: true, sameSite: 'Strict', path: '/' });
      const url = new URL(c.req.url);
      url.searchParams.delete('token');
      return c.redirect(`${url.pathname}${url.search}`, 302);
    }
    return next();
  };
}
