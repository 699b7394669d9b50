#!/usr/bin/env -S node --max-semi-space-size=1
import { runApp } from '@bosun/app-shell';
import { app } from './app.js';

process.exitCode = await runApp(app, { argv: process.argv.slice(2), env: process.env });
