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
import { parse } from '../args.js';
import type { Command, Io } from '../io.js';
import { packageFile, PACKAGE_ROOT } from '../paths.js';
import { readInput } from '../program-file.js';
import { loadElf } from '../../vm/elf.js';
import { disassemble } from '../../vm/disasm.js';
import { ExecError } from '../../vm/errors.js';
import { Vm } from '../../vm/vm.js';
import { annotations } from './disasm.js';

const usage = `usage: pquic demo

1. QUIC: starts a server and a client on loopback (real UDP sockets, our TLS 1.3), downloads
   files over HTTP/0.9 (hq-interop), checks them byte for byte, counts the frames the client
   processed through its protoop table, and prints the transfer summary.
2. The eBPF VM: loads the bundled clang-built objects (plugins-c/), shows one disassembled,
   runs them in the sandboxed WebAssembly interpreter, and shows the sandbox stopping a faulty
   and an endless program.
Needs no clang and no setup.`;

/** Part 1: a QUIC transfer on loopback with the summary. */
async function quicDemo(io: Io, rule: (title: string) => void): Promise<boolean> {
  rule('QUIC: pquic server and client on loopback');
  const provider = getProvider('node');
  const identity = generateSelfSigned(provider, { kind: 'ecdsa-p256', commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const dir = mkdtempSync(join(tmpdir(), 'pquic-demo-'));
  const files: Record<string, Uint8Array> = { 'small.txt': new TextEncoder().encode('Hello over QUIC!\n'), 'big.bin': provider.randomBytes(8 << 20) };
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
  const hq = new HqServer({ webroot: dir });
  const server = await QuicServer.listen({ host: '127.0.0.1', port: 0, config: { certificateChain: [identity.certDer], privateKey: identity.privateKey } }, (s) => hq.handleConnection(s));
  try {
    io.out(`  server listening on 127.0.0.1:${server.address.port} with a fresh self-signed ECDSA P-256 certificate`);
    const client = await QuicClient.start({ host: '127.0.0.1', port: server.address.port, config: { trustAnchors: [identity.cert] } });
    // Count, by frame type, what the client's connection processes: every frame goes through
    // the protoop table (process_frame, param = frame type), where a plugin could hook it.
    const frames = new Map<string, number>();
    for (let type = 0; type <= 0x1e; type++) {
      client.session.quic.protoops.attach('process_frame', type, 'post', {
        owner: 'demo',
        fn: (c) => {
          const name = frameTypeName(c.param);
          frames.set(name, (frames.get(name) ?? 0) + 1);
        },
      });
    }
    const t0 = performance.now();
    const hs = await client.session.handshake;
    io.out(`  handshake done: ALPN ${hs.alpn}, cipher suite 0x${hs.cipherSuite.toString(16)}, certificate verified against the server's`);
    const sinks = Object.keys(files).map((name) => ({ name, sink: new DigestSink({ keep: true }) }));
    const results = await hqFetch(client.session, sinks.map(({ name, sink }) => ({ path: '/' + name, sink })));
    const seconds = (performance.now() - t0) / 1000;
    let ok = true;
    for (const { name, sink } of sinks) {
      const same = Buffer.compare(sink.body, files[name]!) === 0;
      ok &&= same;
      io.out(`  GET /${name}: ${sink.bytes} bytes, ${same ? 'identical to the file served' : 'DIFFERENT FROM THE FILE SERVED'}`);
    }
    ok &&= results.every((r) => r.ok);
    const st = client.session.stats;
    const bytes = results.reduce((a, r) => a + r.bytes, 0);
    io.out(`  frames the client processed: ${[...frames].map(([n, c]) => `${n} ${c}`).join(', ')}`);
    io.out(`  summary: ${bytes} bytes in ${seconds.toFixed(3)} s, goodput ${((bytes * 8) / seconds / 1e6).toFixed(1)} Mbit/s, handshake ${(st.handshakeDoneUs / 1000).toFixed(1)} ms, packets sent ${st.packetsSent} received ${st.packetsReceived} lost ${st.packetsLost}`);
    await client.close();
    return ok;
  } finally {
    await server.close();
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
  summary: 'a QUIC transfer on loopback, then the bundled eBPF objects in the sandboxed VM',
  usage,
  async run(argv: string[], io: Io): Promise<number> {
    parse(argv, {});
    const obj = (p: string): { path: string; bytes: Uint8Array } => {
      const path = packageFile('plugins-c', p);
      return { path: relative(PACKAGE_ROOT, path), bytes: readInput(path) };
    };
    const rule = (title: string): void => io.out(`\n== ${title} ${'='.repeat(Math.max(0, 70 - title.length))}`);
    io.out('pquic-ts demo: a QUIC transfer, then clang-built eBPF objects in a WebAssembly sandbox');
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
    io.out(`  ${rk.instructions} instructions in ${(ns / 1e6).toFixed(2)} ms = ${((rk.instructions / ns) * 1000).toFixed(0)} M instructions/s, every access bounds-checked`);

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
    io.out('\nNext: pquic run FILE.o, pquic disasm FILE.o, pquic inspect FILE.o, pquic conformance DIR (see pquic --help)');
    return 0;
  },
};
