export { ConfigError, describeOrigin, type ConfigErrorCode, type ConfigOrigin, type ConfigSourceKind } from './lib/config-error.js';
export {
  coerceString,
  defineConfig,
  flagNameOf,
  loadConfig,
  readConfigFile,
  schemaKind,
  type ConfigKeySpec,
  type ConfigSources,
  type ConfigSpec,
  type LoadedConfig,
} from './lib/load-config.js';
