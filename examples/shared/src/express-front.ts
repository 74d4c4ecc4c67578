// What the Express-based examples (Express, Passport) put in front of their routes.
import type { Express, Request } from 'express';
import express from 'express';
import session from 'express-session';
import { prefersHtml } from '@session-policy/core/http';
import { loginPage } from './pages.js';
import { CROSS_SITE_ANSWER, isCrossSite } from './same-origin.js';

/** Whether the request would rather have a page than JSON. */
export const prefersPage = (req: Request): boolean => prefersHtml(req.headers.accept, req.headers['content-type']);

/** Options of {@link useExpressFront}. */
export interface ExpressFrontOptions {
  /** express itself (the Express example can be handed another build of it). */
  readonly framework?: typeof express;
  /** express-session's signing secret. */
  readonly secret: string;
  /** The policy's idle timeout: the cookie lives that long, renewed by every response. */
  readonly idleTimeout: number;
  /** express-session's store. */
  readonly store: session.Store;
}

/**
 * Installs, in this order: the cross-site refusal (CSRF, defense in depth beside
 * `SameSite=Lax`: a state-changing request from another site gets 403), the form and JSON
 * body parsers (16 kB at most), and express-session with a rolling `sid` cookie.
 */
export function useExpressFront(app: Express, options: ExpressFrontOptions): void {
  const framework = options.framework ?? express;
  app.use((req, res, next) => {
    const secFetchSite = req.headers['sec-fetch-site'];
    const crossSite = isCrossSite({
      method: req.method,
      host: req.headers.host,
      origin: req.headers.origin,
      secFetchSite: typeof secFetchSite === 'string' ? secFetchSite : undefined,
    });
    if (!crossSite) return next();
    res.status(403);
    if (prefersPage(req)) res.type('html').send(loginPage({ error: 'This request came from another site and was refused.' }));
    else res.json(CROSS_SITE_ANSWER);
  });
  app.use(framework.urlencoded({ extended: false, limit: '16kb' }));
  app.use(framework.json({ limit: '16kb' }));
  app.use(
    session({
      name: 'sid',
      secret: options.secret,
      resave: false,
      saveUninitialized: false,
      rolling: true,
      cookie: { httpOnly: true, sameSite: 'lax', maxAge: options.idleTimeout },
      store: options.store,
    }),
  );
}
