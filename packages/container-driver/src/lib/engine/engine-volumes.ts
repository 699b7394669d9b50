/**
 * Named volumes on a Docker-compatible engine, scoped per tenant by name prefix and labels.
 */
import type Docker from 'dockerode';
import { DriverError } from '../errors.js';
import { assertName, assertTenant, buildLabels, engineName, LABELS, labelFilter, ownedBy } from '../labels.js';
import type { VolumeInfo } from '../types.js';
import { toDriverError } from './engine-errors.js';

/** The volume half of the engine driver. */
export class EngineVolumes {
  constructor(private readonly docker: Docker) {}

  /** The tenant's volume, or `not_found`. */
  async ownedVolume(tenant: string, name: string): Promise<Docker.VolumeInspectInfo> {
    try {
      const v = await this.docker.getVolume(engineName(tenant, name)).inspect();
      if (!ownedBy(v.Labels, tenant)) throw DriverError.notFound(`volume ${name}`);
      return v;
    } catch (err) {
      throw toDriverError(err, `volume ${name}`);
    }
  }

  private toVolume(v: { Labels?: Record<string, string> | null }): VolumeInfo {
    const labels = v.Labels ?? {};
    return { name: labels[LABELS.name] ?? '', tenant: labels[LABELS.tenant] ?? '', labels };
  }

  async createVolume(tenant: string, name: string, labels?: Record<string, string>): Promise<VolumeInfo> {
    assertTenant(tenant);
    assertName(name, 'volume');
    const all = buildLabels({ tenant, name }, labels);
    try {
      const existing = await this.docker.getVolume(engineName(tenant, name)).inspect();
      if (ownedBy(existing.Labels, tenant)) return this.toVolume(existing);
      throw DriverError.conflict(`volume ${name} exists and is not managed by bosun`);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw toDriverError(err, `volume ${name}`);
    }
    try {
      const v = (await this.docker.createVolume({ Name: engineName(tenant, name), Labels: all })) as unknown as {
        Labels?: Record<string, string>;
      };
      return this.toVolume({ Labels: v.Labels ?? all });
    } catch (err) {
      throw toDriverError(err, `volume ${name}`);
    }
  }

  async listVolumes(tenant: string): Promise<VolumeInfo[]> {
    assertTenant(tenant);
    try {
      const r = await this.docker.listVolumes({ filters: labelFilter({ tenant }) });
      return (r.Volumes ?? []).filter((v) => ownedBy(v.Labels, tenant)).map((v) => this.toVolume(v));
    } catch (err) {
      throw toDriverError(err, 'volume list');
    }
  }

  async removeVolume(tenant: string, name: string): Promise<void> {
    assertTenant(tenant);
    assertName(name, 'volume');
    await this.ownedVolume(tenant, name);
    try {
      await this.docker.getVolume(engineName(tenant, name)).remove();
    } catch (err) {
      throw toDriverError(err, `volume ${name}`);
    }
  }
}
