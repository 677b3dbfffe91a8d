// ajv-validate.js SCHEMA NDJSON -- the ajv side of "make bench": validate
// every line of NDJSON against SCHEMA, write the valid ones to stdout, and
// count the invalid ones on stderr -- what "evpipe validate" does.
'use strict';
const fs = require('fs');
const readline = require('readline');
const Ajv2020 = require('ajv/dist/2020');
const addFormats = require('ajv-formats');

const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(fs.readFileSync(process.argv[2], 'utf8')));
const rl = readline.createInterface({ input: fs.createReadStream(process.argv[3]) });
const out = [];
let invalid = 0;
rl.on('line', (line) => {
  if (validate(JSON.parse(line))) out.push(line);
  else invalid++;
  if (out.length >= 4096) { process.stdout.write(out.join('\n') + '\n'); out.length = 0; }
});
rl.on('close', () => {
  if (out.length) process.stdout.write(out.join('\n') + '\n');
  process.stderr.write(`invalid: ${invalid}\n`);
});
