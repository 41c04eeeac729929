import { describe, expect, it } from 'vitest';
import { ProtoopError, ProtoopTable, type Hook } from '../../../src/quic/protoop/table.js';
import { CORE_PROTOOPS, NO_PARAM, PARAMETRABLE } from '../../../src/quic/protoop/names.js';

interface Slots {
  update_rtt(a: number, b: number): number;
  is_ack_needed(): boolean;
}

const hook = (owner: string, fn: Hook['fn']): Hook => ({ owner, fn });

describe('ProtoopTable', () => {
  it('calls the core itself when nothing is attached', () => {
    const t = new ProtoopTable<Slots>();
    const core = (a: number, b: number) => a + b;
    t.define('update_rtt', core);
    expect(t.slots.update_rtt).toBe(core);
    expect(t.slots.update_rtt(2, 3)).toBe(5);
    expect(t.run('update_rtt', NO_PARAM, 4, 5)).toBe(9);
  });

  it('runs pre observers, the replace and post observers in order, newest observer first', () => {
    const t = new ProtoopTable<Slots>();
    const log: string[] = [];
    t.define('update_rtt', (a: number, b: number) => {
      log.push('core');
      return a + b;
    });
    t.attach('update_rtt', NO_PARAM, 'pre', hook('p1', () => void log.push('pre1')));
    t.attach('update_rtt', NO_PARAM, 'pre', hook('p2', () => void log.push('pre2')));
    t.attach('update_rtt', NO_PARAM, 'post', hook('p1', (c) => void log.push(`post1:${c.result}`)));
    t.attach('update_rtt', NO_PARAM, 'post', hook('p2', (c) => void log.push(`post2:${c.result}`)));
    expect(t.slots.update_rtt(1, 2)).toBe(3);
    expect(log).toEqual(['pre2', 'pre1', 'core', 'post2:3', 'post1:3']);
  });

  it('lets a replace provide the result and observers see the arguments', () => {
    const t = new ProtoopTable<Slots>();
    t.define('update_rtt', (a: number, b: number) => a + b);
    const seen: unknown[][] = [];
    t.attach('update_rtt', NO_PARAM, 'pre', hook('obs', (c) => void seen.push([...c.args])));
    const detach = t.attach('update_rtt', NO_PARAM, 'replace', hook('rep', (c) => (c.args[0] as number) * (c.args[1] as number)));
    expect(t.slots.update_rtt(3, 4)).toBe(12);
    expect(seen).toEqual([[3, 4]]);
    detach();
    expect(t.slots.update_rtt(3, 4)).toBe(7);
  });

  it('makes replace exclusive', () => {
    const t = new ProtoopTable<Slots>();
    t.define('update_rtt', () => 0);
    t.attach('update_rtt', NO_PARAM, 'replace', hook('a', () => 1));
    expect(() => t.attach('update_rtt', NO_PARAM, 'replace', hook('b', () => 2))).toThrow(/already replaced by a/);
  });

  it('restores the bare core after every hook is detached', () => {
    const t = new ProtoopTable<Slots>();
    const core = () => true;
    t.define('is_ack_needed', core);
    const d1 = t.attach('is_ack_needed', NO_PARAM, 'pre', hook('a', () => 0));
    t.attach('is_ack_needed', NO_PARAM, 'post', hook('b', () => 0));
    expect(t.slots.is_ack_needed).not.toBe(core);
    d1();
    t.detachOwner('b');
    expect(t.slots.is_ack_needed).toBe(core);
  });

  it('falls back to the NO_PARAM entry for unknown params', () => {
    const t = new ProtoopTable();
    t.define('parse_frame', (x: string) => `default ${x}`);
    t.define('parse_frame', (x: string) => `ack ${x}`, 0x02);
    expect(t.param('parse_frame', 0x02)!('f')).toBe('ack f');
    expect(t.param('parse_frame', 0x42)!('f')).toBe('default f');
    t.attach('parse_frame', 0x42, 'replace', hook('dg', () => 'plugin frame'));
    expect(t.param('parse_frame', 0x42)!('f')).toBe('plugin frame');
    expect(t.param('parse_frame', 0x43)!('f')).toBe('default f');
  });

  it('keeps paramOp resolvers current as hooks come and go', () => {
    const t = new ProtoopTable();
    const op = t.paramOp('process_frame');
    expect(op.fn(0x30)).toBeUndefined();
    t.define('process_frame', () => 'default');
    expect(op.fn(0x30)!()).toBe('default');
    const detach = t.attach('process_frame', 0x30, 'replace', hook('dg', () => 'datagram'));
    expect(op.fn(0x30)!()).toBe('datagram');
    expect(op.fn(0x31)!()).toBe('default');
    expect(op.fn(0x1234)!()).toBe('default');
    detach();
    expect(op.fn(0x30)!()).toBe('default');
    // an observer on a param without its own core observes the default implementation
    const seen: unknown[] = [];
    t.attach('process_frame', 0x08, 'post', hook('qlog', (c) => void seen.push(c.result)));
    expect(op.fn(0x08)!()).toBe('default');
    expect(seen).toEqual(['default']);
  });

  it('detects re-entry into a hooked operation instead of looping', () => {
    const t = new ProtoopTable<Slots>();
    t.define('update_rtt', () => 0);
    t.attach('update_rtt', NO_PARAM, 'replace', hook('loop', () => t.slots.update_rtt(0, 0)));
    expect(() => t.slots.update_rtt(0, 0)).toThrow(ProtoopError);
    expect(() => t.slots.update_rtt(0, 0)).toThrow(/re-entered while running/);
    // the running flag was cleared: a second call fails the same way instead of hanging or passing
    expect(() => t.slots.update_rtt(0, 0)).toThrow(/re-entered/);
  });

  it('lets plugins define new operations and extern ones only the application can call', () => {
    const t = new ProtoopTable();
    t.attach('send_message', NO_PARAM, 'extern', hook('datagram', (c) => `sent ${c.args[0]}`));
    expect(t.runExternal('send_message', NO_PARAM, 'hi')).toBe('sent hi');
    expect(() => t.run('send_message', NO_PARAM, 'hi')).toThrow(/extern/);
    expect(() => t.attach('send_message', NO_PARAM, 'pre', hook('x', () => 0))).toThrow(/cannot be observed/);
    t.define('update_rtt', () => 0);
    expect(() => t.attach('update_rtt', NO_PARAM, 'extern', hook('x', () => 0))).toThrow(/cannot be extern/);
    t.attach('fec_protect_source_symbol', NO_PARAM, 'replace', hook('fec', () => 7));
    expect(t.run('fec_protect_source_symbol', NO_PARAM)).toBe(7);
  });

  it('reports an operation without implementation', () => {
    const t = new ProtoopTable();
    t.attach('log_frame', NO_PARAM, 'pre', hook('q', () => 0));
    expect(() => t.run('log_frame', NO_PARAM)).toThrow(/has no implementation/);
    expect(() => t.run('nope', NO_PARAM)).toThrow(/unknown protoop nope/);
    expect(() => t.define('x', () => 0) && t.define('x', () => 0)).toThrow(/already defined/);
  });

  it('knows PQUIC\'s 80 core names and the 6 parametrable ones', () => {
    expect(CORE_PROTOOPS.length).toBe(80);
    expect(new Set(CORE_PROTOOPS).size).toBe(80);
    for (const p of PARAMETRABLE) expect(CORE_PROTOOPS).toContain(p);
  });
});
