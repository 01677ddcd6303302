/** A distributed group: the processes that take part in a collective. Wraps MLX's `distributed::Group`. */
import { native } from '../core/binding.js';
import type { GroupHandle } from '../native/bindings/distributed.js';

export class Group {
  /** @internal */
  readonly handle: GroupHandle;
  /** @internal */
  constructor(handle: GroupHandle) {
    this.handle = handle;
  }

  /** This process's index in the group, 0 ≤ rank < size. */
  rank(): number {
    return native.distributedGroupRank(this.handle);
  }

  /** The number of processes in the group. */
  size(): number {
    return native.distributedGroupSize(this.handle);
  }

  /**
   * Sub-group of the processes that pass the same `color`; `key` orders them (negative: keep this
   * group's order). The ring backend does not support splitting (MLX raises an error).
   */
  split(color: number, key = -1): Group {
    if (!Number.isInteger(color)) throw new TypeError(`expected an integer for color but received ${String(color)}`);
    if (!Number.isInteger(key)) throw new TypeError(`expected an integer for key but received ${String(key)}`);
    return new Group(native.distributedGroupSplit(this.handle, color, key));
  }
}
