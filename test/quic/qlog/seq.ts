/** JSON-SEQ helpers for the qlog tests. */
import { expect } from 'vitest';

export interface ParsedRecord {
  [key: string]: unknown;
}

/**
 * Splits a JSON-SEQ text into records, checking RFC 7464 framing strictly: the text starts with
 * RS, every record ends with LF right before the next RS (or the end), no RS or LF inside a
 * record, and every record parses as a JSON object.
 */
export function parseSeq(text: string): ParsedRecord[] {
  expect(text.length).toBeGreaterThan(0);
  expect(text[0]).toBe('\x1e');
  const parts = text.split('\x1e');
  expect(parts[0]).toBe('');
  return parts.slice(1).map((part) => {
    expect(part.endsWith('\n')).toBe(true);
    const body = part.slice(0, -1);
    expect(body.includes('\n')).toBe(false);
    const value: unknown = JSON.parse(body);
    expect(typeof value).toBe('object');
    expect(value).not.toBeNull();
    expect(Array.isArray(value)).toBe(false);
    return value as ParsedRecord;
  });
}

/** A sink that keeps every chunk. */
export function memorySink(): { chunks: string[]; sink: (chunk: string) => void; text: () => string } {
  const chunks: string[] = [];
  return { chunks, sink: (c) => { chunks.push(c); }, text: () => chunks.join('') };
}
