#!/usr/bin/env node
// After the build: make the package's bin entries executable (tsc writes files 0644), so that
// `npx synack` works in a checkout after `npm install`.
import { chmodSync, readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
for (const file of Object.values(pkg.bin ?? {})) chmodSync(new URL(`../${file}`, import.meta.url), 0o755);
