// Lighthouse's own choice of the representative run among several of one
// page (the run nearest the median first paint and time to interactive):
// prints its position in the argument list. Used by bench/lighthouse.py.
import { readFileSync } from "node:fs";
import { computeMedianRun } from "lighthouse/core/lib/median-run.js";

const runs = process.argv.slice(2).map((path) => JSON.parse(readFileSync(path, "utf8")));
console.log(runs.indexOf(computeMedianRun(runs)));
