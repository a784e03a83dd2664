#!/usr/bin/env node
import { main } from '../dist/cli/main.js';
import { endProcess } from '../dist/cli/process-end.js';

await endProcess(await main(process.argv));
