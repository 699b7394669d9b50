import type { Systeminformation } from 'systeminformation';

/**
 * The slice of systeminformation this package calls, so tests can pass a fake.
 * Shapes are narrowed to the fields read.
 */
export interface SystemInfoFacade {
  /** `si.osInfo()`. */
  osInfo(): Promise<Pick<Systeminformation.OsData, 'platform' | 'distro' | 'release' | 'kernel' | 'arch' | 'hostname'>>;
  /** `si.cpu()`. */
  cpu(): Promise<Pick<Systeminformation.CpuData, 'manufacturer' | 'brand' | 'cores'>>;
  /** `si.mem()`. */
  mem(): Promise<Pick<Systeminformation.MemData, 'total'>>;
  /** `si.graphics()`. */
  graphics(): Promise<{
    controllers: Array<
      Pick<Systeminformation.GraphicsControllerData, 'vendor' | 'model' | 'vram' | 'name' | 'driverVersion' | 'memoryTotal'>
    >;
  }>;
}

type SiModule = typeof import('systeminformation');

/**
 * The default {@link SystemInfoFacade}: the real systeminformation, loaded on
 * first use so importing this package stays cheap.
 */
export function systeminformationFacade(): SystemInfoFacade {
  let loaded: Promise<SiModule> | undefined;
  const si = (): Promise<SiModule> => {
    loaded ??= import('systeminformation').then((m) => ((m as { default?: SiModule }).default ?? m) as SiModule);
    return loaded;
  };
  return {
    osInfo: async () => (await si()).osInfo(),
    cpu: async () => (await si()).cpu(),
    mem: async () => (await si()).mem(),
    graphics: async () => (await si()).graphics(),
  };
}
