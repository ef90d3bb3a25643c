/* Run a demo's trainer under node, without a page: node tests/js/run_trainer.js CONFIG.json
 * CONFIG: {"demo": "gan1d" | "ring", "settings": {...}, "steps": N, "every": E}
 * Prints JSON: the trainer's state every E iterations (see the demo's dump()). */
"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");

const root = path.resolve(__dirname, "..", "..", "_ext", "static", "demos");
const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
// The scripts run in this context (a vm context's global lookups would be slow) with a
// minimal window and document: the demos' mount code needs a page and stays unregistered.
globalThis.window = globalThis;
globalThis.document = {readyState: "loading", addEventListener() {},
                       documentElement: {lang: "en"}};
for (const file of ["ganbook-demos.js", config.demo + ".js"]) {
  vm.runInThisContext(fs.readFileSync(path.join(root, file), "utf8"), {filename: file});
}
const ganbook = globalThis.ganbook;
const make = ganbook[config.demo + "Trainer"];
const t = make(config.settings || {});
const out = [];
const dump = () => out.push(make.dump(t));
dump();
for (let done = 0; done < config.steps; done += config.every) {
  t.run(Math.min(config.every, config.steps - done));
  dump();
}
process.stdout.write(JSON.stringify(out));
