/**
 * Light and dark themes: the system's preference (prefers-color-scheme) until the user picks one
 * with the toggle; the choice is remembered in localStorage. The theme is `data-theme` on <html>,
 * which the stylesheet's colour variables key on.
 */
import { h } from './dom.js';

type Theme = 'light' | 'dark';
const KEY = 'synack-theme';

function stored(): Theme | undefined {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : undefined;
  } catch {
    return undefined;
  }
}

function system(): Theme {
  return window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function currentTheme(): Theme {
  return document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light';
}

function set(t: Theme): void {
  document.documentElement.dataset.theme = t;
  for (const fn of listeners) fn(t);
}

const listeners: ((t: Theme) => void)[] = [];

export function onThemeChange(fn: (t: Theme) => void): void {
  listeners.push(fn);
}

export function initTheme(): void {
  set(stored() ?? system());
  window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
    if (stored() === undefined) set(system());
  });
}

export function themeButton(): HTMLButtonElement {
  const b = h('button', { class: 'btn icon theme-toggle', attrs: { 'aria-label': 'switch between light and dark theme' } });
  const label = (): void => {
    const dark = currentTheme() === 'dark';
    b.textContent = dark ? '☀' : '☾';
    b.title = dark ? 'Light theme' : 'Dark theme';
  };
  b.addEventListener('click', () => {
    const next: Theme = currentTheme() === 'dark' ? 'light' : 'dark';
    try {
      localStorage.setItem(KEY, next);
    } catch {
      // private mode: the choice lasts for this page only
    }
    set(next);
    label();
  });
  label();
  return b;
}
