#!/usr/bin/env node
/** `medrec`: the wallet from a terminal. Run `medrec help`. */
import { run } from './commands.js';

process.exitCode = await run(process.argv.slice(2), { env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
