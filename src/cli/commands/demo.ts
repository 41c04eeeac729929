import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { getProvider } from '../../quic/crypto/index.js';
import { QuicClient } from '../../quic/endpoint/client.js';
import { QuicServer } from '../../quic/endpoint/server.js';
import { hqFetch } from '../../quic/hq/client.js';
import { HqServer } from '../../quic/hq/server.js';
import { DigestSink } from '../../quic/hq/sinks.js';
import { generateSelfSigned } from '../../quic/tls/certgen.js';
import { frameTypeName } from '../../quic/wire/frames/index.js';
import type { QuicConnection } from '../../quic/connection/connection.js';
import { PluginRuntime } from '../../plugins/runtime.js';
import type { PluginInstance } from '../../plugins/instance.js';
import { parse } from '../args.js';
import type { Command, Io } from '../io.js';
import { packageFile, PACKAGE_ROOT } from '../paths.js';
import { readInput } from '../program-file.js';
import { loadElf } from '../../vm/elf.js';
import { disassemble } from '../../vm/disasm.js';
import { ExecError } from '../../vm/errors.js';
import { Vm } from '../../vm/vm.js';
import { formatRejection, verifyProgram, type CtxKind, type Policy } from '../../vm/verifier/index.js';
import { pluginHelpers } from '../../plugins/helper-signatures.js';
import { annotations } from './disasm.js';

const usage = `usage: pquic demo

1. QUIC, the getting-started flow of PQUIC: a server and a client on loopback (real UDP
   sockets, our TLS 1.3), the server losing 3% of its datagrams, download files over HTTP/0.9
   (hq-interop) without plugins, then with the fec plugin in both ends: the frames exchanged
   (SFPID, REPAIR, RECOVERED ...), the losses, the recoveries and the summaries.
2. The eBPF VM: loads the bundled clang-built objects (plugins-c/), shows one disassembled,
   runs them in the sandboxed WebAssembly interpreter, and shows the sandbox stopping a faulty
   and an endless program.
Needs no clang and no setup.`;

const FRAME_NAMES: Record<number, string> = { 0x29: 'SFPID', 0x2a: 'REPAIR', 0x2b: 'RECOVERED' };

interface RunReport {
  ok: boolean;
  summary: string;
  frames: Map<string, number>;
  serverLost: number;
  fec?: { symbols: number; repairs: number; recovered: number; acknowledged: number };
}

/**
 * One transfer on loopback: pquic server and client in this process, real UDP sockets, our TLS,
 * the server dropping `loss` of its datagrams, and the plugins of `manifests` in both ends.
 */
async function transferOnce(files: Record<string, Uint8Array>, dir: string, manifests: string[], loss: number): Promise<RunReport> {
  const provider = getProvider('node');
  const identity = generateSelfSigned(provider, { kind: 'ecdsa-p256', commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const runtime = manifests.length > 0 ? PluginRuntime.load(manifests) : undefined;
  const serverFec: PluginInstance[] = [];
  const hq = new HqServer({ webroot: dir });
  let serverQuic: QuicConnection | undefined;
  const server = await QuicServer.listen({
    host: '127.0.0.1', port: 0, lossRate: loss, lossSeed: 7,
    config: { certificateChain: [identity.certDer], privateKey: identity.privateKey },
    onConnectionCreated: (q) => {
      serverQuic = q;
      if (runtime) serverFec.push(...runtime.inject(q));
    },
  }, (s) => hq.handleConnection(s));
  const clientFec: PluginInstance[] = [];
  try {
    const client = await QuicClient.start({
      host: '127.0.0.1', port: server.address.port, config: { trustAnchors: [identity.cert] },
      onConnectionCreated: (q) => {
        if (runtime) clientFec.push(...runtime.inject(q));
      },
    });
    // Count, by frame type, what the client processes: every frame, plugin frames included,
    // goes through process_frame (param = frame type) in the protoop table.
    const frames = new Map<string, number>();
    for (const type of [...Array(0x1f).keys(), 0x29, 0x2a, 0x2b]) {
      client.session.quic.protoops.attach('process_frame', type, 'post', {
        owner: 'demo',
        fn: (c) => {
          const name = FRAME_NAMES[c.param] ?? frameTypeName(c.param);
          frames.set(name, (frames.get(name) ?? 0) + 1);
        },
      });
    }
    await client.session.handshake;
    // Datagrams the loss emulation dropped before the handshake completed: with no RTT sample
    // yet, recovering one waits for the 1 s initial retransmission timer (RFC 9002 §6.2.2).
    const droppedInHandshake = server.stats.datagramsDropped;
    const t0 = performance.now();
    const sinks = Object.keys(files).map((name) => ({ name, sink: new DigestSink({ keep: true }) }));
    const results = await hqFetch(client.session, sinks.map(({ name, sink }) => ({ path: '/' + name, sink })));
    const seconds = (performance.now() - t0) / 1000;
    const ok = results.every((r) => r.ok) && sinks.every(({ name, sink }) => Buffer.compare(sink.body, files[name]!) === 0);
    const st = client.session.stats;
    const bytes = results.reduce((a, r) => a + r.bytes, 0);
    const handshake = `handshake ${(st.handshakeDoneUs / 1000).toFixed(1)} ms${droppedInHandshake > 0 ? ` (the emulated loss dropped ${droppedInHandshake} server datagram${droppedInHandshake > 1 ? 's' : ''} in it: with no RTT sample yet, the retransmission timer is 1 s, RFC 9002 §6.2.2)` : ''}`;
    const summary = `${bytes} bytes in ${seconds.toFixed(3)} s after the handshake, goodput ${((bytes * 8) / seconds / 1e6).toFixed(1)} Mbit/s, ${ok ? 'files identical' : 'FILES DIFFER'}; ${handshake}`;
    await client.close();
    const report: RunReport = { ok, summary, frames, serverLost: serverQuic?.stats.packetsLost ?? 0 };
    const s = serverFec[0];
    const c = clientFec[0];
    if (s && c) {
      const stat = (i: PluginInstance, n: number) => Number(i.runExternal('get_fec_stat', n));
      report.fec = { symbols: stat(s, 0), repairs: stat(s, 1), recovered: stat(c, 2), acknowledged: stat(s, 3) };
    }
    return report;
  } finally {
    await server.close();
  }
}

/** Part 1: the seed's flow — server and client with the fec plugin over a lossy link. */
async function quicDemo(io: Io, rule: (title: string) => void): Promise<boolean> {
  const loss = 0.03;
  rule(`QUIC: server and client on loopback, the server losing ${loss * 100}% of its datagrams`);
  const provider = getProvider('node');
  const dir = mkdtempSync(join(tmpdir(), 'pquic-demo-'));
  const files: Record<string, Uint8Array> = { 'small.txt': new TextEncoder().encode('Hello over QUIC!\n'), 'big.bin': provider.randomBytes(4 << 20) };
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
  try {
    const fec = packageFile('plugins-c', 'fec/fec.plugin');
    io.out('  without plugins:');
    const plain = await transferOnce(files, dir, [], loss);
    io.out(`    ${plain.summary}`);
    io.out(`    the server declared ${plain.serverLost} packets lost and retransmitted their frames`);
    io.out(`  with -P ${relative(PACKAGE_ROOT, fec)} on both ends (clang-built pluglets in the sandboxed VM):`);
    const withFec = await transferOnce(files, dir, [fec], loss);
    io.out(`    ${withFec.summary}`);
    io.out(`    frames the client processed: ${[...withFec.frames].map(([n, c]) => `${n} ${c}`).join(', ')}`);
    if (withFec.fec) {
      io.out(`    the server sent ${withFec.fec.symbols} source symbols (SFPID) and ${withFec.fec.repairs} REPAIR frames;`);
      io.out(`    the client rebuilt ${withFec.fec.recovered} lost packets from them, ${withFec.fec.acknowledged} before the server gave up on them;`);
      io.out(`    the server declared ${withFec.serverLost} packets lost (${plain.serverLost} without FEC)`);
    }
    return plain.ok && withFec.ok && (withFec.frames.get('SFPID') ?? 0) > 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** CRC-32 (IEEE, reflected), the reference the crc32 kernel is checked against. */
function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return (c ^ 0xffffffff) >>> 0;
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'QUIC on loopback with the fec plugin over a lossy link, then the eBPF VM',
  usage,
  async run(argv: string[], io: Io): Promise<number> {
    parse(argv, {});
    const obj = (p: string): { path: string; bytes: Uint8Array } => {
      const path = packageFile('plugins-c', p);
      return { path: relative(PACKAGE_ROOT, path), bytes: readInput(path) };
    };
    const rule = (title: string): void => io.out(`\n== ${title} ${'='.repeat(Math.max(0, 70 - title.length))}`);
    io.out('pquic-ts demo: QUIC with a clang-built FEC plugin over a lossy link, then the eBPF VM on its own');
    if (!(await quicDemo(io, rule))) {
      io.err('pquic demo: the QUIC transfer did not deliver the files intact');
      return 1;
    }

    // 1. A program with strings, local calls and helper calls, disassembled and run.
    const strings = obj('tests/strings.o');
    rule(`disassembly of ${strings.path}`);
    const image = loadElf(strings.bytes);
    io.out(disassemble(image.code, { functions: image.functions, annotations: annotations(image) }).replace(/\n$/, ''));
    rule(`run ${strings.path}`);
    const vm = new Vm();
    vm.registerStandardHelpers({ log: (line) => io.out(`  [pquic_log] ${line}`) });
    vm.loadElf(strings.bytes);
    const r = vm.exec();
    io.out(`  r0 = ${r.r0} (expected 136137) after ${r.instructions} eBPF instructions`);

    // 2. More of the ISA and the loader: local calls, globals in .data/.bss, atomics.
    rule('local calls, globals, atomics (plugins-c/tests)');
    const calls = obj('tests/calls.o');
    const vmCalls = new Vm();
    vmCalls.loadElf(calls.bytes);
    const mem = new Uint8Array(48);
    const dv = new DataView(mem.buffer);
    [1n, 2n, 3n, 4n, 5n].forEach((v, i) => dv.setBigUint64(i * 8, v, true));
    io.out(`  ${calls.path}: four levels of BPF-to-BPF calls -> r0 = ${vmCalls.exec({ mem }).r0} (expected 1663341320402770591)`);
    const globals = obj('tests/globals.o');
    const vmGlobals = new Vm();
    vmGlobals.loadElf(globals.bytes);
    const gmem = new Uint8Array([0x00, 0x01, 0x02, 0x03, 0x13, 0x23, 0x33, 0x0f, 0x1f, 0x05]);
    io.out(`  ${globals.path}: .data counters and .bss histograms -> r0 = ${vmGlobals.exec({ mem: gmem }).r0} (expected 8010101003)`);
    const atomics = obj('tests/atomics.o');
    const vmAtomics = new Vm();
    vmAtomics.loadElf(atomics.bytes);
    const amem = new Uint8Array(64);
    const adv = new DataView(amem.buffer);
    [0x1111111111111111n, 0x2222222222222222n, 2n, 0x4444444444444444n].forEach((v, i) => adv.setBigUint64(i * 8, v, true));
    [0x01010101, 5, 6, 0].forEach((v, i) => adv.setUint32(32 + i * 4, v, true));
    io.out(`  ${atomics.path}: add/or/and/xor/xchg/cmpxchg, 32 and 64 bits -> r0 = 0x${vmAtomics.exec({ mem: amem }).r0.toString(16)} (expected 0x7777777777777c74)`);

    // 3. A compute kernel with the uBPF convention, checked against TypeScript.
    rule('CRC-32 over 64 KiB (plugins-c/bench/crc32.o)');
    const kernel = obj('bench/crc32.o');
    const vmCrc = new Vm();
    vmCrc.loadElf(kernel.bytes);
    const data = new Uint8Array(65536);
    let x = 0x12345678;
    for (let i = 0; i < data.length; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      data[i] = x >>> 24;
    }
    vmCrc.exec({ mem: data });
    const t0 = process.hrtime.bigint();
    const rk = vmCrc.exec({ mem: data });
    const ns = Number(process.hrtime.bigint() - t0);
    const want = crc32(data);
    io.out(`  eBPF: 0x${rk.r0.toString(16)}  TypeScript: 0x${want.toString(16)}  ${BigInt(want) === rk.r0 ? 'match' : 'MISMATCH'}`);
    io.out(`  interpreter: ${rk.instructions} instructions in ${(ns / 1e6).toFixed(2)} ms = ${((rk.instructions / ns) * 1000).toFixed(0)} M instructions/s, every access bounds-checked`);
    // The same object on the JIT (eBPF compiled to WebAssembly), after a few warm-up runs so that
    // V8 has optimised it (docs/BENCHMARKS.md "JIT").
    const vmJit = new Vm({ engine: 'jit' });
    vmJit.loadElf(kernel.bytes);
    for (let i = 0; i < 5; i++) vmJit.exec({ mem: data });
    const t1 = process.hrtime.bigint();
    const rj = vmJit.exec({ mem: data });
    const nsJit = Number(process.hrtime.bigint() - t1);
    io.out(`  JIT:         ${rj.instructions} instructions in ${(nsJit / 1e6).toFixed(2)} ms = ${((rj.instructions / nsJit) * 1000).toFixed(0)} M instructions/s, r0 ${rj.r0 === rk.r0 ? 'the same' : 'DIFFERENT'}`);

    // 4. The sandbox at work.
    rule('the sandbox stops misbehaving programs');
    const fault = obj('tests/fault.o');
    const vmFault = new Vm();
    vmFault.loadElf(fault.bytes);
    const bad = new Uint8Array(16);
    new DataView(bad.buffer).setBigUint64(0, 0x40000000n, true);
    try {
      vmFault.exec({ mem: bad });
      io.out(`  ${fault.path}: UNEXPECTED: the out-of-bounds store was not stopped`);
      return 1;
    } catch (e) {
      if (!(e instanceof ExecError)) throw e;
      io.out(`  ${fault.path}: ${e.code}: ${e.message}`);
    }
    const inf = obj('tests/infinite.o');
    const vmInf = new Vm();
    vmInf.loadElf(inf.bytes);
    try {
      vmInf.exec({ fuel: 1_000_000 });
      io.out(`  ${inf.path}: UNEXPECTED: the endless loop returned`);
      return 1;
    } catch (e) {
      if (!(e instanceof ExecError)) throw e;
      io.out(`  ${inf.path}: ${e.code}: ${e.message}`);
    }
    rule('the verifier proves bytecode safe before it runs');
    // Each case: object, function, context convention, policy, what a reader should see.
    const cases: [string, string, CtxKind, Policy][] = [
      ['verifier-tests/good.o', 'checked_index', 'mem', 'strict'],
      ['verifier-tests/good.o', 'clamped_loop', 'mem', 'strict'],
      ['verifier-tests/bad_mem.o', 'ctx_unchecked', 'mem', 'strict'],
      ['verifier-tests/bad_mem.o', 'handle_deref', 'pluglet', 'checked'],
      ['verifier-tests/bad_flow.o', 'forever', 'pluglet', 'strict'],
    ];
    for (const [file, entry, ctx, policy] of cases) {
      const o = obj(file);
      const r = verifyProgram(loadElf(o.bytes, { entry }), { ...pluginHelpers, policy, ctx });
      if (r.ok) {
        io.out(`  ${o.path} ${entry} (${policy}, ctx ${ctx}): accepted, ${r.provenAccesses.size} memory access(es) proven in bounds`);
      } else {
        io.out(`  ${o.path} ${entry} (${policy}, ctx ${ctx}): rejected`);
        io.out(`    ${formatRejection(r.errors[0]!).split('\n').join('\n    ')}`);
      }
    }
    io.out('\nNext: pquic run FILE.o, pquic disasm FILE.o, pquic inspect FILE.o, pquic verify FILE.o, pquic conformance DIR (see pquic --help)');
    return 0;
  },
};
