import type { KlaxonConfig, TenantConfig } from './schema';
import { loadConfigFile } from './load';

/**
 * The live configuration. Activities and HTTP handlers read tenants through it, so a reload
 * (SIGHUP, or `reload()` in tests) takes effect without a restart; a bad file keeps the old config.
 */
export class ConfigStore {
  constructor(private current: KlaxonConfig, readonly file?: string) {}

  static fromFile(file: string): ConfigStore {
    return new ConfigStore(loadConfigFile(file), file);
  }

  get config(): KlaxonConfig {
    return this.current;
  }

  tenant(name: string): TenantConfig | undefined {
    return Object.hasOwn(this.current.tenants, name) ? this.current.tenants[name] : undefined;
  }

  replace(config: KlaxonConfig): void {
    this.current = config;
  }

  /** Re-reads the file; throws ConfigError (and keeps the old config) when the new one is invalid. */
  reload(): void {
    if (!this.file) return;
    this.current = loadConfigFile(this.file);
  }
}
