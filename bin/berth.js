#!/usr/bin/env node
// The `berth` command: runs the compiled CLI (npm ci builds it through the `prepare` script).
import '../dist/cli/main.js';
