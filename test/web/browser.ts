/**
 * The browser harness of the UI tests: builds the page once with Vite (into test/out/web-build/PID),
 * serves it with `synack ui`'s own server (src/cli/ui.ts), and drives Debian's chromium through
 * playwright-core (no browser download). Screenshots go to test/out/screenshots/.
 *
 * Invariant: every browser and server started here is closed by `close()`; each browser gets a
 * fresh profile directory, removed afterwards.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startUiServer, type UiServer } from '../../src/cli/ui.js';

export const CHROMIUM = process.env.SYNACK_CHROMIUM ?? '/usr/bin/chromium';
export const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** Per process: node --test runs test files in parallel, and each builds the page once. */
export const BUILD = join(REPO, 'test/out/web-build', String(process.pid));
export const SHOTS = join(REPO, 'test/out/screenshots');

/** Why the browser tests cannot run here, or undefined when they can. */
export function skipReason(): string | undefined {
  if (!existsSync(CHROMIUM)) return `no chromium at ${CHROMIUM} (apt install chromium)`;
  return undefined;
}

let built: Promise<void> | undefined;

/** Build the page once per test process. */
export function buildPage(): Promise<void> {
  built ??= (async () => {
    process.once('exit', () => rmSync(BUILD, { recursive: true, force: true }));
    const { build } = await import('vite');
    await build({ configFile: join(REPO, 'vite.config.ts'), logLevel: 'error', build: { outDir: BUILD, emptyOutDir: true } });
  })();
  return built;
}

export interface Session {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly server: UiServer;
  /** Console errors and page errors seen so far (a test asserts there are none). */
  readonly errors: string[];
  close(): Promise<void>;
}

export interface SessionOptions {
  /** A capture for the server to open (as `synack ui FILE`). */
  readonly file?: string;
  readonly colorScheme?: 'light' | 'dark';
  readonly width?: number;
  readonly height?: number;
}

export async function open(o: SessionOptions = {}): Promise<Session> {
  await buildPage();
  const server = await startUiServer({ root: BUILD, ...(o.file !== undefined ? { file: o.file } : {}) });
  const profile = mkdtempSync(join(tmpdir(), 'sk-ui-chromium-'));
  let context: BrowserContext | undefined;
  try {
    // A persistent context is how playwright takes a fresh --user-data-dir.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: o.width ?? 1280, height: o.height ?? 720 },
      colorScheme: o.colorScheme ?? 'light',
      deviceScaleFactor: 1,
      acceptDownloads: true,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    await page.goto(server.url);
    const c = context;
    return {
      context: c,
      page,
      server,
      errors,
      close: async () => {
        await c.close();
        await server.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await context?.close();
    await server.close();
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true });
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}
