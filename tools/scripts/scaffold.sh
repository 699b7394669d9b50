#!/usr/bin/env bash
# Creates a new workspace project with the house layout.
# usage: tools/scripts/scaffold.sh packages|apps NAME TAG "description"
set -euo pipefail
kind=$1 name=$2 tag=$3 desc=$4
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=$root/$kind/$name
version=$(node -p "require('$root/package.json').version")
mkdir -p "$dir/src"
if [ "$kind" = apps ]; then entry=main; else entry=index; fi
cat > "$dir/package.json" <<JSON
{
  "name": "@bosun/$name",
  "version": "$version",
  "description": "$desc",
  "private": true,
  "type": "module",
  "main": "./dist/$entry.js",
  "types": "./dist/$entry.d.ts",
  "exports": {
    ".": {
      "@bosun/source": "./src/$entry.ts",
      "types": "./dist/$entry.d.ts",
      "import": "./dist/$entry.js",
      "default": "./dist/$entry.js"
    },
    "./package.json": "./package.json"
  },
  "nx": {
    "tags": ["$tag"]
  },
  "dependencies": {}
}
JSON
cat > "$dir/tsconfig.json" <<JSON
{
  "extends": "../../tsconfig.base.json",
  "files": [],
  "include": [],
  "references": [{ "path": "./tsconfig.lib.json" }, { "path": "./tsconfig.spec.json" }]
}
JSON
cat > "$dir/tsconfig.lib.json" <<JSON
{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": {
    "rootDir": "src",
    "outDir": "dist",
    "tsBuildInfoFile": "dist/tsconfig.lib.tsbuildinfo"
  },
  "include": ["src/**/*.ts"],
  "exclude": ["src/**/*.spec.ts", "src/**/*.test-util.ts"],
  "references": []
}
JSON
cat > "$dir/tsconfig.spec.json" <<JSON
{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": {
    "outDir": "./out-tsc/vitest",
    "tsBuildInfoFile": "./out-tsc/vitest/tsconfig.tsbuildinfo",
    "types": ["node", "vitest/globals"]
  },
  "include": ["src/**/*.spec.ts", "src/**/*.test-util.ts", "src/**/*.d.ts"],
  "references": [{ "path": "./tsconfig.lib.json" }]
}
JSON
cat > "$dir/vitest.config.ts" <<TS
import { defineConfig } from 'vitest/config';
import { bosunVitest } from '../../vitest.preset.js';

export default defineConfig(bosunVitest(import.meta.dirname));
TS
if [ "$kind" = packages ]; then
cat > "$dir/eslint.config.mjs" <<JS
import base, { libraryRules } from '../../eslint.config.mjs';

export default [...base, ...libraryRules];
JS
else
cat > "$dir/eslint.config.mjs" <<JS
import base from '../../eslint.config.mjs';

export default [...base];
JS
fi
[ -f "$dir/src/$entry.ts" ] || echo "export {};" > "$dir/src/$entry.ts"
echo "created $dir"
