/** Loads the openssl-made fixtures (see fixtures/make-fixtures.sh). */

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execFileSync } from 'node:child_process';

// Next to this module; from the package root when bundled elsewhere (tools/run-ts.mjs).
const DIR = existsSync(new URL('./fixtures/', import.meta.url))
  ? new URL('./fixtures/', import.meta.url)
  : pathToFileURL(`${resolve('test/quic/tls/x509/fixtures')}/`);

export function fixtureText(name: string): string {
  return readFileSync(new URL(name, DIR), 'utf8');
}

export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(name, DIR)));
}

/** The DER of the first block of a PEM fixture, decoded by node (not by our pem.ts). */
export function fixtureDer(name: string): Uint8Array {
  const text = fixtureText(name);
  const body = text.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(body, 'base64'));
}

export const CERT_FIXTURES = [
  'cn-only.pem', 'critical-ext.pem', 'deep-leaf.pem', 'ec-int.pem', 'ec-int2.pem', 'ec-leaf.pem', 'ec-root.pem',
  'ed25519.pem', 'expired.pem', 'not-yet-valid.pem', 'other-host.pem', 'p384.pem', 'rsa-pss-signed.pem',
  'rsa-signed.pem', 'rsa2048.pem', 'signed-by-leaf.pem', 'wildcard.pem',
];

/** A time inside every fixture's validity period except expired.pem and not-yet-valid.pem. */
export const FIXTURE_NOW = new Date('2026-06-01T00:00:00Z');

let opensslChecked: boolean | undefined;
/** Whether the openssl CLI is installed (tests that use it skip otherwise). */
export function hasOpenssl(): boolean {
  if (opensslChecked === undefined) {
    try {
      execFileSync('openssl', ['version'], { stdio: 'pipe' });
      opensslChecked = true;
    } catch {
      opensslChecked = false;
    }
  }
  return opensslChecked;
}

