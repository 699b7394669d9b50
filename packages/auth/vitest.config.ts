import { defineConfig } from 'vitest/config';
import { bosunVitest } from '../../vitest.preset.js';

export default defineConfig(bosunVitest(import.meta.dirname));
