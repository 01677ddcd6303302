/**
 * Devices and streams. A stream is the `{index, device, deviceIndex}` object every op accepts as its
 * `stream` argument. This build has only the CPU backend: asking for the GPU is MLX's own clear error.
 */
import { native, type StreamArg } from './binding.js';
import { invalidArg } from '../errors.js';

export type DeviceType = 'cpu' | 'gpu';
export interface Device { readonly type: DeviceType; readonly index: number }
export interface Stream { readonly index: number; readonly device: DeviceType; readonly deviceIndex: number }

export const cpu: Device = Object.freeze({ type: 'cpu', index: 0 });
export const gpu: Device = Object.freeze({ type: 'gpu', index: 0 });

const TYPES: DeviceType[] = ['cpu', 'gpu'];

function deviceOf(op: string, d: unknown): Device {
  if (d === 'cpu' || d === 'gpu') return { type: d, index: 0 };
  if (d !== null && typeof d === 'object' && TYPES.includes((d as Device).type)) {
    const index = (d as Device).index ?? 0;
    if (Number.isInteger(index) && index >= 0) return { type: (d as Device).type, index };
  }
  throw invalidArg("'cpu', 'gpu' or a {type, index} device", `${op} device`, d);
}

function streamOf(op: string, s: unknown): StreamArg {
  if (s !== null && typeof s === 'object' && Number.isInteger((s as Stream).index) && TYPES.includes((s as Stream).device)) {
    return s as StreamArg;
  }
  throw invalidArg('a stream {index, device}', `${op} stream`, s);
}

const toStream = ([index, type, deviceIndex]: [number, number, number]): Stream => Object.freeze({ index, device: TYPES[type], deviceIndex });

export function defaultDevice(): Device {
  const [type, index] = native.defaultDevice();
  return Object.freeze({ type: TYPES[type], index });
}

export function setDefaultDevice(d: DeviceType | Device): void {
  const dev = deviceOf('setDefaultDevice', d);
  native.setDefaultDevice(dev.type, dev.index);
}

export function isAvailable(d: DeviceType | Device): boolean {
  const dev = deviceOf('isAvailable', d);
  return native.isAvailable(dev.type, dev.index);
}

export function deviceCount(type: DeviceType): number {
  return native.deviceCount(deviceOf('deviceCount', type).type);
}

/** Backend facts about a device (CPU: architecture, device_name). */
export function deviceInfo(d: DeviceType | Device = defaultDevice()): Record<string, string | number> {
  const dev = deviceOf('deviceInfo', d);
  const flat = native.deviceInfo(dev.type, dev.index);
  const out: Record<string, string | number> = {};
  for (let i = 0; i < flat.length; i += 2) out[flat[i] as string] = flat[i + 1];
  return out;
}

/** The current thread's default stream on a device (the default device when omitted). */
export function defaultStream(d: DeviceType | Device = defaultDevice()): Stream {
  const dev = deviceOf('defaultStream', d);
  return toStream(native.defaultStream(dev.type, dev.index));
}

/** A new stream on a device. */
export function newStream(d: DeviceType | Device): Stream {
  const dev = deviceOf('newStream', d);
  return toStream(native.newStream(dev.type, dev.index));
}

export function setDefaultStream(s: Stream): void {
  native.setDefaultStream(streamOf('setDefaultStream', s));
}

/** Waits until the work queued on a stream (the default stream when omitted) has finished. */
export function synchronize(s?: Stream): void {
  native.synchronize(s === undefined ? undefined : streamOf('synchronize', s));
}
