#!/usr/bin/env node
import { startEarlyWorker } from './early-worker.js';

const argv = process.argv.slice(2);
startEarlyWorker(argv);
const { main } = await import('./main.js');
void main(argv);
