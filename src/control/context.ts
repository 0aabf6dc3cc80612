import type { Scope } from '../core/arn.js';
import type { Store } from '../store/index.js';
import type { InstanceNotifier } from './agent-channel/notifier.js';
import type { PlacementCache } from './placement-cache.js';

/** Who is calling: known to every operation once the request's signature checked out. */
export interface Caller {
  readonly principalArn: string;
  readonly accessKeyId: string;
}

/** What the control-plane operations need from the outside world, passed in by the composition root. */
export interface ControlDeps {
  readonly store: Store;
  readonly scope: Scope;
  /** Epoch milliseconds. */
  readonly now: () => number;
  /** Told the instance ARN of every task change, so the agent channel's long poll answers at once. */
  readonly notifier?: InstanceNotifier;
  /** What placement reads of each cluster, kept between calls and told of every write. */
  readonly placementCache: PlacementCache;
}
