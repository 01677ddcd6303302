/** Native exports of native/device.cc. Device types: 0 = cpu, 1 = gpu; streams as [index, type, deviceIndex]. */
import type { StreamArg } from '../types.js';

export type DeviceName = 'cpu' | 'gpu';

export interface DeviceBinding {
  defaultDevice(): [number, number];
  setDefaultDevice(type: DeviceName, index?: number): void;
  isAvailable(type: DeviceName, index?: number): boolean;
  deviceCount(type: DeviceName): number;
  deviceInfo(type: DeviceName, index?: number): (string | number)[];
  defaultStream(type: DeviceName, index?: number): [number, number, number];
  newStream(type: DeviceName, index?: number): [number, number, number];
  setDefaultStream(s: StreamArg): void;
  synchronize(s?: StreamArg): void;
}
