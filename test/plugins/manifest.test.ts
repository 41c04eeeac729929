import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { MANIFEST_NO_PARAM, ManifestError, loadManifest, parseManifest } from '../../src/plugins/manifest.js';

const fs = (files: Record<string, string>) => (p: string): string => {
  const f = files[p];
  if (f === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
  return f;
};
const R = (p: string) => resolve('/m', p);

describe('plugin manifests', () => {
  it('parses the datagram manifest shape: params, anchors, extern, comments', () => {
    const m = parseManifest([
      '# a comment before the name',
      'be.mpiraux.datagram',
      'parse_frame param 0x30 replace parse_datagram_frame.o',
      'process_frame param 48 replace process.o',
      'notify_frame param 060 replace notify.o',
      '',
      'connection_state_changed post cnx_state_changed.o',
      'send_message extern send_datagram.o',
      'prepare_packet_ready pre sub/process_buffer.o',
    ].join('\n'), R('datagram.plugin'));
    expect(m.name).toBe('be.mpiraux.datagram');
    expect(m.pluglets.map((p) => [p.protoop, p.param, p.anchor])).toEqual([
      ['parse_frame', 0x30, 'replace'], ['process_frame', 48, 'replace'], ['notify_frame', 0o60, 'replace'],
      ['connection_state_changed', MANIFEST_NO_PARAM, 'post'], ['send_message', MANIFEST_NO_PARAM, 'extern'],
      ['prepare_packet_ready', MANIFEST_NO_PARAM, 'pre'],
    ]);
    expect(m.pluglets[5]!.objectPath).toBe(R('sub/process_buffer.o'));
    expect(m.pluglets[1]!.source).toEqual({ file: R('datagram.plugin'), line: 4 });
  });

  it('expands includes relative to the including file, and the negotiate marker', () => {
    const m = loadManifest(R('mp/rtt.plugin'), fs({
      [R('mp/rtt.plugin')]: 'be.mp.rtt negotiate\nmp_cond.plugin include\nschedule_path replace sched/rtt.o\n',
      [R('mp/mp_cond.plugin')]: 'write_transport_parameter param 0x40 replace w.o\n-\nparse_frame param 0x40 replace p.o\n',
    }));
    expect([...m.options]).toEqual(['negotiate']);
    expect(m.pluglets.map((p) => [p.protoop, p.afterNegotiation, p.objectPath])).toEqual([
      ['write_transport_parameter', false, R('mp/w.o')],
      ['parse_frame', true, R('mp/p.o')],
      ['schedule_path', true, R('mp/sched/rtt.o')],
    ]);
    expect(m.pluglets[1]!.source).toEqual({ file: R('mp/mp_cond.plugin'), line: 3 });
  });

  it('names file and line in every error', () => {
    const bad = (text: string, msg: RegExp, line: number) => {
      try {
        parseManifest(text, R('x.plugin'), fs({}));
        throw new Error('expected an error');
      } catch (e) {
        expect(e).toBeInstanceOf(ManifestError);
        expect((e as ManifestError).line).toBe(line);
        expect((e as Error).message).toMatch(msg);
        expect((e as Error).message.startsWith(R('x.plugin'))).toBe(true);
      }
    };
    bad('', /empty manifest/, 0);
    bad('my.name fast', /unrecognized plugin option 'fast'/, 1);
    bad('p\nupdate_rtt replac x.o', /expected an anchor/, 2);
    bad('p\nupdate_rtt replace', /missing the object file/, 2);
    bad('p\nupdate_rtt replace x.o extra', /unexpected 'extra'/, 2);
    bad('p\nparse_frame param 0x10000 replace x.o', /does not fit 16 bits/, 2);
    bad('p\nparse_frame param zz replace x.o', /is not a number/, 2);
    bad('p\nparse_frame param', /param needs a number/, 2);
    bad('p\n\n9bad replace x.o', /invalid protoop name/, 3);
    bad('p\nsend extern param 1 x.o', /unexpected '1 x.o'/, 2);
    bad('p\nsend param 1 extern x.o', /extern operations take no param/, 2);
    bad('p\nupdate_rtt replace /etc/x.o', /relative to the manifest/, 2);
    bad('p\nmissing.plugin include', /cannot read .*missing.plugin: no such file/, 2);
    bad('p\nx.o include', /only .plugin files can be included/, 2);
    bad('p\n-\nupdate_rtt replace x.o', /only makes sense with the negotiate option/, 0);
    bad('p', /no pluglets/, 0);
    bad('other.plugin include', /the first line must be the plugin name/, 1);
  });

  it('refuses cyclic and too deep includes instead of hanging', () => {
    expect(() => loadManifest(R('a.plugin'), fs({ [R('a.plugin')]: 'a\nb.plugin include\n', [R('b.plugin')]: 'c.plugin include\n', [R('c.plugin')]: 'b.plugin include\n' })))
      .toThrow(/cyclic include of .*b.plugin/);
    const files: Record<string, string> = { [R('top.plugin')]: 'top\nd0.plugin include\n' };
    for (let i = 0; i < 30; i++) files[R(`d${i}.plugin`)] = `d${i + 1}.plugin include\n`;
    expect(() => loadManifest(R('top.plugin'), fs(files))).toThrow(/nested deeper than 16/);
  });

  it('survives random garbage with ManifestError only', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const alphabet = 'abc_ .0x1-#\nparamreplaceprepostextern include.plugin.o/\t';
    for (let i = 0; i < 3000; i++) {
      let s = '';
      for (let j = 0, n = Math.floor(rnd() * 80); j < n; j++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      try {
        parseManifest(s, R('f.plugin'), fs({}));
      } catch (e) {
        expect(e).toBeInstanceOf(ManifestError);
      }
    }
  });
});
