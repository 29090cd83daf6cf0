// What the Worker's module costs before it answers anything: the time to compile
// `build/index_bg.wasm` (what a cold isolate pays first; V8 compiles lazily, as workerd
// does) and to instantiate it with stub imports, the median of 15 runs each, beside its sizes.
// Usage: node bench/startup.mjs [path/to/index_bg.wasm] with Node ≥ 22 (the module uses Wasm GC
// types and exception tags; `tests/interop/fedify/node_modules/.bin/node` is one, installed by setup).
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { performance } from "node:perf_hooks";

const path = process.argv[2] ?? new URL("../build/index_bg.wasm", import.meta.url).pathname;
const bytes = readFileSync(path);
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const compile = [];
let module;
for (let i = 0; i < 15; i++) {
  const t = performance.now();
  module = new WebAssembly.Module(bytes);
  compile.push(performance.now() - t);
}
// Every import a stub: instantiation cost is the module's own (memory, tables, start).
const imports = {};
for (const { module: m, name, kind } of WebAssembly.Module.imports(module)) {
  imports[m] ??= {};
  imports[m][name] = {
    function: () => () => {},
    memory: () => new WebAssembly.Memory({ initial: 1 }),
    table: () => new WebAssembly.Table({ initial: 0, element: "anyfunc" }),
    tag: () => new WebAssembly.Tag({ parameters: ["externref"] }),
    global: () => new WebAssembly.Global({ value: "i32", mutable: true }, 0),
  }[kind]?.() ?? (() => {});
}
const instantiate = [];
for (let i = 0; i < 15; i++) {
  const t = performance.now();
  new WebAssembly.Instance(module, imports);
  instantiate.push(performance.now() - t);
}
const kib = (n) => (n / 1024).toFixed(1);
console.log(`wasm ${kib(bytes.length)} KiB (gzip ${kib(gzipSync(bytes, { level: 9 }).length)} KiB): ` +
  `compile ${median(compile).toFixed(2)} ms, instantiate ${median(instantiate).toFixed(2)} ms (median of 15)`);
